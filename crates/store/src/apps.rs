//! Apps and their environments.

use apptrust_programs::{AppKey, DisplayName, EnvironmentName, STANDARD_ENVIRONMENTS};
use serde::Serialize;
use sqlx::{Any, Row};

use crate::error::conflict_if_duplicate;
use crate::{Actor, Store, StoreError, audit};

/// An app.
#[derive(Clone, Debug, Serialize)]
pub struct App {
    #[serde(skip)]
    pub id: i64,
    pub key: String,
    pub name: String,
    #[serde(skip)]
    pub partner_id: i64,
    pub partner: String,
    pub framework: String,
    /// The Forge app id (`ari:cloud:ecosystem::app/...`) every deploy's manifest must name:
    /// given when the app is created, or taken from its first deploy.
    #[serde(rename = "forgeAppId")]
    pub forge_app_id: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: String,
}

/// An app to create.
#[derive(Clone, Debug)]
pub struct NewApp {
    pub key: AppKey,
    pub name: String,
    pub partner: String,
    pub framework: String,
    pub forge_app_id: Option<apptrust_programs::ForgeAppId>,
}

/// An environment of an app, with its latest version.
#[derive(Clone, Debug, Serialize)]
pub struct Environment {
    #[serde(skip)]
    pub id: i64,
    pub name: String,
    #[serde(rename = "latestVersion")]
    pub latest_version: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: String,
}

pub(crate) const APP_COLUMNS: &str = "a.id, a.key, a.name, a.partner_id, p.key AS partner_key, a.framework, a.forge_app_id, \
     a.created_at";

