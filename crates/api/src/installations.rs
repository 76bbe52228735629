//! Sites, installations and the site admins' controls (docs/admin.md).

use serde::{Deserialize, Serialize};

/// `POST /api/v1/sites` (staff).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSite {
    /// The site's address, a lower-case DNS name.
    #[cfg_attr(
        feature = "openapi",
        schema(examples("acme.atlassian.net"), max_length = 253)
    )]
    pub key: String,
    /// Its data-residency location: `EU`, `US`, `AU`, `DE`, `SG`, `CA`, `IN`, `KR`, `JP`, `GB`
    /// or `CH`.
    #[cfg_attr(feature = "openapi", schema(examples("EU")))]
    pub residency: String,
}

/// A site's policies for installations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SitePolicy {
    /// Badges an app must carry to be installed; an installed app that loses one is flagged.
    #[cfg_attr(feature = "openapi", schema(examples(json!(["runsOnAtlassian"]))))]
    pub required_badges: Vec<String>,
    /// Whether new installations start with analytics egress allowed.
    pub analytics_egress_default: bool,
}

/// `PATCH /api/v1/sites/{site}/policy`: fields left out keep their value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateSitePolicy {
    /// Badge keys: `runsOnAtlassian`, `cloudFortified`, `cloudSecurityParticipant`,
    /// `bugBountyParticipant`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_badges: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_egress_default: Option<bool>,
}

/// A customer site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Site {
    pub key: String,
    pub residency: String,
    pub policy: SitePolicy,
    pub revision: i64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub updated_at: String,
}

/// Sites by key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteList {
    pub sites: Vec<Site>,
    /// Pass as `after` for the next page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `POST /api/v1/sites/{site}/installations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInstallation {
    /// The app's key.
    pub app: String,
}

/// Where an installation stands with the app's newest major.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConsentStatus {
    /// `none` (it runs the newest major), `pending` (a newer major waits for consent) or
    /// `declined` (an admin declined the newest major).
    #[cfg_attr(feature = "openapi", schema(examples("pending")))]
    pub state: String,
    /// The version offered, when a newer major exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered: Option<String>,
    /// The newest major an admin declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declined_major: Option<u32>,
}

/// An app installed on a site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Installation {
    pub id: i64,
    pub site: String,
    pub app: String,
    /// The installed major version.
    pub major: u32,
    /// The version in force: the latest production version of the installed major.
    pub version: Option<String>,
    pub allow_analytics_egress: bool,
    /// Whether the app's partner may read this installation's logs.
    pub allow_logs_access: bool,
    pub consent: ConsentStatus,
    /// Set while the installation breaks its site's policy: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_breaks: Option<Vec<String>>,
    pub revision: i64,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub installed_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub updated_at: String,
}

/// A site's installations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstallationList {
    pub installations: Vec<Installation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<i64>,
}

/// `PATCH /api/v1/installations/{id}`: switches left out keep their value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateInstallation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_analytics_egress: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_logs_access: Option<bool>,
    /// The revision the change is based on: a conflict if the installation moved since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
}

/// One destination of an installation's allow-list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EgressEntry {
    /// The egress list (`fetch.backend`, `images`, ...), or `remotes` for a remote's URL.
    pub list: String,
    /// The address as declared (variables filled in).
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(rename = "inScopeEUD")]
    pub in_scope_eud: bool,
    /// Analytics egress: the analytics switch controls it.
    pub analytics: bool,
}

/// One remote against the site's residency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RemoteAtSite {
    pub key: Option<String>,
    pub regions: Vec<String>,
    /// Its base URL map has a URL for the site's location.
    pub serves_site_region: bool,
    /// It may store in-scope End-User Data.
    pub stores_eud: bool,
    /// It stores in-scope End-User Data and has no URL for the site's location.
    pub eud_may_leave_residency: bool,
}

/// The version's residency report joined to the site's location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SiteResidency {
    pub site_residency: String,
    pub eud_may_leave_residency: bool,
    pub remotes: Vec<RemoteAtSite>,
}

/// `GET /api/v1/installations/{id}/egress`: the allow-list in force now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EffectiveEgress {
    pub installation: i64,
    pub site: String,
    pub app: String,
    /// The version in force; absent when the installed major has no production version.
    pub version: Option<String>,
    pub allow_analytics_egress: bool,
    /// What the app may reach now.
    pub allowed: Vec<EgressEntry>,
    /// Analytics entries the site's admins switched off.
    pub switched_off: Vec<EgressEntry>,
    pub residency: Option<SiteResidency>,
    /// The installation's revision these answers follow.
    pub revision: i64,
}

/// `POST /api/v1/installations/{id}/egress/decisions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EgressDecisionRequest {
    /// The outbound URL, whole (`https://api.example.com/v1/items`).
    #[cfg_attr(feature = "openapi", schema(max_length = 8192))]
    pub url: String,
    /// The egress list to decide for: `fetch.backend` (the default: the backend egress proxy's;
    /// the remotes' URLs count too) or a browser list (`fetch.client`, `fonts`, `frames`,
    /// `images`, `media`, `navigation`, `scripts`, `styles`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
}

/// Allow or deny, with the entry that allows or the reason that denies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EgressDecision {
    pub allowed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<EgressEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `GET /api/v1/installations/{id}/consent`: what the offered major adds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConsentView {
    pub installation: i64,
    pub status: ConsentStatus,
    /// The version in force.
    pub version: Option<String>,
    /// One line per change from the version in force to the one offered.
    pub changes: Vec<String>,
    /// The classification as `apptrust diff --format json` gives it; absent when nothing is
    /// offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub report: Option<serde_json::Value>,
}

/// `POST /api/v1/installations/{id}/consent` and `.../decline`: the major the admin read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentAnswer {
    pub major: u32,
}

/// `GET /api/v1/installations/{id}/logs-access`: whether the app's partner may read the
/// installation's logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LogsAccess {
    pub installation: i64,
    pub app: String,
    pub allowed: bool,
    /// The installation's revision this answer follows.
    pub revision: i64,
}

/// Installations of one major of an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MajorCount {
    pub major: u32,
    pub installations: i64,
    /// Of them, waiting for a site admin's consent to the newest major.
    pub pending: i64,
    /// Of them, declined the newest major.
    pub declined: i64,
}

/// `GET /api/v1/apps/{app}/installations`: what the partner may know (counts, never sites).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AppInstallations {
    pub app: String,
    /// The newest production major.
    pub latest_major: Option<u32>,
    pub installations: i64,
    pub by_major: Vec<MajorCount>,
}
