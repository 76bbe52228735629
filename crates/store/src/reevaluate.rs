//! Re-evaluation after the rules engine changes: every version whose current evaluation was made
//! by an *older* engine is evaluated again, in batches. Evaluations run before the transaction;
//! each batch is then one transaction that also renews the lease, so the job is resumable (the
//! work left is simply "evaluations by older engines") and never runs twice at once. Only older
//! engines count, so that during a rolling upgrade the old build does not undo the new one.

use apptrust_programs::runs_on_atlassian::BADGE_ENVIRONMENT;
use apptrust_programs::{AppVersion, Cause, Deploy};
use apptrust_rules::{ENGINE_VERSION, Verdict};
use sqlx::{Any, Row};

use crate::evaluation::StoredEvaluation;
use crate::evaluation::insert_in as insert_evaluation_row;
use crate::evaluator::Evaluator;
use crate::variables::Variables;
use crate::versions::version_of;
use crate::{Actor, Store, StoreError, audit, badges};

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

/// Orders engine versions (`MAJOR.MINOR.PATCH+rules.N`). An unreadable one sorts first, so it
/// is redone.
fn engine_key(text: &str) -> Option<[u64; 4]> {
    let (semver, rules) = text.split_once("+rules.")?;
    let mut parts = semver.split('.').map(|p| p.parse::<u64>().ok());
    Some([
        parts.next()??,
        parts.next()??,
        parts.next()??,
        rules.parse().ok()?,
    ])
}

/// True when `stored` comes from an older engine than this build's.
pub fn is_older_engine(stored: &str) -> bool {
    engine_key(stored) < engine_key(ENGINE_VERSION)
}

/// One stale version, read before the transaction.
struct Stale {
    evaluation_id: i64,
    version_id: i64,
    app_id: i64,
    environment_id: i64,
    environment: String,
    version: AppVersion,
    /// `platform`, `staff` or `partner`.
    reported_by: String,
}

