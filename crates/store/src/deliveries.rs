//! Deliveries: the outbox's notifications on their way to webhooks and inboxes, with the log of
//! every attempt.
//!
//! Two steps, each a transaction, so that a crash anywhere delays a delivery and never loses it:
//!
//! 1. **Dispatch** turns each new notification into its deliveries (one per matching webhook,
//!    one per person to e-mail) and marks it dispatched, together. On PostgreSQL instances claim
//!    notifications with `FOR UPDATE SKIP LOCKED`, so none is dispatched twice.
//! 2. **Attempts**: a sender claims due deliveries under a lease, sends outside any transaction,
//!    and records the attempt and what follows (delivered, retry at, failed). A sender that dies
//!    mid-send leaves the lease to run out; the delivery is then sent again with the same id,
//!    which is why receivers de-duplicate on `webhook-id`.

use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, AnyConnection, Row};

use crate::{Actor, DatabaseKind, Page, Store, StoreError, audit};

/// A delivery's channel.
pub const WEBHOOK: &str = "webhook";
/// A delivery's channel.
pub const EMAIL: &str = "email";

/// A claimed delivery, with everything needed to send it.
#[derive(Clone, Debug, PartialEq)]
pub struct DueDelivery {
    pub id: i64,
    /// Attempts since it was created or redelivered, this one included.
    pub attempts: i64,
    /// When the first of those attempts began.
    pub first_attempt_at: String,
    pub notification_id: i64,
    pub event: String,
    /// The notification's payload.
    pub payload: Value,
    pub target: Target,
    /// Why it must not be sent any more, found when it was claimed: its recipient was disabled
    /// or opted out, or the staff member who registered its webhook was disabled.
    pub refused: Option<String>,
}

/// Where a delivery goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Webhook {
        id: i64,
        url: String,
        /// The current secret, then the previous one while its overlap lasts.
        secrets: Vec<String>,
    },
    Email {
        address: String,
        name: String,
    },
}

/// What one attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver's HTTP status or SMTP reply code, when it answered.
    pub status_code: Option<i64>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What follows an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    Delivered,
    /// Try again at this time.
    RetryAt(String),
    /// Retries ran out: marked failed (it can still be redelivered).
    Failed,
}

/// A delivery as its owner reads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: i64,
    pub notification: i64,
    pub event: String,
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<i64>,
    /// The e-mail address, for e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts since it was created or last redelivered.
    pub attempts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    pub created_at: String,
    /// The partner whose webhook or member it goes to; `None` for a staff webhook.
    #[serde(skip)]
    pub partner_id: Option<i64>,
    /// The person it is e-mailed to.
    #[serde(skip)]
    pub user_id: Option<i64>,
}

/// One attempt in a delivery's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRecord {
    /// When the attempt began.
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// Counts for metrics: the outbox's depth.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Notifications not yet turned into deliveries.
    pub undispatched: i64,
    /// Deliveries not yet delivered and not given up.
    pub pending: i64,
    /// Deliveries whose retries ran out.
    pub failed: i64,
}

/// The attempts a delivery's log shows, newest kept.
const LOG_LENGTH: i64 = 100;

const DELIVERY_COLUMNS: &str = "d.id, d.notification_id, n.event, d.channel, d.webhook_id, \
    u.email AS recipient, d.status, d.attempts, d.next_attempt_at, d.last_status, d.last_error, \
    d.delivered_at, d.created_at, COALESCE(w.partner_id, u.partner_id) AS owner_partner, d.user_id";

const DELIVERY_FROM: &str = "deliveries d JOIN notifications n ON n.id = d.notification_id \
    LEFT JOIN webhooks w ON w.id = d.webhook_id LEFT JOIN users u ON u.id = d.user_id";

