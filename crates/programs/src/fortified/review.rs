//! The annual review of an approved app (spec §4), as a state machine with its ball holder.
//!
//! | state | ball | next |
//! |---|---|---|
//! | `scheduled` | timer | `noticed` 14 days before the review starts (`notify`, a timer) |
//! | `noticed` | timer | `in-review` when the review week starts (`open`, a timer) |
//! | `in-review` | staff | `passed` (`pass`), `remediating` (`report-findings`) |
//! | `remediating` | partner | `remediation-review` (`resolve`), `overdue` after the due date (a timer), `remediating` again with a new due date (`extend`, staff) |
//! | `remediation-review` | staff | `passed-after-remediation` (`pass`), `remediating` (`report-findings`, `extend`), `removed` (`remove`) |
//! | `overdue` | staff | `remediating` (`extend`), `removed` (`remove`) |
//! | `passed`, `passed-after-remediation`, `removed` | nobody | decided; a passed review schedules next year's |
//! | `cancelled` | nobody | the badge went another way (an escalation removed it, a program retired) |
//!
//! The review is a **delta review**: it carries what changed since approval (requirements
//! added or changed, new major versions, egress added), so staff check the difference.

use serde::{Deserialize, Serialize};

use super::calendar::ReviewDates;
use super::{Ball, DAY, MoveError, Side, Transition, spelled};
use crate::catalog::SetDelta;

/// Days a partner has at least to resolve a finding reported late (after the usual
/// remediation window): a decision, so that a late finding never comes due at once.
pub const REFINDING_DAYS: i64 = 14;

/// Where a review stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewState {
    Scheduled,
    Noticed,
    InReview,
    Remediating,
    RemediationReview,
    Overdue,
    Passed,
    PassedAfterRemediation,
    Removed,
    Cancelled,
}

impl ReviewState {
    /// Who must move.
    pub fn ball(self) -> Ball {
        match self {
            ReviewState::Scheduled | ReviewState::Noticed => Ball::Timer,
            ReviewState::InReview | ReviewState::RemediationReview | ReviewState::Overdue => {
                Ball::Staff
            }
            ReviewState::Remediating => Ball::Partner,
            ReviewState::Passed
            | ReviewState::PassedAfterRemediation
            | ReviewState::Removed
            | ReviewState::Cancelled => Ball::Nobody,
        }
    }

    /// Decided.
    pub fn is_terminal(self) -> bool {
        self.ball() == Ball::Nobody
    }
}

/// What can be done to a review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewAction {
    /// Notice goes out (a timer, 14 days before).
    Notify,
    /// The review week starts (a timer).
    Open,
    Pass,
    ReportFindings,
    /// The partner says the findings are resolved.
    Resolve,
    /// Staff give more time, with a new due date.
    Extend,
    /// The remediation's due date passed (a timer).
    RemediationOverdue,
    /// Staff remove the badge.
    Remove,
    /// The badge went another way before the review was decided (a system move).
    Cancel,
}

impl ReviewAction {
    /// Every action.
    pub const ALL: [ReviewAction; 9] = [
        ReviewAction::Notify,
        ReviewAction::Open,
        ReviewAction::Pass,
        ReviewAction::ReportFindings,
        ReviewAction::Resolve,
        ReviewAction::Extend,
        ReviewAction::RemediationOverdue,
        ReviewAction::Remove,
        ReviewAction::Cancel,
    ];

    /// Whose move it is.
    pub fn side(self) -> Side {
        match self {
            ReviewAction::Notify
            | ReviewAction::Open
            | ReviewAction::RemediationOverdue
            | ReviewAction::Cancel => Side::System,
            ReviewAction::Resolve => Side::Partner,
            ReviewAction::Pass
            | ReviewAction::ReportFindings
            | ReviewAction::Extend
            | ReviewAction::Remove => Side::Staff,
        }
    }

    /// As the API spells it.
    pub fn name(self) -> String {
        spelled(&self)
    }

    /// Reads an action's name.
    pub fn parse(name: &str) -> Option<ReviewAction> {
        ReviewAction::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// How a review ended, or stands (`extended` while a remediation runs on a new due date).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewOutcome {
    Passed,
    PassedAfterRemediation,
    Extended,
    Removed,
}

/// A finding staff reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub at: i64,
    pub actor: String,
    pub text: String,
}

/// What changed since the app was approved (or last reviewed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewDelta {
    /// From the set the app holds to the set it is reviewed against.
    pub requirements: SetDelta,
    /// Major versions released to production since then (`3.0.0`).
    pub new_majors: Vec<String>,
    /// Egress addresses the production version reaches now that it did not then.
    pub egress_added: Vec<String>,
}

/// One year's review of one app's badge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    pub state: ReviewState,
    pub ball: Ball,
    pub dates: ReviewDates,
    /// When the badge this review keeps was granted (seconds): next year's review follows it.
    pub approved_at: i64,
    /// Since when the delta counts (seconds): the approval, or the last review passed.
    pub since: i64,
    /// The set the app holds (approved or last reviewed against).
    pub held_set: String,
    /// The set it is reviewed against.
    pub requirement_set: String,
    /// When findings must be resolved by (seconds), while remediating.
    pub due: Option<i64>,
    pub outcome: Option<ReviewOutcome>,
    pub findings: Vec<Finding>,
    pub delta: ReviewDelta,
    pub history: Vec<Transition>,
}

