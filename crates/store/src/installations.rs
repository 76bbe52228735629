//! Installations: an app on a customer site, the installed major version, and the site admins'
//! switches. The version in force is not stored: it is the latest production version of the
//! installed major, so minor versions apply as they are deployed.

use apptrust_programs::AppVersion;
use serde::Serialize;
use sqlx::{Any, Row};

use crate::{Connection, Store, StoreError};

/// An installation as stored, with its site and app.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installation {
    pub id: i64,
    #[serde(skip)]
    pub site_id: i64,
    pub site: String,
    /// The site's data-residency location.
    pub residency: String,
    #[serde(skip)]
    pub app_id: i64,
    pub app: String,
    #[serde(skip)]
    pub partner_id: i64,
    /// The installed major version.
    pub major: u32,
    pub allow_analytics_egress: bool,
    pub allow_logs_access: bool,
    /// The newest major an admin declined.
    pub declined_major: Option<u32>,
    /// Why it breaks its site's policy now; `None` when it does not (the flag).
    pub policy_breaks: Option<Vec<String>>,
    pub revision: i64,
    pub installed_at: String,
    pub updated_at: String,
    pub uninstalled_at: Option<String>,
}

const COLUMNS: &str = "i.id, i.site_id, s.key AS site, s.residency, i.app_id, a.key AS app, \
    a.partner_id, i.major, i.allow_analytics_egress, i.allow_logs_access, i.declined_major, \
    i.policy_breaks, i.revision, i.installed_at, i.updated_at, i.uninstalled_at";
const FROM: &str =
    "FROM installations i JOIN sites s ON s.id = i.site_id JOIN apps a ON a.id = i.app_id";

fn number(row: &sqlx::any::AnyRow, column: &str) -> Result<u32, StoreError> {
    u32::try_from(row.try_get::<i64, _>(column)?)
        .map_err(|_| StoreError::Corrupt(format!("installation {column}")))
}

fn installation(row: &sqlx::any::AnyRow) -> Result<Installation, StoreError> {
    Ok(Installation {
        id: row.try_get("id")?,
        site_id: row.try_get("site_id")?,
        site: row.try_get("site")?,
        residency: row.try_get("residency")?,
        app_id: row.try_get("app_id")?,
        app: row.try_get("app")?,
        partner_id: row.try_get("partner_id")?,
        major: number(row, "major")?,
        allow_analytics_egress: row.try_get::<i64, _>("allow_analytics_egress")? != 0,
        allow_logs_access: row.try_get::<i64, _>("allow_logs_access")? != 0,
        declined_major: row
            .try_get::<Option<i64>, _>("declined_major")?
            .map(|m| u32::try_from(m).unwrap_or(u32::MAX)),
        policy_breaks: row
            .try_get::<Option<String>, _>("policy_breaks")?
            .map(|text| serde_json::from_str(&text))
            .transpose()?,
        revision: row.try_get("revision")?,
        installed_at: row.try_get("installed_at")?,
        updated_at: row.try_get("updated_at")?,
        uninstalled_at: row.try_get("uninstalled_at")?,
    })
}

/// A new installation (or an uninstalled one brought back with these settings).
#[derive(Clone, Debug)]
pub struct NewInstallation {
    pub site_id: i64,
    pub app_id: i64,
    pub major: u32,
    pub allow_analytics_egress: bool,
    pub policy_breaks: Option<Vec<String>>,
}

/// Installs in the caller's transaction and returns the id; a conflict when the app is
/// installed on the site already.
pub async fn insert_in(
    connection: &mut Connection,
    new: &NewInstallation,
    now: &str,
) -> Result<i64, StoreError> {
    let breaks = new
        .policy_breaks
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let id = sqlx::query_scalar::<Any, i64>(
        "INSERT INTO installations (site_id, app_id, major, allow_analytics_egress, \
         allow_logs_access, policy_breaks, installed_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $6, $6) \
         ON CONFLICT (site_id, app_id) DO UPDATE SET major = excluded.major, \
           allow_analytics_egress = excluded.allow_analytics_egress, allow_logs_access = 1, \
           declined_major = NULL, policy_breaks = excluded.policy_breaks, \
           revision = installations.revision + 1, installed_at = excluded.installed_at, \
           updated_at = excluded.updated_at, uninstalled_at = NULL \
         WHERE installations.uninstalled_at IS NOT NULL \
         RETURNING id",
    )
    .bind(new.site_id)
    .bind(new.app_id)
    .bind(i64::from(new.major))
    .bind(i64::from(new.allow_analytics_egress))
    .bind(breaks)
    .bind(now)
    .fetch_optional(connection)
    .await?;
    id.ok_or_else(|| StoreError::Conflict("the app is installed on this site already".into()))
}

