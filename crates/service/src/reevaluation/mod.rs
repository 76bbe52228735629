//! Re-evaluation after the rules engine changed, as one kind of timer: stored versions whose
//! current evaluation comes from an older engine are evaluated again, and badges move where
//! the verdict changed.
//!
//! One recurring `reevaluate` timer exists per engine version, scheduled by whichever instance
//! of that version starts first (its idempotency key is the engine version), so that one
//! instance at a time does the work however many run. Each firing first re-evaluates for up to
//! 20 seconds, in transactions of its own and under the job lease (safe to repeat: a version
//! already evaluated by this engine is not stale any more), then makes the same timer due again
//! after `job-interval-ms`: the next firing goes on where this one stopped, or finds what
//! instances of an older version still wrote during a rolling upgrade. An older engine's timer
//! stops at its next firing; a newer engine's timer, claimed by an instance of an older build
//! during a rolling upgrade (or after a roll-back), is only made due again, so the newer
//! instances keep their chain.

use std::sync::Arc;
use std::time::{Duration, Instant};

use apptrust_rules::ENGINE_VERSION;
use apptrust_store::evaluator::Evaluator;
use apptrust_store::reevaluate::is_older_engine;
use apptrust_store::timers::{Firing, NewTimer, Timer, reschedule_in};
use apptrust_store::{Store, StoreError};

use crate::timers::{Handler, HandlerFuture};

mod batch;

pub use batch::{Batch, JOB, reevaluate_batch};

/// The timer kind.
pub const KIND: &str = "reevaluate";

/// Versions per batch (each batch is one transaction).
const BATCH: i64 = 100;
/// The job lease that keeps two instances from re-evaluating at once.
const LEASE_SECONDS: i64 = 30;
/// How long one firing re-evaluates before it hands over to the next, well within the timer's
/// lease.
const BUDGET: Duration = Duration::from_secs(20);

/// Told about each batch (to refresh caches and count).
pub type BatchObserver = Arc<dyn Fn(&Batch) + Send + Sync>;

/// The handler of `reevaluate` timers.
pub struct Reevaluation {
    pub store: Store,
    pub evaluator: Evaluator,
    /// This instance's name in the job lease.
    pub owner: String,
    /// The gap between firings while stale versions remain.
    pub interval: Duration,
    pub observer: Option<BatchObserver>,
}

/// Starts this engine version's chain, unless an instance of the same version already did; a
/// chain that an earlier build ended is started again. True when this call started it.
pub async fn start(store: &Store) -> Result<bool, StoreError> {
    let key = format!("reevaluate:{ENGINE_VERSION}");
    let now = store.now();
    let scheduled = store
        .schedule_timer(&NewTimer {
            kind: KIND,
            due_at: now.clone(),
            subject: "rules-engine",
            idempotency_key: &key,
            payload: serde_json::json!({"engine": ENGINE_VERSION}),
        })
        .await?;
    Ok(scheduled || store.rearm_timer(&key, &now).await?)
}

/// Starts this engine's chain again whenever it is found ended, every `interval`, until the
/// task is dropped: an instance of an older build (during a rolling upgrade, or one that does
/// not know this rule yet) may end it after every instance of this build has started.
pub async fn keep_alive(store: Store, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        match start(&store).await {
            Ok(true) => tracing::info!(
                engine = ENGINE_VERSION,
                "the re-evaluation timer had been ended by another build; started it again"
            ),
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "could not check the re-evaluation timer"),
        }
    }
}

/// Whose chain a timer belongs to, as this build sees it.
#[derive(Debug, PartialEq, Eq)]
enum Chain {
    Ours,
    /// An older engine's: its work is this build's now, and it stops.
    Older,
    /// A newer engine's (or a timer whose payload names no engine): left to the instances that
    /// run it.
    Newer,
}

fn chain_of(timer: &Timer) -> Chain {
    match timer.payload["engine"].as_str() {
        Some(ENGINE_VERSION) => Chain::Ours,
        Some(engine) if is_older_engine(engine) => Chain::Older,
        _ => Chain::Newer,
    }
}

impl Reevaluation {
    /// Re-evaluates under the job lease until nothing is stale or the budget is spent.
    async fn run(&self) -> Result<(), StoreError> {
        if self.store.stale_evaluations().await? == 0 {
            return Ok(());
        }
        if !self
            .store
            .acquire_lease(JOB, &self.owner, LEASE_SECONDS)
            .await?
        {
            return Ok(());
        }
        let started = Instant::now();
        let mut total = 0;
        while started.elapsed() < BUDGET {
            let batch = reevaluate_batch(
                &self.store,
                &self.owner,
                BATCH,
                LEASE_SECONDS,
                &self.evaluator,
            )
            .await?;
            if !batch.lease_held || batch.evaluated == 0 {
                break;
            }
            total += batch.evaluated;
            if let Some(observer) = &self.observer {
                observer(&batch);
            }
        }
        self.store.release_lease(JOB, &self.owner).await?;
        if total > 0 {
            tracing::info!(
                versions = total,
                engine = ENGINE_VERSION,
                "re-evaluated stored versions with the current rules engine"
            );
        }
        Ok(())
    }
}

impl Handler for Reevaluation {
    fn prepare<'a>(&'a self, timer: &'a Timer) -> HandlerFuture<'a> {
        Box::pin(async move {
            if chain_of(timer) != Chain::Ours {
                return Ok(());
            }
            self.run().await.map_err(|e| e.to_string())
        })
    }

    fn fire<'a>(&'a self, timer: &'a Timer, firing: &'a mut Firing) -> HandlerFuture<'a> {
        Box::pin(async move {
            if chain_of(timer) == Chain::Older {
                // This build's own timer does the work. Left fired.
                return Ok(());
            }
            // The same timer comes due again: one row per engine version, however long it runs.
            // A newer engine's comes due again untouched, for its own instances to claim.
            let due_at = self.store.from_now(
                i64::try_from(self.interval.as_millis().div_ceil(1000))
                    .unwrap_or(1)
                    .max(1),
            );
            reschedule_in(firing.connection(), timer.id, &due_at)
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timer(engine: serde_json::Value) -> Timer {
        Timer {
            id: 1,
            kind: KIND.to_string(),
            due_at: String::new(),
            subject: "rules-engine".to_string(),
            payload: serde_json::json!({ "engine": engine }),
            attempts: 0,
        }
    }

    #[test]
    fn an_older_build_leaves_a_newer_engines_chain_alive() {
        assert_eq!(chain_of(&timer(ENGINE_VERSION.into())), Chain::Ours);
        assert_eq!(chain_of(&timer("0.0.1+rules.1".into())), Chain::Older);
        assert_eq!(chain_of(&timer("999.0.0+rules.1".into())), Chain::Newer);
        assert_eq!(chain_of(&timer(serde_json::Value::Null)), Chain::Newer);
    }
}
