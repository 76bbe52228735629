//! Re-evaluation after the rules engine changes: every version whose current evaluation was made
//! by another engine version is evaluated again, in batches. Each batch is one transaction that
//! also checks the lease, so the job is resumable (the work left is simply "stale evaluations")
//! and never runs twice at once.

use apptrust_programs::{Cause, Deploy};
use apptrust_rules::{CheckOptions, ENGINE_VERSION};
use sqlx::{Any, Row};

use crate::deploy::{insert_evaluation, version_of};
use crate::evaluation::StoredEvaluation;
use crate::{Actor, Store, StoreError, audit, badges, clock};

/// The job's lease name.
pub const JOB: &str = "reevaluate";

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// Versions evaluated again.
    pub evaluated: usize,
    /// Badge events emitted.
    pub badge_events: usize,
    /// False when the lease was lost; the batch was rolled back.
    pub lease_held: bool,
}

impl Store {
    /// How many versions still carry an evaluation from another engine version.
    pub async fn stale_evaluations(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM evaluations WHERE current = 1 AND engine_version <> $1",
        )
        .bind(ENGINE_VERSION)
        .fetch_one(&self.read)
        .await?)
    }

    /// Re-evaluates up to `size` stale versions under the lease held by `owner`.
    pub async fn reevaluate_batch(
        &self,
        owner: &str,
        size: i64,
        lease_seconds: i64,
    ) -> Result<Batch, StoreError> {
        let now = clock::now();
        let mut tx = self.write.begin().await?;
        let renewed = sqlx::query::<Any>(
            "UPDATE jobs SET lease_until = $3, updated_at = $4 \
             WHERE name = $1 AND lease_owner = $2 AND lease_until > $4",
        )
        .bind(JOB)
        .bind(owner)
        .bind(clock::from_now(lease_seconds))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if renewed.rows_affected() != 1 {
            return Ok(Batch::default());
        }
        let stale = sqlx::query::<Any>(
            "SELECT v.id, v.app_id, v.major, v.minor, v.patch, v.manifest, e.name AS env, \
               (SELECT COUNT(*) FROM versions w WHERE w.environment_id = v.environment_id \
                AND (w.major > v.major OR (w.major = v.major AND (w.minor > v.minor \
                     OR (w.minor = v.minor AND w.patch > v.patch))))) AS newer \
             FROM evaluations ev JOIN versions v ON v.id = ev.version_id \
             JOIN environments e ON e.id = v.environment_id \
             WHERE ev.current = 1 AND ev.engine_version <> $1 ORDER BY v.id LIMIT $2",
        )
        .bind(ENGINE_VERSION)
        .bind(size)
        .fetch_all(&mut *tx)
        .await?;
        let mut batch = Batch {
            lease_held: true,
            ..Batch::default()
        };
        let options = CheckOptions::default();
        for row in &stale {
            let version_id: i64 = row.try_get("id")?;
            let app_id: i64 = row.try_get("app_id")?;
            let manifest: String = row.try_get("manifest")?;
            let environment: String = row.try_get("env")?;
            let version = version_of(row)?;
            let evaluation = apptrust_rules::evaluate(manifest.as_bytes(), &options);
            let stored = StoredEvaluation::new(&evaluation, &now);
            insert_evaluation(&mut tx, version_id, &stored).await?;
            batch.evaluated += 1;
            // Only the latest version of production carries the badge.
            if row.try_get::<i64, _>("newer")? > 0 {
                continue;
            }
            let mut badge = badges::load_runs_on_atlassian(&mut tx, app_id).await?;
            let before = badge.status;
            let rules = stored.rule_codes();
            let deploy = Deploy {
                environment: &environment,
                version,
                verdict: evaluation.verdict,
                rules: &rules,
                at: &now,
            };
            if let Some(event) = badge.apply(&deploy, Cause::Reevaluation) {
                let reference = format!("reevaluation:{ENGINE_VERSION}");
                badges::save_runs_on_atlassian(
                    &mut tx,
                    app_id,
                    &badge,
                    before,
                    Some(&event),
                    &reference,
                    &now,
                )
                .await?;
                let detail = serde_json::json!({
                    "version": version.to_string(), "to": event.to.as_str(), "reasons": stored.rules,
                    "engineVersion": ENGINE_VERSION,
                });
                audit::record(
                    &mut tx,
                    &Actor::system(JOB),
                    "badge.change",
                    &format!("app-id:{app_id}"),
                    detail,
                )
                .await?;
                batch.badge_events += 1;
            } else if environment == apptrust_programs::runs_on_atlassian::BADGE_ENVIRONMENT {
                badges::save_runs_on_atlassian(&mut tx, app_id, &badge, before, None, "", &now)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(batch)
    }
}
