//! Browser sessions: sign in with an API token once, then use an HttpOnly cookie plus the CSRF
//! token returned here.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{CSRF_HEADER, SESSION_COOKIE, SignedIn, session_cookie};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    token: String,
}

/// `POST /api/v1/session`: exchanges an API token for a session cookie and a CSRF token.
pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let user = state
        .store
        .user_by_token(body.token.trim())
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "the token is unknown or revoked",
            )
        })?;
    let (secret, csrf) = state
        .store
        .create_session(&user, state.settings.session_hours)
        .await?;
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        state.settings.session_hours * 3600
    );
    let body = json!({"user": user, "csrfToken": csrf, "csrfHeader": CSRF_HEADER});
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, cookie)],
        axum::Json(body),
    )
        .into_response())
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
        "user": session.user,
        "csrfToken": session.csrf_token,
        "csrfHeader": CSRF_HEADER,
    }))
    .into_response())
}

/// `DELETE /api/v1/session`: signs out (needs the CSRF token like any change).
pub async fn end(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    let secret = session_cookie(&parts).ok_or_else(ApiError::unauthorized)?;
    let caller = SignedIn::from_request_parts(&mut parts, &state).await?;
    state.store.end_session(caller.user(), &secret).await?;
    let cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
