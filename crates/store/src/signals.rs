//! Signal rows: hourly measurement buckets, stretches left out of the SLOs, breach days,
//! vulnerability records and bug bounties. Times are in the stored form (`clock::stored`), which
//! sorts as it reads.

use sqlx::{Any, Row};

use crate::{Connection, Store, StoreError};

/// One hour's measurements of one metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HourRow {
    pub hour: String,
    pub total: i64,
    pub good: i64,
}

/// Adds measurements to their hours (creating the hours that have none yet).
pub async fn add_hours_in(
    connection: &mut Connection,
    app_id: i64,
    metric: &str,
    hours: &[HourRow],
) -> Result<(), StoreError> {
    for h in hours {
        sqlx::query::<Any>(
            "INSERT INTO signal_hours (app_id, metric, hour, total, good) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (app_id, metric, hour) DO UPDATE \
             SET total = signal_hours.total + excluded.total, good = signal_hours.good + excluded.good",
        )
        .bind(app_id)
        .bind(metric)
        .bind(&h.hour)
        .bind(h.total)
        .bind(h.good)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// The hours of `metric` from `since` on, oldest first.
pub async fn hours_in(
    connection: &mut Connection,
    app_id: i64,
    metric: &str,
    since: &str,
) -> Result<Vec<HourRow>, StoreError> {
    let rows = sqlx::query::<Any>(
        "SELECT hour, total, good FROM signal_hours \
         WHERE app_id = $1 AND metric = $2 AND hour >= $3 ORDER BY hour",
    )
    .bind(app_id)
    .bind(metric)
    .bind(since)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HourRow {
                hour: r.try_get("hour")?,
                total: r.try_get("total")?,
                good: r.try_get("good")?,
            })
        })
        .collect()
}

/// Downtime the partner announced, or an incident the marketplace caused.
pub const DOWNTIME: &str = "downtime";
pub const EXCLUSION: &str = "exclusion";

/// A stretch of time left out of the SLOs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowRow {
    pub id: i64,
    /// [`DOWNTIME`] or [`EXCLUSION`].
    pub kind: String,
    pub starts_at: String,
    pub ends_at: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: String,
}

/// Records a window.
#[allow(clippy::too_many_arguments)]
pub async fn insert_window_in(
    connection: &mut Connection,
    app_id: i64,
    kind: &str,
    starts_at: &str,
    ends_at: &str,
    reason: &str,
    created_by: &str,
    now: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<Any, i64>(
        "INSERT INTO signal_windows (app_id, kind, starts_at, ends_at, reason, created_by, \
           created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(app_id)
    .bind(kind)
    .bind(starts_at)
    .bind(ends_at)
    .bind(reason)
    .bind(created_by)
    .bind(now)
    .fetch_one(connection)
    .await?)
}

/// The app's windows that end after `since` and start before `before` (if given), by start.
pub async fn windows_in(
    connection: &mut Connection,
    app_id: i64,
    since: &str,
    before: Option<&str>,
) -> Result<Vec<WindowRow>, StoreError> {
    let rows = sqlx::query::<Any>(
        "SELECT id, kind, starts_at, ends_at, reason, created_by, created_at FROM signal_windows \
         WHERE app_id = $1 AND ends_at > $2 AND ($3 = '' OR starts_at < $3) \
         ORDER BY starts_at, id",
    )
    .bind(app_id)
    .bind(since)
    .bind(before.unwrap_or(""))
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(WindowRow {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                starts_at: r.try_get("starts_at")?,
                ends_at: r.try_get("ends_at")?,
                reason: r.try_get("reason")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Records that `metric` was breached on `day` (once per day).
pub async fn add_breach_in(
    connection: &mut Connection,
    app_id: i64,
    metric: &str,
    day: &str,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO slo_breaches (app_id, metric, day) VALUES ($1, $2, $3) \
         ON CONFLICT (app_id, metric, day) DO NOTHING",
    )
    .bind(app_id)
    .bind(metric)
    .bind(day)
    .execute(connection)
    .await?;
    Ok(())
}

/// The days from `since` on when `metric` was breached.
pub async fn breaches_in(
    connection: &mut Connection,
    app_id: i64,
    metric: &str,
    since: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar::<Any, String>(
        "SELECT day FROM slo_breaches WHERE app_id = $1 AND metric = $2 AND day >= $3 ORDER BY day",
    )
    .bind(app_id)
    .bind(metric)
    .bind(since)
    .fetch_all(connection)
    .await?)
}

/// A vulnerability record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VulnerabilityRow {
    pub id: i64,
    pub app_id: i64,
    pub external_id: String,
    pub severity: String,
    /// `bug-bounty` or `other`.
    pub source: String,
    pub reported_at: String,
    pub due_at: String,
    pub fixed_at: Option<String>,
}

