//! A component check: one requirement of a submission, on its way to `passed` or `waived`.
//!
//! | state | ball | next |
//! |---|---|---|
//! | `not-started` | staff | `evidence-requested`, `configuring` (staff configures and tests), `staff-review`, `waived` |
//! | `evidence-requested`, `partner-action` | partner | `staff-review` (evidence submitted) |
//! | `staff-review` | staff | `passed`, `failed`, `partner-action`, `soaking`, `waived` |
//! | `configuring` | partner | `access-granted` (the partner grants staff access) |
//! | `access-granted` | staff | `test-run` |
//! | `test-run` | staff | `soaking`, `passed`, `failed` |
//! | `soaking` | timer | `staff-review` when the soak has run |
//! | `failed` | partner | `staff-review` (new evidence) |
//! | `passed`, `waived` | nobody | a waiver's expiry reopens the check (`not-started`) |

use serde::{Deserialize, Serialize};

use super::{Ball, DAY, MoveError, Side, spelled};
use crate::catalog::{Requirement, Verification};

/// Where a check stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckState {
    NotStarted,
    EvidenceRequested,
    PartnerAction,
    StaffReview,
    Configuring,
    AccessGranted,
    TestRun,
    Soaking,
    Passed,
    Failed,
    Waived,
}

impl CheckState {
    /// Who must move.
    pub fn ball(self) -> Ball {
        match self {
            CheckState::NotStarted
            | CheckState::StaffReview
            | CheckState::AccessGranted
            | CheckState::TestRun => Ball::Staff,
            CheckState::EvidenceRequested
            | CheckState::PartnerAction
            | CheckState::Configuring
            | CheckState::Failed => Ball::Partner,
            CheckState::Soaking => Ball::Timer,
            CheckState::Passed | CheckState::Waived => Ball::Nobody,
        }
    }

    /// Passed or waived: it no longer stands in the way of approval.
    pub fn is_closed(self) -> bool {
        matches!(self, CheckState::Passed | CheckState::Waived)
    }
}

/// What can be done to a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckAction {
    RequestEvidence,
    SubmitEvidence,
    /// Staff send the partner back to act (a gap in the evidence).
    AskPartner,
    StartConfiguring,
    GrantAccess,
    TestRun,
    StartSoak,
    /// The soak has run (a timer).
    SoakEnded,
    Pass,
    Fail,
    Waive,
    /// The waiver ran out (a timer): the check reopens.
    WaiverExpired,
}

impl CheckAction {
    /// Every action, for listing what is possible.
    pub const ALL: [CheckAction; 12] = [
        CheckAction::RequestEvidence,
        CheckAction::SubmitEvidence,
        CheckAction::AskPartner,
        CheckAction::StartConfiguring,
        CheckAction::GrantAccess,
        CheckAction::TestRun,
        CheckAction::StartSoak,
        CheckAction::SoakEnded,
        CheckAction::Pass,
        CheckAction::Fail,
        CheckAction::Waive,
        CheckAction::WaiverExpired,
    ];

    /// Whose move it is.
    pub fn side(self) -> Side {
        match self {
            CheckAction::SubmitEvidence | CheckAction::GrantAccess => Side::Partner,
            CheckAction::SoakEnded | CheckAction::WaiverExpired => Side::System,
            _ => Side::Staff,
        }
    }

    /// As the API spells it.
    pub fn name(self) -> String {
        spelled(&self)
    }

    /// Reads an action's name.
    pub fn parse(name: &str) -> Option<CheckAction> {
        CheckAction::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// A waiver: why, who granted it, and when it runs out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Waiver {
    pub reason: String,
    pub granted_by: String,
    /// Seconds since the epoch.
    pub expires: i64,
}

/// One requirement's check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub requirement: String,
    pub state: CheckState,
    pub ball: Ball,
    /// Whether the requirement is verified by staff configuring and testing (reliability).
    pub configured_by_staff: bool,
    /// The soak the requirement needs, in days; `None`: none.
    pub soak_days: Option<u32>,
    /// When the running soak ends (seconds); set while soaking.
    pub soak_until: Option<i64>,
    /// Whether the soak has run (a check that needs one cannot pass before).
    pub soaked: bool,
    pub waiver: Option<Waiver>,
}

