//! The append-only audit log. Triggers in both schemas refuse updates and deletes, so even a bug
//! (or a hand-written query) cannot rewrite history.

use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};

use crate::{Actor, Store, StoreError};

/// One entry.
#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
}

/// Appends an entry inside the caller's transaction.
pub async fn record(
    connection: &mut AnyConnection,
    at: &str,
    actor: &Actor,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(at)
    .bind(&actor.label)
    .bind(action)
    .bind(subject)
    .bind(detail.to_string())
    .execute(connection)
    .await?;
    Ok(())
}

impl Store {
    /// Entries newer than `after`, oldest first.
    pub async fn audit_entries(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, at, actor, action, subject, detail FROM audit_log WHERE id > $1 \
             ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: serde_json::from_str(&r.try_get::<String, _>("detail")?)?,
                })
            })
            .collect()
    }
}

impl crate::Store {
    /// Records that staff moved the test clock (`apptrust serve --test-clock`), so that the
    /// audit log explains why later entries jump in time.
    pub async fn record_clock_move(&self, actor: &Actor, to: &str) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        record(
            &mut tx,
            &self.now(),
            actor,
            "test-clock.move",
            "test-clock",
            serde_json::json!({ "now": to }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
