//! Webhooks, their deliveries and everyone's e-mail settings.
//!
//! A partner member registers webhooks for the partner's apps; staff register webhooks for every
//! app. Another partner's webhooks and deliveries answer 404, as if they did not exist.

use apptrust_service::notify::{destination, signature};
use apptrust_store::deliveries::Delivery;
use apptrust_store::notifications::EVENTS;
use apptrust_store::users::Role;
use apptrust_store::webhooks::Webhook;
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

/// The longest overlap of a rotated secret, in hours (a week).
const MAX_OVERLAP_HOURS: i64 = 168;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    url: String,
    events: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rotate {
    overlap_hours: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NotificationSettings {
    email_opt_out: Vec<String>,
}

/// The events named, each known and named once, in the documented order.
fn known_events(
    events: &[String],
    field: &str,
    allow_empty: bool,
) -> Result<Vec<String>, ApiError> {
    if let Some(unknown) = events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        return Err(ApiError::unprocessable(format!(
            "`{field}` names an unknown event `{unknown}`; the events are {}",
            EVENTS.join(", ")
        )));
    }
    if events.is_empty() && !allow_empty {
        return Err(ApiError::unprocessable(format!(
            "`{field}` must name at least one event: {}",
            EVENTS.join(", ")
        )));
    }
    Ok(EVENTS
        .iter()
        .filter(|known| events.iter().any(|e| e == *known))
        .map(|e| (*e).to_string())
        .collect())
}

/// Partners and staff own webhooks; site admins do not (yet).
fn owner(caller: &SignedIn) -> Result<(), ApiError> {
    match caller.user().role {
        Role::Partner | Role::Staff => Ok(()),
        Role::SiteAdmin | Role::Platform => Err(ApiError::forbidden(
            "only partners and staff register webhooks",
        )),
    }
}

/// Whether the caller may see and manage this webhook: staff, or the partner that owns it.
fn visible(caller: &SignedIn, partner_id: Option<i64>) -> bool {
    let user = caller.user();
    user.role == Role::Staff || (partner_id.is_some() && user.partner_id == partner_id)
}

async fn webhook_for(state: &AppState, caller: &SignedIn, id: i64) -> Result<Webhook, ApiError> {
    owner(caller)?;
    let webhook = state.store.webhook(id).await?;
    if visible(caller, webhook.partner_id) {
        Ok(webhook)
    } else {
        Err(ApiError::not_found(format!("no webhook {id}")))
    }
}

async fn delivery_for(state: &AppState, caller: &SignedIn, id: i64) -> Result<Delivery, ApiError> {
    let delivery = state.store.delivery(id).await?;
    if visible(caller, delivery.partner_id) || delivery.user_id == Some(caller.user().id) {
        Ok(delivery)
    } else {
        Err(ApiError::not_found(format!("no delivery {id}")))
    }
}

/// `POST /api/v1/webhooks`: registers an endpoint for events; the answer holds the signing
/// secret, shown this once.
pub async fn create(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<impl IntoResponse, ApiError> {
    owner(&caller)?;
    let url = destination::check_url(&body.url, state.settings.allow_private_webhooks)
        .map_err(ApiError::unprocessable)?;
    let events = known_events(&body.events, "events", false)?;
    let secret = signature::new_secret().map_err(|_| ApiError::internal())?;
    let webhook = state
        .store
        .create_webhook(
            caller.user(),
            url.as_str(),
            &events,
            &secret,
            state.settings.max_webhooks_per_owner,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"webhook": webhook, "secret": secret})),
    ))
}

/// `GET /api/v1/webhooks`: the partner's webhooks (staff: all), a page at a time.
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    owner(&caller)?;
    let page = PageQuery::parse(query)?;
    let scope = match caller.user().role {
        Role::Staff => None,
        _ => caller.user().partner_id,
    };
    let mut webhooks = state.store.webhooks(scope, probe(page)).await?;
    let next = next_cursor(&mut webhooks, page, |w| w.id);
    Ok(axum::Json(json!({"webhooks": webhooks, "next": next})))
}

/// `GET /api/v1/webhooks/{id}`.
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let webhook = webhook_for(&state, &caller, id).await?;
    Ok(axum::Json(json!({"webhook": webhook})))
}

