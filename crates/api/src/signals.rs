//! Automated signals: reliability measurements, SLOs, windows left out of them, vulnerability
//! records and bug bounties.

use serde::{Deserialize, Serialize};

/// One health-check poll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HealthCheckIn {
    /// When the poll was made (RFC 3339).
    pub at: String,
    /// Whether the app answered as healthy.
    pub ok: bool,
    /// How long it took; a reply slower than the requirement's limit (3 s) is a failure.
    #[serde(default)]
    pub latency_ms: Option<u64>,
}

/// One installation callback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CallbackIn {
    pub at: String,
    pub ok: bool,
}

/// `POST /api/v1/apps/{app}/signals`: at most 1,000 measurements.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SignalBatch {
    #[serde(default)]
    pub health_checks: Vec<HealthCheckIn>,
    #[serde(default)]
    pub installation_callbacks: Vec<CallbackIn>,
}

/// A metric over its rolling window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SloReading {
    /// `availability.percent` or `installation-callbacks.percent`.
    pub metric: String,
    /// The target, in percent (99.9).
    pub target: f64,
    pub window_days: u32,
    pub total: i64,
    pub good: i64,
    /// In percent; null without measurements.
    pub value: Option<f64>,
    /// Null with fewer than 100 measurements in the window.
    pub met: Option<bool>,
}

/// The answer to a batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Ingested {
    pub accepted: usize,
    /// Polls during downtime the partner announced: not counted.
    pub in_downtime: usize,
    /// The SLOs the batch touched, read again.
    pub slos: Vec<SloReading>,
    /// System escalations the batch opened (a breach repeated within the window).
    pub escalations: Vec<i64>,
}

/// One day of an SLO's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SloDay {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub total: i64,
    pub good: i64,
    /// In percent; null without measurements that day.
    pub value: Option<f64>,
}

/// One SLO with its daily history over the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Slo {
    #[serde(flatten)]
    pub reading: SloReading,
    /// Oldest first, every day of the window.
    pub daily: Vec<SloDay>,
}

/// A stretch of time left out of the SLOs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WindowView {
    pub id: i64,
    /// `downtime` (announced by the partner) or `exclusion` (a marketplace incident).
    pub kind: String,
    pub from: String,
    pub until: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: String,
}

/// `GET /api/v1/apps/{app}/slos`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SloReport {
    pub slos: Vec<Slo>,
    /// Windows of the last 28 days and the future.
    pub windows: Vec<WindowView>,
}

/// `POST /api/v1/apps/{app}/downtime` and `.../exclusions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WindowRequest {
    /// RFC 3339; downtime must start in the future.
    pub from: String,
    /// RFC 3339; at most 7 days after `from`.
    pub until: String,
    pub reason: String,
}

/// `POST /api/v1/apps/{app}/vulnerabilities`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VulnerabilityRequest {
    /// The reporter's id for it; posting the same id again updates it (its fix, say).
    #[cfg_attr(feature = "openapi", schema(examples("BB-1042")))]
    pub id: String,
    /// `critical`, `high`, `medium` or `low`.
    pub severity: String,
    /// `bug-bounty` (2 more weeks for triage) or `other` (the default).
    #[serde(default)]
    pub source: Option<String>,
    pub reported_at: String,
    #[serde(default)]
    pub fixed_at: Option<String>,
}

/// A vulnerability record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VulnerabilityView {
    pub id: String,
    pub severity: String,
    pub source: String,
    pub reported_at: String,
    /// Under the Security Bug Fix Policy: critical 4 weeks, high 6, medium 8, low 25, plus 2
    /// for bug-bounty findings.
    pub due_at: String,
    pub fixed_at: Option<String>,
    /// Unfixed past its due date.
    pub overdue: bool,
}

/// `GET /api/v1/apps/{app}/vulnerabilities`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VulnerabilityList {
    pub vulnerabilities: Vec<VulnerabilityView>,
}

/// `PUT /api/v1/apps/{app}/bug-bounty`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BugBountyRequest {
    /// `active`, `paused` or `ended`.
    pub state: String,
    /// Whether it is a paid program.
    pub paid: bool,
}

/// An app's bug bounty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BugBountyView {
    pub state: String,
    pub paid: bool,
    /// When it entered this state.
    pub since: String,
    pub updated_at: String,
}
