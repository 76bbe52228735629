//! Customer sites: where apps are installed, the site's data-residency location, and its
//! admins' policies for new installations.

use serde::Serialize;
use sqlx::{Any, Row};

use crate::error::conflict_if_duplicate;
use crate::{Actor, Connection, Store, StoreError, audit};

/// A site as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    #[serde(skip)]
    pub id: i64,
    /// Its address, e.g. `acme.atlassian.net`.
    pub key: String,
    /// Its data-residency location (a Forge region key).
    pub residency: String,
    /// Policy: the badges an app must carry to be installed (and stay unflagged).
    pub required_badges: Vec<String>,
    /// Policy: whether new installations start with analytics egress on.
    pub analytics_egress_default: bool,
    pub revision: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, key, residency, required_badges, analytics_egress_default, revision, \
                       created_at, updated_at";

fn site(row: &sqlx::any::AnyRow) -> Result<Site, StoreError> {
    Ok(Site {
        id: row.try_get("id")?,
        key: row.try_get("key")?,
        residency: row.try_get("residency")?,
        required_badges: serde_json::from_str(&row.try_get::<String, _>("required_badges")?)?,
        analytics_egress_default: row.try_get::<i64, _>("analytics_egress_default")? != 0,
        revision: row.try_get("revision")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A site's policy, as an update sets it (`None` keeps a field).
#[derive(Clone, Debug, Default)]
pub struct PolicyUpdate {
    pub required_badges: Option<Vec<String>>,
    pub analytics_egress_default: Option<bool>,
}

/// The site with `key`, read in the caller's transaction and locked for the rest of it.
pub async fn lock_in(connection: &mut Connection, key: &str) -> Result<Site, StoreError> {
    sqlx::query::<Any>("UPDATE sites SET revision = revision WHERE key = $1")
        .bind(key)
        .execute(&mut *connection)
        .await?;
    let row = sqlx::query::<Any>(&format!("SELECT {COLUMNS} FROM sites WHERE key = $1"))
        .bind(key)
        .fetch_optional(&mut *connection)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no site `{key}`")))?;
    site(&row)
}

/// Writes a site's policy in the caller's transaction; the site as it is now.
pub async fn update_policy_in(
    connection: &mut Connection,
    before: &Site,
    update: &PolicyUpdate,
    now: &str,
) -> Result<Site, StoreError> {
    let badges = update
        .required_badges
        .as_ref()
        .unwrap_or(&before.required_badges);
    let analytics = update
        .analytics_egress_default
        .unwrap_or(before.analytics_egress_default);
    let row = sqlx::query::<Any>(&format!(
        "UPDATE sites SET required_badges = $2, analytics_egress_default = $3, \
         revision = revision + 1, updated_at = $4 WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(before.id)
    .bind(serde_json::to_string(badges)?)
    .bind(i64::from(analytics))
    .bind(now)
    .fetch_one(connection)
    .await?;
    site(&row)
}

impl Store {
    /// Creates a site (audited).
    pub async fn create_site(
        &self,
        key: &str,
        residency: &str,
        actor: &Actor,
    ) -> Result<Site, StoreError> {
        let now = self.now();
        let mut tx = self.write.begin().await?;
        let row = sqlx::query::<Any>(&format!(
            "INSERT INTO sites (key, residency, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             RETURNING {COLUMNS}"
        ))
        .bind(key)
        .bind(residency)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_if_duplicate(|| {
            format!("site `{key}` exists already")
        }))?;
        let created = site(&row)?;
        audit::record(
            &mut tx,
            &now,
            actor,
            "site.create",
            &format!("site:{key}"),
            serde_json::json!({"residency": residency}),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// The site with `key`.
    pub async fn site(&self, key: &str) -> Result<Site, StoreError> {
        let row = sqlx::query::<Any>(&format!("SELECT {COLUMNS} FROM sites WHERE key = $1"))
            .bind(key)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no site `{key}`")))?;
        site(&row)
    }

    /// Sites in key order after `after`, at most `limit`; only `only` when given (a site
    /// admin's own).
    pub async fn sites(
        &self,
        only: Option<&str>,
        after: &str,
        limit: i64,
    ) -> Result<Vec<Site>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT {COLUMNS} FROM sites WHERE key > $1 AND ($2 = '' OR key = $2) \
             ORDER BY key LIMIT $3"
        ))
        .bind(after)
        .bind(only.unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(site).collect()
    }
}

/// The badges the policy of site `site_id` requires, in the caller's transaction.
pub async fn required_badges_in(
    connection: &mut Connection,
    site_id: i64,
) -> Result<Vec<String>, StoreError> {
    let text = sqlx::query_scalar::<Any, String>("SELECT required_badges FROM sites WHERE id = $1")
        .bind(site_id)
        .fetch_one(connection)
        .await?;
    Ok(serde_json::from_str(&text)?)
}
