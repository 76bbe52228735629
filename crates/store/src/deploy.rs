//! Recording a deploy: one transaction that numbers the version from the change classification,
//! stores the manifest and its evaluation, moves the badge and writes the audit entry. Either all
//! of it is committed or none of it.
//!
//! Nothing slow runs while the write lock is held: the new manifest is evaluated, and compared
//! with the environment's latest version, before the transaction starts (in the [`Evaluator`],
//! in its lane). Under the lock the deploy only checks that the latest version is
//! still the one it was compared with; if another deploy landed in between, the transaction is
//! rolled back and the comparison is made again, a few times at most.

use std::sync::Arc;

use apptrust_programs::{AppVersion, Cause, Deploy};
use apptrust_rules::changes::{self, ChangeReport, Side};
use apptrust_rules::{Code, Verdict};
use sqlx::{Any, Row};

use crate::apps::App;
use crate::error::conflict_if_duplicate;
use crate::evaluation::StoredEvaluation;
use crate::evaluator::Evaluator;
use crate::users::{Role, User};
use crate::variables::Variables;
use crate::versions::VersionView;
use crate::{Store, StoreError, audit, badges, clock};

/// How often a deploy compares again when other deploys to the same environment keep landing
/// first, before it gives up with [`StoreError::Busy`].
const MAX_ATTEMPTS: u32 = 6;

/// A manifest as a deploy needs it: its stored evaluation and, when it can be read, the side it
/// presents to the comparison with the previous version. The full evaluation (every finding,
/// the inventory) never leaves the evaluator's thread.
#[derive(Clone, Debug)]
pub struct Assessed {
    /// The evaluation as stored (findings capped).
    pub stored: StoredEvaluation,
    /// The verdict.
    pub verdict: Verdict,
    /// Facts, verdict and rules for the comparison; `None` when the manifest cannot be read.
    pub side: Option<Arc<Side>>,
}

/// Evaluates a manifest for a deploy in the evaluator, within its limits, with the deploy's
/// variable values. Values that would expand the manifest beyond
/// [`crate::variables::MAX_EXPANSION_BYTES`] are refused ([`StoreError::Invalid`]).
pub async fn assess(
    evaluator: &Evaluator,
    manifest: Arc<str>,
    variables: Arc<Variables>,
    now: String,
) -> Result<Assessed, StoreError> {
    if manifest.len() > evaluator.largest_readable() {
        // Refused by its size before anything is built: no need to queue for that.
        return judge(
            &manifest,
            &apptrust_rules::CheckOptions::default(),
            &Variables::none(),
            &now,
        );
    }
    evaluator
        .run(manifest.len(), move |options| {
            judge(&manifest, options, &variables, &now)
        })
        .await?
}

/// Evaluates a manifest and extracts its change facts, keeping only what a deploy needs.
fn judge(
    manifest: &str,
    options: &apptrust_rules::CheckOptions,
    variables: &Variables,
    now: &str,
) -> Result<Assessed, StoreError> {
    variables.check_expansion(manifest, options)?;
    let options = variables.options(options);
    let stored = |evaluation: &apptrust_rules::Evaluation| {
        let mut stored = StoredEvaluation::new(evaluation, now);
        variables.hide_in(&mut stored.findings);
        stored
    };
    Ok(match changes::assess(manifest.as_bytes(), &options) {
        Ok((evaluation, facts)) => Assessed {
            stored: stored(&evaluation),
            verdict: evaluation.verdict,
            side: Some(Arc::new(Side {
                facts,
                verdict: evaluation.verdict,
                rules: evaluation.rules,
                blockers: evaluation.blockers,
            })),
        },
        Err(evaluation) => Assessed {
            stored: stored(&evaluation),
            verdict: evaluation.verdict,
            side: None,
        },
    })
}

/// A deploy to record. The manifest has already been assessed (outside any transaction, so
/// that slow or hostile input never holds the write lock).
#[derive(Debug)]
pub struct DeployRequest<'a> {
    pub app: &'a App,
    pub environment: &'a str,
    pub manifest: &'a str,
    /// The variable values the manifest was assessed with; stored with the version, never shown.
    pub variables: &'a Variables,
    /// SHA-256 of the manifest (see [`crate::secrets::hash`]), computed once by the caller.
    pub fingerprint: &'a str,
    pub requested_version: Option<AppVersion>,
    pub idempotency_key: Option<&'a str>,
    pub assessed: &'a Assessed,
    pub deployer: &'a User,
}