/// The installation with `id`, locked for the rest of the caller's transaction.
pub async fn lock_in(connection: &mut Connection, id: i64) -> Result<Installation, StoreError> {
    sqlx::query::<Any>("UPDATE installations SET revision = revision WHERE id = $1")
        .bind(id)
        .execute(&mut *connection)
        .await?;
    let row = sqlx::query::<Any>(&format!("SELECT {COLUMNS} {FROM} WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no installation {id}")))?;
    installation(&row)
}

/// Writes an installation's changeable fields, in the caller's transaction, bumping its
/// revision; returns the new revision.
pub async fn save_in(
    connection: &mut Connection,
    changed: &Installation,
    now: &str,
) -> Result<i64, StoreError> {
    let breaks = changed
        .policy_breaks
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    Ok(sqlx::query_scalar::<Any, i64>(
        "UPDATE installations SET major = $2, allow_analytics_egress = $3, allow_logs_access = $4, \
         declined_major = $5, policy_breaks = $6, uninstalled_at = $7, updated_at = $8, \
         revision = revision + 1 WHERE id = $1 RETURNING revision",
    )
    .bind(changed.id)
    .bind(i64::from(changed.major))
    .bind(i64::from(changed.allow_analytics_egress))
    .bind(i64::from(changed.allow_logs_access))
    .bind(changed.declined_major.map(i64::from))
    .bind(breaks)
    .bind(changed.uninstalled_at.as_deref())
    .bind(now)
    .fetch_one(connection)
    .await?)
}

/// Sets only an installation's policy flag (and moves its revision), in the caller's
/// transaction: a re-check never rewrites the switches or the major an admin may be changing
/// at the same time. Nothing for an uninstalled installation.
pub async fn set_policy_breaks_in(
    connection: &mut Connection,
    id: i64,
    breaks: Option<&[String]>,
    now: &str,
) -> Result<bool, StoreError> {
    let breaks = breaks.map(serde_json::to_string).transpose()?;
    let done = sqlx::query::<Any>(
        "UPDATE installations SET policy_breaks = $2, updated_at = $3, revision = revision + 1 \
         WHERE id = $1 AND uninstalled_at IS NULL",
    )
    .bind(id)
    .bind(breaks)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The app's installations (not uninstalled), in the caller's transaction.
pub async fn active_for_app_in(
    connection: &mut Connection,
    app_id: i64,
) -> Result<Vec<Installation>, StoreError> {
    let rows = sqlx::query::<Any>(&format!(
        "SELECT {COLUMNS} {FROM} WHERE i.app_id = $1 AND i.uninstalled_at IS NULL ORDER BY i.id"
    ))
    .bind(app_id)
    .fetch_all(connection)
    .await?;
    rows.iter().map(installation).collect()
}

/// The installations of the site with `site_id`, in the caller's transaction.
pub async fn active_for_site_in(
    connection: &mut Connection,
    site_id: i64,
) -> Result<Vec<Installation>, StoreError> {
    let rows = sqlx::query::<Any>(&format!(
        "SELECT {COLUMNS} {FROM} WHERE i.site_id = $1 AND i.uninstalled_at IS NULL ORDER BY i.id"
    ))
    .bind(site_id)
    .fetch_all(connection)
    .await?;
    rows.iter().map(installation).collect()
}

/// A production version of an app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProductionVersion {
    pub id: i64,
    pub version: AppVersion,
}

fn production_version(row: &sqlx::any::AnyRow) -> Result<ProductionVersion, StoreError> {
    let part = |column: &str| number(row, column);
    Ok(ProductionVersion {
        id: row.try_get("id")?,
        version: AppVersion {
            major: part("major")?,
            minor: part("minor")?,
            patch: part("patch")?,
        },
    })
}

/// The latest production version of the app, or of one major of it.
pub async fn production_in(
    connection: &mut Connection,
    app_id: i64,
    major: Option<u32>,
) -> Result<Option<ProductionVersion>, StoreError> {
    let row = sqlx::query::<Any>(
        "SELECT v.id, v.major, v.minor, v.patch FROM versions v \
         JOIN environments e ON e.id = v.environment_id \
         WHERE e.app_id = $1 AND e.name = 'production' AND ($2 < 0 OR v.major = $2) \
         ORDER BY v.major DESC, v.minor DESC, v.patch DESC LIMIT 1",
    )
    .bind(app_id)
    .bind(major.map_or(-1, i64::from))
    .fetch_optional(connection)
    .await?;
    row.as_ref().map(production_version).transpose()
}

