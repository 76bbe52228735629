//! Claims due timers under a lease, fires each through the handler of its kind, and retries a
//! failed firing with growing gaps.
//!
//! Each instance runs one runner. Timers that came due while every instance was down are simply
//! due at start and fire in the first round. A handler does its work inside the timer's
//! [`Firing`] transaction, so the work and the "fired" mark commit together: with several
//! instances, or after a lease ran out, a timer still takes effect once.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use apptrust_store::timers::{Firing, Timer};
use apptrust_store::{Store, StoreError};

/// What a handler returns: its work is done in the firing's transaction, or why not.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Does the work of one kind of timer inside its firing.
pub trait Handler: Send + Sync {
    /// Work that is safe to repeat, done before the firing's transaction opens, in transactions
    /// of its own (long work such as re-evaluating stored versions, which on SQLite could not
    /// write while the firing holds the only writer). It runs again if the firing does not
    /// commit. An error retries the timer. Nothing by default.
    fn prepare<'a>(&'a self, _timer: &'a Timer) -> HandlerFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    /// The work, in `firing`'s transaction. An error rolls it back and the timer is retried.
    fn fire<'a>(&'a self, timer: &'a Timer, firing: &'a mut Firing) -> HandlerFuture<'a>;
}

/// The handlers by timer kind.
pub type Handlers = HashMap<&'static str, Arc<dyn Handler>>;

/// The runner's named limits.
#[derive(Clone, Debug)]
pub struct RunnerSettings {
    /// How often an idle runner looks for due timers.
    pub interval: Duration,
    /// Timers claimed per round.
    pub batch: i64,
    /// How long a claim holds before another instance may take the timer over.
    pub lease_seconds: i64,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        RunnerSettings {
            interval: Duration::from_millis(1000),
            batch: 100,
            lease_seconds: 60,
        }
    }
}

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub fired: usize,
    pub failed: usize,
    /// Claimed, but another runner had fired it or taken it over before this one began.
    pub lost: usize,
    /// Of the fired ones, those that fired more than [`LATE_AFTER`] after they were due (the
    /// service was down, or the runners cannot keep up).
    pub late: usize,
}

/// How long after its due time a firing counts as late.
pub const LATE_AFTER: time::Duration = time::Duration::seconds(60);

/// Told about every round (for metrics).
pub type Observer = Arc<dyn Fn(&Round) + Send + Sync>;

/// The first gap after a failed firing; it doubles with every failure.
const FIRST_RETRY: time::Duration = time::Duration::seconds(10);
/// The longest gap between two firings of a failing timer. It is retried for as long as it
/// fails: a timer's work must happen, and a failing one shows in the metrics.
const LONGEST_RETRY: time::Duration = time::Duration::hours(1);

/// One instance's timer runner.
pub struct Runner {
    store: Store,
    handlers: Handlers,
    owner: String,
    settings: RunnerSettings,
    observer: Option<Observer>,
}

impl Runner {
    /// A runner named `owner` (unique per instance) with these handlers.
    pub fn new(
        store: Store,
        handlers: Handlers,
        owner: impl Into<String>,
        settings: RunnerSettings,
    ) -> Runner {
        Runner {
            store,
            handlers,
            owner: owner.into(),
            settings,
            observer: None,
        }
    }

    /// The same runner, telling `observer` what each round did.
    pub fn with_observer(mut self, observer: Observer) -> Runner {
        self.observer = Some(observer);
        self
    }

    /// Claims and fires one batch of due timers.
    pub async fn round(&self) -> Result<Round, StoreError> {
        let kinds: Vec<&str> = self.handlers.keys().copied().collect();
        let timers = self
            .store
            .claim_due_timers(
                &self.owner,
                &kinds,
                self.settings.batch,
                self.settings.lease_seconds,
            )
            .await?;
        let mut round = Round {
            claimed: timers.len(),
            ..Round::default()
        };
        let late_before = self.store.clock().now() - LATE_AFTER;
        for timer in &timers {
            // One timer's database error does not hold up the rest of the batch: it is tried
            // again when its lease runs out.
            let fired = match self.fire(timer).await {
                Ok(fired) => fired,
                Err(error) => {
                    tracing::error!(timer = timer.id, kind = %timer.kind, %error, "timer firing failed");
                    round.failed += 1;
                    continue;
                }
            };
            match fired {
                Fired::Done => {
                    round.fired += 1;
                    let due = time::OffsetDateTime::parse(
                        &timer.due_at,
                        &time::format_description::well_known::Rfc3339,
                    );
                    if due.is_ok_and(|due| due < late_before) {
                        round.late += 1;
                    }
                }
                Fired::Failed => round.failed += 1,
                Fired::Lost => round.lost += 1,
            }
        }
        if let Some(observer) = &self.observer {
            observer(&round);
        }
        Ok(round)
    }

