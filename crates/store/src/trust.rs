//! What the public read model is made of: the app as the public sees it, its badges (one model
//! for every program) and its badge events. The document itself is built by the service's
//! `trust` use case.

use serde::Serialize;
use sqlx::{Any, Row};

use crate::{Store, StoreError};

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

/// An app as the public sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicApp {
    pub id: i64,
    pub name: String,
    /// The partner's display name.
    pub partner: String,
    pub framework: String,
}

/// One program's badge as stored: the one badge model, whatever the program.
#[derive(Clone, Debug, PartialEq)]
pub struct BadgeRow {
    /// The program's key (`runsOnAtlassian`, `cloudFortified`, ...).
    pub program: String,
    pub status: String,
    pub since: String,
    pub version: Option<String>,
    pub environment: Option<String>,
    pub reasons: Vec<String>,
    /// Who reported the version behind the badge (`platform`, `staff`, `partner`), when a
    /// version is behind it.
    pub reported_by: Option<String>,
}

impl Store {
    /// The app with this key, as the public sees it.
    pub async fn public_app(&self, key: &str) -> Result<Option<PublicApp>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT a.id, a.name, a.framework, p.name AS partner FROM apps a \
             JOIN partners p ON p.id = a.partner_id WHERE a.key = $1",
        )
        .bind(key)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            Ok(PublicApp {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                partner: row.try_get("partner")?,
                framework: row.try_get("framework")?,
            })
        })
        .transpose()
    }

    /// Every badge an app has a record of, one per program.
    pub async fn badges_of(&self, app_id: i64) -> Result<Vec<BadgeRow>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT b.program, b.status, b.version, b.environment, b.reasons, b.since, \
               (SELECT v.reported_by FROM versions v JOIN environments e ON e.id = v.environment_id \
                WHERE v.app_id = b.app_id AND e.name = b.environment \
                  AND v.major || '.' || v.minor || '.' || v.patch = b.version) AS reported_by \
             FROM badges b WHERE b.app_id = $1",
        )
        .bind(app_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(BadgeRow {
                    program: row.try_get("program")?,
                    status: row.try_get("status")?,
                    since: row.try_get("since")?,
                    version: row.try_get("version")?,
                    environment: row.try_get("environment")?,
                    reasons: serde_json::from_str(&row.try_get::<String, _>("reasons")?)?,
                    reported_by: row.try_get("reported_by")?,
                })
            })
            .collect()
    }

    /// An app's newest badge events, newest first, at most `limit`.
    pub async fn badge_events_of(
        &self,
        app_id: i64,
        limit: i64,
    ) -> Result<Vec<BadgeEventView>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT program, at, from_status, to_status, cause, version, reasons FROM badge_events \
             WHERE app_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(app_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(badge_event).collect()
    }
}
