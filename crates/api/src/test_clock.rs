//! The test clock of `apptrust serve --test-clock`: tests move the service through weeks of
//! timers in seconds.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/test/clock`: a move of the test clock; exactly one of the two.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MoveClock {
    /// The time to move to (RFC 3339, not before the clock's time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub now: Option<String>,
    /// How far to move forward (ISO 8601 duration: `P3DT4H`, `PT90M`, `P2W`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(examples("P3DT4H")))]
    pub advance: Option<String>,
}

/// The test clock's time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClockTime {
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub now: String,
    /// Always true.
    pub test_clock: bool,
}