pub(crate) fn app(row: &sqlx::any::AnyRow) -> Result<App, sqlx::Error> {
    Ok(App {
        id: row.try_get("id")?,
        key: row.try_get("key")?,
        name: row.try_get("name")?,
        partner_id: row.try_get("partner_id")?,
        partner: row.try_get("partner_key")?,
        framework: row.try_get("framework")?,
        forge_app_id: row.try_get("forge_app_id")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Creates an app with the standard environments.
    pub async fn create_app(&self, new: &NewApp, actor: &Actor) -> Result<App, StoreError> {
        if !["forge", "connect"].contains(&new.framework.as_str()) {
            return Err(StoreError::Invalid(format!(
                "framework must be `forge` or `connect`, not `{}`",
                new.framework.chars().take(40).collect::<String>()
            )));
        }
        DisplayName::parse("app name", &new.name)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.write.begin().await?;
        let partner_id = sqlx::query_scalar::<Any, i64>("SELECT id FROM partners WHERE key = $1")
            .bind(&new.partner)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| {
                StoreError::NotFound(format!("no partner with key `{}`", new.partner))
            })?;
        let now = self.now();
        let id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO apps (key, name, partner_id, framework, forge_app_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(new.key.as_str())
        .bind(&new.name)
        .bind(partner_id)
        .bind(&new.framework)
        .bind(new.forge_app_id.as_ref().map(|id| id.as_str().to_string()))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_if_duplicate(|| match &new.forge_app_id {
            Some(id) => format!(
                "an app with key `{}` or with Forge app id `{id}` already exists",
                new.key
            ),
            None => format!("an app with key `{}` already exists", new.key),
        }))?;
        for name in STANDARD_ENVIRONMENTS {
            sqlx::query::<Any>(
                "INSERT INTO environments (app_id, name, created_at) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(name)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        let forge_app_id = new.forge_app_id.as_ref().map(|id| id.as_str().to_string());
        let detail = serde_json::json!({"name": new.name, "partner": new.partner, "framework": new.framework, "forgeAppId": forge_app_id});
        audit::record(
            &mut tx,
            &self.now(),
            actor,
            "app.create",
            &format!("app:{}", new.key),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(App {
            id,
            key: new.key.to_string(),
            name: new.name.clone(),
            partner_id,
            partner: new.partner.clone(),
            framework: new.framework.clone(),
            forge_app_id,
            created_at: now,
        })
    }

    /// One app by key.
    pub async fn app(&self, key: &str) -> Result<App, StoreError> {
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM apps a JOIN partners p ON p.id = a.partner_id WHERE a.key = $1"
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(key)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no app with key `{key}`")))?;
        Ok(app(&row)?)
    }

    /// The environments of an app, with the latest version of each.
    pub async fn environments(
        &self,
        app: &App,
        page: crate::Page,
    ) -> Result<Vec<Environment>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT e.id, e.name, e.created_at, \
               (SELECT v.major || '.' || v.minor || '.' || v.patch FROM versions v \
                WHERE v.environment_id = e.id ORDER BY v.major DESC, v.minor DESC, v.patch DESC \
                LIMIT 1) AS latest \
             FROM environments e WHERE e.app_id = $1 AND e.id > $2 ORDER BY e.id LIMIT $3",
        )
        .bind(app.id)
        .bind(page.after)
        .bind(page.limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Environment {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    latest_version: r.try_get("latest")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Fails with "not found" unless the app has this environment (one indexed lookup, for
    /// routes that only need to know it exists).
    pub async fn require_environment(&self, app: &App, name: &str) -> Result<(), StoreError> {
        sqlx::query_scalar::<Any, i64>(
            "SELECT id FROM environments WHERE app_id = $1 AND name = $2",
        )
        .bind(app.id)
        .bind(name)
        .fetch_optional(&self.read)
        .await?
        .map(|_| ())
        .ok_or_else(|| {
            StoreError::NotFound(format!("app `{}` has no environment `{name}`", app.key))
        })
    }

    /// Adds a custom environment, refused once the app has `max` of them.
    pub async fn create_environment(
        &self,
        app: &App,
        name: &EnvironmentName,
        max: i64,
        actor: &Actor,
    ) -> Result<Environment, StoreError> {
        let mut tx = self.write.begin().await?;
        // Serialises environment creation per app (a row lock on PostgreSQL), so the cap holds.
        // Not `SET id = id`: SQLite would then check every row that refers to the app.
        sqlx::query::<Any>("UPDATE apps SET name = name WHERE id = $1")
            .bind(app.id)
            .execute(&mut *tx)
            .await?;
        let count: i64 =
            sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM environments WHERE app_id = $1")
                .bind(app.id)
                .fetch_one(&mut *tx)
                .await?;
        if count >= max {
            return Err(StoreError::Conflict(format!(
                "app `{}` has {count} environments, the most allowed \
                 (`max-environments-per-app`)",
                app.key
            )));
        }
        let now = self.now();
        let id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO environments (app_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(app.id)
        .bind(name.as_str())
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_if_duplicate(|| {
            format!("app `{}` already has an environment `{name}`", app.key)
        }))?;
        audit::record(
            &mut tx,
            &self.now(),
            actor,
            "environment.create",
            &format!("app:{}/env:{name}", app.key),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(Environment {
            id,
            name: name.to_string(),
            latest_version: None,
            created_at: now,
        })
    }
}

/// Sets (or, with `None`, clears) the app's Forge app id; a conflict when another app holds it.
pub async fn set_forge_app_id_in(
    connection: &mut crate::Connection,
    app_id: i64,
    forge_app_id: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query::<Any>("UPDATE apps SET forge_app_id = $2 WHERE id = $1")
        .bind(app_id)
        .bind(forge_app_id)
        .execute(connection)
        .await
        .map_err(conflict_if_duplicate(|| {
            format!(
                "another app is already bound to Forge app id `{}`; each Forge app is one app here",
                forge_app_id.unwrap_or_default()
            )
        }))?;
    Ok(())
}

/// The Forge app id the app is bound to, read in the caller's transaction with the app's row
/// locked until it ends (an update that changes nothing: the same statement locks on both
/// databases), so that a deploy checking its manifest against the binding and staff changing
/// the binding take turns.
pub async fn lock_forge_app_id_in(
    connection: &mut crate::Connection,
    app_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar::<Any, Option<String>>(
        "UPDATE apps SET forge_app_id = forge_app_id WHERE id = $1 RETURNING forge_app_id",
    )
    .bind(app_id)
    .fetch_one(connection)
    .await?)
}

/// Binds an app that has no Forge app id yet to `forge_app_id`. False when the app was bound
/// meanwhile (PostgreSQL re-checks the condition once a concurrent binding commits); a conflict
/// when another app holds that id.
pub async fn bind_forge_app_in(
    connection: &mut crate::Connection,
    app_id: i64,
    forge_app_id: &str,
) -> Result<bool, StoreError> {
    let updated = sqlx::query::<Any>(
        "UPDATE apps SET forge_app_id = $2 WHERE id = $1 AND forge_app_id IS NULL",
    )
    .bind(app_id)
    .bind(forge_app_id)
    .execute(connection)
    .await
    .map_err(conflict_if_duplicate(|| {
        format!(
            "another app is already bound to Forge app id `{forge_app_id}`; each Forge app is one \
             app here"
        )
    }))?;
    Ok(updated.rows_affected() == 1)
}

/// Counts a deploy to the app's environment `name` and returns the environment's id; `None`
/// when the app has no such environment. The row stays locked until the transaction ends (a
/// row lock on PostgreSQL; SQLite has a single writer anyway), so that deploys to one
/// environment are numbered one after the other.
pub async fn count_deploy_in(
    connection: &mut crate::Connection,
    app_id: i64,
    name: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar::<Any, i64>(
        "UPDATE environments SET deploy_count = deploy_count + 1 \
         WHERE app_id = $1 AND name = $2 RETURNING id",
    )
    .bind(app_id)
    .bind(name)
    .fetch_optional(connection)
    .await?)
}
