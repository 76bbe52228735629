//! Logs: `tracing` to standard error, as text for people or JSON lines for collectors
//! (`--log-format json`), every line written while a request is handled carrying its id.
//!
//! Each request gets an id (`<instance>-<n>`, unique across instances sharing a database), sent
//! back in the `X-Request-Id` header, so that a user's error report finds its log lines. One
//! line per request is written at `debug` level (off by default: at tens of thousands of trust
//! reads a second, access logs belong to the proxy in front); errors and warnings always.

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

/// Middleware: gives the request its id, handles it inside a span that carries the id, and
/// returns the id in `X-Request-Id`. It runs on every request, the hottest path there is, so it
/// takes no state and builds nothing the log level will not use.
pub async fn with_request_id(request: Request, next: Next) -> Response {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let instance = INSTANCE.get().map_or("instance", String::as_str);
    let id = format!("{instance}-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let span = tracing::info_span!("request", request_id = %id);
    let access = tracing::enabled!(tracing::Level::DEBUG).then(|| {
        let path: String = request.uri().path().chars().take(200).collect();
        (request.method().clone(), path, Instant::now())
    });
    let mut response = next.run(request).instrument(span.clone()).await;
    if let Some((method, path, started)) = access {
        span.in_scope(|| {
            tracing::debug!(
                method = %method,
                path = %path,
                status = response.status().as_u16(),
                ms = started.elapsed().as_secs_f64() * 1000.0,
                "answered"
            );
        });
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
