//! Browser sessions: signing in with a token, the session, and the caller's live sessions.

use serde::{Deserialize, Serialize};

use crate::users::User;

/// `POST /api/v1/session`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// An API token (`apt_...`).
    pub token: String,
}

/// A session just opened: the cookie comes in `Set-Cookie`, the CSRF token here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewSession {
    pub user: User,
    /// Echo it in `X-CSRF-Token` with every change made with the cookie.
    pub csrf_token: String,
    /// The header to echo it in: `x-csrf-token`.
    #[cfg_attr(feature = "openapi", schema(examples("x-csrf-token")))]
    pub csrf_header: String,
    /// When the session expires: `session-hours` from now, or the token's expiry if that is
    /// sooner.
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub expires_at: String,
}

/// `GET /api/v1/session`: the signed-in user, the session's id and its CSRF token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CurrentSession {
    /// The session's id, as `GET /api/v1/me/sessions` lists it.
    pub id: i64,
    pub user: User,
    pub csrf_token: String,
    /// The header to echo the CSRF token in: `x-csrf-token`.
    #[cfg_attr(feature = "openapi", schema(examples("x-csrf-token")))]
    pub csrf_header: String,
}

/// One of the caller's live sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub expires_at: String,
    /// The token the session was opened with; revoking it ends the session.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub token_id: Option<i64>,
    /// True for the session this request came with.
    pub current: bool,
}

/// `GET /api/v1/me/sessions`: a page of live sessions, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionPage {
    pub sessions: Vec<SessionInfo>,
    /// The last item's `id` when more items follow (pass as `after`); null on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next: Option<i64>,
}
