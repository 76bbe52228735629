//! The outbox: what happened that someone must hear about, written in the transaction of the
//! change itself.
//!
//! Event names are the public ones webhooks carry: `badge.gained`, `badge.lost`,
//! `version.consent-required`, `deploy.blocked`. The payload holds the event's name, the app,
//! when it happened and what it is about; a webhook receives it in the Standard Webhooks layout
//! (see `apptrust_service::notify::webhook::body`).

use serde::Serialize;
use serde_json::Value;
use sqlx::{Any, AnyConnection, Row};

use crate::apps::App;
use crate::{Store, StoreError};

/// A badge was gained: the app now carries it.
pub const BADGE_GAINED: &str = "badge.gained";
/// A badge was lost.
pub const BADGE_LOST: &str = "badge.lost";
/// A new major version waits for site admins' consent.
pub const CONSENT_REQUIRED: &str = "version.consent-required";
/// A deploy was refused because Forge would not deploy the manifest.
pub const DEPLOY_BLOCKED: &str = "deploy.blocked";

/// A submission moved (its state, its ball holder, its due date).
pub const SUBMISSION_MOVED: &str = "submission.moved";
/// One of a submission's checks moved.
pub const CHECK_MOVED: &str = "submission.check-moved";
/// A message was added to a submission's thread.
pub const SUBMISSION_MESSAGE: &str = "submission.message";

/// An annual review was scheduled or moved (its notice, its start, findings, the outcome).
pub const REVIEW_MOVED: &str = "review.moved";

/// An escalation was raised or moved (a demotion tells the partner when the badge is suspended).
pub const ESCALATION_MOVED: &str = "escalation.moved";

/// A vulnerability passed its due date unfixed.
pub const VULNERABILITY_OVERDUE: &str = "vulnerability.overdue";

/// The app is on a go-to-market list edition just published.
pub const EDITION_PUBLISHED: &str = "edition.published";

/// A requirement set of a program the app takes part in was published, came into force, or
/// its grace ended.
pub const REQUIREMENTS_CHANGED: &str = "requirements.changed";

/// To a site's admins: an app installed on the site lost a badge.
pub const INSTALLATION_BADGE_LOST: &str = "installation.badge-lost";
/// To a site's admins: a new major of an installed app waits for their consent.
pub const INSTALLATION_CONSENT_REQUIRED: &str = "installation.consent-required";
/// To a site's admins: the egress of the version in force on their site changed.
pub const INSTALLATION_EGRESS_CHANGED: &str = "installation.egress-changed";
/// To a site's admins: an installation now breaks the site's policy.
pub const INSTALLATION_POLICY_BROKEN: &str = "installation.policy-broken";

/// Every event, in the order the documentation lists them.
pub const EVENTS: [&str; 16] = [
    BADGE_GAINED,
    BADGE_LOST,
    CONSENT_REQUIRED,
    DEPLOY_BLOCKED,
    SUBMISSION_MOVED,
    CHECK_MOVED,
    SUBMISSION_MESSAGE,
    REVIEW_MOVED,
    ESCALATION_MOVED,
    VULNERABILITY_OVERDUE,
    EDITION_PUBLISHED,
    REQUIREMENTS_CHANGED,
    INSTALLATION_BADGE_LOST,
    INSTALLATION_CONSENT_REQUIRED,
    INSTALLATION_EGRESS_CHANGED,
    INSTALLATION_POLICY_BROKEN,
];

/// A notification as its owner reads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: i64,
    pub event: String,
    pub subject: String,
    pub payload: Value,
    pub created_at: String,
}

/// Writes a notification about app `app_id` in the caller's transaction. `details` are merged
/// into the payload beside `event`, `app` (the app's key) and `at`.
pub async fn record_in(
    connection: &mut AnyConnection,
    now: &str,
    event: &str,
    app_id: i64,
    subject: &str,
    details: Value,
) -> Result<(), StoreError> {
    record_with(connection, now, event, app_id, None, subject, details).await
}

