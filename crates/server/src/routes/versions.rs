//! Versions (what deployments created), newest first.

use apptrust_programs::AppVersion;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::routes::page_limit;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only versions older than this one (the paging cursor).
    before: Option<String>,
    limit: Option<i64>,
}

fn parse_version(text: &str) -> Result<AppVersion, ApiError> {
    text.parse::<AppVersion>()
        .map_err(|e| ApiError::unprocessable(e.to_string()))
}

/// `GET /api/v1/apps/{app}/environments/{env}/versions`.
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    Path((key, env)): Path<(String, String)>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let app = caller.app(&state, &key).await?;
    state.store.require_environment(&app, &env).await?;
    let limit = page_limit(query.limit)?;
    let before = query.before.as_deref().map(parse_version).transpose()?;
    // One more than asked tells whether another page exists.
    let mut versions = state.store.versions(&app, &env, limit + 1, before).await?;
    let more = versions.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    versions.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = more
        .then(|| versions.last().map(|v| v.version.clone()))
        .flatten();
    Ok(axum::Json(json!({"versions": versions, "next": next})))
}

/// `GET /api/v1/apps/{app}/environments/{env}/versions/{version}`: with the manifest.
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path((key, env, version)): Path<(String, String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let app = caller.app(&state, &key).await?;
    let version = parse_version(&version)?;
    Ok(axum::Json(state.store.version(&app, &env, version).await?))
}