impl Review {
    /// A review scheduled for `dates`, of an app approved at `approved_at` and holding
    /// `held_set`, against `requirement_set`.
    pub fn schedule(
        dates: ReviewDates,
        approved_at: i64,
        held_set: &str,
        requirement_set: &str,
    ) -> Review {
        Review {
            state: ReviewState::Scheduled,
            ball: Ball::Timer,
            dates,
            approved_at,
            since: approved_at,
            held_set: held_set.to_string(),
            requirement_set: requirement_set.to_string(),
            due: None,
            outcome: None,
            findings: Vec::new(),
            delta: ReviewDelta::default(),
            history: Vec::new(),
        }
    }

    fn target(&self, action: ReviewAction) -> Option<ReviewState> {
        use ReviewAction as A;
        use ReviewState as S;
        Some(match (action, self.state) {
            (A::Notify, S::Scheduled) => S::Noticed,
            (A::Open, S::Scheduled | S::Noticed) => S::InReview,
            (A::Pass, S::InReview) => S::Passed,
            (A::Pass, S::RemediationReview) => S::PassedAfterRemediation,
            (A::ReportFindings, S::InReview | S::RemediationReview) => S::Remediating,
            (A::Resolve, S::Remediating) => S::RemediationReview,
            (A::Extend, S::Remediating | S::RemediationReview | S::Overdue) => S::Remediating,
            (A::RemediationOverdue, S::Remediating) => S::Overdue,
            (A::Remove, S::RemediationReview | S::Overdue) => S::Removed,
            (A::Cancel, state) if !state.is_terminal() => S::Cancelled,
            _ => return None,
        })
    }

    /// The actions possible now, by anyone.
    pub fn allowed(&self) -> Vec<ReviewAction> {
        ReviewAction::ALL
            .into_iter()
            .filter(|a| self.target(*a).is_some())
            .collect()
    }

    /// Takes `action` for `actor` on `side` at `at` (seconds). Findings, resolutions, extensions
    /// and removals need a `reason`; `extend` needs a `due` date at least a day away.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &mut self,
        action: ReviewAction,
        side: Side,
        actor: &str,
        at: i64,
        reason: Option<&str>,
        due: Option<i64>,
    ) -> Result<ReviewState, MoveError> {
        if action.side() != side {
            return Err(MoveError::NotYours {
                action: action.name(),
                side: spelled(&action.side()),
            });
        }
        let Some(to) = self.target(action) else {
            return Err(MoveError::NotNow {
                subject: "the review".to_string(),
                action: action.name(),
                state: spelled(&self.state),
                allowed: self
                    .allowed()
                    .into_iter()
                    .filter(|a| a.side() == side)
                    .map(ReviewAction::name)
                    .collect(),
            });
        };
        let not_yet = |what: &str| Err(MoveError::Blocked(format!("{what} has not come yet")));
        match action {
            ReviewAction::Notify if at < self.dates.notice_at => return not_yet("the notice"),
            ReviewAction::Open if at < self.dates.starts_at => return not_yet("the review week"),
            ReviewAction::RemediationOverdue if self.due.is_some_and(|d| at < d) => {
                return not_yet("the remediation's due date");
            }
            _ => {}
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let needs_reason = matches!(
            action,
            ReviewAction::ReportFindings
                | ReviewAction::Resolve
                | ReviewAction::Extend
                | ReviewAction::Remove
        );
        if needs_reason && reason.is_none() {
            return Err(MoveError::Invalid(format!(
                "`{}` needs a reason",
                action.name()
            )));
        }
        match action {
            ReviewAction::ReportFindings => {
                self.findings.push(Finding {
                    at,
                    actor: actor.to_string(),
                    text: reason.unwrap_or_default().to_string(),
                });
                // The partner has until 28 days after the review week ends, and at least
                // REFINDING_DAYS from a later finding; an extension staff gave is kept.
                let due = self
                    .dates
                    .remediation_due
                    .max(at + REFINDING_DAYS * DAY)
                    .max(self.due.unwrap_or(0));
                self.due = Some(due);
            }
            ReviewAction::Extend => {
                let Some(due) = due else {
                    return Err(MoveError::Invalid(
                        "`extend` needs a `due` date".to_string(),
                    ));
                };
                if due < at + DAY {
                    return Err(MoveError::Invalid(
                        "the new due date must leave the partner at least a day".to_string(),
                    ));
                }
                self.due = Some(due);
                self.outcome = Some(ReviewOutcome::Extended);
            }
            ReviewAction::Cancel => self.due = None,
            ReviewAction::Pass | ReviewAction::Remove => {
                self.due = None;
                self.outcome = Some(match to {
                    ReviewState::Passed => ReviewOutcome::Passed,
                    ReviewState::PassedAfterRemediation => ReviewOutcome::PassedAfterRemediation,
                    _ => ReviewOutcome::Removed,
                });
            }
            _ => {}
        }
        self.history.push(Transition {
            at,
            actor: actor.to_string(),
            side,
            action: action.name(),
            requirement: None,
            from: spelled(&self.state),
            to: spelled(&to),
            reason: reason.map(str::to_string),
        });
        self.state = to;
        self.ball = to.ball();
        Ok(to)
    }

    /// Whether the badge survives the review (every outcome but `removed`).
    pub fn keeps_badge(&self) -> bool {
        self.state != ReviewState::Removed
    }
}
