//! Users, their tokens and their sessions.

use apptrust_store::Page;
use apptrust_store::tokens::NewToken;
use apptrust_store::users::{NewUser, Role};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::auth::{SignedIn, Via};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::{PageQuery, next_cursor, probe};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    name: String,
    email: String,
    role: String,
    partner: Option<String>,
    site: Option<String>,
}

/// `POST /api/v1/users` (staff): creates a user; the answer holds their token, shown only once.
pub async fn create(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<impl IntoResponse, ApiError> {
    let staff = caller.staff()?;
    let role = Role::parse(&body.role).ok_or_else(|| {
        ApiError::unprocessable("`role` must be `partner`, `staff` or `site-admin`")
    })?;
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
        axum::Json(json!({"user": user, "token": token})),
    ))
}

/// `GET /api/v1/users` (staff): every user, a page at a time.
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let page = PageQuery::parse(query)?;
    caller.staff()?;
    let mut users = state.store.users(probe(page)).await?;
    let next = next_cursor(&mut users, page, |u| u.id);
    Ok(axum::Json(json!({"users": users, "next": next})))
}

/// `GET /api/v1/users/{id}` (staff).
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    caller.staff()?;
    Ok(axum::Json(
        json!({"user": state.store.user_by_id(id).await?}),
    ))
}

/// `POST /api/v1/users/{id}/disable` (staff): refuses every credential of the user from now on,
/// revokes their tokens and ends their sessions.
pub async fn disable(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let staff = caller.staff()?;
    let user = state.store.disable_user(id, &staff.actor()).await?;
    Ok(axum::Json(json!({"user": user})))
}

/// `POST /api/v1/users/{id}/enable` (staff): lets the user sign in again with a token that staff
/// issue (`POST /api/v1/users/{id}/tokens`); their old credentials stay revoked.
pub async fn enable(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let staff = caller.staff()?;
    let user = state.store.enable_user(id, &staff.actor()).await?;
    Ok(axum::Json(json!({"user": user})))
}

/// `GET /api/v1/users/{id}/tokens` (staff).
pub async fn user_tokens(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let page = PageQuery::parse(query)?;
    caller.staff()?;
    state.store.user_by_id(id).await?;
    tokens_page(&state, id, page).await
}

/// `POST /api/v1/users/{id}/tokens` (staff): issues a token for the user, shown once.
pub async fn issue_user_token(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<impl IntoResponse, ApiError> {
    let staff = caller.staff()?;
    let new = body.new_token(&state.store, None)?;
    let (info, token) = state
        .store
        .issue_token_for(id, &new, state.settings.max_tokens_per_user, &staff.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(issued(&info, &token))))
}

/// `DELETE /api/v1/users/{id}/tokens` (staff): revokes every token of the user and ends their
/// sessions (a leaked credential).
pub async fn revoke_user_tokens(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let staff = caller.staff()?;
    let ended = state.store.revoke_all_tokens(id, &staff.actor()).await?;
    Ok(axum::Json(ended))
}

/// `GET /api/v1/me`: who the credentials belong to.
pub async fn me(caller: SignedIn) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(json!({"user": caller.user()})))
}

/// The longest a token may be issued for, in days.
const MAX_TOKEN_DAYS: i64 = 3650;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateToken {
    label: String,
    /// RFC 3339; the token is refused after it.
    expires_at: Option<String>,
    /// Whole days from now (1 to 3,650), instead of `expiresAt`.
    expires_in_days: Option<i64>,
}

impl CreateToken {
    fn new_token(
        &self,
        store: &apptrust_store::Store,
        parent: Option<i64>,
    ) -> Result<NewToken<'_>, ApiError> {
        let expires_at = match (&self.expires_at, self.expires_in_days) {
            (Some(_), Some(_)) => {
                return Err(ApiError::unprocessable(
                    "give `expiresAt` or `expiresInDays`, not both",
                ));
            }
            (Some(at), None) => {
                let at = apptrust_store::clock::parse(at).ok_or_else(|| {
                    ApiError::unprocessable("`expiresAt` must be an RFC 3339 time")
                })?;
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
            label: &self.label,
            expires_at,
            parent,
        })
    }
}

fn issued(info: &apptrust_store::tokens::TokenInfo, token: &str) -> serde_json::Value {
    json!({
        "token": token, "id": info.id, "label": info.label, "expiresAt": info.expires_at,
    })
}

/// `POST /api/v1/me/tokens`: another token for the caller (e.g. one per CI pipeline). It
/// descends from the caller's token: revoking that one revokes this one too.
pub async fn create_token(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<impl IntoResponse, ApiError> {
    let new = body.new_token(&state.store, caller.token_id())?;
    let (info, token) = state
        .store
        .create_token(
            caller.user(),
            &new,
            state.settings.max_tokens_per_user,
            &caller.user().actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(issued(&info, &token))))
}

async fn tokens_page(
    state: &AppState,
    user_id: i64,
    page: Page,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let mut tokens = state.store.tokens(user_id, probe(page)).await?;
    let next = next_cursor(&mut tokens, page, |t| t.id);
    Ok(axum::Json(json!({"tokens": tokens, "next": next})))
}

/// `GET /api/v1/me/tokens`: the caller's tokens (labels and dates; secrets are never stored),
/// a page at a time.
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: SignedIn,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let page = PageQuery::parse(query)?;
    tokens_page(&state, caller.user().id, page).await
}

/// `DELETE /api/v1/me/tokens/{id}`: revokes one of the caller's tokens at once, with every token
/// issued under it and every session opened with them.
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let user = caller.user();
    state.store.revoke_token(user, id, &user.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me/sessions`: the caller's live sessions; `current` marks the one asking.
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: SignedIn,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let page = PageQuery::parse(query)?;
    let mut sessions = state.store.sessions(caller.user().id, probe(page)).await?;
    let next = next_cursor(&mut sessions, page, |s| s.id);
    let current = match caller.1 {
        Via::Session { id, .. } => Some(id),
        Via::Token { .. } => None,
    };
    let sessions: Vec<serde_json::Value> = sessions
        .iter()
        .map(|s| {
            let mut value = json!(s);
            if let Some(map) = value.as_object_mut() {
                map.insert("current".into(), (Some(s.id) == current).into());
            }
            value
        })
        .collect();
    Ok(axum::Json(json!({"sessions": sessions, "next": next})))
}

/// `DELETE /api/v1/me/sessions/{id}`: ends one of the caller's sessions (a browser left signed
/// in elsewhere).
pub async fn end_session(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    state.store.end_session(caller.user(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
