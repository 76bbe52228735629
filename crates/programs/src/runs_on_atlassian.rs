//! The Runs on Atlassian badge: applied automatically, it follows the latest version deployed to
//! the production environment (a decision: Atlassian has not published which version carries it).
//! Development and staging signals are advisory and never move the badge.

use apptrust_rules::{Code, Verdict};
use serde::Serialize;

use crate::AppVersion;

/// The environment whose latest version carries the badge.
pub const BADGE_ENVIRONMENT: &str = "production";

/// Whether the app carries the badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BadgeStatus {
    /// Carries the badge.
    Approved,
    /// Carried it and lost it.
    Removed,
    /// Never carried it.
    NotAParticipant,
}

/// Why a badge changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// A deploy was evaluated.
    AutoEvaluation,
    /// A new rules engine re-evaluated a stored version.
    Reevaluation,
}

/// One evaluated deploy.
#[derive(Clone, Debug, PartialEq)]
pub struct Deploy<'a> {
    pub environment: &'a str,
    pub version: AppVersion,
    pub verdict: Verdict,
    pub rules: &'a [Code],
    /// RFC 3339 time, passed in by the caller.
    pub at: &'a str,
}

/// A change of the badge, with the version and the rules that caused it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BadgeEvent {
    pub program: &'static str,
    pub at: String,
    pub to: BadgeStatus,
    pub cause: Cause,
    pub version: AppVersion,
    pub reasons: Vec<Code>,
}

/// The badge state of one app.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunsOnAtlassian {
    pub status: BadgeStatus,
    /// The production version the status was computed from.
    pub version: Option<AppVersion>,
    /// The rules that fire on that version.
    pub reasons: Vec<Code>,
}

impl BadgeStatus {
    /// The status as the API and the database spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            BadgeStatus::Approved => "APPROVED",
            BadgeStatus::Removed => "REMOVED",
            BadgeStatus::NotAParticipant => "NOT_A_PARTICIPANT",
        }
    }

    /// Reads a stored status; `None` for a spelling this version does not know.
    pub fn parse(text: &str) -> Option<BadgeStatus> {
        [
            BadgeStatus::Approved,
            BadgeStatus::Removed,
            BadgeStatus::NotAParticipant,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl Cause {
    /// The cause as the API and the database spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::AutoEvaluation => "auto-evaluation",
            Cause::Reevaluation => "reevaluation",
        }
    }
}

impl Default for RunsOnAtlassian {
    fn default() -> Self {
        RunsOnAtlassian {
            status: BadgeStatus::NotAParticipant,
            version: None,
            reasons: Vec::new(),
        }
    }
}

impl RunsOnAtlassian {
    /// Applies an evaluated deploy. Returns the badge event when the status changes; deploys to
    /// other environments, and production deploys older than the current version, change nothing.
    pub fn apply(&mut self, deploy: &Deploy<'_>, cause: Cause) -> Option<BadgeEvent> {
        if deploy.environment != BADGE_ENVIRONMENT {
            return None;
        }
        if self.version.is_some_and(|current| deploy.version < current) {
            return None;
        }
        let eligible = deploy.verdict == Verdict::Eligible;
        let next = match (eligible, self.status) {
            (true, _) => BadgeStatus::Approved,
            (false, BadgeStatus::NotAParticipant) => BadgeStatus::NotAParticipant,
            (false, _) => BadgeStatus::Removed,
        };
        let changed = next != self.status;
        self.status = next;
        self.version = Some(deploy.version);
        self.reasons = deploy.rules.to_vec();
        changed.then(|| BadgeEvent {
            program: "runsOnAtlassian",
            at: deploy.at.to_string(),
            to: next,
            cause,
            version: deploy.version,
            reasons: deploy.rules.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy<'a>(env: &'a str, version: &str, verdict: Verdict, rules: &'a [Code]) -> Deploy<'a> {
        Deploy {
            environment: env,
            version: version.parse().unwrap(),
            verdict,
            rules,
            at: "2026-11-23T10:00:00Z",
        }
    }

    #[test]
    fn the_badge_follows_the_latest_production_version() {
        let mut badge = RunsOnAtlassian::default();
        assert_eq!(
            badge.apply(
                &deploy("development", "1.0.0", Verdict::Eligible, &[]),
                Cause::AutoEvaluation
            ),
            None
        );
        assert_eq!(badge.status, BadgeStatus::NotAParticipant);

        let granted = badge.apply(
            &deploy("production", "1.0.0", Verdict::Eligible, &[]),
            Cause::AutoEvaluation,
        );
        assert_eq!(granted.map(|e| e.to), Some(BadgeStatus::Approved));
        assert_eq!(
            badge.apply(
                &deploy("production", "1.1.0", Verdict::Eligible, &[]),
                Cause::AutoEvaluation
            ),
            None
        );

        let rules = [Code::HasRemotes];
        let removed = badge
            .apply(
                &deploy("production", "2.0.0", Verdict::NotEligible, &rules),
                Cause::AutoEvaluation,
            )
            .unwrap();
        assert_eq!(removed.to, BadgeStatus::Removed);
        assert_eq!(removed.reasons, vec![Code::HasRemotes]);
        assert_eq!(removed.version.to_string(), "2.0.0");

        assert_eq!(
            badge.apply(
                &deploy("production", "1.2.0", Verdict::Eligible, &[]),
                Cause::AutoEvaluation
            ),
            None,
            "older versions do not move the badge"
        );
        let restored = badge
            .apply(
                &deploy("production", "2.1.0", Verdict::Eligible, &[]),
                Cause::AutoEvaluation,
            )
            .unwrap();
        assert_eq!(restored.to, BadgeStatus::Approved);
    }

    #[test]
    fn statuses_round_trip_through_their_spelling() {
        for status in [
            BadgeStatus::Approved,
            BadgeStatus::Removed,
            BadgeStatus::NotAParticipant,
        ] {
            assert_eq!(BadgeStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(BadgeStatus::parse("approved"), None);
    }

    #[test]
    fn reevaluating_the_current_version_can_remove_the_badge() {
        let mut badge = RunsOnAtlassian::default();
        badge.apply(
            &deploy("production", "1.0.0", Verdict::Eligible, &[]),
            Cause::AutoEvaluation,
        );
        let rules = [Code::HasRemotes];
        let event = badge
            .apply(
                &deploy("production", "1.0.0", Verdict::NotEligible, &rules),
                Cause::Reevaluation,
            )
            .unwrap();
        assert_eq!(
            (event.to, event.cause),
            (BadgeStatus::Removed, Cause::Reevaluation)
        );
    }

    #[test]
    fn an_app_that_was_never_eligible_is_not_a_participant() {
        let mut badge = RunsOnAtlassian::default();
        let rules = [Code::HasDefinedEgress];
        assert_eq!(
            badge.apply(
                &deploy("production", "1.0.0", Verdict::NotEligible, &rules),
                Cause::AutoEvaluation
            ),
            None
        );
        assert_eq!(badge.status, BadgeStatus::NotAParticipant);
        assert_eq!(badge.reasons, rules);
    }
}
