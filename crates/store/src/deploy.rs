//! Recording a deploy: one transaction that numbers the version from the change classification,
//! stores the manifest and its evaluation, moves the badge and writes the audit entry. Either all
//! of it is committed or none of it.

use apptrust_programs::{AppVersion, Cause, Deploy};
use apptrust_rules::{CheckOptions, Evaluation, changes};
use sqlx::{Any, Row};

use crate::apps::App;
use crate::error::conflict_if_duplicate;
use crate::evaluation::StoredEvaluation;
use crate::users::User;
use crate::versions::VersionView;
use crate::{Store, StoreError, audit, badges, clock, secrets};

/// A deploy to record. The manifest has already been evaluated (outside the transaction, so
/// that slow or hostile input never holds the write lock).
#[derive(Debug)]
pub struct DeployRequest<'a> {
    pub app: &'a App,
    pub environment: &'a str,
    pub manifest: &'a str,
    pub requested_version: Option<AppVersion>,
    pub idempotency_key: Option<&'a str>,
    pub evaluation: &'a Evaluation,
    pub deployer: &'a User,
}

/// What a deploy did.
#[derive(Debug)]
pub struct DeployOutcome {
    /// The version, its evaluation, the change report and the badge events it caused.
    pub version: VersionView,
    /// True when the idempotency key matched an earlier deploy, which is returned unchanged.
    pub replayed: bool,
}

impl Store {
    /// Records a deploy; see the module doc. A reused idempotency key is caught by its unique
    /// constraint and answered with the earlier deploy (callers that want to skip the evaluation
    /// of a retry call [`Store::find_replay`] first, as the API does).
    pub async fn deploy(&self, request: &DeployRequest<'_>) -> Result<DeployOutcome, StoreError> {
        let fingerprint = secrets::hash(request.manifest);
        match (
            self.record(request, &fingerprint).await,
            request.idempotency_key,
        ) {
            // The key was used before, or two deploys with it raced: answer with the recorded one.
            (Err(StoreError::Conflict(conflict)), Some(key)) => {
                match self.replay(request, key, &fingerprint).await? {
                    Some(outcome) => Ok(outcome),
                    None => Err(StoreError::Conflict(conflict)),
                }
            }
            (other, _) => other,
        }
    }

    async fn replay(
        &self,
        request: &DeployRequest<'_>,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<DeployOutcome>, StoreError> {
        self.find_replay(
            request.app,
            request.environment,
            key,
            fingerprint,
            request.requested_version,
        )
        .await
    }

    /// The earlier deploy made with this idempotency key, if any; a conflict when the key was used
    /// for a different manifest, environment or version. Callers check this before evaluating, so
    /// that a retry returns the recorded result even if the rules engine changed since.
    pub async fn find_replay(
        &self,
        app: &App,
        environment: &str,
        key: &str,
        fingerprint: &str,
        requested_version: Option<AppVersion>,
    ) -> Result<Option<DeployOutcome>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT v.id, v.manifest_sha256, e.name FROM versions v \
             JOIN environments e ON e.id = v.environment_id \
             WHERE v.app_id = $1 AND v.idempotency_key = $2",
        )
        .bind(app.id)
        .bind(key)
        .fetch_optional(&self.write)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let same = row.try_get::<String, _>("manifest_sha256")? == fingerprint
            && row.try_get::<String, _>("name")? == environment;
        if !same {
            return Err(StoreError::Conflict(format!(
                "idempotency key `{key}` was already used for a different deploy of `{}`",
                app.key
            )));
        }
        let version = self.version_by_id(row.try_get("id")?).await?;
        if let Some(requested) = requested_version
            && requested.to_string() != version.version
        {
            return Err(StoreError::Conflict(format!(
                "idempotency key `{key}` was already used for version {}",
                version.version
            )));
        }
        Ok(Some(DeployOutcome {
            version,
            replayed: true,
        }))
    }

    async fn record(
        &self,
        request: &DeployRequest<'_>,
        fingerprint: &str,
    ) -> Result<DeployOutcome, StoreError> {
        let app = request.app;
        let classified = self.classify_ahead(request).await?;
        let now = clock::now();
        let mut tx = self.write.begin().await?;
        // Taking the environment row first serialises deploys to one environment (a row lock on
        // PostgreSQL; SQLite has a single writer anyway), so version numbering cannot race.
        let environment_id = sqlx::query_scalar::<Any, i64>(
            "UPDATE environments SET deploy_count = deploy_count + 1 \
             WHERE app_id = $1 AND name = $2 RETURNING id",
        )
        .bind(app.id)
        .bind(request.environment)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "app `{}` has no environment `{}`",
                app.key, request.environment
            ))
        })?;
        // The change is classified against the environment's latest version. That costs two
        // evaluations, so it is done before the lock when possible (see `classify_ahead`); if
        // another deploy got in between, it is done again here, under the lock.
        let previous = latest_version(&mut tx, environment_id, false).await?;
        let report = match (&previous, classified) {
            (None, _) => None,
            (Some(p), Some((id, report))) if p.id == id => report,
            (Some(p), _) => {
                let manifest = sqlx::query_scalar::<Any, String>(
                    "SELECT manifest FROM versions WHERE id = $1",
                )
                .bind(p.id)
                .fetch_one(&mut *tx)
                .await?;
                classify(manifest, request.manifest.to_string()).await
            }
        };
        let previous_version = previous.as_ref().map(|p| p.version);
        // A change that cannot be classified is treated as needing consent: the safe side.
        let needs_consent = report.as_ref().is_none_or(|r| r.major) && previous.is_some();
        let version =
            AppVersion::choose(previous_version, needs_consent, request.requested_version)
                .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let change_json = report.as_ref().map(serde_json::to_string).transpose()?;
        let version_id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO versions (app_id, environment_id, major, minor, patch, manifest, \
               manifest_sha256, change_report, idempotency_key, deployed_by, deployed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(app.id)
        .bind(environment_id)
        .bind(i64::from(version.major))
        .bind(i64::from(version.minor))
        .bind(i64::from(version.patch))
        .bind(request.manifest)
        .bind(fingerprint)
        .bind(&change_json)
        .bind(request.idempotency_key)
        .bind(request.deployer.id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_if_duplicate(|| format!(
                    "version {version} of `{}` is already deployed to `{}`, or the idempotency key was used",
                    app.key, request.environment
                )))?;
        let stored = StoredEvaluation::new(request.evaluation, &now);
        insert_evaluation_row(&mut tx, version_id, &stored).await?;

        let mut badge = badges::load_runs_on_atlassian(&mut tx, app.id).await?;
        let before = badge.status;
        let rules = stored.rule_codes();
        let deploy = Deploy {
            environment: request.environment,
            version,
            verdict: request.evaluation.verdict,
            rules: &rules,
            at: &now,
        };
        let before_version = badge.version;
        let event = badge.apply(&deploy, Cause::AutoEvaluation);
        if event.is_some() || badge.version != before_version {
            let reference = format!("version:{version_id}");
            badges::save_runs_on_atlassian(
                &mut tx,
                app.id,
                &badge,
                before,
                event.as_ref(),
                &reference,
                &now,
            )
            .await?;
        }
        let detail = serde_json::json!({
            "version": version.to_string(),
            "verdict": stored.verdict,
            "rules": stored.rules,
            "badge": event.as_ref().map(|e| e.to.as_str()),
        });
        let subject = format!("app:{}/env:{}", app.key, request.environment);
        audit::record(
            &mut tx,
            &request.deployer.actor(),
            "deploy",
            &subject,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(DeployOutcome {
            version: self.version_by_id(version_id).await?,
            replayed: false,
        })
    }
}

