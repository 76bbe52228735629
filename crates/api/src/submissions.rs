//! Submissions to approval programs (Cloud Fortified): opening one, its moves and its checks'.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/apps/{app}/submissions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSubmission {
    /// The program's key (`cloud-fortified`) or its badge's (`cloudFortified`).
    #[cfg_attr(feature = "openapi", schema(examples("cloud-fortified")))]
    pub program: String,
}

/// `POST /api/v1/submissions/{id}/actions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubmissionActionRequest {
    /// `triage`, `request-info`, `reply`, `start-review`, `soak`, `approve`, `reject` or
    /// `withdraw`.
    #[cfg_attr(feature = "openapi", schema(examples("triage")))]
    pub action: String,
    /// Required for `request-info` (the question), `reject` and `withdraw`.
    #[serde(default)]
    pub reason: Option<String>,
    /// For `request-info`: when the partner must answer by (RFC 3339; default 14 days).
    #[serde(default)]
    pub due: Option<String>,
}

/// `POST /api/v1/submissions/{id}/checks/{requirement}/actions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckActionRequest {
    /// `request-evidence`, `submit-evidence`, `ask-partner`, `start-configuring`,
    /// `grant-access`, `test-run`, `start-soak`, `pass`, `fail` or `waive`.
    #[cfg_attr(feature = "openapi", schema(examples("pass")))]
    pub action: String,
    /// Why (required for `waive`).
    #[serde(default)]
    pub reason: Option<String>,
    /// For `waive`: when the waiver runs out and the check reopens (RFC 3339).
    #[serde(default)]
    pub expires: Option<String>,
}

/// `POST /api/v1/submissions/{id}/messages`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// The message (at most 10,000 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(examples("Our alert address is alerts@example.com."))
    )]
    pub body: String,
}

/// One message of a submission's thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageView {
    pub at: String,
    pub actor: String,
    /// `partner`, `staff` or `system`.
    pub side: String,
    pub body: String,
    /// For a clarification: when the partner must answer by.
    pub due: Option<String>,
}

/// Evidence the partner submitted for a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceView {
    pub at: String,
    pub actor: String,
    /// What the partner sent (a description or a link).
    pub note: Option<String>,
}

/// Seconds a submission has waited on each side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitingSeconds {
    pub partner: i64,
    pub staff: i64,
    pub timer: i64,
}

/// A waiver of a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WaiverView {
    pub reason: String,
    pub granted_by: String,
    pub expires: String,
}

/// One requirement's check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckView {
    pub requirement: String,
    /// `not-started`, `evidence-requested`, `partner-action`, `staff-review`, `configuring`,
    /// `access-granted`, `test-run`, `soaking`, `passed`, `failed` or `waived`.
    pub state: String,
    /// `staff`, `partner`, `timer` or `nobody`.
    pub ball: String,
    pub soak_until: Option<String>,
    pub soaked: bool,
    pub waiver: Option<WaiverView>,
    /// What the partner submitted, oldest first (each `submit-evidence` with its reason).
    pub evidence: Vec<EvidenceView>,
    /// What can be done to it now (by someone).
    pub allowed_actions: Vec<String>,
}

/// One recorded move.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    /// `partner`, `staff` or `system`.
    pub side: String,
    pub action: String,
    /// The check's requirement, for a check's move.
    pub requirement: Option<String>,
    pub from: String,
    pub to: String,
    pub reason: Option<String>,
}

/// A submission, whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SubmissionView {
    pub id: i64,
    pub app: String,
    pub program: String,
    pub requirement_set: String,
    /// `submitted`, `triage`, `waiting-for-partner`, `waiting-for-staff`, `in-review`,
    /// `soaking`, `approved`, `rejected` or `withdrawn`.
    pub state: String,
    /// Who holds the ball: `staff`, `partner`, `timer` or `nobody`.
    pub ball: String,
    /// When the partner must answer the open clarification by.
    pub due: Option<String>,
    pub opened_at: String,
    pub updated_at: String,
    pub waiting: WaitingSeconds,
    /// The submission's moves possible now (by someone).
    pub allowed_actions: Vec<String>,
    pub checks: Vec<CheckView>,
    /// Every move, oldest first.
    pub history: Vec<HistoryEntry>,
    /// The thread, oldest first: clarifications with their due dates, answers, remarks and the
    /// service's notices.
    pub messages: Vec<MessageView>,
    /// The app's rolling SLOs with their daily history, as `GET /api/v1/apps/{app}/slos` shows
    /// them: what reliability's checks are judged on.
    pub slos: Vec<crate::signals::Slo>,
}

/// A submission in a queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SubmissionSummary {
    pub id: i64,
    pub app: String,
    pub program: String,
    pub state: String,
    pub ball: String,
    pub due: Option<String>,
    /// When it last moved: the queue is ordered by this, oldest first.
    pub updated_at: String,
}

/// `GET /api/v1/submissions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmissionPage {
    pub submissions: Vec<SubmissionSummary>,
    /// Pass as `after` for the next page; null on the last.
    pub next: Option<String>,
}

/// `?ball=&program=&state=&after=&limit=`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct SubmissionQuery {
    /// `staff`, `partner`, `timer` or `nobody`.
    pub ball: Option<String>,
    /// The program's key.
    pub program: Option<String>,
    pub state: Option<String>,
    /// The previous page's `next`.
    pub after: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}
