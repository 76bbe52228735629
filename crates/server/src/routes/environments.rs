//! Environments of an app.

use apptrust_programs::EnvironmentName;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::{PageQuery, next_cursor, probe};
use crate::state::AppState;

/// `GET /api/v1/apps/{app}/environments`, a page at a time.
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let page = PageQuery::parse(query)?;
    let app = caller.app(&state, &key).await?;
    let mut environments = state.store.environments(&app, probe(page)).await?;
    let next = next_cursor(&mut environments, page, |e| e.id);
    Ok(axum::Json(
        json!({"environments": environments, "next": next}),
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
        .create_environment(
            &app,
            &name,
            state.settings.max_environments_per_app,
            &user.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(environment)))
}