/// How a version records who reported it: the platform's service account, staff, or a partner.
pub fn reporter(deployer: &User) -> &'static str {
    match deployer.role {
        Role::Platform => "platform",
        Role::Staff => "staff",
        Role::Partner | Role::SiteAdmin => "partner",
    }
}

/// Ties the app to the Forge app its manifest names: the first deploy binds an unbound app;
/// afterwards a manifest naming another Forge app is refused, so that a clean manifest of some
/// other app cannot stand in for what this app ships. One Forge app id belongs to one app.
async fn bind_forge_app(
    connection: &mut sqlx::AnyConnection,
    app: &App,
    claimed: &str,
) -> Result<(), StoreError> {
    let claimed = apptrust_programs::ForgeAppId::parse(claimed)
        .map_err(|e| StoreError::Invalid(format!("the manifest's app.id: {e}")))?;
    let mut bound = bound_forge_app(connection, app.id).await?;
    if bound.is_none() {
        let updated = sqlx::query::<Any>(
            "UPDATE apps SET forge_app_id = $2 WHERE id = $1 AND forge_app_id IS NULL",
        )
        .bind(app.id)
        .bind(claimed.as_str())
        .execute(&mut *connection)
        .await
        .map_err(conflict_if_duplicate(|| {
            format!(
                "another app is already bound to Forge app id `{claimed}`; each Forge app is \
                 one app here"
            )
        }))?;
        if updated.rows_affected() == 1 {
            return Ok(());
        }
        // A first deploy to another environment bound the app between the read and the
        // update (PostgreSQL re-checks the condition once that deploy commits): compare with
        // what it bound.
        bound = bound_forge_app(connection, app.id).await?;
    }
    match bound {
        Some(bound) if bound == claimed.as_str() => Ok(()),
        Some(bound) => Err(StoreError::Invalid(format!(
            "the manifest's app.id `{claimed}` is not the Forge app `{}` is bound to (`{bound}`); \
             deploy this app's own manifest",
            app.key
        ))),
        None => Err(StoreError::Internal(format!(
            "the Forge app id of `{}` could neither be read nor bound",
            app.key
        ))),
    }
}

