//! Reading versions back: lists, one version with its manifest, evaluation and badge events.

use apptrust_programs::AppVersion;
use serde::Serialize;
use sqlx::{Any, Row};

use crate::apps::App;
use crate::evaluation::StoredEvaluation;
use crate::trust::{BadgeEventView, badge_event};
use crate::variables::Variables;
use crate::{Store, StoreError};

/// A version as the API shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    #[serde(skip)]
    pub id: i64,
    pub app: String,
    pub environment: String,
    pub version: String,
    pub deployed_at: String,
    pub deployed_by: String,
    /// Who reported the deploy: `platform` (the deployment pipeline), `staff` or `partner`.
    pub reported_by: String,
    pub manifest_sha256: String,
    /// The names of the variables the version was deployed with (never their values).
    pub variables: Vec<String>,
    pub evaluation: StoredEvaluation,
    /// The change classification against the previous version of the environment.
    pub change: Option<serde_json::Value>,
    /// The badge events this version caused when it was deployed.
    pub badge_events: Vec<BadgeEventView>,
    /// The manifest text; only in single-version reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
}

const CURRENT_EVALUATION: &str = "ev.version_id = v.id AND ev.current = 1";
const DEPLOY_TIME_EVALUATION: &str =
    "ev.id = (SELECT MIN(first.id) FROM evaluations first WHERE first.version_id = v.id)";

const VERSION_SELECT: &str = "SELECT v.id, a.key AS app_key, e.name AS env, v.major, v.minor, v.patch, \
      v.deployed_at, u.email AS deployed_by, v.reported_by, v.manifest_sha256, v.change_report, v.variables, \
      ev.engine_version, ev.verdict, ev.rules, ev.blockers, ev.findings, ev.findings_omitted, ev.evaluated_at \
    FROM versions v \
    JOIN apps a ON a.id = v.app_id \
    JOIN environments e ON e.id = v.environment_id \
    JOIN users u ON u.id = v.deployed_by \
    JOIN evaluations ev ON ev.version_id = v.id AND ev.current = 1";

fn version_view(row: &sqlx::any::AnyRow) -> Result<VersionView, StoreError> {
    // Rows written by an older engine may use snake_case names; answers are camelCase.
    let json = |name: &str| -> Result<serde_json::Value, StoreError> {
        let value = serde_json::from_str(&row.try_get::<String, _>(name)?)?;
        Ok(crate::legacy_json::camel_case_keys(value))
    };
    let strings = |name: &str| -> Result<Vec<String>, StoreError> {
        Ok(serde_json::from_str(&row.try_get::<String, _>(name)?)?)
    };
    let change: Option<String> = row.try_get("change_report")?;
    Ok(VersionView {
        id: row.try_get("id")?,
        app: row.try_get("app_key")?,
        environment: row.try_get("env")?,
        version: version_of(row)?.to_string(),
        deployed_at: row.try_get("deployed_at")?,
        deployed_by: row.try_get("deployed_by")?,
        reported_by: row.try_get("reported_by")?,
        manifest_sha256: row.try_get("manifest_sha256")?,
        variables: Variables::from_stored(
            row.try_get::<Option<String>, _>("variables")?.as_deref(),
        )?
        .names(),
        evaluation: StoredEvaluation {
            verdict: row.try_get("verdict")?,
            rules: strings("rules")?,
            blockers: strings("blockers")?,
            findings: json("findings")?,
            findings_omitted: row.try_get("findings_omitted")?,
            engine_version: row.try_get("engine_version")?,
            evaluated_at: row.try_get("evaluated_at")?,
        },
        change: change
            .map(|c| serde_json::from_str(&c).map(crate::legacy_json::camel_case_keys))
            .transpose()?,
        badge_events: Vec::new(),
        manifest: None,
    })
}

