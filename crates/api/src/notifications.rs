//! Notifications: what an app's owners were told, and everyone's e-mail settings.

use serde::{Deserialize, Serialize};

/// The events there are, as webhooks, deliveries and e-mail settings name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Event {
    /// A badge was gained: the app now carries it.
    #[serde(rename = "badge.gained")]
    BadgeGained,
    /// A badge was lost.
    #[serde(rename = "badge.lost")]
    BadgeLost,
    /// A new major production version waits for site admins' consent.
    #[serde(rename = "version.consent-required")]
    ConsentRequired,
    /// A deploy was refused because Forge would not deploy the manifest.
    #[serde(rename = "deploy.blocked")]
    DeployBlocked,
    /// A submission moved: its state, its ball holder or its due date.
    #[serde(rename = "submission.moved")]
    SubmissionMoved,
    /// One of a submission's checks moved.
    #[serde(rename = "submission.check-moved")]
    CheckMoved,
    /// A message was added to a submission's thread.
    #[serde(rename = "submission.message")]
    SubmissionMessage,
    /// An annual review was scheduled or moved: its notice, its start, findings, the outcome.
    #[serde(rename = "review.moved")]
    ReviewMoved,
    /// An escalation was raised or moved; a demotion says when the badge is suspended.
    #[serde(rename = "escalation.moved")]
    EscalationMoved,
    /// A vulnerability passed its due date under the Security Bug Fix Policy, unfixed.
    #[serde(rename = "vulnerability.overdue")]
    VulnerabilityOverdue,
    /// The app is on a go-to-market list edition just published.
    #[serde(rename = "edition.published")]
    EditionPublished,
    /// A requirement set was published, came into force, or its grace ended.
    #[serde(rename = "requirements.changed")]
    RequirementsChanged,
    /// To a site's admins: an app installed on the site lost a badge.
    #[serde(rename = "installation.badge-lost")]
    InstallationBadgeLost,
    /// To a site's admins: a new major of an installed app waits for their consent.
    #[serde(rename = "installation.consent-required")]
    InstallationConsentRequired,
    /// To a site's admins: the egress of the version in force on their site changed.
    #[serde(rename = "installation.egress-changed")]
    InstallationEgressChanged,
    /// To a site's admins: an installation now breaks the site's policy (it is flagged).
    #[serde(rename = "installation.policy-broken")]
    InstallationPolicyBroken,
}

impl Event {
    /// Every event, in the order the documentation lists them.
    pub const ALL: [Event; 16] = [
        Event::BadgeGained,
        Event::BadgeLost,
        Event::ConsentRequired,
        Event::DeployBlocked,
        Event::SubmissionMoved,
        Event::CheckMoved,
        Event::SubmissionMessage,
        Event::ReviewMoved,
        Event::EscalationMoved,
        Event::VulnerabilityOverdue,
        Event::EditionPublished,
        Event::RequirementsChanged,
        Event::InstallationBadgeLost,
        Event::InstallationConsentRequired,
        Event::InstallationEgressChanged,
        Event::InstallationPolicyBroken,
    ];

    /// The event's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::BadgeGained => "badge.gained",
            Event::BadgeLost => "badge.lost",
            Event::ConsentRequired => "version.consent-required",
            Event::DeployBlocked => "deploy.blocked",
            Event::SubmissionMoved => "submission.moved",
            Event::CheckMoved => "submission.check-moved",
            Event::SubmissionMessage => "submission.message",
            Event::ReviewMoved => "review.moved",
            Event::EscalationMoved => "escalation.moved",
            Event::VulnerabilityOverdue => "vulnerability.overdue",
            Event::EditionPublished => "edition.published",
            Event::RequirementsChanged => "requirements.changed",
            Event::InstallationBadgeLost => "installation.badge-lost",
            Event::InstallationConsentRequired => "installation.consent-required",
            Event::InstallationEgressChanged => "installation.egress-changed",
            Event::InstallationPolicyBroken => "installation.policy-broken",
        }
    }
}

/// A notification as its owners read it. The payload holds `event`, `app`, `at`, and per
/// event `program`, `from`, `to`, `version`, `cause`, `reasons` (badges), `environment`,
/// `version`, `previous` (consent), `environment`, `verdict`, `blockers` (refused deploys).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Event))]
    pub event: String,
    pub subject: String,
    pub payload: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
}

/// `GET /api/v1/apps/{app}/notifications`: a page of notifications, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    /// The last notification's `id` when more follow (pass as `after`); null on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next: Option<i64>,
}

/// The caller's e-mail settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettings {
    pub email: String,
    /// Whether the server sends e-mail at all (an SMTP relay is configured).
    pub email_enabled: bool,
    /// Every event there is.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Event>))]
    pub events: Vec<String>,
    /// The events the caller does not want e-mail about.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Event>))]
    pub email_opt_out: Vec<String>,
}

/// `PUT /api/v1/me/notification-settings`: replaces the events the caller does not want e-mail
/// about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateNotificationSettings {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Event>))]
    pub email_opt_out: Vec<String>,
}
