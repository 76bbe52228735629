//! Users, their tokens and their sessions.

use apptrust_api::error::ErrorBody;
use apptrust_api::session::SessionPage;
use apptrust_api::tokens::{CreateToken, IssuedToken, RevokedCredentials, TokenPage};
use apptrust_api::users::{CreateUser, CreatedUser, UserPage, UserResponse};
use apptrust_store::Page;
use apptrust_store::tokens::NewToken;
use apptrust_store::users::{NewUser, Role};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use crate::auth::{SignedIn, Via};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::routes::{PageQuery, next_cursor, probe};
use crate::state::AppState;
use crate::views;

/// `POST /api/v1/users` (staff): creates a user; the answer holds their token, shown only once.
#[utoipa::path(
    post,
    path = "/users",
    operation_id = "createUser",
    tag = "users",
    summary = "Create a user and their first API token (staff only).",
    description = "Staff only. Cookie-authenticated callers must send `X-CSRF-Token`.",
    request_body = CreateUser,
    responses(
        (status = 201, description = "The user and their token, shown only once.", body = CreatedUser),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, description = "`not-found`: no partner with that key.", body = ErrorBody),
        (status = 408, response = r::BodyTimeout),
        (status = 409, description = "`conflict`: a user with that e-mail already exists.", body = ErrorBody),
        (status = 413, response = r::TooLarge),
        (status = 415, response = r::UnsupportedMediaType),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    let staff = caller.staff()?;
    let role = Role::parse(&body.role).ok_or_else(|| {
        ApiError::unprocessable("`role` must be `partner`, `staff`, `site-admin` or `platform`")
    })?;
    // A site admin acts on exactly one site; no one else has one.
    match (role, body.site.as_deref()) {
        (Role::SiteAdmin, Some(site)) => apptrust_service::installations::check_site_key(site)?,
        (Role::SiteAdmin, None) => {
            return Err(ApiError::unprocessable(
                "a `site-admin` needs `site`: the key of the site they administer",
            ));
        }
        (_, Some(_)) => {
            return Err(ApiError::unprocessable("only a `site-admin` has a `site`"));
        }
        (_, None) => {}
    }
    let new = NewUser {
        name: body.name,
        email: body.email,
        role,
        partner: body.partner,
        site: body.site,
    };
    let (user, token) = state.store.create_user(&new, &staff.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: views::user(&user),
            token,
        }),
    ))
}

/// `GET /api/v1/users` (staff): every user, a page at a time.
#[utoipa::path(
    get,
    path = "/users",
    operation_id = "listUsers",
    tag = "users",
    summary = "Every user in id order, a page at a time (staff only).",
    description = "Staff only. Unknown query parameters are a 400.",
    params(
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of users.", body = UserPage),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<UserPage>, ApiError> {
    let page = crate::routes::page(query)?;
    caller.staff()?;
    let mut users = state.store.users(probe(page)).await?;
    let next = next_cursor(&mut users, page, |u| u.id);
    Ok(Json(UserPage {
        users: users.iter().map(views::user).collect(),
        next,
    }))
}

