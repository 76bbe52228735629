//! Partners.

use apptrust_api::error::ErrorBody;
use apptrust_api::partners::{CreatePartner, Partner, PartnerList, UpdatePartner};
use apptrust_programs::fortified::PartnerZone;
use apptrust_programs::{DisplayName, PartnerKey};
use apptrust_store::partners::PartnerUpdate;
use apptrust_store::users::Role;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::state::AppState;
use crate::views;

/// `POST /api/v1/partners` (staff).
#[utoipa::path(
    post,
    path = "/partners",
    operation_id = "createPartner",
    tag = "partners",
    summary = "Create a partner (staff only).",
    description = "Staff only. Cookie-authenticated callers must send `X-CSRF-Token`.",
    request_body = CreatePartner,
    responses(
        (status = 201, description = "The partner.", body = Partner),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 408, response = r::BodyTimeout),
        (status = 409, description = "`conflict`: a partner with that key already exists.", body = ErrorBody),
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
    ApiJson(body): ApiJson<CreatePartner>,
) -> Result<(StatusCode, Json<Partner>), ApiError> {
    let staff = caller.staff()?;
    let key = PartnerKey::parse(&body.key)?;
    DisplayName::parse("partner name", &body.name)?;
    let zone = zone_named(body.time_zone.as_deref().unwrap_or("UTC"))?;
    let partner = state
        .store
        .create_partner(&key, &body.name, &zone, &staff.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(views::partner(partner))))
}

/// `GET /api/v1/partners`: staff see all; a partner member sees their own.
#[utoipa::path(
    get,
    path = "/partners",
    operation_id = "listPartners",
    tag = "partners",
    summary = "Partners: staff see all, a partner member sees their own; site admins are refused.",
    responses(
        (status = 200, description = "Partners, by key.", body = PartnerList),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
) -> Result<Json<PartnerList>, ApiError> {
    let user = caller.user();
    let only = match user.role {
        Role::Staff => None,
        Role::Partner => user.partner_id,
        Role::SiteAdmin | Role::Platform => {
            return Err(ApiError::forbidden(
                "only partner members and staff see partners",
            ));
        }
    };
    let partners = state.store.partners(only).await?;
    Ok(Json(PartnerList {
        partners: partners.into_iter().map(views::partner).collect(),
    }))
}

/// `GET /api/v1/partners/{partner}`: staff and the partner's members.
#[utoipa::path(
    get,
    path = "/partners/{partner}",
    operation_id = "showPartner",
    tag = "partners",
    summary = "One partner, for staff and its members.",
    params(
        ("partner" = String, Path, description = "The partner key."),
    ),
    responses(
        (status = 200, description = "The partner.", body = Partner),
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
) -> Result<Json<Partner>, ApiError> {
    if PartnerKey::parse(&key).is_err() {
        return Err(ApiError::not_found("no partner with this key"));
    }
    let partner = state.store.partner(&key).await?;
    caller.for_partner(partner.id)?;
    Ok(Json(views::partner(partner)))
}

/// The IANA zone `name`, checked against the bundled database.
fn zone_named(name: &str) -> Result<String, ApiError> {
    PartnerZone::named(name)
        .map(|zone| zone.name().to_string())
        .map_err(|e| ApiError::unprocessable(e.to_string()))
}

/// `PATCH /api/v1/partners/{partner}`: its members and staff set its time zone.
#[utoipa::path(
    patch,
    path = "/partners/{partner}",
    operation_id = "updatePartner",
    tag = "partners",
    summary = "Set the partner's time zone and security contact (its members and staff).",
    description = "Members left out are unchanged. Annual reviews fall in the last seven days of the approval month on the partner's calendar: reviews scheduled from now on are dated in `timeZone`, an IANA name (`Europe/Berlin`; an unknown one is 422). Removing `securityContact` (null or empty) opens a system escalation for each of the partner's apps carrying Cloud Fortified. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("partner" = String, Path, description = "The partner key.")),
    request_body = UpdatePartner,
    responses(
        (status = 200, description = "The partner.", body = Partner),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn update(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<UpdatePartner>,
) -> Result<Json<Partner>, ApiError> {
    if PartnerKey::parse(&key).is_err() {
        return Err(ApiError::not_found("no partner with this key"));
    }
    let partner = state.store.partner(&key).await?;
    caller.for_partner(partner.id)?;
    let zone = body.time_zone.as_deref().map(zone_named).transpose()?;
    let contact = body.security_contact.as_ref().map(Option::as_deref);
    let updated = apptrust_service::partners::update(
        &state.store,
        &state.programs,
        &key,
        &PartnerUpdate {
            time_zone: zone.as_deref(),
            security_contact: contact,
        },
        &caller.user().actor(),
    )
    .await?;
    Ok(Json(views::partner(updated)))
}
