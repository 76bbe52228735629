//! Prometheus metrics, kept by hand: a request counter and latency histogram per route, method
//! and status, plus business counters. Rendered in the text exposition format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// The metric registry.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Series>>,
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
}

impl Metrics {
    fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let series = requests
            .entry((route.to_string(), method.to_string(), status))
            .or_default();
        series.count += 1;
        series.sum += seconds;
        for (bound, bucket) in BUCKETS.iter().zip(series.buckets.iter_mut()) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
    }

    /// Adds one to a labelled counter, e.g. (`apptrust_deploys_total`, `eligible`).
    pub fn count(&self, name: &'static str, label: &str) {
        self.add(name, label, 1);
    }

    /// Adds `n` to a labelled counter.
    pub fn add(&self, name: &'static str, label: &str, n: u64) {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *counters.entry((name, label.to_string())).or_default() += n;
    }

    /// The exposition text, with extra gauges appended.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP apptrust_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE apptrust_http_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        for ((route, method, status), s) in requests.iter() {
            let _ = writeln!(
                out,
                "apptrust_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP apptrust_http_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE apptrust_http_request_duration_seconds histogram\n");
        for ((route, method, status), s) in requests.iter() {
            let labels = format!("route=\"{route}\",method=\"{method}\",status=\"{status}\"");
            for (bound, n) in BUCKETS.iter().zip(s.buckets.iter()) {
                let _ = writeln!(
                    out,
                    "apptrust_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "apptrust_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "apptrust_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "apptrust_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        drop(requests);
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let mut last = "";
        for ((name, label), n) in counters.iter() {
            if *name != last {
                let _ = writeln!(out, "# TYPE {name} counter");
                last = name;
            }
            let _ = writeln!(out, "{name}{{outcome=\"{label}\"}} {n}");
        }
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

/// A figure that is costly to compute (it reads a whole table), kept for a while so that
/// `/metrics` computes it at most once per `max_age` however often it is scraped. Concurrent
/// scrapes of an old figure wait for one computation rather than each running their own.
pub struct CachedFigure {
    max_age: Duration,
    value: tokio::sync::Mutex<Option<(Instant, f64)>>,
}

impl CachedFigure {
    pub fn new(max_age: Duration) -> CachedFigure {
        CachedFigure {
            max_age,
            value: tokio::sync::Mutex::new(None),
        }
    }

    /// The figure, computed by `compute` when there is none younger than `max_age`. A failed
    /// computation is not kept: the next scrape tries again.
    pub async fn get<F, E>(&self, compute: impl FnOnce() -> F) -> Result<f64, E>
    where
        F: std::future::Future<Output = Result<f64, E>>,
    {
        let mut value = self.value.lock().await;
        if let Some((at, figure)) = *value
            && at.elapsed() < self.max_age
        {
            return Ok(figure);
        }
        let figure = compute().await?;
        *value = Some((Instant::now(), figure));
        Ok(figure)
    }
}

/// Middleware: times every request and records it under its route pattern (never the raw path,
/// which would make one series per app key).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_string();
    // Only standard methods get their own series: anything else would let a client mint series.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "other",
    }
    .to_string();
    let response = next.run(request).await;
    state.metrics.observe(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cached_figure_is_computed_at_most_once_per_max_age() {
        let figure = CachedFigure::new(Duration::from_millis(50));
        let runs = std::sync::atomic::AtomicU32::new(0);
        let count = || async {
            let n = runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<f64, ()>(f64::from(n))
        };
        for _ in 0..100 {
            assert_eq!(figure.get(count).await, Ok(0.0));
        }
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(figure.get(count).await, Ok(1.0));
        // A failure is not kept.
        let fresh = CachedFigure::new(Duration::from_secs(60));
        assert_eq!(fresh.get(|| async { Err::<f64, ()>(()) }).await, Err(()));
        assert_eq!(fresh.get(count).await, Ok(2.0));
    }
}
