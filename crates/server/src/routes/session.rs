//! Browser sessions: sign in with an API token once, then use an HttpOnly cookie plus the CSRF
//! token returned here.

use apptrust_api::error::ErrorBody;
use apptrust_api::session::{CurrentSession, NewSession, SignIn};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::{CSRF_HEADER, SESSION_COOKIE, SignedIn, Via, session_cookie};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::state::AppState;
use crate::views;

/// `POST /api/v1/session`: exchanges an API token for a session cookie and a CSRF token. The
/// session ends no later than the token, and with it if the token is revoked.
#[utoipa::path(
    post,
    path = "/session",
    operation_id = "signIn",
    tag = "session",
    summary = "Exchange an API token for a browser session.",
    description = "Sets the HttpOnly, SameSite=Strict `apptrust_session` cookie and returns the CSRF token that every non-GET request authenticated by that cookie must echo in `X-CSRF-Token`. Other credentials on the request are ignored. The session lasts `session-hours` but ends no later than the token expires (`expiresAt`), and ends at once when the token (or one it descends from) is revoked or the user is disabled. A user keeps at most 20 live sessions: signing in again ends the oldest. The body may be at most 1 KiB (`max-sign-in-body-bytes`), else 413.",
    request_body = SignIn,
    responses(
        (status = 201, description = "Signed in.", body = NewSession, headers(("Set-Cookie" = String, description = "`apptrust_session=...; HttpOnly; SameSite=Strict; Path=/; Max-Age=...`, plus `; Secure` when the server is reachable beyond loopback or the request came over HTTPS (or as `secure-cookies` says)."))),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 408, response = r::BodyTimeout),
        (status = 413, response = r::TooLarge),
        (status = 415, response = r::UnsupportedMediaType),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(()),
)]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let opened = open(&state, &headers, &body.token).await?;
    let body = NewSession {
        user: views::user(&opened.user),
        csrf_token: opened.csrf_token,
        csrf_header: CSRF_HEADER.to_string(),
        expires_at: opened.expires_at,
    };
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, opened.cookie)],
        axum::Json(body),
    )
        .into_response())
}

/// A session just opened: its cookie to set, its user and CSRF token.
pub(crate) struct Opened {
    pub cookie: String,
    pub user: apptrust_store::users::User,
    pub csrf_token: String,
    pub expires_at: String,
}

/// Opens a session for the holder of API token `token` (the API's sign-in and the sign-in
/// page alike).
pub(crate) async fn open(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
) -> Result<Opened, ApiError> {
    let holder = state
        .store
        .token_holder(token.trim())
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
    let secure = if secure_cookie(state, headers) {
        "; Secure"
    } else {
        ""
    };
    Ok(Opened {
        cookie: format!(
            "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
            opened.secret, opened.max_age
        ),
        user: holder.user,
        csrf_token: opened.csrf_token,
        expires_at: opened.expires_at,
    })
}

/// Whether the session cookie gets `Secure`: as configured, or automatically when the server
/// is reachable beyond loopback or a proxy in front says the request came over HTTPS.
pub(crate) fn secure_cookie(state: &AppState, headers: &HeaderMap) -> bool {
    state.settings.secure_cookies.unwrap_or_else(|| {
        let https = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        !state.loopback || https
    })
}

/// `GET /api/v1/session`: the signed-in user and the CSRF token to send with changes.
#[utoipa::path(
    get,
    path = "/session",
    operation_id = "showSession",
    tag = "session",
    summary = "The signed-in user, the session's id and its CSRF token.",
    responses(
        (status = 200, description = "The session.", body = CurrentSession),
        (status = 401, response = r::Unauthorized),
        (status = "default", response = r::ServerError),
    ),
    security(("sessionCookie" = [])),
)]
pub async fn show(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    let secret = session_cookie(&parts).ok_or_else(ApiError::unauthorized)?;
    SignedIn::from_request_parts(&mut parts, &state).await?;
    let session = state
        .store
        .session(&secret)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(axum::Json(CurrentSession {
        id: session.id,
        user: views::user(&session.user),
        csrf_token: session.csrf_token,
        csrf_header: CSRF_HEADER.to_string(),
    })
    .into_response())
}

/// `DELETE /api/v1/session`: signs out (needs the CSRF token like any change).
#[utoipa::path(
    delete,
    path = "/session",
    operation_id = "signOut",
    tag = "session",
    summary = "End the session.",
    description = "Needs the session cookie and, like any change made with it, the CSRF token. A request that carries a bearer token is authenticated by the token, not a cookie, and is refused with 400: revoke tokens with `DELETE /api/v1/me/tokens/{id}`.",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared.", headers(("Set-Cookie" = String, description = "`apptrust_session=; ...; Max-Age=0`"))),
        (status = 400, description = "`bad-request`: the request carries a bearer token instead of a session cookie.", body = ErrorBody),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = "default", response = r::ServerError),
    ),
    security(("sessionCookie" = [], "csrfToken" = [])),
)]
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