fn delivery_from_row(row: &sqlx::any::AnyRow) -> Result<Delivery, StoreError> {
    let status: String = row.try_get("status")?;
    let next: String = row.try_get("next_attempt_at")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        notification: row.try_get("notification_id")?,
        event: row.try_get("event")?,
        channel: row.try_get("channel")?,
        webhook: row.try_get("webhook_id")?,
        recipient: row.try_get("recipient")?,
        next_attempt_at: (status == "pending").then_some(next),
        status,
        attempts: row.try_get("attempts")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        delivered_at: row.try_get("delivered_at")?,
        created_at: row.try_get("created_at")?,
        partner_id: row.try_get("owner_partner")?,
        user_id: row.try_get("user_id")?,
    })
}

/// `$first, $first+1, ...`: placeholders for a list of `count` values.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Dispatches up to `limit` new notifications: creates their deliveries (webhooks always;
    /// e-mail when `email` is on, that is when an SMTP relay is configured) and marks them
    /// dispatched, in one transaction. Returns how many were dispatched.
    pub async fn dispatch_notifications(
        &self,
        limit: i64,
        email: bool,
    ) -> Result<usize, StoreError> {
        let now = self.now();
        let mut tx = self.write.begin().await?;
        let skip_locked = match self.kind {
            DatabaseKind::Postgres => " FOR UPDATE OF n SKIP LOCKED",
            DatabaseKind::Sqlite => "",
        };
        let rows = sqlx::query::<Any>(&format!(
            "SELECT n.id, n.event, a.partner_id, n.site_id FROM notifications n \
             JOIN apps a ON a.id = n.app_id \
             WHERE n.dispatched_at IS NULL ORDER BY n.id LIMIT $1{skip_locked}"
        ))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let event: String = row.try_get("event")?;
            let partner_id: i64 = row.try_get("partner_id")?;
            match row.try_get::<Option<i64>, _>("site_id")? {
                Some(site_id) => {
                    dispatch_to_site(&mut tx, &now, id, &event, site_id, email).await?
                }
                None => dispatch_one(&mut tx, &now, id, &event, partner_id, email).await?,
            }
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Claims up to `limit` due deliveries on `channels`, leasing them to `owner` for
    /// `lease_seconds` (longer than a send may take), earliest first.
    pub async fn claim_due_deliveries(
        &self,
        owner: &str,
        channels: &[&str],
        limit: i64,
        lease_seconds: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        if channels.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.now();
        let skip_locked = match self.kind {
            DatabaseKind::Postgres => " FOR UPDATE SKIP LOCKED",
            DatabaseKind::Sqlite => "",
        };
        let sql = format!(
            "UPDATE deliveries SET lease_owner = $1, lease_until = $2, attempts = attempts + 1, \
               first_attempt_at = COALESCE(first_attempt_at, $3) \
             WHERE id IN (SELECT id FROM deliveries \
               WHERE status = 'pending' AND next_attempt_at <= $3 AND channel IN ({}) \
                 AND (lease_until IS NULL OR lease_until < $3) \
               ORDER BY next_attempt_at, id LIMIT $4{skip_locked}) \
             RETURNING id",
            placeholders(5, channels.len())
        );
        let mut query = sqlx::query_scalar::<Any, i64>(&sql)
            .bind(owner)
            .bind(self.from_now(lease_seconds))
            .bind(&now)
            .bind(limit);
        for channel in channels {
            query = query.bind(*channel);
        }
        let ids = query.fetch_all(&self.write).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT d.id, d.attempts, d.first_attempt_at, d.channel, d.notification_id, n.event, \
               n.payload, d.webhook_id, w.url, w.secret, w.previous_secret, \
               w.previous_secret_until, u.email, u.name, u.disabled_at AS recipient_disabled, \
               (SELECT COUNT(*) FROM email_opt_outs o WHERE o.user_id = d.user_id \
                  AND o.event = n.event) AS opted_out, \
               CASE WHEN w.partner_id IS NULL THEN owner.disabled_at END AS owner_disabled \
             FROM deliveries d JOIN notifications n ON n.id = d.notification_id \
               LEFT JOIN webhooks w ON w.id = d.webhook_id LEFT JOIN users u ON u.id = d.user_id \
               LEFT JOIN users owner ON owner.id = w.user_id \
             WHERE d.id IN ({}) ORDER BY d.next_attempt_at, d.id",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query::<Any>(&sql);
        for id in &ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.write).await?;
        rows.iter()
            .map(|row| due_from_row(row, &now))
            .collect::<Result<Vec<_>, _>>()
    }

    /// Records an attempt at a claimed delivery, begun at `began_at`, and what follows. The
    /// attempt is logged even if `owner` lost the lease meanwhile; the delivery's state changes
    /// only if it still holds it. Returns whether it did.
    pub async fn finish_delivery_attempt(
        &self,
        delivery: &DueDelivery,
        owner: &str,
        began_at: &str,
        attempt: &Attempt,
        next: &Next,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let mut tx = self.write.begin().await?;
        sqlx::query::<Any>(
            "INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(delivery.id)
        .bind(began_at)
        .bind(attempt.status_code)
        .bind(attempt.error.as_deref())
        .bind(attempt.duration_ms)
        .execute(&mut *tx)
        .await?;
        // The log keeps the newest attempts only: a delivery redelivered again and again must
        // not grow it without end.
        sqlx::query::<Any>(
            "DELETE FROM delivery_attempts WHERE delivery_id = $1 AND id <= \
               (SELECT id FROM delivery_attempts WHERE delivery_id = $1 \
                ORDER BY id DESC LIMIT 1 OFFSET $2)",
        )
        .bind(delivery.id)
        .bind(LOG_LENGTH)
        .execute(&mut *tx)
        .await?;
        let (status, next_at, delivered_at) = match next {
            Next::Delivered => ("delivered", now.clone(), Some(now.clone())),
            Next::RetryAt(at) => ("pending", at.clone(), None),
            Next::Failed => ("failed", now.clone(), None),
        };
        let changed = sqlx::query::<Any>(
            "UPDATE deliveries SET status = $3, next_attempt_at = $4, delivered_at = $5, \
               last_status = $6, last_error = $7, lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2 AND status = 'pending'",
        )
        .bind(delivery.id)
        .bind(owner)
        .bind(status)
        .bind(&next_at)
        .bind(delivered_at)
        .bind(attempt.status_code)
        .bind(attempt.error.as_deref())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(changed.rows_affected() == 1)
    }

    /// One delivery.
    pub async fn delivery(&self, id: i64) -> Result<Delivery, StoreError> {
        let row = sqlx::query::<Any>(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} WHERE d.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no delivery {id}")))?;
        delivery_from_row(&row)
    }

    /// A delivery's attempts, oldest first (the newest [`LOG_LENGTH`]).
    pub async fn delivery_attempts(&self, id: i64) -> Result<Vec<AttemptRecord>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT attempted_at, status_code, error, duration_ms FROM delivery_attempts \
             WHERE delivery_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(id)
        .bind(LOG_LENGTH)
        .fetch_all(&self.read)
        .await?;
        let mut attempts = rows
            .iter()
            .map(|row| {
                Ok(AttemptRecord {
                    at: row.try_get("attempted_at")?,
                    status_code: row.try_get("status_code")?,
                    error: row.try_get("error")?,
                    duration_ms: row.try_get("duration_ms")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        attempts.reverse();
        Ok(attempts)
    }

    /// A webhook's deliveries, oldest first.
    pub async fn webhook_deliveries(
        &self,
        webhook_id: i64,
        page: Page,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} \
             WHERE d.webhook_id = $1 AND d.id > $2 ORDER BY d.id LIMIT $3"
        ))
        .bind(webhook_id)
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// A notification's deliveries that a viewer may see: all of them for staff (`None`), a
    /// partner's own (to its webhooks and its members) otherwise.
    pub async fn notification_deliveries(
        &self,
        notification_id: i64,
        partner_id: Option<i64>,
        page: Page,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} WHERE d.notification_id = $1 \
             AND ($2 IS NULL OR w.partner_id = $2 OR u.partner_id = $2) AND d.id > $3 \
             ORDER BY d.id LIMIT $4"
        ))
        .bind(notification_id)
        .bind(partner_id)
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// Sends a delivery again once it was delivered or failed: pending from now, with a fresh
    /// day of retries and the same id, so that a receiver that already has it can tell. Refused
    /// while it is pending (it is being sent already) and for a deleted webhook.
    pub async fn redeliver(&self, id: i64, actor: &Actor) -> Result<Delivery, StoreError> {
        let now = self.now();
        let mut tx = self.write.begin().await?;
        let changed = sqlx::query::<Any>(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = $2, attempts = 0, \
               first_attempt_at = NULL, lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND status <> 'pending' AND (webhook_id IS NULL OR webhook_id IN \
               (SELECT id FROM webhooks WHERE deleted_at IS NULL))",
        )
        .bind(id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "delivery {id} cannot be sent again now: it is still pending, or its webhook was \
                 deleted"
            )));
        }
        audit::record(
            &mut tx,
            &now,
            actor,
            "delivery.redeliver",
            &format!("delivery:{id}"),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        self.delivery(id).await
    }

    /// The events a user does not want e-mail about.
    pub async fn email_opt_outs(&self, user_id: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar::<Any, String>(
            "SELECT event FROM email_opt_outs WHERE user_id = $1 ORDER BY event",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Replaces the events a user does not want e-mail about.
    pub async fn set_email_opt_outs(
        &self,
        user_id: i64,
        events: &[String],
        actor: &Actor,
    ) -> Result<Vec<String>, StoreError> {
        let now = self.now();
        let mut tx = self.write.begin().await?;
        sqlx::query::<Any>("DELETE FROM email_opt_outs WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for event in events {
            sqlx::query::<Any>(
                "INSERT INTO email_opt_outs (user_id, event) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(user_id)
            .bind(event)
            .execute(&mut *tx)
            .await?;
        }
        audit::record(
            &mut tx,
            &now,
            actor,
            "user.email-opt-outs",
            &format!("user:{user_id}"),
            serde_json::json!({"emailOptOut": events}),
        )
        .await?;
        tx.commit().await?;
        self.email_opt_outs(user_id).await
    }

    /// The outbox's depth, for metrics.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT (SELECT COUNT(*) FROM notifications WHERE dispatched_at IS NULL) AS undispatched, \
               (SELECT COUNT(*) FROM deliveries WHERE status = 'pending') AS pending, \
               (SELECT COUNT(*) FROM deliveries WHERE status = 'failed') AS failed",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(OutboxCounts {
            undispatched: row.try_get("undispatched")?,
            pending: row.try_get("pending")?,
            failed: row.try_get("failed")?,
        })
    }
}