impl Store {
    /// The engine versions older than this build's that current evaluations still carry, with
    /// how many each.
    async fn older_engines(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT engine_version, COUNT(*) AS n FROM evaluations WHERE current = 1 \
             GROUP BY engine_version",
        )
        .fetch_all(&self.read)
        .await?;
        let mut older = Vec::new();
        for row in &rows {
            let engine: String = row.try_get("engine_version")?;
            if is_older_engine(&engine) {
                older.push((engine, row.try_get("n")?));
            }
        }
        Ok(older)
    }

    /// How many versions still carry an evaluation from an older engine.
    pub async fn stale_evaluations(&self) -> Result<i64, StoreError> {
        Ok(self.older_engines().await?.iter().map(|(_, n)| n).sum())
    }

    /// Re-evaluates up to `size` stale versions under the lease held by `owner`.
    pub async fn reevaluate_batch(
        &self,
        owner: &str,
        size: i64,
        lease_seconds: i64,
        evaluator: &Evaluator,
    ) -> Result<Batch, StoreError> {
        let mut batch = Batch::default();
        let Some((engine, _)) = self.older_engines().await?.into_iter().next() else {
            batch.lease_held = true;
            return Ok(batch);
        };
        let stale = self.stale_versions(&engine, size).await?;
        // One manifest at a time, each within the evaluator's budget: a batch of hostile files
        // must not be held in memory together. Only the stored form is kept.
        // The batch stops early when a third of the lease has gone (large stored manifests take
        // a while each) or the evaluator is busy with deploys, which come first: what was
        // evaluated is committed, and the rest waits for the next round.
        let started = std::time::Instant::now();
        let budget = std::time::Duration::from_secs(u64::try_from(lease_seconds / 3).unwrap_or(1));
        let mut evaluations: Vec<(&Stale, StoredEvaluation, Verdict)> =
            Vec::with_capacity(stale.len());
        for item in &stale {
            if started.elapsed() > budget {
                break;
            }
            // With the variable values the version was deployed with.
            let row = sqlx::query::<Any>("SELECT manifest, variables FROM versions WHERE id = $1")
                .bind(item.version_id)
                .fetch_one(&self.read)
                .await?;
            let manifest: String = row.try_get("manifest")?;
            let variables =
                Variables::from_stored(row.try_get::<Option<String>, _>("variables")?.as_deref())?;
            drop(row);
            // Deploys come first: wait only briefly for a lane.
            let wait = budget
                .saturating_sub(started.elapsed())
                .min(std::time::Duration::from_secs(1));
            let large = manifest.len() >= crate::evaluator::LARGE_MANIFEST_BYTES;
            let now = self.now();
            let evaluated = evaluator
                .run_within(manifest.len(), wait, move |options| {
                    let options = variables.options(options);
                    let evaluation = apptrust_rules::evaluate(manifest.as_bytes(), &options);
                    let mut stored = StoredEvaluation::new(&evaluation, &now);
                    variables.hide_in(&mut stored.findings);
                    (stored, evaluation.verdict)
                })
                .await;
            match evaluated {
                Ok((stored, verdict)) => evaluations.push((item, stored, verdict)),
                // A busy large lane holds up only the large ones; a busy small lane, the batch.
                Err(StoreError::Busy(_)) if large => continue,
                Err(StoreError::Busy(_)) => break,
                Err(other) => return Err(other),
            }
        }

        let now = self.now();
        let mut tx = self.write.begin().await?;
        let renewed = sqlx::query::<Any>(
            "UPDATE jobs SET lease_until = $3, updated_at = $4 \
             WHERE name = $1 AND lease_owner = $2 AND lease_until > $4",
        )
        .bind(JOB)
        .bind(owner)
        .bind(self.from_now(lease_seconds))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if renewed.rows_affected() != 1 {
            return Ok(batch);
        }
        batch.lease_held = true;
        for (item, fresh, verdict) in &evaluations {
            // Retire exactly the evaluation that was read; if it changed meanwhile, skip.
            let retired = sqlx::query::<Any>(
                "UPDATE evaluations SET current = 0 WHERE id = $1 AND current = 1",
            )
            .bind(item.evaluation_id)
            .execute(&mut *tx)
            .await?;
            if retired.rows_affected() != 1 {
                continue;
            }
            let mut stored = fresh.clone();
            stored.evaluated_at.clone_from(&now);
            insert_evaluation_row(&mut tx, item.version_id, &stored).await?;
            batch.evaluated += 1;
            if item.environment == BADGE_ENVIRONMENT
                && self
                    .move_badge(&mut tx, item, *verdict, &stored, &now)
                    .await?
            {
                batch.badge_events += 1;
            }
        }
        tx.commit().await?;
        Ok(batch)
    }

    async fn stale_versions(&self, engine: &str, size: i64) -> Result<Vec<Stale>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT ev.id AS evaluation_id, v.id, v.app_id, v.environment_id, v.major, v.minor, \
               v.patch, v.reported_by, e.name AS env \
             FROM evaluations ev JOIN versions v ON v.id = ev.version_id \
             JOIN environments e ON e.id = v.environment_id \
             WHERE ev.current = 1 AND ev.engine_version = $1 ORDER BY v.id LIMIT $2",
        )
        .bind(engine)
        .bind(size)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Stale {
                    evaluation_id: row.try_get("evaluation_id")?,
                    version_id: row.try_get("id")?,
                    app_id: row.try_get("app_id")?,
                    environment_id: row.try_get("environment_id")?,
                    environment: row.try_get("env")?,
                    version: version_of(row)?,
                    reported_by: row.try_get("reported_by")?,
                })
            })
            .collect()
    }

    /// Moves the badge if this is still the latest production version. Takes the environment's
    /// row lock first, as deploys do, so that a deploy and the job never overwrite each other's
    /// badge. Returns true when an event was emitted.
    async fn move_badge(
        &self,
        tx: &mut sqlx::AnyConnection,
        item: &Stale,
        verdict: Verdict,
        stored: &StoredEvaluation,
        now: &str,
    ) -> Result<bool, StoreError> {
        sqlx::query::<Any>("UPDATE environments SET deploy_count = deploy_count WHERE id = $1")
            .bind(item.environment_id)
            .execute(&mut *tx)
            .await?;
        // Only versions that count for badges move them, and only the latest of those.
        if !self.counts_for_badges(&item.reported_by) {
            return Ok(false);
        }
        let v = item.version;
        let newer = sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM versions w WHERE w.environment_id = $1 \
             AND (w.major > $2 OR (w.major = $2 AND (w.minor > $3 \
                  OR (w.minor = $3 AND w.patch > $4)))) \
             AND ($5 = 1 OR w.reported_by = 'platform')",
        )
        .bind(item.environment_id)
        .bind(i64::from(v.major))
        .bind(i64::from(v.minor))
        .bind(i64::from(v.patch))
        .bind(i64::from(self.counts_for_badges("partner")))
        .fetch_one(&mut *tx)
        .await?;
        if newer > 0 {
            return Ok(false);
        }
        let mut badge = badges::load_runs_on_atlassian(tx, item.app_id).await?;
        let before = badge.status;
        let rules = stored.rule_codes();
        let deploy = Deploy {
            environment: &item.environment,
            version: v,
            verdict,
            rules: &rules,
            at: now,
        };
        let event = badge.apply(&deploy, Cause::Reevaluation);
        let reference = format!("reevaluation:{ENGINE_VERSION}");
        badges::save_runs_on_atlassian(
            tx,
            item.app_id,
            &badge,
            before,
            event.as_ref(),
            &reference,
            now,
        )
        .await?;
        let Some(event) = event else { return Ok(false) };
        let detail = serde_json::json!({
            "version": v.to_string(), "to": event.to.as_str(), "reasons": stored.rules,
            "engineVersion": ENGINE_VERSION,
        });
        let subject = format!("app-id:{}", item.app_id);
        audit::record(
            tx,
            &self.now(),
            &Actor::system(JOB),
            "badge.change",
            &subject,
            detail,
        )
        .await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_older_engines_are_stale() {
        assert!(is_older_engine("0.0.1+rules.0"));
        assert!(is_older_engine("garbage"));
        assert!(!is_older_engine(ENGINE_VERSION));
        assert!(!is_older_engine("999.0.0+rules.1"));
        let [a, b, c, r] = engine_key(ENGINE_VERSION).unwrap();
        assert!(is_older_engine(&format!("{a}.{b}.{c}+rules.{}", r.saturating_sub(1))) || r == 0);
        assert!(!is_older_engine(&format!("{a}.{b}.{c}+rules.{}", r + 1)));
    }
}