/// Writes a notification for the admins of site `site` (its id and key) about app `app_id`
/// installed there; the payload names the site. The app's partner never receives it.
pub async fn record_for_site_in(
    connection: &mut AnyConnection,
    now: &str,
    event: &str,
    app_id: i64,
    site: (i64, &str),
    subject: &str,
    details: Value,
) -> Result<(), StoreError> {
    record_with(connection, now, event, app_id, Some(site), subject, details).await
}

async fn record_with(
    connection: &mut AnyConnection,
    now: &str,
    event: &str,
    app_id: i64,
    site: Option<(i64, &str)>,
    subject: &str,
    details: Value,
) -> Result<(), StoreError> {
    let app_key: String = sqlx::query_scalar::<Any, String>("SELECT key FROM apps WHERE id = $1")
        .bind(app_id)
        .fetch_one(&mut *connection)
        .await?;
    let mut payload = serde_json::json!({"event": event, "app": app_key, "at": now});
    if let (Some(payload), Value::Object(details)) = (payload.as_object_mut(), details) {
        payload.extend(details);
        if let Some((_, key)) = site {
            payload.insert("site".into(), key.into());
        }
    }
    sqlx::query::<Any>(
        "INSERT INTO notifications (event, app_id, subject, payload, created_at, site_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(event)
    .bind(app_id)
    .bind(subject)
    .bind(payload.to_string())
    .bind(now)
    .bind(site.map(|(id, _)| id))
    .execute(connection)
    .await?;
    Ok(())
}

impl Store {
    /// Records that a deploy of `app` to `environment` was refused as `verdict` (nothing else is
    /// written for it: the version does not exist). A retry with the same idempotency key is
    /// announced once.
    pub async fn record_blocked_deploy(
        &self,
        app: &App,
        environment: &str,
        idempotency_key: Option<&str>,
        verdict: &str,
        blockers: &[String],
    ) -> Result<(), StoreError> {
        let subject = match idempotency_key {
            Some(key) => format!("app:{}/env:{environment}/key:{key}", app.key),
            None => format!("app:{}/env:{environment}", app.key),
        };
        let mut tx = self.write.begin().await?;
        if idempotency_key.is_some() {
            let told = sqlx::query_scalar::<Any, i64>(
                "SELECT COUNT(*) FROM notifications WHERE app_id = $1 AND event = $2 AND subject = $3",
            )
            .bind(app.id)
            .bind(DEPLOY_BLOCKED)
            .bind(&subject)
            .fetch_one(&mut *tx)
            .await?;
            if told > 0 {
                tx.rollback().await?;
                return Ok(());
            }
        }
        record_in(
            &mut tx,
            &self.now(),
            DEPLOY_BLOCKED,
            app.id,
            &subject,
            serde_json::json!({"environment": environment, "verdict": verdict, "blockers": blockers}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The partner whose app notification `id` is about.
    pub async fn notification_partner(&self, id: i64) -> Result<i64, StoreError> {
        sqlx::query_scalar::<Any, i64>(
            "SELECT a.partner_id FROM notifications n JOIN apps a ON a.id = n.app_id \
             WHERE n.id = $1 AND n.site_id IS NULL",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no notification {id}")))
    }

    /// An app's notifications after id `after`, oldest first, at most `limit` (not those for
    /// the sites it is installed on).
    pub async fn notifications(
        &self,
        app: &App,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        self.notifications_where("app_id = $1 AND site_id IS NULL", app.id, after, limit)
            .await
    }

    /// The notifications for site `site_id`'s admins after id `after`, oldest first.
    pub async fn site_notifications(
        &self,
        site_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        self.notifications_where("site_id = $1", site_id, after, limit)
            .await
    }

    async fn notifications_where(
        &self,
        filter: &str,
        owner: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT id, event, subject, payload, created_at FROM notifications \
             WHERE {filter} AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(owner)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Notification {
                    id: row.try_get("id")?,
                    event: row.try_get("event")?,
                    subject: row.try_get("subject")?,
                    // A hand-edited, unreadable payload shows as null rather than failing the
                    // whole page (its deliveries fail on their own, saying why).
                    payload: serde_json::from_str(&row.try_get::<String, _>("payload")?)
                        .unwrap_or(serde_json::Value::Null),
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}
