//! Badge rows and badge-event rows, for any program: the current state of each badge of each app
//! (`badges`) and every change of it (`badge_events`). What a status means and when it moves is
//! the programs' business (`apptrust_programs`), and moving one is a use case
//! (`apptrust_service::badges`).

use sqlx::{Any, Row};

use crate::{Connection, StoreError};

/// A badge as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBadge {
    pub status: String,
    /// The version the status was computed from, if a version is behind it.
    pub version: Option<String>,
    /// The rule names (or requirement names) behind the status.
    pub reasons: Vec<String>,
}

/// The app's badge of `program`, if it has one.
/// The app's badge of `program`, locked for the rest of the caller's transaction (on
/// PostgreSQL; SQLite has one writer): a move that checks the status it moves from cannot race
/// another move of the same badge. The lock is taken with a no-op update, which both databases
/// read the same way.
pub async fn lock_in(
    connection: &mut Connection,
    app_id: i64,
    program: &str,
) -> Result<Option<StoredBadge>, StoreError> {
    sqlx::query::<Any>("UPDATE badges SET status = status WHERE app_id = $1 AND program = $2")
        .bind(app_id)
        .bind(program)
        .execute(&mut *connection)
        .await?;
    load_in(connection, app_id, program).await
}

pub async fn load_in(
    connection: &mut Connection,
    app_id: i64,
    program: &str,
) -> Result<Option<StoredBadge>, StoreError> {
    let row = sqlx::query::<Any>(
        "SELECT status, version, reasons FROM badges WHERE app_id = $1 AND program = $2",
    )
    .bind(app_id)
    .bind(program)
    .fetch_optional(connection)
    .await?;
    row.map(|row| {
        Ok(StoredBadge {
            status: row.try_get("status")?,
            version: row.try_get("version")?,
            reasons: serde_json::from_str(&row.try_get::<String, _>("reasons")?)?,
        })
    })
    .transpose()
}

/// Writes the app's badge of `program`. `since` moves only when the status does.
pub async fn save_in(
    connection: &mut Connection,
    app_id: i64,
    program: &str,
    badge: &StoredBadge,
    environment: Option<&str>,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO badges (app_id, program, status, version, environment, reasons, since) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (app_id, program) DO UPDATE SET \
           since = CASE WHEN badges.status = excluded.status THEN badges.since ELSE excluded.since END, \
           status = excluded.status, version = excluded.version, reasons = excluded.reasons",
    )
    .bind(app_id)
    .bind(program)
    .bind(&badge.status)
    .bind(&badge.version)
    .bind(environment)
    .bind(serde_json::to_string(&badge.reasons)?)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

/// A change of a badge, to record.
#[derive(Clone, Debug)]
pub struct NewBadgeEvent<'a> {
    pub program: &'a str,
    pub at: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub cause: &'a str,
    pub version: &'a str,
    pub reasons: &'a [String],
    /// What caused it: `version:<id>`, `reevaluation:<engine>`, ...
    pub reference: &'a str,
}

/// Appends a badge event.
pub async fn insert_event_in(
    connection: &mut Connection,
    app_id: i64,
    event: &NewBadgeEvent<'_>,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO badge_events \
           (app_id, program, at, from_status, to_status, cause, version, reasons, reference) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(app_id)
    .bind(event.program)
    .bind(event.at)
    .bind(event.from)
    .bind(event.to)
    .bind(event.cause)
    .bind(event.version)
    .bind(serde_json::to_string(event.reasons)?)
    .bind(event.reference)
    .execute(connection)
    .await?;
    Ok(())
}
