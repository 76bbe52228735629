//! Where manifests are read, evaluated and compared: off the async threads, a bounded number at
//! once, and within a memory budget. Reading a manifest builds its document tree, which for a
//! hostile file costs up to about [`BYTES_PER_MANIFEST_BYTE`] times its size; every step that
//! builds one (a deploy's evaluation, the facts of the previous version it is compared with, a
//! re-evaluation) reserves that much of the budget first, so that any number of concurrent
//! deploys of the largest accepted file cannot take more memory than the budget allows.

use std::sync::Arc;
use std::time::Duration;

use apptrust_rules::CheckOptions;
use tokio::sync::Semaphore;

use crate::StoreError;

/// Peak memory of reading and evaluating a manifest, per byte of the manifest, rounded up from
/// the worst case measured: a document that is one flow mapping, `{app: ..., x: [{a: 1}, ...]}`,
/// which the parser holds token by token until it closes (about 190 bytes per byte; the same
/// items in block style take about 85). Ordinary manifests need a fraction of that. See
/// `docs/performance.md`.
pub const BYTES_PER_MANIFEST_BYTE: usize = 200;

/// The least any evaluation reserves: small manifests still allocate a little of everything.
const MIN_RESERVATION: usize = 256 * 1024;

/// Evaluations that reserve at least this much run on one long-lived thread of their own. An
/// allocator keeps a thread's freed memory for that thread's next allocations; large
/// evaluations spread over many threads would each leave their peak behind (measured: 670 MB
/// after sixteen 2 MiB deploys, against 400 MB for one), while on one thread each reuses what
/// the last one freed. 32 MiB is a manifest of about 160 kB, seven times the largest real one.
const LARGE_RESERVATION: usize = 32 * 1024 * 1024;

type Job = Box<dyn FnOnce() + Send>;

/// Reservations are counted in KiB so that a large budget fits the semaphore's permit count.
const UNIT: usize = 1024;

/// How evaluations are bounded.
#[derive(Clone, Copy, Debug)]
pub struct EvaluatorLimits {
    /// Evaluations running at once (CPU); the rest wait.
    pub slots: usize,
    /// Memory all running evaluations may reserve together, in bytes.
    pub memory_bytes: usize,
    /// How long a request may wait for its turn before it is refused as busy.
    pub queue_timeout: Duration,
}

/// Runs evaluations within the limits. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Evaluator {
    slots: Arc<Semaphore>,
    memory: Arc<Semaphore>,
    memory_units: usize,
    queue_timeout: Duration,
    options: Arc<CheckOptions>,
    /// The thread that runs large evaluations, one after another.
    large: std::sync::mpsc::Sender<Job>,
}

impl Evaluator {
    /// An evaluator with these limits and the default check options.
    pub fn new(limits: EvaluatorLimits) -> Evaluator {
        let memory_units = (limits.memory_bytes / UNIT).clamp(1, Semaphore::MAX_PERMITS);
        let (large, jobs) = std::sync::mpsc::channel::<Job>();
        // The thread ends when the last evaluator handle is dropped. If it cannot be started,
        // large jobs fail with a clear error (see `run`).
        let _ = std::thread::Builder::new()
            .name("apptrust-evaluate-large".into())
            .spawn(move || {
                while let Ok(job) = jobs.recv() {
                    // A panicking job (a bug) fails its own request, not every later one.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            });
        Evaluator {
            slots: Arc::new(Semaphore::new(limits.slots.max(1))),
            memory: Arc::new(Semaphore::new(memory_units)),
            memory_units,
            queue_timeout: limits.queue_timeout,
            options: Arc::new(CheckOptions::default()),
            large,
        }
    }

    /// Evaluation slots free now (a metric).
    pub fn free_slots(&self) -> usize {
        self.slots.available_permits()
    }

    /// Memory of the budget not reserved now, in bytes (a metric).
    pub fn free_memory_bytes(&self) -> usize {
        self.memory.available_permits() * UNIT
    }

    /// Runs `work` on a blocking thread once a slot and the memory for reading a manifest of
    /// `manifest_bytes` bytes are free. Waits at most the queue timeout for them, then refuses
    /// with [`StoreError::Busy`].
    pub async fn run<T, F>(&self, manifest_bytes: usize, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&CheckOptions) -> T + Send + 'static,
        T: Send + 'static,
    {
        let reservation = manifest_bytes
            .saturating_mul(BYTES_PER_MANIFEST_BYTE)
            .max(MIN_RESERVATION);
        let units = reservation.div_ceil(UNIT).min(self.memory_units);
        let units = u32::try_from(units).unwrap_or(u32::MAX);
        let wait = async {
            // Memory first, then a slot: every caller takes them in this order, so none can hold
            // a slot while waiting for memory that a slot-holder needs.
            let memory = self.memory.clone().acquire_many_owned(units).await;
            let slot = self.slots.clone().acquire_owned().await;
            (memory, slot)
        };
        let (memory, slot) = tokio::time::timeout(self.queue_timeout, wait)
            .await
            .map_err(|_| {
                StoreError::Busy(
                    "every evaluation slot is taken and the queue did not move in time; retry \
                     shortly"
                        .into(),
                )
            })?;
        let (memory, slot) = (
            memory.map_err(|_| StoreError::Busy("the server is stopping".into()))?,
            slot.map_err(|_| StoreError::Busy("the server is stopping".into()))?,
        );
        let options = self.options.clone();
        if reservation < LARGE_RESERVATION {
            return tokio::task::spawn_blocking(move || {
                let out = work(&options);
                drop((memory, slot));
                out
            })
            .await
            .map_err(|e| StoreError::Invalid(format!("the evaluation failed: {e}")));
        }
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let out = work(&options);
            drop((memory, slot));
            let _ = done.send(out);
        });
        self.large
            .send(job)
            .map_err(|_| StoreError::Invalid("the evaluation thread is not running".into()))?;
        result
            .await
            .map_err(|_| StoreError::Invalid("the evaluation failed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(memory_bytes: usize) -> EvaluatorLimits {
        EvaluatorLimits {
            slots: 4,
            memory_bytes,
            queue_timeout: Duration::from_millis(200),
        }
    }

    #[tokio::test]
    async fn a_file_larger_than_the_budget_still_runs_alone() {
        let evaluator = Evaluator::new(limits(1024 * 1024));
        let out = evaluator.run(2 * 1024 * 1024, |_| 7).await.unwrap();
        assert_eq!(out, 7);
        assert_eq!(evaluator.free_memory_bytes(), 1024 * 1024);
    }

    #[tokio::test]
    async fn waiting_past_the_queue_timeout_is_busy() {
        let evaluator = Evaluator::new(limits(64 * 1024 * 1024));
        let (started, wait) = tokio::sync::oneshot::channel::<()>();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let holder = {
            let evaluator = evaluator.clone();
            tokio::spawn(async move {
                evaluator
                    .run(1024 * 1024, move |_| {
                        let _ = started.send(());
                        let _ = hold.recv();
                    })
                    .await
            })
        };
        wait.await.unwrap();
        // The first holds 200 MiB of a 64 MiB budget (clamped to all of it): the next waits.
        let refused = evaluator.run(1024, |_| ()).await;
        assert!(matches!(refused, Err(StoreError::Busy(_))), "{refused:?}");
        release.send(()).unwrap();
        holder.await.unwrap().unwrap();
        evaluator.run(1024, |_| ()).await.unwrap();
    }
}