/// The latest version of an environment, with its manifest when asked for.
struct Latest {
    id: i64,
    version: AppVersion,
    manifest: String,
}

async fn latest_version(
    connection: &mut sqlx::AnyConnection,
    environment_id: i64,
    with_manifest: bool,
) -> Result<Option<Latest>, StoreError> {
    let manifest = if with_manifest {
        "manifest"
    } else {
        "'' AS manifest"
    };
    let sql = format!(
        "SELECT id, major, minor, patch, {manifest} FROM versions WHERE environment_id = $1 \
         ORDER BY major DESC, minor DESC, patch DESC LIMIT 1"
    );
    let row = sqlx::query::<Any>(&sql)
        .bind(environment_id)
        .fetch_optional(connection)
        .await?;
    row.map(|row| {
        Ok(Latest {
            id: row.try_get("id")?,
            version: version_of(&row)?,
            manifest: row.try_get("manifest")?,
        })
    })
    .transpose()
}

/// Classifies the change off the async threads. `None` when a side cannot be read (a stored
/// manifest from an older engine that no longer loads): the caller then treats it as major.
async fn classify(old: String, new: String) -> Option<changes::ChangeReport> {
    tokio::task::spawn_blocking(move || {
        changes::classify(old.as_bytes(), new.as_bytes(), &CheckOptions::default()).ok()
    })
    .await
    .ok()
    .flatten()
}

impl Store {
    /// Classifies the deploy against the environment's latest version before any lock is taken,
    /// so that the write lock is held only for the writes. Returns the id of the version it
    /// classified against, for the caller to check under the lock.
    async fn classify_ahead(
        &self,
        request: &DeployRequest<'_>,
    ) -> Result<Option<(i64, Option<changes::ChangeReport>)>, StoreError> {
        let mut connection = self.read.acquire().await?;
        let environment_id = sqlx::query_scalar::<Any, i64>(
            "SELECT id FROM environments WHERE app_id = $1 AND name = $2",
        )
        .bind(request.app.id)
        .bind(request.environment)
        .fetch_optional(&mut *connection)
        .await?;
        let Some(environment_id) = environment_id else {
            return Ok(None);
        };
        let latest = latest_version(&mut connection, environment_id, true).await?;
        drop(connection);
        match latest {
            None => Ok(None),
            Some(latest) => Ok(Some((
                latest.id,
                classify(latest.manifest, request.manifest.to_string()).await,
            ))),
        }
    }
}

/// Stores a new evaluation marked current; the caller has retired the previous current one.
pub(crate) async fn insert_evaluation_row(
    tx: &mut sqlx::AnyConnection,
    version_id: i64,
    stored: &StoredEvaluation,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "INSERT INTO evaluations (version_id, engine_version, verdict, rules, blockers, findings, \
           findings_omitted, evaluated_at, current) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)",
    )
    .bind(version_id)
    .bind(&stored.engine_version)
    .bind(&stored.verdict)
    .bind(serde_json::to_string(&stored.rules)?)
    .bind(serde_json::to_string(&stored.blockers)?)
    .bind(stored.findings.to_string())
    .bind(stored.findings_omitted)
    .bind(&stored.evaluated_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
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
