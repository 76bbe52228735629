//! Escalations against apps carrying an approval program's badge.

use serde::{Deserialize, Serialize};

use crate::submissions::HistoryEntry;

/// `POST /api/v1/apps/{app}/escalations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RaiseEscalation {
    /// The program's key (`cloud-fortified`) or its badge's.
    #[cfg_attr(feature = "openapi", schema(examples("cloud-fortified")))]
    pub program: String,
    /// What happened.
    #[cfg_attr(
        feature = "openapi",
        schema(examples("Sync stopped for two days; support did not answer."))
    )]
    pub reason: String,
}

/// `POST /api/v1/escalations/{id}/actions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EscalationActionRequest {
    /// Staff: `agree-plan`, `resolve`, `exclude`, `demote`, `remove`; the partner:
    /// `complete-plan`.
    #[cfg_attr(feature = "openapi", schema(examples("agree-plan")))]
    pub action: String,
    /// Why (required for every move).
    #[serde(default)]
    pub reason: Option<String>,
    /// For `agree-plan`: the plan's due date (RFC 3339, at least a day away).
    #[serde(default)]
    pub due: Option<String>,
}

/// An escalation, whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EscalationView {
    pub id: i64,
    pub app: String,
    pub program: String,
    /// `staff`, `customer` or `system`.
    pub source: String,
    /// For a system escalation: what it is about (`slo-breach:availability`).
    pub cause: Option<String>,
    pub reason: String,
    pub opened_at: String,
    /// `incident-management`, `remediation-plan`, `plan-review`, `plan-overdue`,
    /// `demotion-notice`, `suspended`, `resolved`, `excluded` or `removed`.
    pub state: String,
    /// `staff`, `partner`, `timer` or `nobody`.
    pub ball: String,
    /// The agreed plan's due date.
    pub plan_due: Option<String>,
    /// When the badge is suspended, after the partner's notice.
    pub suspends_at: Option<String>,
    /// Moves possible now (by someone; the deadlines' own are not listed).
    pub allowed_actions: Vec<String>,
    pub history: Vec<HistoryEntry>,
}

/// An escalation in a queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EscalationSummary {
    pub id: i64,
    pub app: String,
    pub program: String,
    pub state: String,
    pub ball: String,
    /// The next deadline: the plan's due date or the suspension.
    pub due: Option<String>,
    pub opened_at: String,
}

/// `GET /api/v1/escalations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EscalationPage {
    pub escalations: Vec<EscalationSummary>,
    /// Pass as `after` for the next page; null on the last.
    pub next: Option<String>,
}

/// `?program=&state=&ball=&open=&after=&limit=`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct EscalationQuery {
    pub program: Option<String>,
    pub state: Option<String>,
    /// `staff`, `partner`, `timer` or `nobody`.
    pub ball: Option<String>,
    /// Only escalations not yet decided.
    pub open: Option<bool>,
    /// The previous page's `next`.
    pub after: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}
