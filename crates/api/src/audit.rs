//! The audit log, for staff.

use serde::{Deserialize, Serialize};

/// One change, appended in the transaction that made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub at: String,
    #[cfg_attr(feature = "openapi", schema(examples("user:1 (ops@example.com)")))]
    pub actor: String,
    #[cfg_attr(
        feature = "openapi",
        schema(examples(
            "partner.create",
            "user.create",
            "app.create",
            "environment.create",
            "deploy"
        ))
    )]
    pub action: String,
    #[cfg_attr(
        feature = "openapi",
        schema(examples("app:com.example.app/env:production"))
    )]
    pub subject: String,
    /// Action-specific JSON.
    pub detail: serde_json::Value,
}

/// `GET /api/v1/audit`: a page of entries, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The last item's `id` when more items follow (pass as `after`); null on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next: Option<i64>,
}
