//! One batch of re-evaluation: versions whose current evaluation an older engine made are
//! evaluated again, one manifest at a time outside any transaction, then the batch is one
//! transaction that also renews the job's lease, so the work is resumable (what is left is
//! simply "evaluations by older engines") and never runs twice at once.

use std::time::{Duration, Instant};

use apptrust_programs::runs_on_atlassian::BADGE_ENVIRONMENT;
use apptrust_programs::{Cause, Deploy};
use apptrust_rules::{ENGINE_VERSION, Verdict};
use apptrust_store::evaluation::{self, StoredEvaluation};
use apptrust_store::evaluator::{Evaluator, LARGE_MANIFEST_BYTES};
use apptrust_store::reevaluate::{self, StaleVersion};
use apptrust_store::{Actor, Connection, Store, StoreError, audit, jobs};

use crate::badges;

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

/// Re-evaluates up to `size` stale versions under the lease held by `owner`.
pub async fn reevaluate_batch(
    store: &Store,
    owner: &str,
    size: i64,
    lease_seconds: i64,
    evaluator: &Evaluator,
) -> Result<Batch, StoreError> {
    let mut batch = Batch::default();
    let Some((engine, _)) = store.older_engines().await?.into_iter().next() else {
        batch.lease_held = true;
        return Ok(batch);
    };
    let stale = store.stale_versions(&engine, size).await?;
    // One manifest at a time, each within the evaluator's budget: a batch of hostile files must
    // not be held in memory together. Only the stored form is kept.
    // The batch stops early when a third of the lease has gone (large stored manifests take a
    // while each) or the evaluator is busy with deploys, which come first: what was evaluated
    // is committed, and the rest waits for the next round.
    let started = Instant::now();
    let budget = Duration::from_secs(u64::try_from(lease_seconds / 3).unwrap_or(1));
    let mut evaluations: Vec<(&StaleVersion, StoredEvaluation, Verdict)> =
        Vec::with_capacity(stale.len());
    for item in &stale {
        if started.elapsed() > budget {
            break;
        }
        // With the variable values the version was deployed with.
        let (manifest, variables) = store.manifest_of_version(item.version_id).await?;
        // Deploys come first: wait only briefly for a lane.
        let wait = budget
            .saturating_sub(started.elapsed())
            .min(Duration::from_secs(1));
        let large = manifest.len() >= LARGE_MANIFEST_BYTES;
        let now = store.now();
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

    let now = store.now();
    let mut tx = store.begin().await?;
    let until = store.from_now(lease_seconds);
    if !jobs::renew_lease_in(tx.connection(), JOB, owner, &until, &now).await? {
        return Ok(batch);
    }
    batch.lease_held = true;
    for (item, fresh, verdict) in &evaluations {
        // Retire exactly the evaluation that was read; if it changed meanwhile, skip.
        if !reevaluate::retire_evaluation_in(tx.connection(), item.evaluation_id).await? {
            continue;
        }
        let mut stored = fresh.clone();
        stored.evaluated_at.clone_from(&now);
        evaluation::insert_in(tx.connection(), item.version_id, &stored).await?;
        batch.evaluated += 1;
        if item.environment == BADGE_ENVIRONMENT
            && move_badge(store, tx.connection(), item, *verdict, &stored, &now).await?
        {
            batch.badge_events += 1;
        }
    }
    tx.commit().await?;
    Ok(batch)
}

/// Moves the badge if this is still the latest production version that counts. Takes the
/// environment's row lock first, as deploys do, so that a deploy and the job never overwrite
/// each other's badge. Returns true when an event was emitted.
async fn move_badge(
    store: &Store,
    connection: &mut Connection,
    item: &StaleVersion,
    verdict: Verdict,
    stored: &StoredEvaluation,
    now: &str,
) -> Result<bool, StoreError> {
    reevaluate::lock_environment_in(connection, item.environment_id).await?;
    // Only versions that count for badges move them, and only the latest of those.
    if !store.counts_for_badges(&item.reported_by) {
        return Ok(false);
    }
    let platform_only = !store.counts_for_badges("partner");
    let v = item.version;
    if reevaluate::count_higher_in(connection, item.environment_id, v, platform_only).await? > 0 {
        return Ok(false);
    }
    let mut badge = badges::load_runs_on_atlassian(connection, item.app_id).await?;
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
        connection,
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
        connection,
        now,
        &Actor::system(JOB),
        "badge.change",
        &subject,
        detail,
    )
    .await?;
    Ok(true)
}
