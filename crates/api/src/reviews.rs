//! Annual reviews of approved apps: the calendar, one review with its delta, and its moves.

use serde::{Deserialize, Serialize};

use crate::submissions::HistoryEntry;

/// `POST /api/v1/reviews/{id}/actions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewActionRequest {
    /// Staff: `pass`, `report-findings`, `extend`, `remove`; the partner: `resolve`.
    #[cfg_attr(feature = "openapi", schema(examples("pass")))]
    pub action: String,
    /// Required for `report-findings` (the finding), `resolve`, `extend` and `remove`.
    #[serde(default)]
    pub reason: Option<String>,
    /// For `extend`: the new due date (RFC 3339, at least a day away).
    #[serde(default)]
    pub due: Option<String>,
}

/// A finding staff reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingView {
    pub at: String,
    pub actor: String,
    pub text: String,
}

/// Requirements that changed between two sets, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequirementChanges {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub dropped: Vec<String>,
}

/// What changed since approval (or the last review): what staff check instead of starting over.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviewDeltaView {
    /// From the set the app holds to the one it is reviewed against.
    pub requirements: RequirementChanges,
    /// Major versions released to production since.
    pub new_majors: Vec<String>,
    /// Egress the production versions since added or changed, as their change reports say.
    pub egress_added: Vec<String>,
}

/// One year's review, whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviewView {
    pub id: i64,
    pub app: String,
    pub program: String,
    /// The submission that granted the badge: the notice is posted on its thread.
    pub submission: Option<i64>,
    pub year: i16,
    /// `scheduled`, `noticed`, `in-review`, `remediating`, `remediation-review`, `overdue`,
    /// `passed`, `passed-after-remediation` or `removed`.
    pub state: String,
    /// `staff`, `partner`, `timer` or `nobody`.
    pub ball: String,
    /// The first day of the review week on the partner's calendar (`2027-03-25`).
    pub first_day: String,
    pub notice_at: String,
    pub starts_at: String,
    pub ends_at: String,
    /// When findings are due by default: 28 days after the review week.
    pub remediation_due: String,
    /// When the open findings must be resolved by (an extension moves it).
    pub due: Option<String>,
    /// The requirement set the app holds.
    pub held_set: String,
    /// The set it is reviewed against.
    pub requirement_set: String,
    /// `passed`, `passed-after-remediation`, `extended` or `removed`.
    pub outcome: Option<String>,
    pub findings: Vec<FindingView>,
    /// Filled when the review week starts.
    pub delta: ReviewDeltaView,
    /// Moves possible now (by someone; the calendar's own are not listed).
    pub allowed_actions: Vec<String>,
    pub history: Vec<HistoryEntry>,
    /// The app's SLOs with their daily history over the window: the reliability part of the
    /// delta.
    pub slos: Vec<crate::signals::Slo>,
}

/// A review on the calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviewSummary {
    pub id: i64,
    pub app: String,
    pub program: String,
    pub state: String,
    pub ball: String,
    pub starts_at: String,
    pub due: Option<String>,
}

/// `GET /api/v1/reviews`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewPage {
    pub reviews: Vec<ReviewSummary>,
    /// Pass as `after` for the next page; null on the last.
    pub next: Option<String>,
}

/// `?from=&to=&program=&state=&ball=&open=&after=&limit=`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    /// Reviews starting at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Reviews starting before this time (RFC 3339).
    pub to: Option<String>,
    pub program: Option<String>,
    pub state: Option<String>,
    /// `staff`, `partner`, `timer` or `nobody`.
    pub ball: Option<String>,
    /// Only reviews not yet decided.
    pub open: Option<bool>,
    /// The previous page's `next`.
    pub after: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}
