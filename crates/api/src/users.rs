//! Users: who the credentials belong to, and staff's management of users.

use serde::{Deserialize, Serialize};

/// What a user may do. `platform` is the deployment pipeline's service account: it reports
/// deploys to any app and does nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A member of a partner: manages that partner's apps.
    Partner,
    /// Marketplace staff: manages everything.
    Staff,
    /// A customer's site administrator.
    SiteAdmin,
    /// The deployment pipeline's service account.
    Platform,
}

/// A user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The partner's key, for partner members.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub partner: Option<String>,
    /// The customer site, for site admins.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub site: Option<String>,
    /// When staff disabled the user; present only while disabled. Every credential of a
    /// disabled user is refused.
    #[serde(
        rename = "disabledAt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub disabled_at: Option<String>,
}

/// `{"user": ...}`: the caller (`GET /api/v1/me`), or the user staff asked about or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserResponse {
    pub user: User,
}

/// `POST /api/v1/users` (staff).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    /// Must contain `@`; unique.
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
    /// `partner`, `staff` or `site-admin` (read by the server, so that a wrong one gets a
    /// message naming the choices).
    #[cfg_attr(feature = "openapi", schema(value_type = Role))]
    pub role: String,
    /// Partner key; required for (and only for) role `partner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// The customer site, for site admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

/// The user just created and their first token, shown only once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedUser {
    pub user: User,
    /// The secret (`apt_...`), shown only once.
    pub token: String,
}

/// `GET /api/v1/users`: a page of users, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPage {
    pub users: Vec<User>,
    /// The last item's `id` when more items follow (pass as `after`); null on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next: Option<i64>,
}
