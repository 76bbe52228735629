//! The timer runner against real databases: timers fire when due and not before, once each,
//! failed firings are retried later, and two instances sharing one PostgreSQL database fire
//! 10,000 timers that are due at once exactly once between them.

#![allow(clippy::unwrap_used)] // Test code: a panic is a failed test.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use apptrust_service::timers::{Handler, HandlerFuture, Handlers, Runner, RunnerSettings};
use apptrust_store::clock::TestClock;
use apptrust_store::timers::{Firing, NewTimer, Timer};
use apptrust_store::{DatabaseUrl, PoolSettings, Store};

mod support;

/// Records each timer whose firing committed; fails the first `failures` firings of each.
#[derive(Default)]
struct Recorder {
    fired: Mutex<Vec<i64>>,
    failures: usize,
    calls: AtomicUsize,
}

impl Handler for Recorder {
    fn fire<'a>(&'a self, timer: &'a Timer, _firing: &'a mut Firing) -> HandlerFuture<'a> {
        Box::pin(async move {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            if call < self.failures {
                return Err(format!("failure {call} on purpose"));
            }
            self.fired.lock().unwrap().push(timer.id);
            Ok(())
        })
    }
}

fn handlers(recorder: &Arc<Recorder>) -> Handlers {
    let mut handlers: Handlers = HashMap::new();
    handlers.insert("test.record", recorder.clone() as Arc<dyn Handler>);
    handlers
}