impl Store {
    /// One version by id as its deploy recorded it: with the evaluation made at deploy time, even
    /// if a newer engine has re-evaluated it since (a replayed deploy must answer the same).
    pub async fn version_by_id(&self, id: i64) -> Result<VersionView, StoreError> {
        let sql = format!("{VERSION_SELECT} WHERE v.id = $1")
            .replace(CURRENT_EVALUATION, DEPLOY_TIME_EVALUATION);
        let row = sqlx::query::<Any>(&sql)
            .bind(id)
            .fetch_optional(&self.write)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no version with id {id}")))?;
        let mut view = version_view(&row)?;
        view.badge_events = self.badge_events_of_version(id).await?;
        Ok(view)
    }

    async fn badge_events_of_version(&self, id: i64) -> Result<Vec<BadgeEventView>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT program, at, from_status, to_status, cause, version, reasons FROM badge_events \
             WHERE reference = $1 ORDER BY id",
        )
        .bind(format!("version:{id}"))
        .fetch_all(&self.write)
        .await?;
        rows.iter().map(badge_event).collect()
    }

    /// The versions of one environment, newest first, `limit` at most, older than `before` if given.
    pub async fn versions(
        &self,
        app: &App,
        environment: &str,
        limit: i64,
        before: Option<apptrust_programs::AppVersion>,
    ) -> Result<Vec<VersionView>, StoreError> {
        let before = before.map_or((i64::MAX, 0, 0), |v| {
            (i64::from(v.major), i64::from(v.minor), i64::from(v.patch))
        });
        let sql = format!(
            "{VERSION_SELECT} WHERE v.app_id = $1 AND e.name = $2 \
             AND (v.major < $3 OR (v.major = $3 AND (v.minor < $4 OR (v.minor = $4 AND v.patch < $5)))) \
             ORDER BY v.major DESC, v.minor DESC, v.patch DESC LIMIT $6"
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(app.id)
            .bind(environment)
            .bind(before.0)
            .bind(before.1)
            .bind(before.2)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        // Lists leave the findings out: they are for one version's read.
        rows.iter()
            .map(|row| {
                let mut view = version_view(row)?;
                view.evaluation.findings = serde_json::Value::Null;
                Ok(view)
            })
            .collect()
    }

    /// One version with its manifest.
    pub async fn version(
        &self,
        app: &App,
        environment: &str,
        version: apptrust_programs::AppVersion,
    ) -> Result<VersionView, StoreError> {
        let sql = format!(
            "{VERSION_SELECT} WHERE v.app_id = $1 AND e.name = $2 AND v.major = $3 AND v.minor = $4 \
             AND v.patch = $5"
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(app.id)
            .bind(environment)
            .bind(i64::from(version.major))
            .bind(i64::from(version.minor))
            .bind(i64::from(version.patch))
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "app `{}` has no version {version} in `{environment}`",
                    app.key
                ))
            })?;
        let mut view = version_view(&row)?;
        view.badge_events = self.badge_events_of_version(view.id).await?;
        view.manifest = Some(
            sqlx::query_scalar::<Any, String>("SELECT manifest FROM versions WHERE id = $1")
                .bind(view.id)
                .fetch_one(&self.read)
                .await?,
        );
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_deploy_time_variant_replaces_the_current_evaluation_join() {
        assert!(super::VERSION_SELECT.contains(super::CURRENT_EVALUATION));
    }
}

/// Reads `major`, `minor` and `patch` columns.
pub(crate) fn version_of(row: &sqlx::any::AnyRow) -> Result<AppVersion, StoreError> {
    let part = |name: &str| -> Result<u32, StoreError> {
        let n: i64 = row.try_get(name)?;
        u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("version part {n}")))
    };
    Ok(AppVersion {
        major: part("major")?,
        minor: part("minor")?,
        patch: part("patch")?,
    })
}

/// The highest version of an environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatestVersion {
    pub id: i64,
    pub version: AppVersion,
}