async fn bound_forge_app(
    connection: &mut sqlx::AnyConnection,
    app_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar::<Any, Option<String>>("SELECT forge_app_id FROM apps WHERE id = $1")
            .bind(app_id)
            .fetch_one(connection)
            .await?,
    )
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
    pub async fn deploy(
        &self,
        request: &DeployRequest<'_>,
        evaluator: &Evaluator,
    ) -> Result<DeployOutcome, StoreError> {
        // When only the platform's reports move badges, production is the platform's to
        // report: a partner's production report would share its version numbers and could
        // block the platform's (a partner reporting 999.0.0 first).
        if request.environment == "production"
            && !self.counts_for_badges(reporter(request.deployer))
        {
            return Err(StoreError::Forbidden(format!(
                "production versions of `{}` are reported by the deployment platform here \
                 (count-partner-reported-deploys is off); report to another environment, or let \
                 the platform report this one",
                request.app.key
            )));
        }
        let fingerprint = request.fingerprint;
        match (
            self.record(request, fingerprint, evaluator).await,
            request.idempotency_key,
        ) {
            // The key was used before, or two deploys with it raced: answer with the recorded one.
            (Err(StoreError::Conflict(conflict)), Some(key)) => {
                match self.replay(request, key, fingerprint).await? {
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
            request.deployer,
            request.app,
            request.environment,
            key,
            fingerprint,
            request.variables,
            request.requested_version,
        )
        .await
    }

    /// The earlier deploy made with this idempotency key, if any; a conflict when the key was used
    /// for a different manifest, variable values, environment or version, or by a reporter of
    /// another kind (a partner's key never answers for the platform, nor the other way round).
    /// Callers check this before evaluating, so that a retry returns the recorded result even if
    /// the rules engine changed since.
    #[allow(clippy::too_many_arguments)]
    pub async fn find_replay(
        &self,
        deployer: &User,
        app: &App,
        environment: &str,
        key: &str,
        fingerprint: &str,
        variables: &Variables,
        requested_version: Option<AppVersion>,
    ) -> Result<Option<DeployOutcome>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT v.id, v.manifest_sha256, v.variables, v.reported_by, e.name FROM versions v \
             JOIN environments e ON e.id = v.environment_id \
             WHERE v.app_id = $1 AND v.idempotency_key = $2",
        )
        .bind(app.id)
        .bind(key)
        .fetch_optional(&self.write)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let recorded_by = row.try_get::<String, _>("reported_by")?;
        if recorded_by != reporter(deployer) {
            let who = match recorded_by.as_str() {
                "platform" => "the platform",
                "staff" => "staff",
                _ => "a partner",
            };
            return Err(StoreError::Conflict(format!(
                "idempotency key `{key}` was already used for a deploy of `{}` that {who} \
                 reported; use keys of your own",
                app.key
            )));
        }
        let same = row.try_get::<String, _>("manifest_sha256")? == fingerprint
            && row.try_get::<String, _>("name")? == environment
            && Variables::from_stored(row.try_get::<Option<String>, _>("variables")?.as_deref())?
                == *variables;
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
        evaluator: &Evaluator,
    ) -> Result<DeployOutcome, StoreError> {
        // Deploys to one environment on this instance take turns, so that they do not keep
        // invalidating each other's comparison; only another instance can get in between.
        let _turn = self
            .environment_locks
            .lock((request.app.id, request.environment.to_string()))
            .await;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                // Another instance won the race: give it room before comparing again.
                let pause = 20 * (1 << attempt) + u64::from(clock::jitter_ms(20));
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            let (compared_with, report) = self.classify_ahead(request, evaluator).await?;
            if let Some(outcome) = self
                .record_if_latest(request, fingerprint, compared_with, report)
                .await?
            {
                return Ok(outcome);
            }
        }
        Err(StoreError::Busy(format!(
            "other deploys to `{}` of `{}` kept landing first; retry",
            request.environment, request.app.key
        )))
    }

    /// Writes the deploy if the environment's latest version is still `compared_with` (the one
    /// the change was classified against); `None` (and nothing written) otherwise.
    async fn record_if_latest(
        &self,
        request: &DeployRequest<'_>,
        fingerprint: &str,
        compared_with: Option<i64>,
        report: Option<Classified>,
    ) -> Result<Option<DeployOutcome>, StoreError> {
        let app = request.app;
        let now = self.now();
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
        let previous = latest_version(&mut tx, environment_id).await?;
        if previous.as_ref().map(|p| p.id) != compared_with {
            tx.rollback().await?;
            return Ok(None);
        }
        if let Some(claimed) = request
            .assessed
            .side
            .as_ref()
            .and_then(|side| side.facts.app_id())
        {
            bind_forge_app(&mut tx, app, claimed).await?;
        }
        let previous_version = previous.as_ref().map(|p| p.version);
        // A change that cannot be classified is treated as needing consent: the safe side.
        let needs_consent = report.as_ref().is_none_or(|r| r.major) && previous.is_some();
        let version =
            AppVersion::choose(previous_version, needs_consent, request.requested_version)
                .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let change_json = report.map(|r| r.json);
        let version_id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO versions (app_id, environment_id, major, minor, patch, manifest, \
               manifest_sha256, change_report, idempotency_key, deployed_by, deployed_at, \
               variables, reported_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
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
        .bind(request.variables.to_stored()?)
        .bind(reporter(request.deployer))
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_if_duplicate(|| format!(
                    "version {version} of `{}` is already deployed to `{}`, or the idempotency key was used",
                    app.key, request.environment
                )))?;
        let stored = &request.assessed.stored;
        insert_evaluation_row(&mut tx, version_id, stored).await?;
        // Site admins consent to production versions only (installations run production).
        if needs_consent && request.environment == "production" {
            crate::notifications::record_in(
                &mut tx,
                &now,
                crate::notifications::CONSENT_REQUIRED,
                app.id,
                &format!("version:{version_id}"),
                serde_json::json!({
                    "environment": request.environment,
                    "version": version.to_string(),
                    "previous": previous_version.map(|v| v.to_string()),
                }),
            )
            .await?;
        }

        let mut badge = badges::load_runs_on_atlassian(&mut tx, app.id).await?;
        let before = badge.status;
        let rules = stored.rule_codes();
        let deploy = Deploy {
            environment: request.environment,
            version,
            verdict: request.assessed.verdict,
            rules: &rules,
            at: &now,
        };
        let before_version = badge.version;
        // A version reported by the platform always moves the badge; one reported by a partner
        // or staff member only while the operator counts them.
        let event = if self.counts_for_badges(reporter(request.deployer)) {
            badge.apply(&deploy, Cause::AutoEvaluation)
        } else {
            None
        };
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
        // The variables by name only: their values may be secrets.
        let detail = serde_json::json!({
            "version": version.to_string(),
            "verdict": stored.verdict,
            "rules": stored.rules,
            "badge": event.as_ref().map(|e| e.to.as_str()),
            "variables": request.variables.names(),
        });
        let subject = format!("app:{}/env:{}", app.key, request.environment);
        audit::record(
            &mut tx,
            &self.now(),
            &request.deployer.actor(),
            "deploy",
            &subject,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(DeployOutcome {
            version: self.version_by_id(version_id).await?,
            replayed: false,
        }))
    }
}

