//! Versions (what deploys created), their evaluations and change reports.

use serde::{Deserialize, Serialize};

use crate::trust::BadgeEvent;

/// What the rules engine decided about a manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No rule fires: the version would carry the badge.
    Eligible,
    /// At least one trust-signal rule fires.
    NotEligible,
    /// Forge would refuse to deploy it.
    Blocked,
    /// The manifest could not be evaluated.
    Error,
}

/// An evaluation as stored with its version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    /// One of `Verdict`'s values.
    #[cfg_attr(feature = "openapi", schema(value_type = Verdict))]
    pub verdict: String,
    /// Trust-signal rule codes that fired.
    pub rules: Vec<String>,
    /// Deploy-blocker codes that fired.
    pub blockers: Vec<String>,
    /// Left out of list answers; at most 200 are stored. Passed through as stored (the shape of
    /// `Finding`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Finding>>))]
    pub findings: Option<serde_json::Value>,
    /// Findings beyond the 200 stored, counted but not kept (`apptrust check` shows them all).
    pub findings_omitted: i64,
    pub engine_version: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub evaluated_at: String,
}

impl Evaluation {
    /// The findings, read as `Finding`s, each on its own (one of another shape is skipped,
    /// not the list); none when left out.
    pub fn findings(&self) -> Vec<Finding> {
        self.findings
            .as_ref()
            .and_then(serde_json::Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|f| serde_json::from_value(f.clone()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A finding: a rule, blocker or advisory that fired, with its place and a fix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    #[cfg_attr(feature = "openapi", schema(examples("HAS_REMOTES")))]
    pub code: String,
    /// `rule`, `blocker`, `advisory` or `error`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::FindingKind))]
    pub kind: String,
    /// `error` or `warning`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::Severity))]
    pub severity: String,
    pub message: String,
    /// A concrete edit that resolves it, where one exists.
    pub fix: Option<String>,
    /// Absent for whole-file findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub column: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub end_line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub end_column: Option<u64>,
}

/// The change classification against the previous version of the environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangeReport {
    /// True when any change needs admin consent (a new major version).
    pub major: bool,
    /// At most 200; the rest are counted in `changesOmitted`.
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub changes: Vec<Change>,
    /// How many changes beyond the 200 stored were left out. Absent in reports stored before
    /// the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub changes_omitted: Option<u64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Verdict))]
    pub before: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Verdict))]
    pub after: String,
    pub rules_before: Vec<String>,
    pub rules_after: Vec<String>,
    /// `gained`, `lost` or `unchanged`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::Eligibility))]
    pub eligibility: String,
    /// Deploy blockers of the previous version (reports stored before 2026-12-02 lack it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blockers_before: Option<Vec<String>>,
    /// Deploy blockers of the new version (reports stored before 2026-12-02 lack it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blockers_after: Option<Vec<String>>,
}

/// One change between two versions of a manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    /// `major` or `minor`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::Impact))]
    pub impact: String,
    /// `egress`, `webtrigger`, `providers`, `remotes`, `scopes`, `llm` or `other`.
    #[cfg_attr(feature = "openapi", schema(examples("egress", "remotes", "scopes")))]
    pub area: String,
    pub description: String,
    pub line: Option<u64>,
    /// Which manifest `line` is in: `new` for what was added or changed, `old` for what was
    /// removed (reports stored before 2026-12-02 lack it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::closed_sets::ManifestSide>))]
    pub file: Option<String>,
}

/// A version of an app in one environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Version {
    /// The app key.
    pub app: String,
    pub environment: String,
    /// `MAJOR.MINOR.PATCH`, no leading zeros.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)$",
            examples("1.2.0")
        )
    )]
    pub version: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub deployed_at: String,
    /// The deployer's e-mail address.
    pub deployed_by: String,
    /// Who reported the deploy: the deployment pipeline's `platform` account, `staff`, or a
    /// `partner` member.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::ReportedBy))]
    pub reported_by: String,
    pub manifest_sha256: String,
    /// The names of the variables the version was deployed with (their values are never shown).
    pub variables: Vec<String>,
    pub evaluation: Evaluation,
    /// Null for the first version of an environment or when the change could not be
    /// classified. Passed through as stored (the shape of `ChangeReport`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<ChangeReport>, required = true))]
    pub change: Option<serde_json::Value>,
    /// The badge events this deploy caused.
    pub badge_events: Vec<BadgeEvent>,
    /// The manifest text; only in single-version reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
}

/// `?before=&limit=`: versions are paged newest first, by version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// Only versions older than this one (the paging cursor: the previous page's `next`).
    #[cfg_attr(
        feature = "openapi",
        param(
            pattern = "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)$",
            example = "1.2.0"
        )
    )]
    pub before: Option<String>,
    /// Page size; outside 1..200 is a 422.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200, default = 50))]
    pub limit: Option<i64>,
}

/// A page of versions, newest first, without their manifests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionPage {
    pub versions: Vec<Version>,
    /// Pass as `before` for the next page; null on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next: Option<String>,
}
