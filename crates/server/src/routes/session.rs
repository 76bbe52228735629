//! Browser sessions: sign in with an API token once, then use an HttpOnly cookie plus the CSRF
//! token returned here.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{CSRF_HEADER, SESSION_COOKIE, SignedIn, Via, session_cookie};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    token: String,
}

/// `POST /api/v1/session`: exchanges an API token for a session cookie and a CSRF token. The
/// session ends no later than the token, and with it if the token is revoked.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let holder = state
        .store
        .token_holder(body.token.trim())
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "the token is unknown, revoked or expired, or its user is disabled",
            )
        })?;
    let opened = state
        .store
        .create_session(
            &holder.user,
            holder.token_id,
            holder.expires_at.as_deref(),
            state.settings.session_hours,
        )
        .await
        .map_err(|error| match error {
            // The token was revoked (or its user disabled) while this request was in flight.
            apptrust_store::StoreError::Conflict(message) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid-credentials", message)
            }
            other => other.into(),
        })?;
    let secure = if secure_cookie(&state, &headers) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        opened.secret, opened.max_age
    );
    let body = json!({
        "user": holder.user, "csrfToken": opened.csrf_token, "csrfHeader": CSRF_HEADER,
        "expiresAt": opened.expires_at,
    });
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        axum::Json(body),
    )
        .into_response())
}

/// Whether the session cookie gets `Secure`: as configured, or automatically when the server
/// is reachable beyond loopback or a proxy in front says the request came over HTTPS.
fn secure_cookie(state: &AppState, headers: &HeaderMap) -> bool {
    state.settings.secure_cookies.unwrap_or_else(|| {
        let https = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        !state.loopback || https
    })
}

/// `GET /api/v1/session`: the signed-in user and the CSRF token to send with changes.
pub async fn show(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    let secret = session_cookie(&parts).ok_or_else(ApiError::unauthorized)?;
    SignedIn::from_request_parts(&mut parts, &state).await?;
    let session = state
        .store
        .session(&secret)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(axum::Json(json!({
        "id": session.id,
        "user": session.user,
        "csrfToken": session.csrf_token,
        "csrfHeader": CSRF_HEADER,
    }))
    .into_response())
}

/// `DELETE /api/v1/session`: signs out (needs the CSRF token like any change).
pub async fn end(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    let caller = SignedIn::from_request_parts(&mut parts, &state).await?;
    let Via::Session { id, .. } = caller.1 else {
        return Err(ApiError::bad_request(
            "this request carries a token, not a session cookie: revoke tokens at /api/v1/me/tokens",
        ));
    };
    state.store.end_session(caller.user(), id).await?;
    let cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
