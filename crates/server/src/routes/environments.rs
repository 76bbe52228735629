//! Environments of an app.

use apptrust_programs::EnvironmentName;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// `GET /api/v1/apps/{app}/environments`.
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let app = caller.app(&state, &key).await?;
    Ok(axum::Json(
        json!({"environments": state.store.environments(&app).await?}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEnvironment {
    name: String,
}

/// `POST /api/v1/apps/{app}/environments`: adds a custom environment.
pub async fn create(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<CreateEnvironment>,
) -> Result<impl IntoResponse, ApiError> {
    let app = caller.app(&state, &key).await?;
    let user = caller.user();
    let name = EnvironmentName::parse(&body.name)?;
    let environment = state
        .store
        .create_environment(&app, &name, &user.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(environment)))
}
