//! `GET /api/v1/programs` and `GET /api/v1/programs/{program}`: the trust programs and their
//! requirement sets, public.

use serde::{Deserialize, Serialize};

/// A program, as listed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProgramSummary {
    /// The program's key in addresses (`cloud-fortified`).
    #[cfg_attr(feature = "openapi", schema(examples("cloud-fortified")))]
    pub key: String,
    /// Its badge's key in trust documents and search (`cloudFortified`).
    #[cfg_attr(feature = "openapi", schema(examples("cloudFortified")))]
    pub badge: String,
    pub name: String,
    pub description: String,
    /// `automatic`, `approval` or `derived`.
    #[cfg_attr(feature = "openapi", schema(examples("approval")))]
    pub grant: String,
    /// For a derived program: the record it follows (`bug-bounty`).
    pub derived_from: Option<String>,
    /// `active`, `closed-to-new`, `retiring` or `retired`.
    #[cfg_attr(feature = "openapi", schema(examples("active")))]
    pub status: String,
    /// For a retiring program: the day it ends.
    pub retiring_on: Option<String>,
    /// The version of the requirement set in force today, if the program has sets.
    pub requirement_set_in_force: Option<String>,
}

/// `GET /api/v1/programs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgramList {
    pub programs: Vec<ProgramSummary>,
}

/// `GET /api/v1/programs/{program}`: the program with every version of its requirement set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProgramDetail {
    pub program: ProgramSummary,
    /// Oldest first.
    pub requirement_sets: Vec<RequirementSetView>,
}

/// One version of a requirement set, with where it stands today.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RequirementSetView {
    /// `cloud-fortified/2026-01`.
    pub id: String,
    pub version: String,
    pub summary: String,
    /// `unpublished`, `in-discussion`, `announced` (not in force yet), `in-grace` (in force;
    /// approved apps may stay on the previous set until `graceUntil`), `effective`, or
    /// `superseded` (a later set is in force).
    #[cfg_attr(feature = "openapi", schema(examples("effective", "in-discussion")))]
    pub phase: String,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub announced: String,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub discussion_until: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub effective: String,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub grace_until: String,
    /// Requirement ids this version added, changed and dropped against the previous one.
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub dropped: Vec<DroppedRequirement>,
    /// Every requirement in force with this version.
    pub requirements: Vec<RequirementView>,
}

/// A requirement a version dropped, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DroppedRequirement {
    pub id: String,
    pub reason: String,
}

/// A requirement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RequirementView {
    /// `<stream>.<name>`, stable across versions.
    #[cfg_attr(feature = "openapi", schema(examples("reliability.availability")))]
    pub id: String,
    /// `eligibility`, `security`, `reliability`, `incident`, `support` or `privacy`.
    pub stream: String,
    pub title: String,
    /// `connect`, `forge`.
    pub frameworks: Vec<String>,
    /// `partner-attests`, `staff-verifies-status`, `staff-configures-and-tests` or
    /// `automated-signal`.
    pub verification: String,
    pub soak_days: Option<u32>,
    pub criterion: Option<CriterionView>,
    /// Days from report to fix by severity (`critical`, `high`, `medium`, `low`).
    pub fix_within_days: Option<std::collections::BTreeMap<String, u32>>,
    pub triage_days: Option<u32>,
    pub slow_after_ms: Option<u32>,
}

/// `metric comparator threshold`, over `windowDays` when rolling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CriterionView {
    pub metric: String,
    /// `>=`, `<=` or `==`.
    pub comparator: String,
    pub threshold: f64,
    pub window_days: Option<u32>,
}

/// `?requirementSet=` of a dry run: the set's version (`2027-01`) or id; the newest published
/// set when left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DryRunQuery {
    pub requirement_set: Option<String>,
}

/// How one requirement fares in a dry run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRunRequirement {
    pub requirement: String,
    pub title: String,
    /// `partner-attests`, `staff-verifies-status`, `staff-configures-and-tests` or
    /// `automated-signal`.
    pub verification: String,
    /// `added`, `changed` or `unchanged` against the set compared with.
    pub change: String,
    /// `meets`, `fails`, `unknown` (too few measurements) or `needs-evidence`.
    pub outcome: String,
    pub detail: String,
}

/// Counts of a dry run's outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DryRunSummary {
    pub meets: usize,
    pub fails: usize,
    pub unknown: usize,
    pub needs_evidence: usize,
}

/// `GET /api/v1/apps/{app}/programs/{program}/dry-run`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DryRunView {
    pub app: String,
    pub program: String,
    pub requirement_set: String,
    /// The set's phase today (`announced`, `in-discussion`, `in-grace`, ...).
    pub phase: String,
    /// The set compared with: the one the app's badge stands on, else the one in force.
    pub compared_with: Option<String>,
    /// Requirement ids added, changed and dropped from `comparedWith` to this set.
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub dropped: Vec<String>,
    pub summary: DryRunSummary,
    pub requirements: Vec<DryRunRequirement>,
}
