//! Environments of an app: `development`, `staging`, `production` and custom ones.

use serde::{Deserialize, Serialize};

/// An environment and its latest version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    #[cfg_attr(feature = "openapi", schema(examples("production")))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub latest_version: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub created_at: String,
}

/// `POST /api/v1/apps/{app}/environments`: a custom environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateEnvironment {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9][a-z0-9-]{0,63}$"))]
    pub name: String,
}

/// `GET /api/v1/apps/{app}/environments`: a page of environments, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnvironmentPage {
    pub environments: Vec<Environment>,
    /// The last item's `id` when more items follow (pass as `after`); null on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next: Option<i64>,
}
