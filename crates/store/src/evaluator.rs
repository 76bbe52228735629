//! Where manifests are read, evaluated and compared: off the async threads, in two lanes.
//!
//! Reading a manifest builds its document tree, which costs up to about
//! [`BYTES_PER_MANIFEST_BYTE`] times its size. Real manifests are small (the largest we know is
//! 22 kB); a hostile one can be 2 MiB and cost 400 MB. So:
//!
//! - the **small lane** runs manifests under [`LARGE_MANIFEST_BYTES`], at most `slots` at once on
//!   the blocking threads (each under 32 MiB of memory);
//! - the **large lane** runs bigger ones one at a time on a thread of its own, which reuses the
//!   memory the previous one freed (spread over many threads, each would keep its peak).
//!
//! Each lane queues on its own, so a flood of large manifests never delays ordinary deploys, and
//! the memory all evaluations can take at once is bounded: one large read plus `slots` small ones.

use std::sync::Arc;
use std::time::Duration;

use apptrust_rules::CheckOptions;
use tokio::sync::Semaphore;

use crate::StoreError;

/// Peak memory of reading and evaluating a manifest, per byte of the manifest, rounded up from
/// the worst case measured: a document that is one flow mapping, `{app: ..., x: [{a: 1}, ...]}`,
/// which the parser holds token by token until it closes (about 190 bytes per byte; the same
/// items in block style take about 85). See `docs/performance.md`.
pub const BYTES_PER_MANIFEST_BYTE: usize = 200;

/// Manifests from this size on take the large lane: up to 32 MiB of memory each below it. It is
/// seven times the largest real manifest we know.
pub const LARGE_MANIFEST_BYTES: usize = 160 * 1024;

type Job = Box<dyn FnOnce() + Send>;

/// How evaluations are bounded.
#[derive(Clone, Copy, Debug)]
pub struct EvaluatorLimits {
    /// Small-lane evaluations running at once; the rest wait.
    pub slots: usize,
    /// How long a request may wait for its turn before it is refused as busy.
    pub queue_timeout: Duration,
}

/// Runs evaluations within the limits. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Evaluator {
    small: Arc<Semaphore>,
    large: Arc<Semaphore>,
    queue_timeout: Duration,
    options: Arc<CheckOptions>,
    /// The large lane's thread.
    large_thread: std::sync::mpsc::Sender<Job>,
}

impl Evaluator {
    /// An evaluator with these limits and the default check options.
    pub fn new(limits: EvaluatorLimits) -> Evaluator {
        let (large_thread, jobs) = std::sync::mpsc::channel::<Job>();
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
            small: Arc::new(Semaphore::new(limits.slots.max(1))),
            large: Arc::new(Semaphore::new(1)),
            queue_timeout: limits.queue_timeout,
            options: Arc::new(CheckOptions::default()),
            large_thread,
        }
    }

    /// Small-lane slots free now (a metric).
    pub fn free_slots(&self) -> usize {
        self.small.available_permits()
    }

    /// The largest manifest the loader reads; a larger one is refused by its size before
    /// anything is built, so it needs no lane.
    pub fn largest_readable(&self) -> usize {
        self.options.limits.max_bytes
    }

    /// Whether the large lane is free now (a metric).
    pub fn large_lane_free(&self) -> bool {
        self.large.available_permits() > 0
    }

    /// Runs `work` on a manifest of `manifest_bytes` bytes in its lane once the lane has room.
    /// Waits at most the queue timeout, then refuses with [`StoreError::Busy`].
    pub async fn run<T, F>(&self, manifest_bytes: usize, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&CheckOptions) -> T + Send + 'static,
        T: Send + 'static,
    {
        self.run_within(manifest_bytes, self.queue_timeout, work)
            .await
    }

    /// [`Evaluator::run`], waiting at most `wait` for the lane (background work that should
    /// yield to deploys waits briefly).
    pub async fn run_within<T, F>(
        &self,
        manifest_bytes: usize,
        wait: Duration,
        work: F,
    ) -> Result<T, StoreError>
    where
        F: FnOnce(&CheckOptions) -> T + Send + 'static,
        T: Send + 'static,
    {
        // A file over the size limit is refused unread: it costs no more than the limit.
        let large = manifest_bytes.min(self.largest_readable()) >= LARGE_MANIFEST_BYTES;
        let lane = if large { &self.large } else { &self.small };
        let permit = tokio::time::timeout(wait, lane.clone().acquire_owned())
            .await
            .map_err(|_| {
                StoreError::Busy(
                    "the evaluation queue did not move in time (`evaluation-queue-timeout-ms`); \
                     retry shortly"
                        .into(),
                )
            })?
            .map_err(|_| StoreError::Busy("the server is stopping".into()))?;
        let options = self.options.clone();
        if !large {
            return tokio::task::spawn_blocking(move || {
                let out = work(&options);
                drop(permit);
                out
            })
            .await
            .map_err(|e| StoreError::Internal(format!("an evaluation failed: {e}")));
        }
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The request gave up while this waited (the client went away): skip the work.
            if !done.is_closed() {
                let out = work(&options);
                let _ = done.send(out);
            }
            drop(permit);
        });
        self.large_thread
            .send(job)
            .map_err(|_| StoreError::Internal("the evaluation thread is not running".into()))?;
        result
            .await
            .map_err(|_| StoreError::Internal("an evaluation failed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> EvaluatorLimits {
        EvaluatorLimits {
            slots: 4,
            queue_timeout: Duration::from_millis(200),
        }
    }

    /// Holds the lane of a manifest of `bytes` until the returned sender is used.
    async fn hold(evaluator: &Evaluator, bytes: usize) -> std::sync::mpsc::Sender<()> {
        let (started, wait) = tokio::sync::oneshot::channel::<()>();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let evaluator = evaluator.clone();
        tokio::spawn(async move {
            evaluator
                .run(bytes, move |_| {
                    let _ = started.send(());
                    let _ = hold.recv();
                })
                .await
        });
        wait.await.unwrap();
        release
    }

    #[tokio::test]
    async fn a_busy_large_lane_leaves_small_manifests_alone_and_refuses_past_the_timeout() {
        let evaluator = Evaluator::new(limits());
        let release = hold(&evaluator, 2 * 1024 * 1024).await;
        assert!(!evaluator.large_lane_free());
        // Ordinary manifests go on.
        assert_eq!(evaluator.run(20_000, |_| 7).await.unwrap(), 7);
        // Another large one waits, then is refused.
        let refused = evaluator.run(LARGE_MANIFEST_BYTES, |_| ()).await;
        assert!(matches!(refused, Err(StoreError::Busy(_))), "{refused:?}");
        release.send(()).unwrap();
        evaluator.run(LARGE_MANIFEST_BYTES, |_| ()).await.unwrap();
    }

    #[tokio::test]
    async fn a_panicking_large_job_fails_alone() {
        let evaluator = Evaluator::new(limits());
        #[allow(clippy::panic)]
        let failed = evaluator
            .run(LARGE_MANIFEST_BYTES, |_| -> () { panic!("a bug") })
            .await;
        assert!(matches!(failed, Err(StoreError::Internal(_))), "{failed:?}");
        evaluator.run(LARGE_MANIFEST_BYTES, |_| ()).await.unwrap();
    }
}