impl Check {
    /// A new check of `requirement`.
    pub fn new(requirement: &Requirement) -> Check {
        Check {
            requirement: requirement.id.clone(),
            state: CheckState::NotStarted,
            ball: Ball::Staff,
            configured_by_staff: requirement.verification == Verification::StaffConfiguresAndTests,
            soak_days: requirement.soak_days,
            soak_until: None,
            soaked: false,
            waiver: None,
        }
    }

    /// Where `action` leads from here, or `None` when it cannot be taken now.
    fn target(&self, action: CheckAction) -> Option<CheckState> {
        use CheckAction as A;
        use CheckState as S;
        let to = match (action, self.state) {
            (A::RequestEvidence, S::NotStarted | S::StaffReview) => S::EvidenceRequested,
            (A::SubmitEvidence, S::EvidenceRequested | S::PartnerAction | S::Failed) => {
                S::StaffReview
            }
            (A::AskPartner, S::StaffReview) => S::PartnerAction,
            (A::StartConfiguring, S::NotStarted | S::StaffReview) if self.configured_by_staff => {
                S::Configuring
            }
            (A::GrantAccess, S::Configuring) => S::AccessGranted,
            (A::TestRun, S::AccessGranted) => S::TestRun,
            (A::StartSoak, S::TestRun | S::StaffReview) if self.soak_days.is_some() => S::Soaking,
            (A::SoakEnded, S::Soaking) => S::StaffReview,
            (A::Pass, S::StaffReview | S::TestRun) if self.soak_days.is_none() || self.soaked => {
                S::Passed
            }
            (A::Pass, S::NotStarted) if !self.configured_by_staff && self.soak_days.is_none() => {
                S::Passed
            }
            (
                A::Fail,
                S::NotStarted
                | S::EvidenceRequested
                | S::PartnerAction
                | S::StaffReview
                | S::Configuring
                | S::AccessGranted
                | S::TestRun
                | S::Soaking,
            ) => S::Failed,
            (A::Waive, state) if !state.is_closed() => S::Waived,
            (A::WaiverExpired, S::Waived) => S::NotStarted,
            _ => return None,
        };
        Some(to)
    }

    /// The actions possible now, by anyone.
    pub fn allowed(&self) -> Vec<CheckAction> {
        CheckAction::ALL
            .into_iter()
            .filter(|a| self.target(*a).is_some())
            .collect()
    }

    /// Takes `action` for `side` at `at`. A waiver needs its reason, grantor and expiry
    /// (`waiver`); the timers' moves need their time to have come.
    pub fn apply(
        &mut self,
        action: CheckAction,
        side: Side,
        at: i64,
        waiver: Option<Waiver>,
    ) -> Result<CheckState, MoveError> {
        let Some(to) = self.target(action) else {
            return Err(MoveError::NotNow {
                subject: format!("the check of `{}`", self.requirement),
                action: action.name(),
                state: spelled(&self.state),
                allowed: self.allowed().iter().map(|a| a.name()).collect(),
            });
        };
        if action.side() != side {
            return Err(MoveError::NotYours {
                action: action.name(),
                side: spelled(&action.side()),
            });
        }
        match action {
            CheckAction::SoakEnded if self.soak_until.is_some_and(|until| at < until) => {
                return Err(MoveError::Blocked(format!(
                    "the soak of `{}` has not run yet",
                    self.requirement
                )));
            }
            CheckAction::WaiverExpired if self.waiver.as_ref().is_some_and(|w| at < w.expires) => {
                return Err(MoveError::Blocked(format!(
                    "the waiver of `{}` has not run out yet",
                    self.requirement
                )));
            }
            CheckAction::Waive => {
                let Some(waiver) = waiver else {
                    return Err(MoveError::Invalid(
                        "a waiver needs a reason and an expiry".to_string(),
                    ));
                };
                if waiver.reason.trim().is_empty() {
                    return Err(MoveError::Invalid("a waiver needs a reason".to_string()));
                }
                if waiver.expires <= at {
                    return Err(MoveError::Invalid(
                        "a waiver's expiry must be in the future".to_string(),
                    ));
                }
                self.waiver = Some(waiver);
            }
            _ => {}
        }
        match action {
            CheckAction::StartSoak => {
                let days = i64::from(self.soak_days.unwrap_or(0));
                self.soak_until = Some(at + days * DAY);
            }
            CheckAction::SoakEnded => {
                self.soak_until = None;
                self.soaked = true;
            }
            CheckAction::WaiverExpired => self.waiver = None,
            _ => {}
        }
        self.state = to;
        self.ball = to.ball();
        Ok(to)
    }
}