    /// Runs rounds until the task is dropped: at once while there is work, then every
    /// `interval`. A database error waits for the next interval.
    pub async fn run(self) {
        loop {
            let busy = match self.round().await {
                Ok(round) => round.claimed as i64 >= self.settings.batch,
                Err(error) => {
                    tracing::error!(%error, "timer runner round failed");
                    false
                }
            };
            if !busy {
                tokio::time::sleep(self.settings.interval).await;
            }
        }
    }

    async fn fire(&self, timer: &Timer) -> Result<Fired, StoreError> {
        let Some(handler) = self.handlers.get(timer.kind.as_str()) else {
            // Perhaps a newer version of apptrust knows it: keep it, and say why it waits.
            let error = format!("no handler for timer kind `{}`", timer.kind);
            self.retry(timer, &error).await?;
            return Ok(Fired::Failed);
        };
        // Handlers run in tasks of their own, so that one that panics fails its timer (retried
        // with backoff like any failure, the panic on the row) instead of the whole runner.
        let (owned, own_timer) = (handler.clone(), timer.clone());
        let prepared = tokio::spawn(async move { owned.prepare(&own_timer).await })
            .await
            .unwrap_or_else(|panic| Err(panicked(&panic)));
        if let Err(error) = prepared {
            self.retry(timer, &error).await?;
            return Ok(Fired::Failed);
        }
        let Some(mut firing) = self.store.begin_firing(timer, &self.owner).await? else {
            return Ok(Fired::Lost);
        };
        let (owned, own_timer) = (handler.clone(), timer.clone());
        let fired = tokio::spawn(async move {
            let result = owned.fire(&own_timer, &mut firing).await;
            (result, firing)
        })
        .await;
        match fired {
            Ok((Ok(()), firing)) => {
                firing.commit().await?;
                Ok(Fired::Done)
            }
            Ok((Err(error), firing)) => {
                // Dropping the firing rolls back the work and the mark.
                drop(firing);
                self.retry(timer, &error).await?;
                Ok(Fired::Failed)
            }
            // The panicked task dropped the firing, which rolled it back.
            Err(panic) => {
                self.retry(timer, &panicked(&panic)).await?;
                Ok(Fired::Failed)
            }
        }
    }

    async fn retry(&self, timer: &Timer, error: &str) -> Result<(), StoreError> {
        let gap = retry_gap(timer.attempts, apptrust_store::clock::jitter_ms(1000));
        let at = self.store.from_now(gap.whole_seconds().max(1));
        self.store.retry_timer(timer, &self.owner, error, &at).await
    }
}

/// The error a panicked handler leaves on its timer, logged too.
fn panicked(error: &tokio::task::JoinError) -> String {
    tracing::error!(%error, "a timer handler panicked");
    format!("the handler failed unexpectedly ({error})")
}

enum Fired {
    Done,
    Failed,
    Lost,
}

/// The gap before the next firing after `attempts` failed ones (see
/// [`crate::notify::backoff::doubling_gap`]).
fn retry_gap(attempts: i64, jitter: u32) -> time::Duration {
    let failures = u32::try_from(attempts.max(0)).unwrap_or(u32::MAX);
    crate::notify::backoff::doubling_gap(failures, FIRST_RETRY, LONGEST_RETRY, jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_firings_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(retry_gap(1, 500), time::Duration::seconds(10));
        assert_eq!(retry_gap(2, 500), time::Duration::seconds(20));
        assert_eq!(retry_gap(40, 500), LONGEST_RETRY);
        assert!(retry_gap(1, 0) < retry_gap(1, 999));
    }
}
