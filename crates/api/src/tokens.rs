//! API tokens: issuing, listing and revoking them.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/me/tokens` and `POST /api/v1/users/{id}/tokens`. Without `expiresAt` and
/// `expiresInDays` the token lasts until revoked; giving both is a 422.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateToken {
    /// Trimmed; 1 to 100 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub label: String,
    /// RFC 3339, in the future; the token is refused after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00Z")))]
    pub expires_at: Option<String>,
    /// Whole days from now (1 to 3,650), instead of `expiresAt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3650))]
    pub expires_in_days: Option<i64>,
}

/// A token just issued, shown only once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IssuedToken {
    /// The secret (`apt_...`), shown only once.
    #[cfg_attr(feature = "openapi", schema(pattern = "^apt_"))]
    pub token: String,
    pub id: i64,
    pub label: String,
    /// Null: until revoked.
    #[cfg_attr(feature = "openapi", schema(format = DateTime, required = true))]
    pub expires_at: Option<String>,
}

/// A token as listed: never its secret, which is not stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub id: i64,
    pub label: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// After this the token is refused; null: until revoked.
    #[cfg_attr(feature = "openapi", schema(format = DateTime, required = true))]
    pub expires_at: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, required = true))]
    pub revoked_at: Option<String>,
    /// The token this one was issued under (directly or through a session opened with it);
    /// revoking that one revokes this one. Null for tokens created with the user or issued by
    /// staff.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub issued_by_token: Option<i64>,
}

/// A page of tokens, oldest first, revoked and expired ones included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenPage {
    pub tokens: Vec<TokenInfo>,
    /// The last item's `id` when more items follow (pass as `after`); null on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next: Option<i64>,
}

/// `DELETE /api/v1/users/{id}/tokens`: what was revoked and ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RevokedCredentials {
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub tokens_revoked: u64,
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub sessions_ended: u64,
}
