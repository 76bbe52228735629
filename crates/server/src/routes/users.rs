//! Users and tokens.

use apptrust_programs::DisplayName;
use apptrust_store::users::{NewUser, Role};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
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

/// `GET /api/v1/me`: who the credentials belong to.
pub async fn me(caller: SignedIn) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(json!({"user": caller.user()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    label: String,
}

/// `POST /api/v1/me/tokens`: another token for the caller (e.g. one per CI pipeline).
pub async fn create_token(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<impl IntoResponse, ApiError> {
    let user = caller.user();
    DisplayName::parse("token label", &body.label)?;
    let token = state.store.create_token(user, &body.label).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"token": token, "label": body.label})),
    ))
}

/// `GET /api/v1/me/tokens`: the caller's tokens (labels and dates; secrets are never stored).
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: SignedIn,
) -> Result<impl IntoResponse, ApiError> {
    Ok(axum::Json(
        json!({"tokens": state.store.tokens(caller.user()).await?}),
    ))
}

/// `DELETE /api/v1/me/tokens/{id}`: revokes one of the caller's tokens at once.
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let user = caller.user();
    state.store.revoke_token(user, id, &user.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}