/// What an egress decision needs to know about an installation, read in one query: the
/// switch, the version in force and the revision (which any change to the row moves).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EgressState {
    pub site: String,
    pub app_id: i64,
    pub allow_analytics_egress: bool,
    /// The latest production version of the installed major; `None` when it has none.
    pub version_id: Option<i64>,
    /// That version's number.
    pub version: Option<String>,
    pub revision: i64,
    pub uninstalled: bool,
}

impl Store {
    /// The installation with `id`.
    pub async fn installation(&self, id: i64) -> Result<Installation, StoreError> {
        let row = sqlx::query::<Any>(&format!("SELECT {COLUMNS} {FROM} WHERE i.id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no installation {id}")))?;
        installation(&row)
    }

    /// The active installation of app `app_id` on site `site`, if any.
    pub async fn installation_on(
        &self,
        site: &str,
        app_id: i64,
    ) -> Result<Option<Installation>, StoreError> {
        let row = sqlx::query::<Any>(&format!(
            "SELECT {COLUMNS} {FROM} WHERE s.key = $1 AND i.app_id = $2 \
             AND i.uninstalled_at IS NULL"
        ))
        .bind(site)
        .bind(app_id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(installation).transpose()
    }

    /// The active installations of a site, by id after `after`, at most `limit`.
    pub async fn site_installations(
        &self,
        site_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Installation>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT {COLUMNS} {FROM} WHERE i.site_id = $1 AND i.id > $2 \
             AND i.uninstalled_at IS NULL ORDER BY i.id LIMIT $3"
        ))
        .bind(site_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(installation).collect()
    }

    /// How many active installations the app has on each major, and how many of them declined
    /// the app's latest major (`latest`): what its partner may know.
    pub async fn installation_counts(
        &self,
        app_id: i64,
        latest: u32,
    ) -> Result<Vec<(u32, i64, i64)>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT major, COUNT(*) AS installed, \
             SUM(CASE WHEN declined_major >= $2 THEN 1 ELSE 0 END) AS declined \
             FROM installations WHERE app_id = $1 AND uninstalled_at IS NULL \
             GROUP BY major ORDER BY major",
        )
        .bind(app_id)
        .bind(i64::from(latest))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    number(row, "major")?,
                    row.try_get("installed")?,
                    row.try_get("declined")?,
                ))
            })
            .collect()
    }

    /// The latest production version of the app, or of one of its majors.
    pub async fn production_version(
        &self,
        app_id: i64,
        major: Option<u32>,
    ) -> Result<Option<ProductionVersion>, StoreError> {
        let mut connection = self.read.acquire().await?;
        production_in(&mut connection, app_id, major).await
    }

    /// An installation's egress state, in one query (the egress decisions' refresh).
    pub async fn egress_state(&self, id: i64) -> Result<Option<EgressState>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT s.key AS site, i.app_id, i.allow_analytics_egress, i.revision, \
             i.uninstalled_at, v.id AS version_id, \
             CAST(v.major AS TEXT) || '.' || CAST(v.minor AS TEXT) || '.' || \
               CAST(v.patch AS TEXT) AS version \
             FROM installations i JOIN sites s ON s.id = i.site_id \
             LEFT JOIN versions v ON v.id = (SELECT v2.id FROM versions v2 \
               JOIN environments e ON e.id = v2.environment_id \
               WHERE e.app_id = i.app_id AND e.name = 'production' AND v2.major = i.major \
               ORDER BY v2.minor DESC, v2.patch DESC LIMIT 1) \
             WHERE i.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            Ok(EgressState {
                site: row.try_get("site")?,
                app_id: row.try_get("app_id")?,
                allow_analytics_egress: row.try_get::<i64, _>("allow_analytics_egress")? != 0,
                version_id: row.try_get("version_id")?,
                version: row.try_get("version")?,
                revision: row.try_get("revision")?,
                uninstalled: row
                    .try_get::<Option<String>, _>("uninstalled_at")?
                    .is_some(),
            })
        })
        .transpose()
    }
}

/// A stored version's manifest and the variable values it was deployed with.
#[derive(Clone, Debug)]
pub struct VersionSource {
    pub version: AppVersion,
    pub manifest: String,
    pub variables: crate::variables::Variables,
}

impl Store {
    /// The manifest of version `id` as deployed, to read its egress.
    pub async fn version_source(&self, id: i64) -> Result<VersionSource, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT major, minor, patch, manifest, variables FROM versions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no version {id}")))?;
        Ok(VersionSource {
            version: AppVersion {
                major: number(&row, "major")?,
                minor: number(&row, "minor")?,
                patch: number(&row, "patch")?,
            },
            manifest: row.try_get("manifest")?,
            variables: crate::variables::Variables::from_stored(
                row.try_get::<Option<String>, _>("variables")?.as_deref(),
            )?,
        })
    }
}
