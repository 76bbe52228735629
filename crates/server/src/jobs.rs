//! The background scheduler. Today it runs one job: re-evaluating stored versions after the rules
//! engine changed. Every instance runs the loop; the lease makes sure only one works at a time,
//! and a crashed holder's lease simply expires.

use std::time::Duration;

use apptrust_store::reevaluate::JOB;

use crate::state::AppState;

const LEASE_SECONDS: i64 = 30;
const BATCH: i64 = 100;

/// Runs forever (until the task is dropped at shutdown).
pub async fn run(state: AppState) {
    let interval = Duration::from_millis(state.settings.job_interval_ms.max(10));
    loop {
        if let Err(error) = reevaluate(&state).await {
            tracing::error!(%error, "re-evaluation failed");
        }
        tokio::time::sleep(interval).await;
    }
}

async fn reevaluate(state: &AppState) -> Result<(), apptrust_store::StoreError> {
    if state.store.stale_evaluations().await? == 0 {
        return Ok(());
    }
    if !state
        .store
        .acquire_lease(JOB, &state.instance, LEASE_SECONDS)
        .await?
    {
        return Ok(());
    }
    let mut total = 0;
    loop {
        let batch = state
            .store
            .reevaluate_batch(&state.instance, BATCH, LEASE_SECONDS, &state.evaluator)
            .await?;
        if !batch.lease_held || batch.evaluated == 0 {
            break;
        }
        total += batch.evaluated;
        if batch.badge_events > 0 {
            state.trust_cache.clear();
        }
        let evaluated = u64::try_from(batch.evaluated).unwrap_or(u64::MAX);
        state
            .metrics
            .add("apptrust_reevaluations_total", "done", evaluated);
    }
    state.store.release_lease(JOB, &state.instance).await?;
    if total > 0 {
        tracing::info!(
            versions = total,
            engine = apptrust_rules::ENGINE_VERSION,
            "re-evaluated stored versions with the current rules engine"
        );
    }
    Ok(())
}