/// Creates one notification's deliveries and marks it dispatched, in the caller's transaction.
async fn dispatch_one(
    connection: &mut AnyConnection,
    now: &str,
    notification_id: i64,
    event: &str,
    partner_id: i64,
    email: bool,
) -> Result<(), StoreError> {
    // Webhooks of the app's partner (whoever of its members registered them) and of staff
    // members who may still sign in (partner_id NULL), that asked for this event.
    sqlx::query::<Any>(
        "INSERT INTO deliveries (notification_id, channel, webhook_id, status, next_attempt_at, created_at) \
         SELECT $1, 'webhook', w.id, 'pending', $2, $2 FROM webhooks w JOIN users u ON u.id = w.user_id \
         WHERE w.deleted_at IS NULL AND (w.partner_id IS NOT NULL OR u.disabled_at IS NULL) \
           AND (w.partner_id IS NULL OR w.partner_id = $3) AND (' ' || w.events || ' ') LIKE $4 \
         ORDER BY w.id",
    )
    .bind(notification_id)
    .bind(now)
    .bind(partner_id)
    .bind(format!("% {event} %"))
    .execute(&mut *connection)
    .await?;
    if email {
        sqlx::query::<Any>(
            "INSERT INTO deliveries (notification_id, channel, user_id, status, next_attempt_at, created_at) \
             SELECT $1, 'email', u.id, 'pending', $2, $2 FROM users u \
             WHERE u.role = 'partner' AND u.partner_id = $3 AND u.disabled_at IS NULL \
               AND NOT EXISTS (SELECT 1 FROM email_opt_outs o WHERE o.user_id = u.id AND o.event = $4) \
             ORDER BY u.id",
        )
        .bind(notification_id)
        .bind(now)
        .bind(partner_id)
        .bind(event)
        .execute(&mut *connection)
        .await?;
    }
    sqlx::query::<Any>("UPDATE notifications SET dispatched_at = $2 WHERE id = $1")
        .bind(notification_id)
        .bind(now)
        .execute(connection)
        .await?;
    Ok(())
}

