//! Apps: the public search, creation and the owner's view.

use apptrust_api::apps::{AppWithEnvironments, CreateApp, SearchPage, SearchQuery, SetForgeAppId};
use apptrust_api::error::ErrorBody;
use apptrust_api::notifications::NotificationPage;
use apptrust_api::paging::PageQuery;
use apptrust_programs::{AppKey, ForgeAppId};
use apptrust_store::apps::NewApp;
use apptrust_store::users::Role;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::routes::page_limit;
use crate::state::AppState;
use crate::views;

/// `GET /api/v1/apps`: public search. `badge` filters by any program key.
#[utoipa::path(
    get,
    path = "/apps",
    operation_id = "searchApps",
    tag = "apps",
    summary = "Public app search, ordered and paged by key.",
    description = "No authentication; credentials are ignored. Unknown query parameters are a 400.",
    params(
        SearchQuery,
    ),
    responses(
        (status = 200, description = "A page of apps.", body = SearchPage),
        (status = 400, response = r::BadRequest),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(()),
)]
pub async fn search(
    State(state): State<AppState>,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SearchPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = page_limit(query.limit)?;
    let page = apptrust_service::search::search_apps(
        &state.store,
        query,
        limit,
        state.settings.max_search_chars,
    )
    .await?;
    Ok(Json(views::search_page(page)))
}

/// `POST /api/v1/apps`: staff for any partner, partner members for their own.
#[utoipa::path(
    post,
    path = "/apps",
    operation_id = "createApp",
    tag = "apps",
    summary = "Create an app with the standard environments (development, staging, production).",
    description = "Staff for any partner (and must name it); partner members for their own partner; site admins are refused. Cookie-authenticated callers must send `X-CSRF-Token`.",
    request_body = CreateApp,
    responses(
        (status = 201, description = "The app and its environments.", body = AppWithEnvironments),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, description = "`not-found`: no partner with that key.", body = ErrorBody),
        (status = 408, response = r::BodyTimeout),
        (status = 409, description = "`conflict`: an app with that key already exists.", body = ErrorBody),
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
    ApiJson(body): ApiJson<CreateApp>,
) -> Result<(StatusCode, Json<AppWithEnvironments>), ApiError> {
    let user = caller.user();
    let key = AppKey::parse(&body.key)?;
    let partner = match (user.role, body.partner) {
        (Role::Staff, Some(p)) => p,
        (Role::Staff, None) => {
            return Err(ApiError::unprocessable(
                "staff must name the app's `partner`",
            ));
        }
        (Role::Partner, requested) => {
            let own = user.partner.clone().unwrap_or_default();
            if requested.is_some_and(|p| p != own) {
                return Err(ApiError::forbidden(
                    "partner members create apps for their own partner only",
                ));
            }
            own
        }
        (Role::SiteAdmin | Role::Platform, _) => {
            return Err(ApiError::forbidden(
                "only partner members and staff create apps",
            ));
        }
    };
    let forge_app_id = body
        .forge_app_id
        .as_deref()
        .map(ForgeAppId::parse)
        .transpose()
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let new = NewApp {
        key,
        name: body.name,
        partner,
        framework: body.framework.unwrap_or_else(|| "forge".to_string()),
        forge_app_id,
    };
    let app = state.store.create_app(&new, &user.actor()).await?;
    state.trust_cache.forget(&app.key);
    let environments = state
        .store
        .environments(&app, all_environments(&state))
        .await?;
    // The directory page shows the new app at once on this instance (and a `404` remembered
    // for its key is dropped).
    state.trust_cache.forget(&app.key);
    Ok((
        StatusCode::CREATED,
        Json(views::app_with_environments(&app, environments)),
    ))
}

/// `GET /api/v1/apps/{app}`: the app and its environments, for its partner and staff.
#[utoipa::path(
    get,
    path = "/apps/{app}",
    operation_id = "showApp",
    tag = "apps",
    summary = "The app and its environments, for its partner's members and staff.",
    params(
        ("app" = String, Path, description = "The app key.", example = "com.example.app"),
    ),
    responses(
        (status = 200, description = "The app.", body = AppWithEnvironments),
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
    Path(key): Path<String>,
) -> Result<Json<AppWithEnvironments>, ApiError> {
    let app = caller.app(&state, &key).await?;
    let environments = state
        .store
        .environments(&app, all_environments(&state))
        .await?;
    Ok(Json(views::app_with_environments(&app, environments)))
}

