//! Webhooks and their deliveries (docs/notifications.md).

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use crate::notifications::Event;

/// A registered webhook. Its signing secret is shown only when made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(format = "uri"))]
    pub url: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Event>))]
    pub events: Vec<String>,
    /// The partner whose apps' events it receives; null for a staff webhook (every app).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub partner: Option<String>,
    /// The user who registered it.
    pub created_by: i64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// Present while a rotated-out secret still signs deliveries beside the new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub previous_secret_until: Option<String>,
}

/// `POST /api/v1/webhooks`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// https (plain http and private or loopback hosts only with --allow-private-webhooks).
    #[cfg_attr(feature = "openapi", schema(format = "uri", max_length = 2048))]
    pub url: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Event>, min_items = 1))]
    pub events: Vec<String>,
}

/// `POST /api/v1/webhooks/{id}/rotate-secret`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RotateSecret {
    /// How long the old secret keeps signing beside the new one, in hours (default 24, at most
    /// 168; 0 stops it at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 168))]
    pub overlap_hours: Option<i64>,
}

/// A webhook with its signing secret (`whsec_...`), shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookWithSecret {
    pub webhook: Webhook,
    /// The Standard Webhooks signing secret.
    #[cfg_attr(feature = "openapi", schema(pattern = "^whsec_"))]
    pub secret: String,
}

/// `{"webhook": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookResponse {
    pub webhook: Webhook,
}

/// `GET /api/v1/webhooks`: a page of webhooks, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookPage {
    pub webhooks: Vec<Webhook>,
    /// The last item's `id` when more items follow (pass as `after`); null on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next: Option<i64>,
}

/// One notification on its way to one webhook or one e-mail address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The webhook-id header of a webhook delivery is `dlv_` followed by this id.
    pub id: i64,
    pub notification: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Event))]
    pub event: String,
    /// `webhook` or `email`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::Channel))]
    pub channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<i64>,
    /// The e-mail address (e-mail only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// `pending`, `delivered` or `failed`.
    #[cfg_attr(
        feature = "openapi",
        schema(examples("pending", "delivered", "failed"))
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::DeliveryStatus))]
    pub status: String,
    /// Attempts since it was created or last redelivered.
    pub attempts: i64,
    /// While pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub next_attempt_at: Option<String>,
    /// The last HTTP status or SMTP reply code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub delivered_at: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
}

/// One attempt at a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub at: String,
    /// The HTTP status or SMTP reply code, when there was an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// `{"delivery": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryResponse {
    pub delivery: Delivery,
}

/// `GET /api/v1/deliveries/{id}`: one delivery with every attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryWithAttempts {
    pub delivery: Delivery,
    pub attempts: Vec<DeliveryAttempt>,
}

/// A page of deliveries, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryPage {
    pub deliveries: Vec<Delivery>,
    /// The last item's `id` when more items follow (pass as `after`); null on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next: Option<i64>,
}