/// `DELETE /api/v1/webhooks/{id}`: no more deliveries; pending ones fail, the log stays.
pub async fn delete(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    webhook_for(&state, &caller, id).await?;
    state
        .store
        .delete_webhook(id, &caller.user().actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/webhooks/{id}/rotate-secret` (`{"overlapHours": 24}`): a new secret, shown
/// this once; the old one keeps signing beside it for the overlap (default 24 hours, at most a
/// week, 0 to stop at once).
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Rotate>,
) -> Result<impl IntoResponse, ApiError> {
    webhook_for(&state, &caller, id).await?;
    let hours = body.overlap_hours.unwrap_or(24);
    if !(0..=MAX_OVERLAP_HOURS).contains(&hours) {
        return Err(ApiError::unprocessable(format!(
            "`overlapHours` must be between 0 and {MAX_OVERLAP_HOURS}, not {hours}"
        )));
    }
    let secret = signature::new_secret().map_err(|_| ApiError::internal())?;
    let until = state.store.from_now(hours * 3600);
    let webhook = state
        .store
        .rotate_webhook_secret(id, &secret, &until, &caller.user().actor())
        .await?;
    Ok(axum::Json(json!({"webhook": webhook, "secret": secret})))
}

/// `GET /api/v1/webhooks/{id}/deliveries`: the webhook's delivery log, oldest first.
pub async fn deliveries(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let page = PageQuery::parse(query)?;
    webhook_for(&state, &caller, id).await?;
    let mut deliveries = state.store.webhook_deliveries(id, probe(page)).await?;
    let next = next_cursor(&mut deliveries, page, |d| d.id);
    Ok(axum::Json(json!({"deliveries": deliveries, "next": next})))
}

/// `GET /api/v1/deliveries/{id}`: one delivery with every attempt (time, response code or
/// error, duration).
pub async fn delivery(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    delivery_for(&state, &caller, id).await?;
    // The attempts first, then the delivery: an attempt and what follows it are written
    // together, so the delivery read second is at least as new as the last attempt shown.
    let attempts = state.store.delivery_attempts(id).await?;
    let delivery = state.store.delivery(id).await?;
    Ok(axum::Json(
        json!({"delivery": delivery, "attempts": attempts}),
    ))
}

/// `POST /api/v1/deliveries/{id}/redeliver`: sends it again, with the same `webhook-id`.
pub async fn redeliver(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    delivery_for(&state, &caller, id).await?;
    let delivery = state.store.redeliver(id, &caller.user().actor()).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({"delivery": delivery})),
    ))
}

/// `GET /api/v1/notifications/{id}/deliveries`: where one notification went, as far as the
/// caller may see (a partner: its own webhooks and members; staff: everything).
pub async fn notification_deliveries(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let page = PageQuery::parse(query)?;
    let partner_id = state.store.notification_partner(id).await?;
    caller
        .for_partner(partner_id)
        .map_err(|_| ApiError::not_found(format!("no notification {id}")))?;
    let scope = match caller.user().role {
        Role::Staff => None,
        _ => Some(partner_id),
    };
    let mut deliveries = state
        .store
        .notification_deliveries(id, scope, probe(page))
        .await?;
    let next = next_cursor(&mut deliveries, page, |d| d.id);
    Ok(axum::Json(json!({"deliveries": deliveries, "next": next})))
}

/// `GET /api/v1/me/notification-settings`: the caller's e-mail address, the events there are,
/// and those they do not want e-mail about.
pub async fn settings(
    State(state): State<AppState>,
    caller: SignedIn,
) -> Result<impl IntoResponse, ApiError> {
    let opt_out = state.store.email_opt_outs(caller.user().id).await?;
    Ok(axum::Json(settings_body(&state, &caller, &opt_out)))
}

/// `PUT /api/v1/me/notification-settings` (`{"emailOptOut": ["deploy.blocked"]}`): replaces the
/// events the caller does not want e-mail about.
pub async fn update_settings(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<NotificationSettings>,
) -> Result<impl IntoResponse, ApiError> {
    let events = known_events(&body.email_opt_out, "emailOptOut", true)?;
    let user = caller.user();
    let opt_out = state
        .store
        .set_email_opt_outs(user.id, &events, &user.actor())
        .await?;
    Ok(axum::Json(settings_body(&state, &caller, &opt_out)))
}

fn settings_body(state: &AppState, caller: &SignedIn, opt_out: &[String]) -> serde_json::Value {
    json!({
        "email": caller.user().email,
        "emailEnabled": state.settings.smtp_url.is_some(),
        "events": EVENTS,
        "emailOptOut": opt_out,
    })
}
