//! Logs: `tracing` to standard error, as text for people or JSON lines for collectors
//! (`--log-format json`), every line written while a request is handled carrying its id.
//!
//! Each request gets an id (`<instance>-<n>`, unique across instances sharing a database), sent
//! back in the `X-Request-Id` header, so that a user's error report finds its log lines. One
//! line per request is written at `debug` level (off by default: at tens of thousands of trust
//! reads a second, access logs belong to the proxy in front); errors and warnings always.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::state::AppState;

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

/// Middleware: gives the request its id, handles it inside a span that carries the id, and
/// returns the id in `X-Request-Id`.
pub async fn with_request_id(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = format!(
        "{}-{}",
        state.instance,
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let method = request.method().clone();
    let path = request.uri().path().chars().take(200).collect::<String>();
    let span = tracing::info_span!("request", request_id = %id);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::debug!(
            method = %method,
            path = %path,
            status = response.status().as_u16(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
