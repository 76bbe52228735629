//! Partners.

use apptrust_programs::{DisplayName, PartnerKey};
use apptrust_store::users::Role;
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
pub struct CreatePartner {
    key: String,
    name: String,
}

/// `POST /api/v1/partners` (staff).
pub async fn create(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<CreatePartner>,
) -> Result<impl IntoResponse, ApiError> {
    let staff = caller.staff()?;
    let key = PartnerKey::parse(&body.key)?;
    DisplayName::parse("partner name", &body.name)?;
    let partner = state
        .store
        .create_partner(&key, &body.name, &staff.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(partner)))
}

/// `GET /api/v1/partners`: staff see all; a partner member sees their own.
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
) -> Result<impl IntoResponse, ApiError> {
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
    Ok(axum::Json(json!({"partners": partners})))
}

/// `GET /api/v1/partners/{partner}`: staff and the partner's members.
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    if PartnerKey::parse(&key).is_err() {
        return Err(ApiError::not_found("no partner with this key"));
    }
    let partner = state.store.partner(&key).await?;
    caller.for_partner(partner.id)?;
    Ok(axum::Json(partner))
}
