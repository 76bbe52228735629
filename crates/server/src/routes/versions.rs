//! Versions (what deployments created), newest first.

use apptrust_api::error::ErrorBody;
use apptrust_api::versions::{Version, VersionPage, VersionQuery};
use apptrust_programs::AppVersion;
use axum::extract::{Path, Query, State};

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::openapi::responses as r;
use crate::routes::page_limit;
use crate::state::AppState;
use crate::views;

fn parse_version(text: &str) -> Result<AppVersion, ApiError> {
    text.parse::<AppVersion>()
        .map_err(|e| ApiError::unprocessable(e.to_string()))
}

/// `GET /api/v1/apps/{app}/environments/{env}/versions`.
#[utoipa::path(
    get,
    path = "/apps/{app}/environments/{env}/versions",
    operation_id = "listVersions",
    tag = "versions",
    summary = "List the versions of an environment.",
    description = "Versions of one environment, newest first, without manifests. For the app's partner and staff. Unknown query parameters are a 400.",
    params(
        ("app" = String, Path, description = "The app key.", example = "com.example.app"),
        ("env" = String, Path, description = "The environment name.", example = "production"),
        VersionQuery,
    ),
    responses(
        (status = 200, description = "A page of versions.", body = VersionPage),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    Path((key, env)): Path<(String, String)>,
    query: Result<Query<VersionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<VersionPage>, ApiError> {
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
    Ok(axum::Json(VersionPage {
        versions: versions.into_iter().map(views::version).collect(),
        next,
    }))
}

/// `GET /api/v1/apps/{app}/environments/{env}/deployments`: the same list as `.../versions`.
#[utoipa::path(
    get,
    path = "/apps/{app}/environments/{env}/deployments",
    operation_id = "listDeployments",
    tag = "versions",
    summary = "List the deployments (versions) of an environment; the same as `.../versions`.",
    description = "Versions of one environment, newest first, without manifests. For the app's partner and staff. Unknown query parameters are a 400.",
    params(
        ("app" = String, Path, description = "The app key.", example = "com.example.app"),
        ("env" = String, Path, description = "The environment name.", example = "production"),
        VersionQuery,
    ),
    responses(
        (status = 200, description = "A page of versions.", body = VersionPage),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn list_deployments(
    state: State<AppState>,
    caller: SignedIn,
    path: Path<(String, String)>,
    query: Result<Query<VersionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<VersionPage>, ApiError> {
    list(state, caller, path, query).await
}

/// `GET /api/v1/apps/{app}/environments/{env}/versions/{version}`: with the manifest.
#[utoipa::path(
    get,
    path = "/apps/{app}/environments/{env}/versions/{version}",
    operation_id = "showVersion",
    tag = "versions",
    summary = "One version with its manifest, evaluation, change report and badge events.",
    params(
        ("app" = String, Path, description = "The app key.", example = "com.example.app"),
        ("env" = String, Path, description = "The environment name.", example = "production"),
        ("version" = String, Path, description = "`MAJOR.MINOR.PATCH`, no leading zeros.", example = "1.2.0", pattern = "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)$"),
    ),
    responses(
        (status = 200, description = "The version, with `manifest`.", body = Version),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, description = "`invalid`: the version is not `MAJOR.MINOR.PATCH`.", body = ErrorBody),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path((key, env, version)): Path<(String, String, String)>,
) -> Result<axum::Json<Version>, ApiError> {
    let app = caller.app(&state, &key).await?;
    let version = parse_version(&version)?;
    Ok(axum::Json(views::version(
        state.store.version(&app, &env, version).await?,
    )))
}
