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
//! stops at its next firing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use apptrust_rules::ENGINE_VERSION;
use apptrust_store::evaluator::Evaluator;
use apptrust_store::reevaluate::{Batch, JOB};
use apptrust_store::timers::{Firing, NewTimer, Timer, reschedule_in};
use apptrust_store::{Store, StoreError};

use crate::timers::{Handler, HandlerFuture};

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

/// Starts this engine version's chain, unless an instance of the same version already did.
pub async fn start(store: &Store) -> Result<bool, StoreError> {
    store
        .schedule_timer(&NewTimer {
            kind: KIND,
            due_at: store.now(),
            subject: "rules-engine",
            idempotency_key: &format!("reevaluate:{ENGINE_VERSION}"),
            payload: serde_json::json!({"engine": ENGINE_VERSION}),
        })
        .await
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
            let batch = self
                .store
                .reevaluate_batch(&self.owner, BATCH, LEASE_SECONDS, &self.evaluator)
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
            if timer.payload["engine"] != ENGINE_VERSION {
                return Ok(());
            }
            self.run().await.map_err(|e| e.to_string())
        })
    }

    fn fire<'a>(&'a self, timer: &'a Timer, firing: &'a mut Firing) -> HandlerFuture<'a> {
        Box::pin(async move {
            if timer.payload["engine"] != ENGINE_VERSION {
                // An older engine's timer: this build's own timer does the work. Left fired.
                return Ok(());
            }
            // The same timer comes due again: one row per engine version, however long it runs.
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
