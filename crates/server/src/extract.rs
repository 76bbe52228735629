//! A JSON body extractor whose refusals are JSON errors with a precise message. The body is read
//! within the route's size limit (`DefaultBodyLimit` on the route) and the `body-read-timeout-ms`
//! deadline, and a large body is parsed on a blocking thread so that a flood of big payloads
//! cannot stall the async threads that answer everyone else.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// Bodies larger than this are parsed off the async threads.
const PARSE_INLINE_BYTES: usize = 64 * 1024;

/// `Json<T>` with API errors, limits and a deadline.
pub struct ApiJson<T>(pub T);

impl<T> FromRequest<AppState> for ApiJson<T>
where
    T: DeserializeOwned + Send + 'static,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        if !is_json(&request) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let deadline = std::time::Duration::from_millis(state.settings.body_read_timeout_ms.max(1));
        let bytes = tokio::time::timeout(deadline, Bytes::from_request(request, state))
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "body-timeout",
                    "the request body did not arrive in time (`body-read-timeout-ms`)",
                )
            })?
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too-large",
                        "the request body is larger than this route accepts (see the limits in \
                         docs/service.md)",
                    )
                } else {
                    ApiError::bad_request(format!(
                        "the body could not be read: {}",
                        rejection.body_text()
                    ))
                }
            })?;
        if bytes.len() <= PARSE_INLINE_BYTES {
            parse(&bytes).map(ApiJson)
        } else {
            tokio::task::spawn_blocking(move || parse(&bytes))
                .await
                .map_err(|_| ApiError::internal())?
                .map(ApiJson)
        }
    }
}

fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if has_nul_escape(bytes) {
        return Err(ApiError::unprocessable(
            "text in the body must not contain NUL characters",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            ApiError::unprocessable(format!("the JSON does not have the expected shape: {e}"))
        }
        _ => ApiError::bad_request(format!("the body is not valid JSON: {e}")),
    })
}

/// True when a JSON text encodes a NUL (`\u0000`) in a string or key: PostgreSQL cannot store
/// one, and no manifest, name or key needs one. (A raw NUL is not valid JSON at all.)
fn has_nul_escape(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            // Skip the escaped character, so that `\\u0000` (a backslash, then text) is not one.
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::has_nul_escape;

    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not_mistaken_for_them() {
        assert!(has_nul_escape(br#"{"a": "x\u0000y"}"#));
        assert!(has_nul_escape(br#"{"a\u0000": 1}"#));
        assert!(has_nul_escape(br#"{"a": "\\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a": "\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a": "\u0001"}"#));
    }
}
