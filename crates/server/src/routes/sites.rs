//! Customer sites: staff create them; their admins (users with role `site-admin` and the
//! site's key as `site`) set its policies, install apps and read what their site was told.

use apptrust_api::installations::{
    CreateInstallation, CreateSite, Installation, InstallationList, Site, SiteList, SitePolicy,
    UpdateSitePolicy,
};
use apptrust_api::notifications::NotificationPage;
use apptrust_api::paging::PageQuery;
use apptrust_programs::AppKey;
use apptrust_service::installations as use_case;
use apptrust_store::sites::PolicyUpdate;
use apptrust_store::users::Role;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::routes::installations::installation_view;
use crate::routes::{next_cursor, page, probe};
use crate::state::AppState;
use crate::views;

pub(crate) fn site_view(site: apptrust_store::sites::Site) -> Site {
    Site {
        key: site.key,
        residency: site.residency,
        policy: SitePolicy {
            required_badges: site.required_badges,
            analytics_egress_default: site.analytics_egress_default,
        },
        revision: site.revision,
        created_at: site.created_at,
        updated_at: site.updated_at,
    }
}

/// `POST /api/v1/sites` (staff).
#[utoipa::path(
    post,
    path = "/sites",
    operation_id = "createSite",
    tag = "installations",
    summary = "Create a customer site (staff only).",
    description = "Its site admins are users with role `site-admin` whose `site` is its key. Cookie-authenticated callers must send `X-CSRF-Token`.",
    request_body = CreateSite,
    responses(
        (status = 201, description = "The site.", body = Site),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 409, response = r::Conflict),
        (status = 413, response = r::TooLarge),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<CreateSite>,
) -> Result<(StatusCode, Json<Site>), ApiError> {
    let staff = caller.staff()?;
    let site =
        use_case::create_site(&state.store, &body.key, &body.residency, &staff.actor()).await?;
    Ok((StatusCode::CREATED, Json(site_view(site))))
}

/// `?after=&limit=` of the site list (keys).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SitePageQuery {
    /// The `next` of the previous page.
    after: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<i64>,
}

/// `GET /api/v1/sites`.
#[utoipa::path(
    get,
    path = "/sites",
    operation_id = "listSites",
    tag = "installations",
    summary = "Sites by key: staff see all, a site admin their own; others are refused.",
    params(SitePageQuery),
    responses(
        (status = 200, description = "Sites.", body = SiteList),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    query: Result<Query<SitePageQuery>, QueryRejection>,
) -> Result<Json<SiteList>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = crate::routes::page_limit(query.limit)?;
    let user = caller.user();
    let only = match user.role {
        Role::Staff => None,
        Role::SiteAdmin => match user.site.clone() {
            Some(site) if !site.is_empty() => Some(site),
            _ => return Err(ApiError::forbidden("this site admin has no site")),
        },
        Role::Partner | Role::Platform => {
            return Err(ApiError::forbidden("only staff and site admins see sites"));
        }
    };
    let after = query.after.unwrap_or_default();
    let mut sites = state
        .store
        .sites(only.as_deref(), &after, limit + 1)
        .await?;
    let next = (sites.len() > usize::try_from(limit).unwrap_or(usize::MAX)).then(|| {
        sites.truncate(usize::try_from(limit).unwrap_or(0));
        sites.last().map(|s| s.key.clone()).unwrap_or_default()
    });
    Ok(Json(SiteList {
        sites: sites.into_iter().map(site_view).collect(),
        next,
    }))
}

/// `GET /api/v1/sites/{site}`.
#[utoipa::path(
    get,
    path = "/sites/{site}",
    operation_id = "showSite",
    tag = "installations",
    summary = "One site with its policy: staff and the site's admins (anyone else gets 404).",
    params(("site" = String, Path, description = "The site's key.")),
    responses(
        (status = 200, description = "The site.", body = Site),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(site): Path<String>,
) -> Result<Json<Site>, ApiError> {
    caller.for_site(&site)?;
    Ok(Json(site_view(state.store.site(&site).await?)))
}

