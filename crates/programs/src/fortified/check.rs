//! A component check: one requirement of a submission, on its way to `passed` or `waived`.
//!
//! | state | ball | next |
//! |---|---|---|
//! | `not-started` | staff | `evidence-requested`, `configuring` (staff configures and tests), `passed` (staff verify a status or a signal that needs no soak), `failed`, `waived` |
//! | `evidence-requested`, `partner-action` | partner | `staff-review` (evidence submitted) |
//! | `staff-review` | staff | `passed` (after its test and soak, where it needs them), `failed`, `partner-action`, `evidence-requested`, `configuring`, `soaking`, `waived` |
//! | `configuring` | partner | `access-granted` (the partner grants staff access) |
//! | `access-granted` | staff | `test-run` |
//! | `test-run` | staff | `soaking`, `passed`, `failed` |
//! | `soaking` | timer | `staff-review` when the soak has run |
//! | `failed` | partner | `staff-review` (new evidence); a failure undoes the test and the soak |
//! | `passed`, `waived` | nobody | a waiver's expiry reopens the check (`not-started`), also after approval |
//!
//! Any state but `passed` and `waived` can be waived; any open state can fail.

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
    /// Whether staff may pass it without asking the partner (they check a status or a signal,
    /// and it needs no soak).
    #[serde(default)]
    pub passes_unasked: bool,
    /// The soak the requirement needs, in days; `None`: none.
    pub soak_days: Option<u32>,
    /// When the running soak ends (seconds); set while soaking.
    pub soak_until: Option<i64>,
    /// Whether the soak has run since the check last failed or reopened (a check that needs one
    /// cannot pass before).
    pub soaked: bool,
    /// Whether staff ran the test since the check last failed or reopened (a check that staff
    /// configure and test cannot pass before).
    #[serde(default)]
    pub tested: bool,
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
            passes_unasked: matches!(
                requirement.verification,
                Verification::StaffVerifiesStatus | Verification::AutomatedSignal
            ) && requirement.soak_days.is_none(),
            soak_days: requirement.soak_days,
            soak_until: None,
            soaked: false,
            tested: false,
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
            (A::Pass, S::StaffReview | S::TestRun)
                if (self.soak_days.is_none() || self.soaked)
                    && (!self.configured_by_staff || self.tested) =>
            {
                S::Passed
            }
            // Staff pass what they verify themselves without asking anything of the partner.
            (A::Pass, S::NotStarted) if self.passes_unasked => S::Passed,
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

    /// The actions `side` can take now.
    pub fn allowed_for(&self, side: Side) -> Vec<CheckAction> {
        self.allowed()
            .into_iter()
            .filter(|a| a.side() == side)
            .collect()
    }

    /// Passed, or waived with a waiver still running at `at`.
    pub fn is_closed_at(&self, at: i64) -> bool {
        match self.state {
            CheckState::Passed => true,
            CheckState::Waived => self.waiver.as_ref().is_none_or(|w| at < w.expires),
            _ => false,
        }
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
        // Another side's move is refused as such, before anything about the check is said.
        if action.side() != side {
            return Err(MoveError::NotYours {
                action: action.name(),
                side: spelled(&action.side()),
            });
        }
        let Some(to) = self.target(action) else {
            return Err(MoveError::NotNow {
                subject: format!("the check of `{}`", self.requirement),
                action: action.name(),
                state: spelled(&self.state),
                allowed: self.allowed_for(side).iter().map(|a| a.name()).collect(),
            });
        };
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
            CheckAction::TestRun => self.tested = true,
            // What a failure or a reopening undoes must be shown again: a new test, a new soak.
            CheckAction::Fail | CheckAction::Waive | CheckAction::WaiverExpired => {
                self.soak_until = None;
                self.soaked = false;
                self.tested = false;
                if action == CheckAction::WaiverExpired {
                    self.waiver = None;
                }
            }
            _ => {}
        }
        self.state = to;
        self.ball = to.ball();
        Ok(to)
    }
}