async fn sqlite_store() -> (Store, tempdir::Dir) {
    let dir = tempdir::Dir::new();
    let url: DatabaseUrl = dir.path("timers.db").parse().unwrap();
    let store = Store::open(&url, &PoolSettings::default()).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

fn timer<'a>(store: &Store, key: &'a str, in_seconds: i64) -> NewTimer<'a> {
    NewTimer {
        kind: "test.record",
        due_at: store.from_now(in_seconds),
        subject: "test:1",
        idempotency_key: key,
        payload: serde_json::json!({}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_fire_when_due_once_and_retry_after_failures() {
    let (store, _dir) = sqlite_store().await;
    let clock = Arc::new(TestClock::new());
    let store = store.with_clock(clock.clone());
    assert!(store.schedule_timer(&timer(&store, "a", -5)).await.unwrap());
    assert!(store.schedule_timer(&timer(&store, "b", 0)).await.unwrap());
    // Due two minutes ago: it fires, and counts as late.
    assert!(
        store
            .schedule_timer(&timer(&store, "late", -120))
            .await
            .unwrap()
    );
    assert!(
        store
            .schedule_timer(&timer(&store, "c", 3 * 86_400))
            .await
            .unwrap()
    );
    // The same key schedules once.
    assert!(!store.schedule_timer(&timer(&store, "a", 60)).await.unwrap());

    let recorder = Arc::new(Recorder::default());
    let runner = Runner::new(
        store.clone(),
        handlers(&recorder),
        "one",
        RunnerSettings::default(),
    );
    let round = runner.round().await.unwrap();
    assert_eq!((round.claimed, round.fired, round.late), (3, 3, 1));
    assert_eq!(
        runner.round().await.unwrap().claimed,
        0,
        "fired timers stay fired"
    );
    let counts = store.timer_counts().await.unwrap();
    assert_eq!((counts.due, counts.scheduled), (0, 1));

    // Three days later (on the test clock) the third is due.
    clock.advance(time::Duration::days(3)).unwrap();
    assert_eq!(runner.round().await.unwrap().fired, 1);
    assert_eq!(recorder.fired.lock().unwrap().len(), 4);

    // A failing firing is rolled back, retried after a gap, and fires once it succeeds.
    let failing = Arc::new(Recorder {
        failures: 2,
        ..Recorder::default()
    });
    let runner = Runner::new(
        store.clone(),
        handlers(&failing),
        "one",
        RunnerSettings::default(),
    );
    store.schedule_timer(&timer(&store, "d", 0)).await.unwrap();
    assert_eq!(runner.round().await.unwrap().failed, 1);
    assert_eq!(
        runner.round().await.unwrap().claimed,
        0,
        "not before its retry time"
    );
    assert_eq!(store.timer_counts().await.unwrap().failing, 1);
    clock.advance(time::Duration::seconds(13)).unwrap();
    assert_eq!(runner.round().await.unwrap().failed, 1);
    clock.advance(time::Duration::seconds(13)).unwrap();
    assert_eq!(
        runner.round().await.unwrap().claimed,
        0,
        "the second gap is longer"
    );
    clock.advance(time::Duration::seconds(13)).unwrap();
    assert_eq!(runner.round().await.unwrap().fired, 1);
    assert_eq!(failing.fired.lock().unwrap().len(), 1);

    // A kind this runner cannot fire is left for one that can (a newer instance): not claimed,
    // not delayed.
    let stranger = NewTimer {
        kind: "from.the.future",
        ..timer(&store, "e", 0)
    };
    store.schedule_timer(&stranger).await.unwrap();
    assert_eq!(runner.round().await.unwrap().claimed, 0);
    let counts = store.timer_counts().await.unwrap();
    assert_eq!((counts.due, counts.failing), (1, 0));
}

/// Two instances on one PostgreSQL database, 10,000 timers due at once: each fires exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_fire_ten_thousand_due_timers_once_each() {
    let Some(url) = postgres_database() else {
        eprintln!("skipped: APPTRUST_TEST_POSTGRES_URL is not set (scripts/test sets it)");
        return;
    };
    let url: DatabaseUrl = url.parse().unwrap();
    let first = Store::open(&url, &PoolSettings::default()).await.unwrap();
    first.migrate().await.unwrap();
    let second = Store::open(&url, &PoolSettings::default()).await.unwrap();
    let keys: Vec<String> = (0..10_000).map(|i| format!("bulk-{i}")).collect();
    for key in &keys {
        first.schedule_timer(&timer(&first, key, -1)).await.unwrap();
    }
    let recorder = Arc::new(Recorder::default());
    let settings = RunnerSettings {
        batch: 200,
        ..RunnerSettings::default()
    };
    let runners = [
        Runner::new(
            first.clone(),
            handlers(&recorder),
            "first",
            settings.clone(),
        ),
        Runner::new(second.clone(), handlers(&recorder), "second", settings),
    ];
    let counts = support::drain(runners.into()).await;
    let (by_first, by_second) = (counts[0], counts[1]);
    assert_eq!(by_first + by_second, 10_000);
    assert!(
        by_first > 0 && by_second > 0,
        "both instances took work: {by_first} / {by_second}"
    );
    let mut fired = recorder.fired.lock().unwrap().clone();
    fired.sort_unstable();
    fired.dedup();
    assert_eq!(fired.len(), 10_000, "no timer fired twice or was missed");
    let counts = first.timer_counts().await.unwrap();
    assert_eq!((counts.due, counts.scheduled), (0, 0));
}

/// A fresh database on the test server, or `None` when there is none.
fn postgres_database() -> Option<String> {
    let server = std::env::var("APPTRUST_TEST_POSTGRES_URL").ok()?;
    let name = format!("apptrust_timers_{}", std::process::id());
    Some(support::postgres_database(&server, &name))
}

mod tempdir {
    /// A temporary folder, removed when dropped.
    pub struct Dir(std::path::PathBuf);

    impl Dir {
        pub fn new() -> Dir {
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let path = std::env::temp_dir().join(format!(
                "apptrust-timers-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }

        pub fn path(&self, name: &str) -> String {
            self.0.join(name).display().to_string()
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A runner whose lease ran out (it stalled, or its instance died) loses the timer to another,
/// which fires it; the first can no longer fire it when it comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_whose_lease_ran_out_fires_once_elsewhere() {
    let (store, _dir) = sqlite_store().await;
    let clock = Arc::new(TestClock::new());
    let store = store.with_clock(clock.clone());
    store
        .schedule_timer(&timer(&store, "stalled", 0))
        .await
        .unwrap();
    let claimed = store
        .claim_due_timers("stalled-runner", &["test.record"], 10, 60)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    // While the lease holds, nobody else claims it.
    let recorder = Arc::new(Recorder::default());
    let other = Runner::new(
        store.clone(),
        handlers(&recorder),
        "other",
        RunnerSettings::default(),
    );
    assert_eq!(other.round().await.unwrap().claimed, 0);
    // Once it has run out, another runner takes the timer over and fires it...
    clock.advance(time::Duration::seconds(61)).unwrap();
    assert_eq!(other.round().await.unwrap().fired, 1);
    // ...and the stalled runner, back at last, finds it is no longer its to fire.
    assert!(
        store
            .begin_firing(&claimed[0], "stalled-runner")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(recorder.fired.lock().unwrap().len(), 1);
    assert_eq!(other.round().await.unwrap().claimed, 0);
}

/// Panics in the firing of timers whose subject is `panic`.
struct Panicker;

impl Handler for Panicker {
    fn fire<'a>(&'a self, timer: &'a Timer, _firing: &'a mut Firing) -> HandlerFuture<'a> {
        Box::pin(async move {
            #[allow(clippy::panic)]
            if timer.subject == "panic" {
                panic!("a handler bug");
            }
            Ok(())
        })
    }
}

/// A handler that panics fails its own timer, which is retried later with the panic on its row;
/// the other timers of the round fire, and the runner goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_fails_its_timer_and_nothing_else() {
    let (store, _dir) = sqlite_store().await;
    for (key, subject) in [("bad", "panic"), ("good", "fine")] {
        let scheduled = store
            .schedule_timer(&NewTimer {
                kind: "test.panic",
                due_at: store.from_now(-1),
                subject,
                idempotency_key: key,
                payload: serde_json::json!({}),
            })
            .await
            .unwrap();
        assert!(scheduled);
    }
    let mut handlers: Handlers = HashMap::new();
    handlers.insert("test.panic", Arc::new(Panicker) as Arc<dyn Handler>);
    let runner = Runner::new(store.clone(), handlers, "one", RunnerSettings::default());
    let round = runner.round().await.unwrap();
    assert_eq!((round.claimed, round.fired, round.failed), (2, 1, 1));
    let counts = store.timer_counts().await.unwrap();
    assert_eq!((counts.scheduled, counts.failing), (1, 1), "{counts:?}");
    // The runner is still there for the next round.
    let round = runner.round().await.unwrap();
    assert_eq!(round.claimed, 0, "the failed one waits for its retry");
}
