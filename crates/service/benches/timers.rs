//! How fast timers drain: 10,000 timers due at once on one PostgreSQL database, fired by one
//! runner and then by two (as two instances would), with a handler that does no work of its own,
//! so the figure is the runner's and the database's cost per timer.
//!
//!     scripts/with-postgres cargo bench -p apptrust-service --bench timers
//!
//! Needs APPTRUST_TEST_POSTGRES_URL (scripts/with-postgres sets it) and `psql`. Prints one line
//! per configuration and pass; APPTRUST_BENCH_TIMERS (default 10000) and APPTRUST_BENCH_PASSES
//! (default 3) change the size.

#![allow(clippy::unwrap_used)] // A benchmark: a panic is a failed run.

use std::sync::Arc;
use std::time::Instant;

use apptrust_service::timers::{Handler, HandlerFuture, Handlers, Runner, RunnerSettings};
use apptrust_store::timers::{Firing, NewTimer, Timer};
use apptrust_store::{DatabaseUrl, PoolSettings, Store};

#[path = "../tests/support/mod.rs"]
mod support;

struct Nothing;

impl Handler for Nothing {
    fn fire<'a>(&'a self, _timer: &'a Timer, _firing: &'a mut Firing) -> HandlerFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}

fn handlers() -> Handlers {
    let mut handlers = Handlers::new();
    handlers.insert("bench.nothing", Arc::new(Nothing) as Arc<dyn Handler>);
    handlers
}

fn number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Ok(server) = std::env::var("APPTRUST_TEST_POSTGRES_URL") else {
        eprintln!("APPTRUST_TEST_POSTGRES_URL is not set: run with scripts/with-postgres");
        std::process::exit(2);
    };
    let count = number("APPTRUST_BENCH_TIMERS", 10_000);
    let passes = number("APPTRUST_BENCH_PASSES", 3);
    println!(
        "timers per pass: {count}; passes: {passes}; handler: none (runner and database cost)"
    );
    for pass in 0..passes {
        for instances in [1, 2] {
            let name = format!(
                "apptrust_bench_timers_{}_{pass}_{instances}",
                std::process::id()
            );
            let url: DatabaseUrl = support::postgres_database(&server, &name).parse().unwrap();
            let mut stores = Vec::new();
            for _ in 0..instances {
                stores.push(Store::open(&url, &PoolSettings::default()).await.unwrap());
            }
            stores[0].migrate().await.unwrap();
            for i in 0..count {
                let key = format!("bench-{i}");
                stores[0]
                    .schedule_timer(&NewTimer {
                        kind: "bench.nothing",
                        due_at: stores[0].from_now(-1),
                        subject: "bench:1",
                        idempotency_key: &key,
                        payload: serde_json::json!({}),
                    })
                    .await
                    .unwrap();
            }
            let started = Instant::now();
            let runners = stores
                .iter()
                .enumerate()
                .map(|(i, store)| {
                    Runner::new(
                        store.clone(),
                        handlers(),
                        format!("bench-{i}"),
                        RunnerSettings {
                            batch: 200,
                            ..RunnerSettings::default()
                        },
                    )
                })
                .collect();
            let fired: usize = support::drain(runners).await.iter().sum();
            let seconds = started.elapsed().as_secs_f64();
            assert_eq!(fired, count);
            #[allow(clippy::cast_precision_loss)]
            let rate = count as f64 / seconds;
            println!(
                "pass {pass}: {instances} instance(s): {count} timers in {seconds:.2} s = {rate:.0} timers/s"
            );
            for store in stores {
                store.close().await;
            }
        }
    }
}