/// Creates the deliveries of a notification for a site's admins (e-mail to each of them who
/// may sign in and did not opt out) and marks it dispatched. Neither the app's partner nor
/// staff webhooks receive it: it names a customer's site.
async fn dispatch_to_site(
    connection: &mut AnyConnection,
    now: &str,
    notification_id: i64,
    event: &str,
    site_id: i64,
    email: bool,
) -> Result<(), StoreError> {
    if email {
        sqlx::query::<Any>(
            "INSERT INTO deliveries (notification_id, channel, user_id, status, next_attempt_at, created_at) \
             SELECT $1, 'email', u.id, 'pending', $2, $2 FROM users u JOIN sites s ON s.key = u.site \
             WHERE u.role = 'site-admin' AND s.id = $3 AND u.disabled_at IS NULL \
               AND NOT EXISTS (SELECT 1 FROM email_opt_outs o WHERE o.user_id = u.id AND o.event = $4) \
             ORDER BY u.id",
        )
        .bind(notification_id)
        .bind(now)
        .bind(site_id)
        .bind(event)
        .execute(&mut *connection)
        .await?;
    }
    sqlx::query::<Any>("UPDATE notifications SET dispatched_at = $2 WHERE id = $1")
        .bind(notification_id)
        .bind(now)
        .execute(connection)
        .await?;
    Ok(())
}