/// The environment's highest version, or the highest of one major (`line`), read in the
/// caller's transaction.
pub async fn latest_in(
    connection: &mut crate::Connection,
    environment_id: i64,
    line: Option<u32>,
) -> Result<Option<LatestVersion>, StoreError> {
    let row = sqlx::query::<Any>(
        "SELECT id, major, minor, patch FROM versions WHERE environment_id = $1 \
         AND ($2 < 0 OR major = $2) ORDER BY major DESC, minor DESC, patch DESC LIMIT 1",
    )
    .bind(environment_id)
    .bind(line.map_or(-1, i64::from))
    .fetch_optional(connection)
    .await?;
    row.map(|row| {
        Ok(LatestVersion {
            id: row.try_get("id")?,
            version: version_of(&row)?,
        })
    })
    .transpose()
}

/// The latest version of an environment as the next deploy is compared with it: its manifest,
/// the variable values it was deployed with, and its current evaluation's verdict and codes.
#[derive(Clone, Debug)]
pub struct ComparedVersion {
    pub id: i64,
    pub version: AppVersion,
    pub manifest: String,
    pub variables: Variables,
    /// `None` when the version has no readable current evaluation.
    pub verdict: Option<apptrust_rules::Verdict>,
    pub rules: Vec<apptrust_rules::Code>,
    pub blockers: Vec<apptrust_rules::Code>,
}

/// A version found by the idempotency key its deploy carried.
#[derive(Clone, Debug)]
pub struct KeyedVersion {
    pub id: i64,
    pub manifest_sha256: String,
    pub variables: Variables,
    /// `platform`, `staff` or `partner`.
    pub reported_by: String,
    pub environment: String,
}

/// A version to insert.
#[derive(Debug)]
pub struct NewVersion<'a> {
    pub app_id: i64,
    pub environment_id: i64,
    pub version: AppVersion,
    pub manifest: &'a str,
    pub manifest_sha256: &'a str,
    /// The change report against the previous version, as stored.
    pub change_report: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub deployed_by: i64,
    pub deployed_at: &'a str,
    pub variables: &'a Variables,
    /// `platform`, `staff` or `partner`.
    pub reported_by: &'a str,
}

