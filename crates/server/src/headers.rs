//! What every response leaves with: `Cache-Control: no-store` unless the route chose otherwise
//! (answers carry tokens, CSRF tokens and private data), `nosniff`, a strict Content Security
//! Policy on HTML, and the documented JSON body on every error, including the ones the router
//! and the extractors produce themselves (`405`, an unparsable path segment).

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The pages are server-rendered with one stylesheet of our own and no script.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The longest error text kept from a plain-text rejection.
const MAX_REJECTION_TEXT: usize = 4096;

/// Middleware: see the module doc.
pub async fn finish(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let for_a_person = wants_a_page(&request);
    // The request id rides on this layer rather than a layer of its own: each layer costs every
    // request (a boxed future, a clone of the service beneath), and this one runs anyway.
    let mut response = crate::logging::with_request_id(request, next).await;
    if response.status().is_client_error() || response.status().is_server_error() {
        response = as_json_error(response, &method).await;
        if for_a_person {
            response = as_page(response).await;
        }
    }
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    response
}

/// An error response that is not JSON yet, rewritten as the API's error body.
async fn as_json_error(response: Response, method: &axum::http::Method) -> Response {
    // A page's error is a page (see `web::PageError`), and stays one.
    let is_json_or_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if is_json_or_page {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_REJECTION_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let status = parts.status;
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            (
                "method-not-allowed",
                format!("this route does not accept {method}; it accepts: {allowed}"),
            )
        }
        StatusCode::NOT_FOUND => ("not-found", or(text, "no such resource")),
        StatusCode::PAYLOAD_TOO_LARGE => ("too-large", or(text, "the request body is too large")),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported-media-type", or(text, "unsupported body type"))
        }
        s if s.is_server_error() => (
            "internal",
            "the server failed; the error is in its log".into(),
        ),
        _ => ("bad-request", or(text, "the request is malformed")),
    };
    let mut error = ApiError::new(status, code, message).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            error.headers_mut().insert(name, value.clone());
        }
    }
    error
}

fn or(text: String, fallback: &str) -> String {
    if text.is_empty() {
        fallback.to_string()
    } else {
        text
    }
}

/// Whether an error should be answered as a page: a browser asking for HTML at an address
/// outside the API (a page's bad path segment, an unknown page, a form too large).
fn wants_a_page(request: &Request) -> bool {
    let path = request.uri().path();
    let api = ["/api/", "/healthz", "/readyz", "/metrics"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    !api && request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// A JSON error rewritten as a page with its status and message.
async fn as_page(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_REJECTION_TEXT * 4)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<apptrust_api::error::ErrorBody>(&bytes)
        .map(|b| b.error.message)
        .unwrap_or_else(|_| "the request was refused".to_string());
    let mut page = crate::web::error_page(parts.status, message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    page
}