/// `PATCH /api/v1/sites/{site}/policy`.
#[utoipa::path(
    patch,
    path = "/sites/{site}/policy",
    operation_id = "updateSitePolicy",
    tag = "installations",
    summary = "Set the site's policies: badges required of installed apps, analytics egress of new installations (the site's admins and staff).",
    description = "Installations that break the new policy are flagged at once and the site's admins told (`installation.policy-broken`); those that no longer do are cleared. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("site" = String, Path, description = "The site's key.")),
    request_body = UpdateSitePolicy,
    responses(
        (status = 200, description = "The site.", body = Site),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = 413, response = r::TooLarge),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn update_policy(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(site): Path<String>,
    ApiJson(body): ApiJson<UpdateSitePolicy>,
) -> Result<Json<Site>, ApiError> {
    let user = caller.for_site(&site)?;
    if body
        .required_badges
        .as_ref()
        .is_some_and(|b| b.len() > apptrust_programs::Program::ALL.len())
    {
        return Err(ApiError::unprocessable(
            "`requiredBadges` lists at most every badge once",
        ));
    }
    let update = PolicyUpdate {
        required_badges: body.required_badges,
        analytics_egress_default: body.analytics_egress_default,
    };
    let site = use_case::set_policy(&state.store, &site, &update, &user.actor()).await?;
    Ok(Json(site_view(site)))
}

/// `GET /api/v1/sites/{site}/installations`.
#[utoipa::path(
    get,
    path = "/sites/{site}/installations",
    operation_id = "listInstallations",
    tag = "installations",
    summary = "The site's installations by id: staff and the site's admins.",
    params(("site" = String, Path, description = "The site's key."), PageQuery),
    responses(
        (status = 200, description = "Installations.", body = InstallationList),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn installations(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(site): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<InstallationList>, ApiError> {
    caller.for_site(&site)?;
    let page = page(query)?;
    let found = state.store.site(&site).await?;
    let probe = probe(page);
    let mut rows = state
        .store
        .site_installations(found.id, probe.after, probe.limit)
        .await?;
    let next = next_cursor(&mut rows, page, |i| i.id);
    let mut installations = Vec::with_capacity(rows.len());
    for row in rows {
        installations.push(installation_view(&state, row).await?);
    }
    Ok(Json(InstallationList {
        installations,
        next,
    }))
}

/// `POST /api/v1/sites/{site}/installations`.
#[utoipa::path(
    post,
    path = "/sites/{site}/installations",
    operation_id = "install",
    tag = "installations",
    summary = "Install an app on the site, on its latest production major (the site's admins and staff).",
    description = "Refused with 422 and the reasons when the app breaks the site's policy (a required badge it does not carry) or has no production version; 409 when it is installed already. Analytics egress starts as the site's policy says; logs access starts allowed. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("site" = String, Path, description = "The site's key.")),
    request_body = CreateInstallation,
    responses(
        (status = 201, description = "The installation.", body = Installation),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = 409, response = r::Conflict),
        (status = 413, response = r::TooLarge),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn install(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(site): Path<String>,
    ApiJson(body): ApiJson<CreateInstallation>,
) -> Result<(StatusCode, Json<Installation>), ApiError> {
    let user = caller.for_site(&site)?;
    if AppKey::parse(&body.app).is_err() {
        return Err(ApiError::not_found(format!("no app `{}`", body.app)));
    }
    let app = state.store.app(&body.app).await?;
    let installed = use_case::install(&state.store, &site, &app, &user.actor()).await?;
    state.egress_cache.forget(installed.id);
    Ok((
        StatusCode::CREATED,
        Json(installation_view(&state, installed).await?),
    ))
}

/// `GET /api/v1/sites/{site}/notifications`.
#[utoipa::path(
    get,
    path = "/sites/{site}/notifications",
    operation_id = "listSiteNotifications",
    tag = "installations",
    summary = "What the site's admins were told about apps installed there, oldest first (`installation.*` events): the site's admins and staff.",
    params(("site" = String, Path, description = "The site's key."), PageQuery),
    responses(
        (status = 200, description = "Notifications.", body = NotificationPage),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn notifications(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(site): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<NotificationPage>, ApiError> {
    caller.for_site(&site)?;
    let page = page(query)?;
    let found = state.store.site(&site).await?;
    let probe = probe(page);
    let mut notifications = state
        .store
        .site_notifications(found.id, probe.after, probe.limit)
        .await?;
    let next = next_cursor(&mut notifications, page, |n| n.id);
    Ok(Json(NotificationPage {
        notifications: notifications.into_iter().map(views::notification).collect(),
        next,
    }))
}
