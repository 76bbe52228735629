//! Go-to-market list editions: written once, read many times, never changed.

use sqlx::{Any, Row};

use crate::error::conflict_if_duplicate;
use crate::{Connection, Store, StoreError};

/// An app that carries a badge, as a go-to-market list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub app_id: i64,
    pub app_key: String,
    pub app_name: String,
    pub partner: String,
    /// Since when it carries the badge.
    pub since: String,
    /// The requirement set its badge stands on.
    pub requirement_set: Option<String>,
}

/// Every app whose `badge` is `status`, by app key.
pub async fn holders_in(
    connection: &mut Connection,
    badge: &str,
    status: &str,
) -> Result<Vec<Holder>, StoreError> {
    let rows = sqlx::query::<Any>(
        "SELECT a.id, a.key, a.name, p.name AS partner, b.since, b.version FROM badges b \
         JOIN apps a ON a.id = b.app_id JOIN partners p ON p.id = a.partner_id \
         WHERE b.program = $1 AND b.status = $2 ORDER BY a.key",
    )
    .bind(badge)
    .bind(status)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Holder {
                app_id: r.try_get("id")?,
                app_key: r.try_get("key")?,
                app_name: r.try_get("name")?,
                partner: r.try_get("partner")?,
                since: r.try_get("since")?,
                requirement_set: r.try_get("version")?,
            })
        })
        .collect()
}

/// A published edition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditionRow {
    pub program: String,
    /// `YYYY-MM`.
    pub month: String,
    pub published_at: String,
    pub published_by: String,
    /// The entries, as JSON written by the use case.
    pub entries: String,
}

/// Writes an edition; a conflict when the month's edition already exists (editions are
/// immutable).
pub async fn insert_in(
    connection: &mut Connection,
    edition: &EditionRow,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO editions (program, month, published_at, published_by, entries) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&edition.program)
    .bind(&edition.month)
    .bind(&edition.published_at)
    .bind(&edition.published_by)
    .bind(&edition.entries)
    .execute(connection)
    .await
    .map_err(conflict_if_duplicate(|| {
        format!(
            "the {} edition of `{}` is already published; editions never change",
            edition.month, edition.program
        )
    }))?;
    Ok(())
}

/// The latest edition of `program` before `month` (`None`: the first).
pub async fn previous_in(
    connection: &mut Connection,
    program: &str,
    month: &str,
) -> Result<Option<EditionRow>, StoreError> {
    sqlx::query::<Any>(
        "SELECT program, month, published_at, published_by, entries FROM editions \
         WHERE program = $1 AND month < $2 ORDER BY month DESC LIMIT 1",
    )
    .bind(program)
    .bind(month)
    .fetch_optional(connection)
    .await?
    .as_ref()
    .map(edition)
    .transpose()
}

fn edition(r: &sqlx::any::AnyRow) -> Result<EditionRow, StoreError> {
    Ok(EditionRow {
        program: r.try_get("program")?,
        month: r.try_get("month")?,
        published_at: r.try_get("published_at")?,
        published_by: r.try_get("published_by")?,
        entries: r.try_get("entries")?,
    })
}

impl Store {
    /// One edition.
    pub async fn edition(
        &self,
        program: &str,
        month: &str,
    ) -> Result<Option<EditionRow>, StoreError> {
        sqlx::query::<Any>(
            "SELECT program, month, published_at, published_by, entries FROM editions \
             WHERE program = $1 AND month = $2",
        )
        .bind(program)
        .bind(month)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(edition)
        .transpose()
    }

    /// Every edition of `program`, newest first (without their entries' text parsed).
    pub async fn editions(&self, program: &str) -> Result<Vec<EditionRow>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT program, month, published_at, published_by, entries FROM editions \
             WHERE program = $1 ORDER BY month DESC",
        )
        .bind(program)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(edition).collect()
    }
}