fn due_from_row(row: &sqlx::any::AnyRow, now: &str) -> Result<DueDelivery, StoreError> {
    let channel: String = row.try_get("channel")?;
    let target = if channel == WEBHOOK {
        let mut secrets = vec![row.try_get::<String, _>("secret")?];
        let previous: Option<String> = row.try_get("previous_secret")?;
        let until: Option<String> = row.try_get("previous_secret_until")?;
        if let (Some(previous), Some(until)) = (previous, until)
            && until.as_str() > now
        {
            secrets.push(previous);
        }
        Target::Webhook {
            id: row.try_get("webhook_id")?,
            url: row.try_get("url")?,
            secrets,
        }
    } else {
        Target::Email {
            address: row.try_get("email")?,
            name: row.try_get("name")?,
        }
    };
    // A payload that cannot be read (a hand-edited row) fails its own delivery, not the whole
    // claim: otherwise it would come first in every claim and hold up everything behind it.
    let payload = serde_json::from_str::<serde_json::Value>(&row.try_get::<String, _>("payload")?);
    let refused = if payload.is_err() {
        Some("the notification's stored payload cannot be read".to_string())
    } else if row
        .try_get::<Option<String>, _>("recipient_disabled")?
        .is_some()
    {
        Some("the recipient was disabled".to_string())
    } else if row.try_get::<i64, _>("opted_out")? > 0 {
        Some("the recipient opted out of this event".to_string())
    } else if row
        .try_get::<Option<String>, _>("owner_disabled")?
        .is_some()
    {
        Some("the staff member who registered the webhook was disabled".to_string())
    } else {
        None
    };
    Ok(DueDelivery {
        refused,
        id: row.try_get("id")?,
        attempts: row.try_get("attempts")?,
        first_attempt_at: row.try_get("first_attempt_at")?,
        notification_id: row.try_get("notification_id")?,
        event: row.try_get("event")?,
        payload: payload.unwrap_or_default(),
        target,
    })
}
