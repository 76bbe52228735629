//! Webhooks, their deliveries and everyone's e-mail settings.
//!
//! A partner member registers webhooks for the partner's apps; staff register webhooks for every
//! app. Another partner's webhooks and deliveries answer 404, as if they did not exist.

use apptrust_api::error::ErrorBody;
use apptrust_api::notifications::{NotificationSettings, UpdateNotificationSettings};
use apptrust_api::webhooks::{
    CreateWebhook, DeliveryPage, DeliveryResponse, DeliveryWithAttempts, RotateSecret, WebhookPage,
    WebhookResponse, WebhookWithSecret,
};
use apptrust_service::notify::{destination, signature};
use apptrust_store::deliveries::Delivery;
use apptrust_store::notifications::EVENTS;
use apptrust_store::users::Role;
use apptrust_store::webhooks::Webhook;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::{PageQuery, next_cursor, probe};
use crate::state::AppState;
use crate::views;

/// The longest overlap of a rotated secret, in hours (a week).
const MAX_OVERLAP_HOURS: i64 = 168;

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
    // The events for a site's admins never reach a webhook (they name a customer's site; see
    // docs/admin.md): subscribing to them would wait forever.
    if field == "events"
        && let Some(site_event) = events.iter().find(|e| e.starts_with("installation."))
    {
        return Err(ApiError::unprocessable(format!(
            "`{site_event}` goes to the site's admins by e-mail and \
             GET /api/v1/sites/{{site}}/notifications, never to webhooks"
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
#[utoipa::path(
    post,
    path = "/webhooks",
    operation_id = "createWebhook",
    tag = "notifications",
    summary = "Registers an endpoint for events (partners: their apps' events; staff: every app's). The answer holds the signing secret (`whsec_...`), shown only this once.",
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "Registered.", body = WebhookWithSecret),
        (status = 400, description = "Malformed request.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not allowed for this role.", body = ErrorBody),
        (status = 409, description = "This address is already registered for the partner (or among staff).", body = ErrorBody),
        (status = 422, description = "The request is well-formed but not acceptable (the message says why).", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<(StatusCode, Json<WebhookWithSecret>), ApiError> {
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
        Json(WebhookWithSecret {
            webhook: views::webhook(webhook),
            secret,
        }),
    ))
}

/// `GET /api/v1/webhooks`: the partner's webhooks (staff: all), a page at a time.
#[utoipa::path(
    get,
    path = "/webhooks",
    operation_id = "listWebhooks",
    tag = "notifications",
    summary = "The partner's live webhooks (staff: all), a page at a time.",
    params(
        PageQuery,
    ),
    responses(
        (status = 200, description = "Webhooks.", body = WebhookPage),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not allowed for this role.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<WebhookPage>, ApiError> {
    owner(&caller)?;
    let page = crate::routes::page(query)?;
    let scope = match caller.user().role {
        Role::Staff => None,
        _ => caller.user().partner_id,
    };
    let mut webhooks = state.store.webhooks(scope, probe(page)).await?;
    let next = next_cursor(&mut webhooks, page, |w| w.id);
    Ok(Json(WebhookPage {
        webhooks: webhooks.into_iter().map(views::webhook).collect(),
        next,
    }))
}

/// `GET /api/v1/webhooks/{id}`.
#[utoipa::path(
    get,
    path = "/webhooks/{id}",
    operation_id = "showWebhook",
    tag = "notifications",
    summary = "One webhook.",
    params(
        ("id" = i64, Path, description = "The webhook's id."),
    ),
    responses(
        (status = 200, description = "The webhook.", body = WebhookResponse),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not allowed for this role.", body = ErrorBody),
        (status = 404, description = "No such thing, or it belongs to another partner.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<WebhookResponse>, ApiError> {
    let webhook = webhook_for(&state, &caller, id).await?;
    Ok(Json(WebhookResponse {
        webhook: views::webhook(webhook),
    }))
}

/// `DELETE /api/v1/webhooks/{id}`: no more deliveries; pending ones fail, the log stays.
#[utoipa::path(
    delete,
    path = "/webhooks/{id}",
    operation_id = "deleteWebhook",
    tag = "notifications",
    summary = "Deletes a webhook: its pending deliveries fail; its log stays readable by delivery id.",
    params(
        ("id" = i64, Path, description = "The webhook's id."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not allowed for this role.", body = ErrorBody),
        (status = 404, description = "No such thing, or it belongs to another partner.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
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
#[utoipa::path(
    post,
    path = "/webhooks/{id}/rotate-secret",
    operation_id = "rotateWebhookSecret",
    tag = "notifications",
    summary = "A new signing secret, shown this once; the previous one keeps signing beside it for `overlapHours` (default 24, at most 168, 0 to stop at once).",
    params(
        ("id" = i64, Path, description = "The webhook's id."),
    ),
    request_body = RotateSecret,
    responses(
        (status = 200, description = "Rotated.", body = WebhookWithSecret),
        (status = 400, description = "Malformed request.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not allowed for this role.", body = ErrorBody),
        (status = 404, description = "No such thing, or it belongs to another partner.", body = ErrorBody),
        (status = 409, description = "`conflict`: an earlier rotation's overlap still lasts, and this one asks for an overlap too (it would stop the first secret early). Rotate after the overlap, or with `overlapHours: 0` to end every old secret now.", body = ErrorBody),
        (status = 422, description = "The request is well-formed but not acceptable (the message says why).", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<RotateSecret>,
) -> Result<Json<WebhookWithSecret>, ApiError> {
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
    Ok(Json(WebhookWithSecret {
        webhook: views::webhook(webhook),
        secret,
    }))
}

/// `GET /api/v1/webhooks/{id}/deliveries`: the webhook's delivery log, oldest first.
#[utoipa::path(
    get,
    path = "/webhooks/{id}/deliveries",
    operation_id = "listWebhookDeliveries",
    tag = "notifications",
    summary = "The webhook's delivery log, oldest first.",
    params(
        ("id" = i64, Path, description = "The webhook's id."),
        PageQuery,
    ),
    responses(
        (status = 200, description = "Deliveries.", body = DeliveryPage),
        (status = 400, description = "Malformed request.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not allowed for this role.", body = ErrorBody),
        (status = 404, description = "No such thing, or it belongs to another partner.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<DeliveryPage>, ApiError> {
    let page = crate::routes::page(query)?;
    webhook_for(&state, &caller, id).await?;
    let mut deliveries = state.store.webhook_deliveries(id, probe(page)).await?;
    let next = next_cursor(&mut deliveries, page, |d| d.id);
    Ok(Json(DeliveryPage {
        deliveries: deliveries.into_iter().map(views::delivery).collect(),
        next,
    }))
}

/// `GET /api/v1/deliveries/{id}`: one delivery with every attempt (time, response code or
/// error, duration).
#[utoipa::path(
    get,
    path = "/deliveries/{id}",
    operation_id = "showDelivery",
    tag = "notifications",
    summary = "One delivery with its attempts (time, response code or error, duration), the newest 100.",
    params(
        ("id" = i64, Path, description = "The delivery's id."),
    ),
    responses(
        (status = 200, description = "The delivery.", body = DeliveryWithAttempts),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 404, description = "No such thing, or it belongs to another partner.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn delivery(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<DeliveryWithAttempts>, ApiError> {
    delivery_for(&state, &caller, id).await?;
    // The attempts first, then the delivery: an attempt and what follows it are written
    // together, so the delivery read second is at least as new as the last attempt shown.
    let attempts = state.store.delivery_attempts(id).await?;
    let delivery = state.store.delivery(id).await?;
    Ok(Json(DeliveryWithAttempts {
        delivery: views::delivery(delivery),
        attempts: attempts.into_iter().map(views::attempt).collect(),
    }))
}

/// `POST /api/v1/deliveries/{id}/redeliver`: sends it again, with the same `webhook-id`.
#[utoipa::path(
    post,
    path = "/deliveries/{id}/redeliver",
    operation_id = "redeliver",
    tag = "notifications",
    summary = "Sends a delivery again (whatever became of it) with the same webhook-id and a fresh day of retries.",
    params(
        ("id" = i64, Path, description = "The delivery's id."),
    ),
    responses(
        (status = 202, description = "Pending again.", body = DeliveryResponse),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 404, description = "No such thing, or it belongs to another partner.", body = ErrorBody),
        (status = 409, description = "Still pending, or its webhook was deleted.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn redeliver(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<DeliveryResponse>), ApiError> {
    delivery_for(&state, &caller, id).await?;
    let delivery = state.store.redeliver(id, &caller.user().actor()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(DeliveryResponse {
            delivery: views::delivery(delivery),
        }),
    ))
}

/// `GET /api/v1/notifications/{id}/deliveries`: where one notification went, as far as the
/// caller may see (a partner: its own webhooks and members; staff: everything).
#[utoipa::path(
    get,
    path = "/notifications/{id}/deliveries",
    operation_id = "listNotificationDeliveries",
    tag = "notifications",
    summary = "Where one notification went, as far as the caller may see (a partner: its webhooks and members; staff: all).",
    params(
        ("id" = i64, Path, description = "The notification's id."),
        PageQuery,
    ),
    responses(
        (status = 200, description = "Deliveries.", body = DeliveryPage),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 404, description = "No such thing, or it belongs to another partner.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn notification_deliveries(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<DeliveryPage>, ApiError> {
    let page = crate::routes::page(query)?;
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
    Ok(Json(DeliveryPage {
        deliveries: deliveries.into_iter().map(views::delivery).collect(),
        next,
    }))
}

/// `GET /api/v1/me/notification-settings`: the caller's e-mail address, the events there are,
/// and those they do not want e-mail about.
#[utoipa::path(
    get,
    path = "/me/notification-settings",
    operation_id = "showNotificationSettings",
    tag = "notifications",
    summary = "The caller's e-mail address, the events there are, and those they get no e-mail about.",
    responses(
        (status = 200, description = "Settings.", body = NotificationSettings),
        (status = 401, description = "Not signed in.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn settings(
    State(state): State<AppState>,
    caller: SignedIn,
) -> Result<Json<NotificationSettings>, ApiError> {
    let opt_out = state.store.email_opt_outs(caller.user().id).await?;
    Ok(Json(settings_body(&state, &caller, opt_out)))
}

/// `PUT /api/v1/me/notification-settings` (`{"emailOptOut": ["deploy.blocked"]}`): replaces the
/// events the caller does not want e-mail about.
#[utoipa::path(
    put,
    path = "/me/notification-settings",
    operation_id = "updateNotificationSettings",
    tag = "notifications",
    summary = "Replaces the events the caller gets no e-mail about.",
    request_body = UpdateNotificationSettings,
    responses(
        (status = 200, description = "Settings.", body = NotificationSettings),
        (status = 400, description = "Malformed request.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 422, description = "The request is well-formed but not acceptable (the message says why).", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn update_settings(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<UpdateNotificationSettings>,
) -> Result<Json<NotificationSettings>, ApiError> {
    let events = known_events(&body.email_opt_out, "emailOptOut", true)?;
    let user = caller.user();
    let opt_out = state
        .store
        .set_email_opt_outs(user.id, &events, &user.actor())
        .await?;
    Ok(Json(settings_body(&state, &caller, opt_out)))
}

fn settings_body(
    state: &AppState,
    caller: &SignedIn,
    opt_out: Vec<String>,
) -> NotificationSettings {
    NotificationSettings {
        email: caller.user().email.clone(),
        email_enabled: state.settings.smtp_url.is_some(),
        events: EVENTS.iter().map(|e| (*e).to_string()).collect(),
        email_opt_out: opt_out,
    }
}
