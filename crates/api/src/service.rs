//! Operations: liveness and readiness.

use serde::{Deserialize, Serialize};

/// `GET /healthz`: the process is up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Always `ok`.
    #[cfg_attr(feature = "openapi", schema(examples("ok")))]
    pub status: String,
    /// The server build's version.
    pub version: String,
    /// The rules engine that judges deploys.
    pub engine_version: String,
    /// True when the server runs on a test clock (`apptrust serve --test-clock`).
    pub test_clock: bool,
    /// The test clock's time; only on a test clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<String>,
}

/// `GET /readyz`: whether the instance can take traffic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// `ready` or `not-ready`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::ReadinessStatus))]
    pub status: String,
    /// `sqlite` or `postgres`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::Database))]
    pub database: String,
}
