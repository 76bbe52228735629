//! Liveness, readiness and metrics.

use apptrust_api::service::{Health, Readiness};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::state::AppState;

/// The process is up; also names the build and the rules engine that judges deploys, and says
/// loudly when the server runs on a test clock (with its time).
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "service",
    summary = "Liveness: the process is up.",
    responses(
        (status = 200, description = "Up.", body = Health),
    ),
    security(()),
)]
pub async fn healthz(State(state): State<AppState>) -> Json<Health> {
    let test_clock = state.store.clock().as_test();
    Json(Health {
        status: "ok".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        engine_version: apptrust_rules::ENGINE_VERSION.to_string(),
        test_clock: test_clock.is_some(),
        now: test_clock
            .map(|clock| apptrust_store::clock::rfc3339(apptrust_store::clock::Clock::now(clock))),
    })
}

/// The database answers and is migrated: the instance can take traffic.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "service",
    summary = "Readiness: the database answers and is migrated.",
    responses(
        (status = 200, description = "Ready to take traffic.", body = Readiness),
        (status = 503, description = "Not ready.", body = Readiness),
    ),
    security(()),
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let ready =
        state.store.ping().await.is_ok() && state.store.is_migrated().await.unwrap_or(false);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: if ready { "ready" } else { "not-ready" }.to_string(),
        database: state.store.kind().as_str().to_string(),
    };
    (status, Json(body))
}

/// Each of `cells`' figures, from its cache or from one fresh `count` (-1 when it fails).
async fn cached<const N: usize, F>(
    cells: &[crate::metrics::CachedFigure; N],
    count: impl Fn() -> F,
) -> [f64; N]
where
    F: std::future::Future<Output = Result<[f64; N], apptrust_store::StoreError>>,
{
    // One count serves every figure that needs refreshing in this call.
    let mut fresh: Option<[f64; N]> = None;
    let mut figures = [-1.0; N];
    for (i, cell) in cells.iter().enumerate() {
        let fresh = &mut fresh;
        figures[i] = cell
            .get(|| async {
                if fresh.is_none() {
                    *fresh = Some(count().await?);
                }
                Ok::<f64, apptrust_store::StoreError>(fresh.map_or(-1.0, |all| all[i]))
            })
            .await
            .unwrap_or(-1.0);
    }
    figures
}

/// Prometheus metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "service",
    summary = "Prometheus metrics (text exposition format 0.0.4).",
    description = "`apptrust_stale_evaluations` reads every current evaluation, so it is counted at most once per `metrics-refresh-ms` (default 30 s) whatever the scrape rate; the other figures are current. `apptrust_trust_cache_negatives` counts the unknown app keys remembered (at most `max-trust-negatives`).",
    responses(
        (status = 200, description = "Metrics.", body = String, content_type = "text/plain"),
    ),
    security(()),
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // Counting reads every current evaluation: done at most once per `metrics-refresh-ms`,
    // however often (and by however many scrapers) the route is asked.
    #[allow(clippy::cast_precision_loss)]
    let stale = state
        .stale_evaluations
        .get(|| async { state.store.stale_evaluations().await.map(|n| n as f64) })
        .await
        .unwrap_or(-1.0);
    // Counting reads every unfired timer and every undelivered notification: at most once per
    // `metrics-refresh-ms` (-1: unknown).
    #[allow(clippy::cast_precision_loss)]
    let [due, scheduled, failing] = cached(&state.timer_counts, || async {
        let c = state.store.timer_counts().await?;
        Ok([c.due as f64, c.scheduled as f64, c.failing as f64])
    })
    .await;
    #[allow(clippy::cast_precision_loss)]
    let [undispatched, pending, failed] = cached(&state.outbox_counts, || async {
        let c = state.store.outbox_counts().await?;
        Ok([c.undispatched as f64, c.pending as f64, c.failed as f64])
    })
    .await;
    #[allow(clippy::cast_precision_loss)]
    let gauges = [
        (
            "apptrust_timers_due",
            "Timers due now or earlier that have not fired (late when this stays above zero; -1: unknown).",
            due,
        ),
        (
            "apptrust_timers_scheduled",
            "Timers waiting for a later time.",
            scheduled,
        ),
        (
            "apptrust_timers_failing",
            "Unfired timers whose last firing failed (retried with growing gaps).",
            failing,
        ),
        (
            "apptrust_outbox_undispatched",
            "Notifications not yet turned into deliveries (-1: unknown).",
            undispatched,
        ),
        (
            "apptrust_deliveries_pending",
            "Webhook and e-mail deliveries not yet delivered and still being retried.",
            pending,
        ),
        (
            "apptrust_deliveries_failed",
            "Deliveries whose retries ran out (they can be redelivered on request).",
            failed,
        ),
        (
            "apptrust_stale_evaluations",
            "Versions waiting for re-evaluation by the current rules engine, counted at most once per metrics-refresh-ms (-1: unknown).",
            stale,
        ),
        (
            "apptrust_trust_cache_entries",
            "Trust documents held in memory.",
            state.trust_cache.len() as f64,
        ),
        (
            "apptrust_trust_cache_negatives",
            "Unknown app keys remembered as such (at most max-trust-negatives).",
            state.trust_cache.negatives() as f64,
        ),
        (
            "apptrust_evaluation_slots_free",
            "Ordinary manifest evaluations that could start now.",
            state.evaluator.free_slots() as f64,
        ),
        (
            "apptrust_evaluation_large_lane_free",
            "1 when no large manifest is being evaluated or waiting to be.",
            f64::from(u8::from(state.evaluator.large_lane_free())),
        ),
    ];
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(&gauges),
    )
}