/// The most changes stored with a version; the rest are counted. A hostile manifest can add
/// hundreds of thousands of egress entries at once.
pub const MAX_STORED_CHANGES: usize = 200;

/// A classification ready to be written: whether it is major, and the report as stored.
struct Classified {
    major: bool,
    json: String,
}

impl Classified {
    /// Serialises the report (with at most [`MAX_STORED_CHANGES`] changes and a
    /// `changesOmitted` count), off the write lock.
    /// The values of `hidden` (both versions' variables) are replaced by their placeholders.
    fn new(mut report: ChangeReport, hidden: &[&Variables]) -> Result<Classified, StoreError> {
        let omitted = report.changes.len().saturating_sub(MAX_STORED_CHANGES);
        report.changes.truncate(MAX_STORED_CHANGES);
        let mut value = serde_json::to_value(&report)?;
        for variables in hidden {
            variables.hide_in(&mut value);
        }
        if let Some(map) = value.as_object_mut() {
            map.insert("changesOmitted".into(), omitted.into());
        }
        Ok(Classified {
            major: report.major,
            json: value.to_string(),
        })
    }
}

/// The latest version of an environment.
struct Latest {
    id: i64,
    version: AppVersion,
}

async fn latest_version(
    connection: &mut sqlx::AnyConnection,
    environment_id: i64,
) -> Result<Option<Latest>, StoreError> {
    let row = sqlx::query::<Any>(
        "SELECT id, major, minor, patch FROM versions WHERE environment_id = $1 \
         ORDER BY major DESC, minor DESC, patch DESC LIMIT 1",
    )
    .bind(environment_id)
    .fetch_optional(connection)
    .await?;
    row.map(|row| {
        Ok(Latest {
            id: row.try_get("id")?,
            version: version_of(&row)?,
        })
    })
    .transpose()
}

impl Store {
    /// Classifies the deploy against the environment's latest version before any lock is taken.
    /// Returns the id of the version it compared with (none for a first deploy) and the report;
    /// the report is `None` when a side cannot be read (a stored manifest that an older engine
    /// accepted and this one cannot read), which the caller treats as needing consent.
    async fn classify_ahead(
        &self,
        request: &DeployRequest<'_>,
        evaluator: &Evaluator,
    ) -> Result<(Option<i64>, Option<Classified>), StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT v.id, v.manifest, v.variables, ev.verdict, ev.rules, ev.blockers \
             FROM versions v \
             JOIN environments e ON e.id = v.environment_id \
             LEFT JOIN evaluations ev ON ev.version_id = v.id AND ev.current = 1 \
             WHERE e.app_id = $1 AND e.name = $2 \
             ORDER BY v.major DESC, v.minor DESC, v.patch DESC LIMIT 1",
        )
        .bind(request.app.id)
        .bind(request.environment)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else {
            return Ok((None, None));
        };
        let id: i64 = row.try_get("id")?;
        let manifest: String = row.try_get("manifest")?;
        // The previous version is read with the values it was deployed with.
        let variables =
            Variables::from_stored(row.try_get::<Option<String>, _>("variables")?.as_deref())?;
        let deployed_with = request.variables.clone();
        let verdict = row
            .try_get::<Option<String>, _>("verdict")?
            .as_deref()
            .and_then(Verdict::parse);
        let codes = |column: &str| -> Result<Vec<Code>, StoreError> {
            Ok(row
                .try_get::<Option<String>, _>(column)?
                .map(|text| serde_json::from_str::<Vec<String>>(&text))
                .transpose()?
                .unwrap_or_default()
                .iter()
                .filter_map(|name| Code::from_name(name))
                .collect())
        };
        let (rules, blockers) = (codes("rules")?, codes("blockers")?);
        let (Some(new), Some(verdict)) = (request.assessed.side.clone(), verdict) else {
            return Ok((Some(id), None));
        };
        let report = evaluator
            .run(manifest.len(), move |options| {
                let options = variables.options(options);
                let facts = changes::facts_of(manifest.as_bytes(), &options)?;
                drop(manifest);
                let old = Side {
                    facts,
                    verdict,
                    rules,
                    blockers,
                };
                Some(Classified::new(
                    changes::compare(&old, &new),
                    &[&variables, &deployed_with],
                ))
            })
            .await?;
        Ok((Some(id), report.transpose()?))
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
