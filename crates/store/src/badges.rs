//! The stored state of the Runs on Atlassian badge, and recording its changes as events.

use apptrust_programs::{AppVersion, BadgeEvent, BadgeStatus, Program, RunsOnAtlassian};
use apptrust_rules::Code;
use sqlx::{Any, AnyConnection, Row};

use crate::StoreError;

const ROA: &str = "runsOnAtlassian";

/// The badge as stored for an app (the default when it never had a production deploy).
pub async fn load_runs_on_atlassian(
    tx: &mut AnyConnection,
    app_id: i64,
) -> Result<RunsOnAtlassian, StoreError> {
    let row = sqlx::query::<Any>(
        "SELECT status, version, reasons FROM badges WHERE app_id = $1 AND program = $2",
    )
    .bind(app_id)
    .bind(ROA)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(RunsOnAtlassian::default());
    };
    let status: String = row.try_get("status")?;
    let version: Option<String> = row.try_get("version")?;
    let reasons: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("reasons")?)?;
    Ok(RunsOnAtlassian {
        status: BadgeStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("badge status `{status}`")))?,
        version: version
            .map(|v| v.parse::<AppVersion>())
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        reasons: reasons.iter().filter_map(|r| Code::from_name(r)).collect(),
    })
}

/// Saves the badge after a deploy or a re-evaluation, and its event when the status changed.
pub async fn save_runs_on_atlassian(
    tx: &mut AnyConnection,
    app_id: i64,
    badge: &RunsOnAtlassian,
    previous: BadgeStatus,
    event: Option<&BadgeEvent>,
    reference: &str,
    now: &str,
) -> Result<(), StoreError> {
    let reasons = serde_json::to_string(&badge.reasons)?;
    let version = badge.version.map(|v| v.to_string());
    // `since` moves only when the status does.
    sqlx::query::<Any>(
        "INSERT INTO badges (app_id, program, status, version, environment, reasons, since) \
         VALUES ($1, $2, $3, $4, 'production', $5, $6) \
         ON CONFLICT (app_id, program) DO UPDATE SET \
           since = CASE WHEN badges.status = excluded.status THEN badges.since ELSE excluded.since END, \
           status = excluded.status, version = excluded.version, reasons = excluded.reasons",
    )
    .bind(app_id)
    .bind(Program::RunsOnAtlassian.key())
    .bind(badge.status.as_str())
    .bind(&version)
    .bind(&reasons)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if let Some(event) = event {
        // Everyone who must hear about it is told through the outbox, in this transaction.
        let announced = match (previous, event.to) {
            (_, BadgeStatus::Approved) if previous != BadgeStatus::Approved => {
                Some(crate::notifications::BADGE_GAINED)
            }
            (BadgeStatus::Approved, to) if to != BadgeStatus::Approved => {
                Some(crate::notifications::BADGE_LOST)
            }
            _ => None,
        };
        if let Some(name) = announced {
            crate::notifications::record_in(
                tx,
                now,
                name,
                app_id,
                reference,
                serde_json::json!({
                    "program": event.program,
                    "from": previous.as_str(),
                    "to": event.to.as_str(),
                    "version": event.version.to_string(),
                    "cause": event.cause.as_str(),
                    "reasons": event.reasons,
                }),
            )
            .await?;
        }
        sqlx::query::<Any>(
            "INSERT INTO badge_events \
               (app_id, program, at, from_status, to_status, cause, version, reasons, reference) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(app_id)
        .bind(event.program)
        .bind(&event.at)
        .bind(previous.as_str())
        .bind(event.to.as_str())
        .bind(event.cause.as_str())
        .bind(event.version.to_string())
        .bind(serde_json::to_string(&event.reasons)?)
        .bind(reference)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