const VULNERABILITY: &str =
    "id, app_id, external_id, severity, source, reported_at, due_at, fixed_at";

fn vulnerability(r: &sqlx::any::AnyRow) -> Result<VulnerabilityRow, StoreError> {
    Ok(VulnerabilityRow {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        external_id: r.try_get("external_id")?,
        severity: r.try_get("severity")?,
        source: r.try_get("source")?,
        reported_at: r.try_get("reported_at")?,
        due_at: r.try_get("due_at")?,
        fixed_at: r.try_get("fixed_at")?,
    })
}

/// Records a vulnerability, or updates the one with the same external id (its severity, source,
/// report date, due date and fix date).
pub async fn upsert_vulnerability_in(
    connection: &mut Connection,
    row: &VulnerabilityRow,
    now: &str,
) -> Result<VulnerabilityRow, StoreError> {
    let sql = format!(
        "INSERT INTO vulnerabilities (app_id, external_id, severity, source, reported_at, due_at, \
           fixed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (app_id, external_id) DO UPDATE SET severity = excluded.severity, \
           source = excluded.source, reported_at = excluded.reported_at, \
           due_at = excluded.due_at, fixed_at = excluded.fixed_at \
         RETURNING {VULNERABILITY}"
    );
    let r = sqlx::query::<Any>(&sql)
        .bind(row.app_id)
        .bind(&row.external_id)
        .bind(&row.severity)
        .bind(&row.source)
        .bind(&row.reported_at)
        .bind(&row.due_at)
        .bind(&row.fixed_at)
        .bind(now)
        .fetch_one(connection)
        .await?;
    vulnerability(&r)
}

/// One vulnerability by id.
pub async fn vulnerability_in(
    connection: &mut Connection,
    id: i64,
) -> Result<Option<VulnerabilityRow>, StoreError> {
    let sql = format!("SELECT {VULNERABILITY} FROM vulnerabilities WHERE id = $1");
    sqlx::query::<Any>(&sql)
        .bind(id)
        .fetch_optional(connection)
        .await?
        .as_ref()
        .map(vulnerability)
        .transpose()
}

/// An app's bug bounty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BugBountyRow {
    /// `active`, `paused` or `ended`.
    pub state: String,
    pub paid: bool,
    /// When it entered this state.
    pub since: String,
    pub updated_at: String,
}

/// The app's bug bounty, if it ever had one.
pub async fn bug_bounty_in(
    connection: &mut Connection,
    app_id: i64,
) -> Result<Option<BugBountyRow>, StoreError> {
    sqlx::query::<Any>("SELECT state, paid, since, updated_at FROM bug_bounties WHERE app_id = $1")
        .bind(app_id)
        .fetch_optional(connection)
        .await?
        .map(|r| {
            Ok(BugBountyRow {
                state: r.try_get("state")?,
                paid: r.try_get::<i64, _>("paid")? != 0,
                since: r.try_get("since")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .transpose()
}

/// Writes the app's bug bounty.
pub async fn set_bug_bounty_in(
    connection: &mut Connection,
    app_id: i64,
    row: &BugBountyRow,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO bug_bounties (app_id, state, paid, since, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (app_id) DO UPDATE SET state = excluded.state, \
           paid = excluded.paid, since = excluded.since, updated_at = excluded.updated_at",
    )
    .bind(app_id)
    .bind(&row.state)
    .bind(i64::from(row.paid))
    .bind(&row.since)
    .bind(&row.updated_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// The app's vulnerabilities, newest report first.
pub async fn vulnerabilities_in(
    connection: &mut Connection,
    app_id: i64,
) -> Result<Vec<VulnerabilityRow>, StoreError> {
    let sql = format!(
        "SELECT {VULNERABILITY} FROM vulnerabilities WHERE app_id = $1 \
         ORDER BY reported_at DESC, id DESC"
    );
    let rows = sqlx::query::<Any>(&sql)
        .bind(app_id)
        .fetch_all(connection)
        .await?;
    rows.iter().map(vulnerability).collect()
}

impl Store {
    /// The app's vulnerabilities, newest report first.
    pub async fn vulnerabilities(&self, app_id: i64) -> Result<Vec<VulnerabilityRow>, StoreError> {
        let mut connection = self.read.acquire().await?;
        vulnerabilities_in(&mut connection, app_id).await
    }
}
