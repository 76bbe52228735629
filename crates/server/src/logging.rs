//! Logs: `tracing` to standard error, as text for people or JSON lines for collectors
//! (`--log-format json`), every line written while a request is handled carrying its id.
//!
//! Each request gets an id (`<instance>-<n>`, unique across instances sharing a database), sent
//! back in the `X-Request-Id` header, so that a user's error report finds its log lines: the
//! service's warnings and errors written while a request is handled carry it as `request_id`.
//! At `debug` level every line does (the request runs in a span), and one access line per
//! request is written (off by default: at tens of thousands of trust reads a second, access logs
//! belong to the proxy in front, and a span per request costs a sixth of the throughput).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The response header carrying the request's id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Installs the process's log writer. Called once at start; a second call changes nothing.
pub fn init(format: &str, level: &str) -> Result<(), String> {
    let level: tracing::Level = level
        .parse()
        .map_err(|_| format!("log level `{level}`: use error, warn, info, debug or trace"))?;
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false);
    let installed = match format {
        "text" => builder.with_ansi(false).try_init(),
        "json" => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        other => return Err(format!("log format `{other}`: use text or json")),
    };
    // Already installed (tests start the service twice in one process): keep the first.
    let _ = installed;
    Ok(())
}

/// This instance's name, the prefix of its request ids (set once at start).
static INSTANCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the instance in request ids; the first call wins.
pub fn set_instance(instance: &str) {
    let _ = INSTANCE.set(instance.to_string());
}

tokio::task_local! {
    /// The id of the request the current task is handling.
    static REQUEST_ID: String;
}

/// The id of the request being handled, for log lines written outside a request span (at
/// `info` and above no span is made; see [`with_request_id`]). Empty outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(String::clone).unwrap_or_default()
}

/// Gives the request its id, runs it, and returns the id in `X-Request-Id` (called by the
/// outermost layer, `headers::finish`). It runs on every
/// request, the hottest path there is, so it takes no state and builds nothing the log level
/// will not use: at `debug` the request runs inside a span carrying its id (so every line,
/// the database's included, names it) and ends with an access line; at `info` and above the
/// id is only kept for the task, and the service's own warnings and errors add it themselves.
pub async fn with_request_id(request: Request, next: Next) -> Response {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let instance = INSTANCE.get().map_or("instance", String::as_str);
    let id = format!("{instance}-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let header = HeaderValue::from_str(&id).ok();
    let mut response = if tracing::enabled!(tracing::Level::DEBUG) {
        let span = tracing::debug_span!("request", request_id = %id);
        let path: String = request.uri().path().chars().take(200).collect();
        let (method, started) = (request.method().clone(), Instant::now());
        let response = REQUEST_ID
            .scope(id, next.run(request).instrument(span.clone()))
            .await;
        span.in_scope(|| {
            tracing::debug!(
                method = %method,
                path = %path,
                status = response.status().as_u16(),
                ms = started.elapsed().as_secs_f64() * 1000.0,
                "answered"
            );
        });
        response
    } else {
        REQUEST_ID.scope(id, next.run(request)).await
    };
    if let Some(value) = header {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
