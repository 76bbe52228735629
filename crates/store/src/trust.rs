//! The public read model: what badges an app carries and why, in the shape of the spec's
//! section 6 (a superset of what Marketplace clients already read).

use apptrust_programs::Program;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::{Any, Row};

use crate::{Store, StoreError};

/// How many badge events the read model carries, newest first.
pub const EVENTS_IN_READ_MODEL: i64 = 50;

/// A badge event as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BadgeEventView {
    pub program: String,
    pub at: String,
    pub from: String,
    pub to: String,
    pub cause: String,
    pub version: Option<String>,
    pub reasons: Vec<String>,
}

pub(crate) fn badge_event(row: &sqlx::any::AnyRow) -> Result<BadgeEventView, StoreError> {
    Ok(BadgeEventView {
        program: row.try_get("program")?,
        at: row.try_get("at")?,
        from: row.try_get("from_status")?,
        to: row.try_get("to_status")?,
        cause: row.try_get("cause")?,
        version: row.try_get("version")?,
        reasons: serde_json::from_str(&row.try_get::<String, _>("reasons")?)?,
    })
}

impl Store {
    /// The public trust document of an app; `None` when there is no such app.
    pub async fn trust_document(&self, app_key: &str) -> Result<Option<Value>, StoreError> {
        let app = sqlx::query::<Any>(
            "SELECT a.id, a.name, a.framework, p.name AS partner FROM apps a \
             JOIN partners p ON p.id = a.partner_id WHERE a.key = $1",
        )
        .bind(app_key)
        .fetch_optional(&self.read)
        .await?;
        let Some(app) = app else { return Ok(None) };
        let app_id: i64 = app.try_get("id")?;
        let badges = sqlx::query::<Any>(
            "SELECT b.program, b.status, b.version, b.environment, b.reasons, b.since, \
               (SELECT v.reported_by FROM versions v JOIN environments e ON e.id = v.environment_id \
                WHERE v.app_id = b.app_id AND e.name = b.environment \
                  AND v.major || '.' || v.minor || '.' || v.patch = b.version) AS reported_by \
             FROM badges b WHERE b.app_id = $1",
        )
        .bind(app_id)
        .fetch_all(&self.read)
        .await?;
        let events = sqlx::query::<Any>(
            "SELECT program, at, from_status, to_status, cause, version, reasons FROM badge_events \
             WHERE app_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(app_id)
        .bind(EVENTS_IN_READ_MODEL)
        .fetch_all(&self.read)
        .await?;

        let mut programs = serde_json::Map::new();
        for program in Program::ALL {
            let stored = badges.iter().find(|b| {
                b.try_get::<String, _>("program")
                    .is_ok_and(|p| p == program.key())
            });
            programs.insert(program.key().to_string(), program_json(program, stored)?);
        }
        let events = events
            .iter()
            .map(badge_event)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(json!({
            "appKey": app_key,
            "name": app.try_get::<String, _>("name")?,
            "partner": app.try_get::<String, _>("partner")?,
            "framework": app.try_get::<String, _>("framework")?,
            "programs": programs,
            "badgeEvents": events,
        })))
    }
}

fn program_json(program: Program, stored: Option<&sqlx::any::AnyRow>) -> Result<Value, StoreError> {
    let status = stored
        .map(|b| b.try_get::<String, _>("status"))
        .transpose()?
        .unwrap_or_else(|| "NOT_A_PARTICIPANT".to_string());
    Ok(match (program, stored) {
        (Program::RunsOnAtlassian, Some(b)) => {
            let reasons: Vec<String> = serde_json::from_str(&b.try_get::<String, _>("reasons")?)?;
            json!({
                "eligible": status == "APPROVED",
                "status": status,
                "since": b.try_get::<String, _>("since")?,
                "version": b.try_get::<Option<String>, _>("version")?,
                "environment": b.try_get::<Option<String>, _>("environment")?,
                "reasons": reasons,
                // Whether the deployment pipeline itself reported the version behind the badge
                // (`platform`), or the partner or staff did.
                "reportedBy": b.try_get::<Option<String>, _>("reported_by")?,
            })
        }
        (Program::RunsOnAtlassian, None) => json!({
            "eligible": false, "status": status, "version": null, "environment": null, "reasons": [],
            "reportedBy": null,
        }),
        (Program::BugBountyParticipant, _) => json!({"cloud": {"status": status}}),
        _ => json!({"status": status}),
    })
}
