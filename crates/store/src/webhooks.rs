//! Webhook endpoints: where an owner wants to hear about events, and the secret each delivery
//! is signed with.
//!
//! A partner member's webhook belongs to the partner and receives the partner's apps' events; a
//! staff member's receives every app's. The signing secret is stored as is (the server must sign
//! with it, so it cannot be hashed) and shown only when it is made or rotated. After a rotation
//! the previous secret keeps signing beside the new one until its overlap ends, so that
//! receivers can switch without losing a delivery.

use serde::Serialize;
use sqlx::{Any, Row};

use crate::users::User;
use crate::{Actor, Store, StoreError, audit};

/// A webhook as its owner sees it (never with its secret).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    /// The partner whose apps' events it receives; `None`: every app (a staff member's).
    pub partner: Option<String>,
    #[serde(skip)]
    pub partner_id: Option<i64>,
    /// The user who registered it.
    pub created_by: i64,
    pub created_at: String,
    /// While a rotated-out secret still signs deliveries beside the new one: until when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<String>,
}

/// The secrets a delivery is signed with now: the current one, and the previous one while its
/// overlap lasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningSecrets {
    pub current: String,
    pub previous: Option<String>,
}

const COLUMNS: &str = "w.id, w.url, w.events, w.partner_id, p.key AS partner_key, w.user_id, \
                       w.created_at, w.previous_secret_until";

fn from_row(row: &sqlx::any::AnyRow, now: &str) -> Result<Webhook, StoreError> {
    let events: String = row.try_get("events")?;
    let previous_until: Option<String> = row.try_get("previous_secret_until")?;
    Ok(Webhook {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        events: events.split_whitespace().map(str::to_string).collect(),
        partner: row.try_get("partner_key")?,
        partner_id: row.try_get("partner_id")?,
        created_by: row.try_get("user_id")?,
        created_at: row.try_get("created_at")?,
        previous_secret_until: previous_until.filter(|until| until.as_str() > now),
    })
}

impl Store {
    /// Registers a webhook for `owner` (a partner member: their partner's apps; staff: every
    /// app). Refused when the owner's scope already has `max_per_owner` live webhooks.
    pub async fn create_webhook(
        &self,
        owner: &User,
        url: &str,
        events: &[String],
        secret: &str,
        max_per_owner: i64,
    ) -> Result<Webhook, StoreError> {
        let now = self.now();
        let mut tx = self.write.begin().await?;
        // Registrations in one scope take turns, so that two at once cannot both pass the cap
        // (SQLite has one writer anyway).
        if self.kind == crate::DatabaseKind::Postgres {
            sqlx::query::<Any>("SELECT pg_advisory_xact_lock(8101, CAST($1 AS INTEGER))")
                .bind(owner.partner_id.unwrap_or(0))
                .execute(&mut *tx)
                .await?;
        }
        let live: i64 = sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM webhooks WHERE deleted_at IS NULL \
             AND ((partner_id IS NULL AND $1 IS NULL) OR partner_id = $1)",
        )
        .bind(owner.partner_id)
        .fetch_one(&mut *tx)
        .await?;
        if live >= max_per_owner {
            return Err(StoreError::Invalid(format!(
                "at most {max_per_owner} webhooks may be registered at once (max-webhooks-per-owner); \
                 delete one first"
            )));
        }
        let id: i64 = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO webhooks (user_id, partner_id, url, events, secret, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(owner.id)
        .bind(owner.partner_id)
        .bind(url)
        .bind(events.join(" "))
        .bind(secret)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(crate::error::conflict_if_duplicate(|| {
            format!("`{url}` is already registered; change its events by deleting it and registering it again")
        }))?;
        audit::record(
            &mut tx,
            &now,
            &owner.actor(),
            "webhook.create",
            &format!("webhook:{id}"),
            serde_json::json!({"url": url, "events": events}),
        )
        .await?;
        tx.commit().await?;
        self.webhook(id).await
    }

    /// A live webhook by id.
    pub async fn webhook(&self, id: i64) -> Result<Webhook, StoreError> {
        let row = sqlx::query::<Any>(&format!(
            "SELECT {COLUMNS} FROM webhooks w LEFT JOIN partners p ON p.id = w.partner_id \
             WHERE w.id = $1 AND w.deleted_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no webhook {id}")))?;
        from_row(&row, &self.now())
    }

    /// Live webhooks, oldest first: a partner's (`Some`), or all of them (`None`, for staff).
    pub async fn webhooks(
        &self,
        partner_id: Option<i64>,
        page: crate::Page,
    ) -> Result<Vec<Webhook>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT {COLUMNS} FROM webhooks w LEFT JOIN partners p ON p.id = w.partner_id \
             WHERE w.deleted_at IS NULL AND ($1 IS NULL OR w.partner_id = $1) AND w.id > $2 \
             ORDER BY w.id LIMIT $3"
        ))
        .bind(partner_id)
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(&self.read)
        .await?;
        let now = self.now();
        rows.iter().map(|row| from_row(row, &now)).collect()
    }

    /// Deletes a webhook. Its pending deliveries fail with the reason; the log stays.
    pub async fn delete_webhook(&self, id: i64, actor: &Actor) -> Result<(), StoreError> {
        let now = self.now();
        let mut tx = self.write.begin().await?;
        let deleted = sqlx::query::<Any>(
            "UPDATE webhooks SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no webhook {id}")));
        }
        sqlx::query::<Any>(
            "UPDATE deliveries SET status = 'failed', last_error = 'the webhook was deleted', \
             lease_owner = NULL, lease_until = NULL WHERE webhook_id = $1 AND status = 'pending'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            &now,
            actor,
            "webhook.delete",
            &format!("webhook:{id}"),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces a webhook's secret with `secret`; the old one keeps signing beside it until
    /// `overlap_until`.
    pub async fn rotate_webhook_secret(
        &self,
        id: i64,
        secret: &str,
        overlap_until: &str,
        actor: &Actor,
    ) -> Result<Webhook, StoreError> {
        let now = self.now();
        let mut tx = self.write.begin().await?;
        // A rotation with an overlap while an earlier one's overlap lasts would drop the first
        // secret early, under receivers that may not have switched yet: refused. A rotation
        // without overlap (a leaked secret) ends every old secret at once, whenever it comes.
        let rotated = sqlx::query::<Any>(
            "UPDATE webhooks SET previous_secret = secret, previous_secret_until = $3, secret = $2 \
             WHERE id = $1 AND deleted_at IS NULL \
               AND ($3 <= $4 OR previous_secret_until IS NULL OR previous_secret_until <= $4)",
        )
        .bind(id)
        .bind(secret)
        .bind(overlap_until)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if rotated.rows_affected() == 0 {
            let until = sqlx::query_scalar::<Any, Option<String>>(
                "SELECT previous_secret_until FROM webhooks WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            return Err(match until {
                Some(Some(until)) => StoreError::Conflict(format!(
                    "webhook {id}'s previous secret still signs until {until}; rotating again \
                     with an overlap would stop it early. Rotate after that, or with \
                     `overlapHours: 0` to end every old secret now"
                )),
                _ => StoreError::NotFound(format!("no webhook {id}")),
            });
        }
        audit::record(
            &mut tx,
            &now,
            actor,
            "webhook.rotate-secret",
            &format!("webhook:{id}"),
            serde_json::json!({"previousSecretUntil": overlap_until}),
        )
        .await?;
        tx.commit().await?;
        self.webhook(id).await
    }
}