/// Inserts a version and returns its id; a conflict (with `duplicate`'s message) when the
/// environment has that version already or the app used the idempotency key.
pub async fn insert_in(
    connection: &mut crate::Connection,
    new: &NewVersion<'_>,
    duplicate: impl FnOnce() -> String,
) -> Result<i64, StoreError> {
    sqlx::query_scalar::<Any, i64>(
        "INSERT INTO versions (app_id, environment_id, major, minor, patch, manifest, \
           manifest_sha256, change_report, idempotency_key, deployed_by, deployed_at, \
           variables, reported_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(new.app_id)
    .bind(new.environment_id)
    .bind(i64::from(new.version.major))
    .bind(i64::from(new.version.minor))
    .bind(i64::from(new.version.patch))
    .bind(new.manifest)
    .bind(new.manifest_sha256)
    .bind(new.change_report)
    .bind(new.idempotency_key)
    .bind(new.deployed_by)
    .bind(new.deployed_at)
    .bind(new.variables.to_stored()?)
    .bind(new.reported_by)
    .fetch_one(connection)
    .await
    .map_err(crate::error::conflict_if_duplicate(duplicate))
}

/// Reads a JSON list of rule names, skipping names this build does not know.
fn codes(row: &sqlx::any::AnyRow, column: &str) -> Result<Vec<apptrust_rules::Code>, StoreError> {
    Ok(row
        .try_get::<Option<String>, _>(column)?
        .map(|text| serde_json::from_str::<Vec<String>>(&text))
        .transpose()?
        .unwrap_or_default()
        .iter()
        .filter_map(|name| apptrust_rules::Code::from_name(name))
        .collect())
}

impl Store {
    /// The latest version of the app's environment `environment`, as a deploy compares with it
    /// (read outside any transaction, before the deploy takes its locks).
    pub async fn version_to_compare(
        &self,
        app_id: i64,
        environment: &str,
        line: Option<u32>,
    ) -> Result<Option<ComparedVersion>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT v.id, v.major, v.minor, v.patch, v.manifest, v.variables, ev.verdict, \
             ev.rules, ev.blockers \
             FROM versions v \
             JOIN environments e ON e.id = v.environment_id \
             LEFT JOIN evaluations ev ON ev.version_id = v.id AND ev.current = 1 \
             WHERE e.app_id = $1 AND e.name = $2 AND ($3 < 0 OR v.major = $3) \
             ORDER BY v.major DESC, v.minor DESC, v.patch DESC LIMIT 1",
        )
        .bind(app_id)
        .bind(environment)
        .bind(line.map_or(-1, i64::from))
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            Ok(ComparedVersion {
                id: row.try_get("id")?,
                version: version_of(&row)?,
                manifest: row.try_get("manifest")?,
                variables: Variables::from_stored(
                    row.try_get::<Option<String>, _>("variables")?.as_deref(),
                )?,
                verdict: row
                    .try_get::<Option<String>, _>("verdict")?
                    .as_deref()
                    .and_then(apptrust_rules::Verdict::parse),
                rules: codes(&row, "rules")?,
                blockers: codes(&row, "blockers")?,
            })
        })
        .transpose()
    }

    /// The app's version whose deploy carried the idempotency key `key`, if any (read from the
    /// writer, so that a deploy that just committed is seen).
    pub async fn version_by_idempotency_key(
        &self,
        app_id: i64,
        key: &str,
    ) -> Result<Option<KeyedVersion>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT v.id, v.manifest_sha256, v.variables, v.reported_by, e.name FROM versions v \
             JOIN environments e ON e.id = v.environment_id \
             WHERE v.app_id = $1 AND v.idempotency_key = $2",
        )
        .bind(app_id)
        .bind(key)
        .fetch_optional(&self.write)
        .await?;
        row.map(|row| {
            Ok(KeyedVersion {
                id: row.try_get("id")?,
                manifest_sha256: row.try_get("manifest_sha256")?,
                variables: Variables::from_stored(
                    row.try_get::<Option<String>, _>("variables")?.as_deref(),
                )?,
                reported_by: row.try_get("reported_by")?,
                environment: row.try_get("name")?,
            })
        })
        .transpose()
    }
}

/// A production version deployed since some time, as an annual review's delta reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductionChange {
    /// `3.0.0`.
    pub version: String,
    /// A new major version (its change report classified it so).
    pub major: bool,
    /// What its change report says about egress it added or changed.
    pub egress: Vec<String>,
}

/// The app's production versions deployed after `since`, oldest first.
pub async fn production_since_in(
    connection: &mut crate::Connection,
    app_id: i64,
    since: &str,
) -> Result<Vec<ProductionChange>, StoreError> {
    let rows = sqlx::query::<Any>(
        "SELECT v.major, v.minor, v.patch, v.change_report FROM versions v \
         JOIN environments e ON e.id = v.environment_id \
         WHERE v.app_id = $1 AND e.name = 'production' AND v.deployed_at > $2 \
         ORDER BY v.id",
    )
    .bind(app_id)
    .bind(since)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            let (major, minor, patch): (i64, i64, i64) = (
                row.try_get("major")?,
                row.try_get("minor")?,
                row.try_get("patch")?,
            );
            let report: Option<String> = row.try_get("change_report")?;
            let report = report
                .and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok())
                .map(crate::legacy_json::camel_case_keys)
                .unwrap_or_default();
            let egress = report["changes"]
                .as_array()
                .map(|changes| {
                    changes
                        .iter()
                        .filter(|c| c["area"] == "egress" && c["file"] != "old")
                        .filter_map(|c| c["description"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            Ok(ProductionChange {
                version: format!("{major}.{minor}.{patch}"),
                major: report["major"]
                    .as_bool()
                    .unwrap_or(minor == 0 && patch == 0),
                egress,
            })
        })
        .collect()
}
