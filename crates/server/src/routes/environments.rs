//! Environments of an app.

use apptrust_api::environments::{CreateEnvironment, Environment, EnvironmentPage};
use apptrust_api::error::ErrorBody;
use apptrust_programs::EnvironmentName;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::routes::{PageQuery, next_cursor, probe};
use crate::state::AppState;
use crate::views;

/// `GET /api/v1/apps/{app}/environments`, a page at a time.
#[utoipa::path(
    get,
    path = "/apps/{app}/environments",
    operation_id = "listEnvironments",
    tag = "environments",
    summary = "The app's environments with their latest versions, oldest first, a page at a time.",
    description = "Unknown query parameters are a 400.",
    params(
        ("app" = String, Path, description = "The app key.", example = "com.example.app"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of environments.", body = EnvironmentPage),
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
    Path(key): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<EnvironmentPage>, ApiError> {
    let page = crate::routes::page(query)?;
    let app = caller.app(&state, &key).await?;
    let mut environments = state.store.environments(&app, probe(page)).await?;
    let next = next_cursor(&mut environments, page, |e| e.id);
    Ok(Json(EnvironmentPage {
        environments: environments.into_iter().map(views::environment).collect(),
        next,
    }))
}

/// `POST /api/v1/apps/{app}/environments`: adds a custom environment.
#[utoipa::path(
    post,
    path = "/apps/{app}/environments",
    operation_id = "createEnvironment",
    tag = "environments",
    summary = "Add a custom environment.",
    description = "For the app's partner members and staff. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(
        ("app" = String, Path, description = "The app key.", example = "com.example.app"),
    ),
    request_body = CreateEnvironment,
    responses(
        (status = 201, description = "The environment.", body = Environment),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 408, response = r::BodyTimeout),
        (status = 409, description = "`conflict`: the app already has an environment with that name, or already has `max-environments-per-app` (default 50) environments, the three standard ones included.", body = ErrorBody),
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
    Path(key): Path<String>,
    ApiJson(body): ApiJson<CreateEnvironment>,
) -> Result<(StatusCode, Json<Environment>), ApiError> {
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
    Ok((StatusCode::CREATED, Json(views::environment(environment))))
}