/// `PUT /api/v1/apps/{app}/forge-app-id`: staff correct the Forge app an app is bound to.
#[utoipa::path(
    put,
    path = "/apps/{app}/forge-app-id",
    operation_id = "setForgeAppId",
    tag = "apps",
    summary = "Correct the Forge app an app is bound to (staff).",
    description = "An app is bound to the Forge app id its first deploy's manifest names (or the one given at creation), and deploys naming another are refused. When that binding is wrong (someone deployed another app's manifest first), staff bind the right id, or unbind with `null` so that the next deploy binds again. Audited as `app.forge-app-id` with the old and the new id. Badges already earned stay as they are: re-check the app's production version after a correction.",
    params(
        ("app" = String, Path, description = "The app key.", example = "com.example.app"),
    ),
    request_body = SetForgeAppId,
    responses(
        (status = 200, description = "The app, bound as asked.", body = AppWithEnvironments),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 409, description = "Another app is bound to that Forge app id.", body = ErrorBody),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn set_forge_app_id(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<SetForgeAppId>,
) -> Result<Json<AppWithEnvironments>, ApiError> {
    let staff = caller.staff()?;
    let Some(wanted) = body.forge_app_id else {
        return Err(ApiError::unprocessable(
            "`forgeAppId` is required: a Forge app id, or null to unbind",
        ));
    };
    let id = wanted
        .as_deref()
        .map(ForgeAppId::parse)
        .transpose()
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let app = caller.app(&state, &key).await?;
    let app = apptrust_service::apps::set_forge_app_id(
        &state.store,
        &app,
        id.as_ref().map(ForgeAppId::as_str),
        &staff.actor(),
    )
    .await?;
    state.trust_cache.forget(&app.key);
    let environments = state
        .store
        .environments(&app, all_environments(&state))
        .await?;
    Ok(Json(views::app_with_environments(&app, environments)))
}

/// Every environment of an app: there are at most `max-environments-per-app`.
fn all_environments(state: &AppState) -> apptrust_store::Page {
    apptrust_store::Page {
        after: 0,
        limit: state.settings.max_environments_per_app.max(1),
    }
}

/// `GET /api/v1/apps/{app}/notifications`: what the app's owners were told (badge gained or
/// lost, a version that needs consent, a refused deploy), oldest first.
#[utoipa::path(
    get,
    path = "/apps/{app}/notifications",
    operation_id = "listNotifications",
    tag = "apps",
    summary = "What the app's owners were told, oldest first: `badge.gained`, `badge.lost`, `version.consent-required` (a new major production version), `deploy.blocked` (partner members of the app's partner, or staff).",
    description = "Each notification is written in the same transaction as the change it announces. The payload holds `event`, `app`, `at`, and per event `program`, `from`, `to`, `version`, `cause`, `reasons` (badges), `environment`, `version`, `previous` (consent), `environment`, `verdict`, `blockers` (refused deploys). A webhook receives it as `{\"type\": event, \"timestamp\": at, \"data\": the rest, with `notification`}` (docs/notifications.md).",
    params(
        PageQuery,
    ),
    responses(
        (status = 200, description = "Notifications.", body = NotificationPage),
        (status = 400, description = "Unknown or malformed query parameters.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Another partner's app.", body = ErrorBody),
        (status = 404, description = "No such app.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn notifications(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<NotificationPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let app = caller.app(&state, &key).await?;
    let page = apptrust_store::Page {
        after: query.after.unwrap_or(0),
        limit: crate::routes::page_limit(query.limit)?,
    };
    // One more than asked tells whether another page follows: no cursor on the last page.
    let probe = crate::routes::probe(page);
    let mut notifications = state
        .store
        .notifications(&app, probe.after, probe.limit)
        .await?;
    let next = crate::routes::next_cursor(&mut notifications, page, |n| n.id);
    Ok(Json(NotificationPage {
        notifications: notifications.into_iter().map(views::notification).collect(),
        next,
    }))
}