/// `GET /api/v1/users/{id}` (staff).
#[utoipa::path(
    get,
    path = "/users/{id}",
    operation_id = "showUser",
    tag = "users",
    summary = "One user, with `disabledAt` when disabled (staff only).",
    params(
        ("id" = i64, Path, description = "The user's id."),
    ),
    responses(
        (status = 200, description = "The user.", body = UserResponse),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<UserResponse>, ApiError> {
    caller.staff()?;
    let user = state.store.user_by_id(id).await?;
    Ok(Json(UserResponse {
        user: views::user(&user),
    }))
}

/// `POST /api/v1/users/{id}/disable` (staff): refuses every credential of the user from now on,
/// revokes their tokens and ends their sessions.
#[utoipa::path(
    post,
    path = "/users/{id}/disable",
    operation_id = "disableUser",
    tag = "users",
    summary = "Disable a user: revoke their tokens, end their sessions and refuse every credential of theirs until they are enabled (staff only).",
    description = "Staff only; staff cannot disable themselves. Disabling a disabled user changes nothing. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(
        ("id" = i64, Path, description = "The user's id."),
    ),
    responses(
        (status = 200, description = "The user, with `disabledAt`.", body = UserResponse),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, description = "`invalid`: staff cannot disable themselves.", body = ErrorBody),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn disable(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<UserResponse>, ApiError> {
    let staff = caller.staff()?;
    let user = state.store.disable_user(id, &staff.actor()).await?;
    Ok(Json(UserResponse {
        user: views::user(&user),
    }))
}

/// `POST /api/v1/users/{id}/enable` (staff): lets the user sign in again with a token that staff
/// issue (`POST /api/v1/users/{id}/tokens`); their old credentials stay revoked.
#[utoipa::path(
    post,
    path = "/users/{id}/enable",
    operation_id = "enableUser",
    tag = "users",
    summary = "Enable a disabled user; their old credentials stay revoked (staff only).",
    description = "Staff only. Issue the user a new token with `POST /api/v1/users/{id}/tokens`. Enabling an enabled user changes nothing. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(
        ("id" = i64, Path, description = "The user's id."),
    ),
    responses(
        (status = 200, description = "The user, without `disabledAt`.", body = UserResponse),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn enable(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<UserResponse>, ApiError> {
    let staff = caller.staff()?;
    let user = state.store.enable_user(id, &staff.actor()).await?;
    Ok(Json(UserResponse {
        user: views::user(&user),
    }))
}

/// `GET /api/v1/users/{id}/tokens` (staff).
#[utoipa::path(
    get,
    path = "/users/{id}/tokens",
    operation_id = "listUserTokens",
    tag = "users",
    summary = "A user's API tokens, a page at a time (staff only).",
    description = "Staff only. Oldest first, revoked and expired ones included. Unknown query parameters are a 400.",
    params(
        ("id" = i64, Path, description = "The user's id."),
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of tokens, oldest first.", body = TokenPage),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn user_tokens(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<TokenPage>, ApiError> {
    let page = crate::routes::page(query)?;
    caller.staff()?;
    state.store.user_by_id(id).await?;
    tokens_page(&state, id, page).await
}

/// `POST /api/v1/users/{id}/tokens` (staff): issues a token for the user, shown once.
#[utoipa::path(
    post,
    path = "/users/{id}/tokens",
    operation_id = "issueUserToken",
    tag = "users",
    summary = "Issue an API token for a user, e.g. after enabling them or for a lost token (staff only).",
    description = "Staff only. Cookie-authenticated callers must send `X-CSRF-Token`. The token descends from no other token: revoking the staff member's own tokens leaves it alone.",
    params(
        ("id" = i64, Path, description = "The user's id."),
    ),
    request_body = CreateToken,
    responses(
        (status = 201, description = "The token, shown only once.", body = IssuedToken),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 408, response = r::BodyTimeout),
        (status = 409, description = "`conflict`: the user is disabled (enable them first) or already holds `max-tokens-per-user` (default 100) live tokens.", body = ErrorBody),
        (status = 413, response = r::TooLarge),
        (status = 415, response = r::UnsupportedMediaType),
        (status = 422, description = "Invalid expiry, or the user is staff: tokens for staff users are not issued by others.", body = ErrorBody),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn issue_user_token(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    let staff = caller.staff()?;
    let new = new_token(&body, &state.store, None)?;
    let (info, token) = state
        .store
        .issue_token_for(id, &new, state.settings.max_tokens_per_user, &staff.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(views::issued_token(info, token))))
}

/// `DELETE /api/v1/users/{id}/tokens` (staff): revokes every token of the user and ends their
/// sessions (a leaked credential).
#[utoipa::path(
    delete,
    path = "/users/{id}/tokens",
    operation_id = "revokeUserTokens",
    tag = "users",
    summary = "Revoke every token of a user and end every session of theirs, e.g. for a leaked credential (staff only).",
    description = "Staff only. Cookie-authenticated callers must send `X-CSRF-Token`. The user stays enabled; issue them a new token with `POST /api/v1/users/{id}/tokens`.",
    params(
        ("id" = i64, Path, description = "The user's id."),
    ),
    responses(
        (status = 200, description = "What was revoked and ended.", body = RevokedCredentials),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn revoke_user_tokens(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<RevokedCredentials>, ApiError> {
    let staff = caller.staff()?;
    let ended = state.store.revoke_all_tokens(id, &staff.actor()).await?;
    Ok(Json(views::revoked(&ended)?))
}

/// `GET /api/v1/me`: who the credentials belong to.
#[utoipa::path(
    get,
    path = "/me",
    operation_id = "me",
    tag = "users",
    summary = "Who the credentials belong to.",
    responses(
        (status = 200, description = "The caller.", body = UserResponse),
        (status = 401, response = r::Unauthorized),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn me(caller: SignedIn) -> Result<Json<UserResponse>, ApiError> {
    Ok(Json(UserResponse {
        user: views::user(caller.user()),
    }))
}

/// The longest a token may be issued for, in days.
const MAX_TOKEN_DAYS: i64 = 3650;

/// The token `body` asks for, its expiry checked and made absolute.
fn new_token<'a>(
    body: &'a CreateToken,
    store: &apptrust_store::Store,
    parent: Option<i64>,
) -> Result<NewToken<'a>, ApiError> {
    let expires_at = match (&body.expires_at, body.expires_in_days) {
        (Some(_), Some(_)) => {
            return Err(ApiError::unprocessable(
                "give `expiresAt` or `expiresInDays`, not both",
            ));
        }
        (Some(at), None) => {
            let at = apptrust_store::clock::parse(at)
                .ok_or_else(|| ApiError::unprocessable("`expiresAt` must be an RFC 3339 time"))?;
            if at > store.from_now(MAX_TOKEN_DAYS * 86_400) {
                return Err(ApiError::unprocessable(
                    "`expiresAt` must be within 3650 days from now",
                ));
            }
            Some(at)
        }
        (None, Some(days)) if (1..=MAX_TOKEN_DAYS).contains(&days) => {
            Some(store.from_now(days * 86_400))
        }
        (None, Some(_)) => {
            return Err(ApiError::unprocessable(
                "`expiresInDays` must be between 1 and 3650",
            ));
        }
        (None, None) => None,
    };
    Ok(NewToken {
        label: &body.label,
        expires_at,
        parent,
    })
}

/// `POST /api/v1/me/tokens`: another token for the caller (e.g. one per CI pipeline). It
/// descends from the caller's token: revoking that one revokes this one too.
#[utoipa::path(
    post,
    path = "/me/tokens",
    operation_id = "createToken",
    tag = "users",
    summary = "Create another API token for the caller (e.g. one per CI pipeline).",
    description = "Any signed-in user. Cookie-authenticated callers must send `X-CSRF-Token`. The token may expire (`expiresAt` or `expiresInDays`). It descends from the token behind the request (directly, or through the session opened with it): revoking that one revokes this one too. Refused with 409 while the caller holds `max-tokens-per-user` (default 100) live tokens.\n\nA token issued under an expiring token (or a session opened with one) expires with it at the latest: asking for no expiry, or a later one, gets the parent's. `expiresAt` must be in the future and within 3,650 days.",
    request_body = CreateToken,
    responses(
        (status = 201, description = "The token, shown only once.", body = IssuedToken),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 408, response = r::BodyTimeout),
        (status = 409, description = "`conflict`: the caller already holds `max-tokens-per-user` (default 100) live tokens; revoke one first.", body = ErrorBody),
        (status = 413, response = r::TooLarge),
        (status = 415, response = r::UnsupportedMediaType),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn create_token(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    let new = new_token(&body, &state.store, caller.token_id())?;
    let (info, token) = state
        .store
        .create_token(
            caller.user(),
            &new,
            state.settings.max_tokens_per_user,
            &caller.user().actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(views::issued_token(info, token))))
}

async fn tokens_page(
    state: &AppState,
    user_id: i64,
    page: Page,
) -> Result<Json<TokenPage>, ApiError> {
    let mut tokens = state.store.tokens(user_id, probe(page)).await?;
    let next = next_cursor(&mut tokens, page, |t| t.id);
    Ok(Json(TokenPage {
        tokens: tokens.into_iter().map(views::token).collect(),
        next,
    }))
}

/// `GET /api/v1/me/tokens`: the caller's tokens (labels and dates; secrets are never stored),
/// a page at a time.
#[utoipa::path(
    get,
    path = "/me/tokens",
    operation_id = "listTokens",
    tag = "users",
    summary = "The caller's API tokens, a page at a time: ids, labels and dates (secrets are never stored).",
    description = "Oldest first, revoked and expired ones included. Unknown query parameters are a 400.",
    params(
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of tokens, oldest first.", body = TokenPage),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: SignedIn,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<TokenPage>, ApiError> {
    let page = crate::routes::page(query)?;
    tokens_page(&state, caller.user().id, page).await
}

/// `DELETE /api/v1/me/tokens/{id}`: revokes one of the caller's tokens at once, with every token
/// issued under it and every session opened with them.
#[utoipa::path(
    delete,
    path = "/me/tokens/{id}",
    operation_id = "revokeToken",
    tag = "users",
    summary = "Revoke one of the caller's tokens and every token issued under it; they are refused from then on.",
    description = "Also ends every session opened with any of those tokens, the request's own included when it descends from them. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(
        ("id" = i64, Path, description = "The token's id."),
    ),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, description = "`not-found`: the caller has no unrevoked token with that id.", body = ErrorBody),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let user = caller.user();
    state.store.revoke_token(user, id, &user.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me/sessions`: the caller's live sessions; `current` marks the one asking.
#[utoipa::path(
    get,
    path = "/me/sessions",
    operation_id = "listSessions",
    tag = "session",
    summary = "The caller's live sessions, oldest first, a page at a time.",
    description = "Sessions that have expired or ended are left out. Unknown query parameters are a 400.",
    params(
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of sessions.", body = SessionPage),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: SignedIn,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<SessionPage>, ApiError> {
    let page = crate::routes::page(query)?;
    let mut sessions = state.store.sessions(caller.user().id, probe(page)).await?;
    let next = next_cursor(&mut sessions, page, |s| s.id);
    let current = match caller.1 {
        Via::Session { id, .. } => Some(id),
        Via::Token { .. } => None,
    };
    Ok(Json(SessionPage {
        sessions: sessions
            .into_iter()
            .map(|s| {
                let is_current = Some(s.id) == current;
                views::session(s, is_current)
            })
            .collect(),
        next,
    }))
}

/// `DELETE /api/v1/me/sessions/{id}`: ends one of the caller's sessions (a browser left signed
/// in elsewhere).
#[utoipa::path(
    delete,
    path = "/me/sessions/{id}",
    operation_id = "endSession",
    tag = "session",
    summary = "End one of the caller's sessions (e.g. a browser left signed in elsewhere).",
    description = "Cookie-authenticated callers must send `X-CSRF-Token`. Ending the request's own session does not clear its cookie; `DELETE /api/v1/session` does.",
    params(
        ("id" = i64, Path, description = "The session's id."),
    ),
    responses(
        (status = 204, description = "Ended."),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, description = "`not-found`: no live session of the caller has that id.", body = ErrorBody),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn end_session(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.store.end_session(caller.user(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
