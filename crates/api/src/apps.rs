//! Apps: the public search, creation and the owner's view.

use serde::{Deserialize, Serialize};

use crate::environments::Environment;

/// An app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct App {
    #[cfg_attr(feature = "openapi", schema(examples("com.example.app")))]
    pub key: String,
    pub name: String,
    /// The partner's key.
    pub partner: String,
    /// `forge` or `connect`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::Framework))]
    pub framework: String,
    /// The Forge app id every deploy's manifest must name (`app.id`); null until given at
    /// creation or taken from the first deploy. One Forge app id belongs to one app.
    #[cfg_attr(
        feature = "openapi",
        schema(
            required = true,
            pattern = "^ari:cloud:ecosystem::app/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
        )
    )]
    pub forge_app_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub created_at: String,
}

/// `POST /api/v1/apps`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateApp {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    )]
    pub key: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    /// Partner key. Required for staff; partner members may omit it (defaults to their own) or
    /// must name their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// `forge` (the default) or `connect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::closed_sets::Framework>))]
    pub framework: Option<String>,
    /// The app's Forge app id; omitted: taken from its first deploy. A duplicate is refused with
    /// 409.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^ari:cloud:ecosystem::app/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
        )
    )]
    pub forge_app_id: Option<String>,
}

/// `PUT /api/v1/apps/{app}/forge-app-id` (staff): correct the Forge app an app is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetForgeAppId {
    /// The Forge app id to bind, or `null` to unbind (the next deploy binds again). Required:
    /// leaving it out is refused rather than read as `null`.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            value_type = Option<String>,
            required = true,
            pattern = "^ari:cloud:ecosystem::app/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
        )
    )]
    pub forge_app_id: Option<Option<String>>,
}

/// Tells a field given as `null` (`Some(None)`) from a missing one (`None`).
fn present<'de, D>(deserializer: D) -> Result<Option<Option<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Some(Option::deserialize(deserializer)?))
}

/// An app with every one of its environments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppWithEnvironments {
    pub app: App,
    pub environments: Vec<Environment>,
}

/// The keys of the trust programs, as badges and search filters name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum ProgramKey {
    RunsOnAtlassian,
    CloudFortified,
    CloudSecurityParticipant,
    BugBountyParticipant,
}

/// `GET /api/v1/apps?badge=&partner=&framework=&q=&after=&limit=`: the public search.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Only apps carrying this badge (status APPROVED).
    #[cfg_attr(feature = "openapi", param(value_type = Option<ProgramKey>))]
    pub badge: Option<String>,
    /// Only this partner's apps (partner key).
    pub partner: Option<String>,
    /// `forge` or `connect`.
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::closed_sets::Framework>))]
    pub framework: Option<String>,
    /// Only apps whose key or name contains this text, case-insensitively. Longer than
    /// `max-search-chars` (default 200) is a 400.
    pub q: Option<String>,
    /// Only apps whose key sorts after this one: the previous page's `next`.
    pub after: Option<String>,
    /// Page size; outside 1..200 is a 422.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200, default = 50))]
    pub limit: Option<i64>,
}

/// An app as the search lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppSummary {
    pub key: String,
    pub name: String,
    /// The partner's key.
    pub partner: String,
    /// `forge` or `connect`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::Framework))]
    pub framework: String,
    /// Programs whose badge is APPROVED.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<ProgramKey>))]
    pub badges: Vec<String>,
}

/// A page of the search, ordered by key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchPage {
    pub apps: Vec<AppSummary>,
    /// Pass as `after` for the next page; null on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next: Option<String>,
}
