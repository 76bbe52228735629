//! The public trust document of an app, in the shape of the specification's read model (a
//! superset of what Marketplace clients already read): every program's badge with its status,
//! the reasons and the version behind it, and the badge history.

use serde::{Deserialize, Serialize};

/// A badge's status, as Marketplace clients read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BadgeStatus {
    Approved,
    Removed,
    NotAParticipant,
    /// Suspended during an escalation (approval programs).
    Suspended,
    /// The program was retired: history, not a sanction.
    Retired,
}

/// A badge moving from one status to another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BadgeEvent {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::apps::ProgramKey))]
    pub program: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub at: String,
    #[cfg_attr(feature = "openapi", schema(value_type = BadgeStatus))]
    pub from: String,
    #[cfg_attr(feature = "openapi", schema(value_type = BadgeStatus))]
    pub to: String,
    /// `auto-evaluation` (a deploy) or `reevaluation` (a newer rules engine).
    #[cfg_attr(
        feature = "openapi",
        schema(examples("auto-evaluation", "reevaluation"))
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::Cause))]
    pub cause: String,
    /// The version the event came from.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub version: Option<String>,
    /// Rule codes behind the change.
    pub reasons: Vec<String>,
}

/// `GET /api/v1/apps/{app}/trust`: public, no sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TrustDocument {
    pub app_key: String,
    pub name: String,
    /// The partner's display name (not its key).
    pub partner: String,
    /// `forge` or `connect`.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::closed_sets::Framework))]
    pub framework: String,
    pub programs: Programs,
    /// Newest first, at most 50.
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub badge_events: Vec<BadgeEvent>,
}

/// Every program, in the read model's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Programs {
    pub cloud_fortified: CloudFortifiedEntry,
    pub bug_bounty_participant: BugBounty,
    pub cloud_security_participant: Status,
    pub runs_on_atlassian: RunsOnAtlassianEntry,
}

/// Cloud Fortified: the status, since when, and the requirement set the app was approved against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CloudFortifiedEntry {
    #[cfg_attr(feature = "openapi", schema(value_type = BadgeStatus))]
    pub status: String,
    /// When the status last changed; absent when the app never took part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The requirement set behind the status (`cloud-fortified/2026-01`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement_set: Option<String>,
    /// The first day of the next annual review week, on the partner's calendar (`2027-03-25`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_review: Option<String>,
}

/// A program read by its status alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    #[cfg_attr(feature = "openapi", schema(value_type = BadgeStatus))]
    pub status: String,
}

/// The bug bounty, under `cloud` as Marketplace clients read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BugBounty {
    pub cloud: Status,
}

/// Runs on Atlassian: whether the app is eligible, and the version and rules behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunsOnAtlassianEntry {
    /// True when the status is APPROVED.
    pub eligible: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = BadgeStatus))]
    pub status: String,
    /// When the status last changed; absent when the app never had a production deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime, examples("2025-01-31T09:30:00.000Z")))]
    pub since: Option<String>,
    /// The production version the status was computed from.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub version: Option<String>,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub environment: Option<String>,
    /// Rule codes that fire on that version.
    pub reasons: Vec<String>,
    /// Who reported the version behind the badge: `platform` when the deployment pipeline
    /// itself did, `partner` or `staff` otherwise.
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, examples("platform", "staff", "partner"))
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::closed_sets::ReportedBy>))]
    pub reported_by: Option<String>,
}
