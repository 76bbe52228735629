//! Escalations against an approved app (spec §4): raised by staff, by a customer, or by the
//! system (an SLO breach repeated within the window, a vulnerability past its due date, no
//! security contact, a lapsed dependency such as a paused bug bounty). They move through stages,
//! and the partner is always told before the badge changes.
//!
//! | state | ball | next |
//! |---|---|---|
//! | `incident-management` | partner | `remediation-plan` (`agree-plan`, with a due date), `resolved`, `excluded`, `demotion-notice` (`demote`) |
//! | `remediation-plan` | partner | `plan-review` (`complete-plan`), `plan-overdue` after the due date (a timer), `excluded`, `demotion-notice` |
//! | `plan-review`, `plan-overdue` | staff | `remediation-plan` (`agree-plan` again), `resolved`, `excluded`, `demotion-notice` |
//! | `demotion-notice` | timer | `suspended` when the notice has run (a timer); `excluded`, `resolved` |
//! | `suspended` | staff | `resolved` (the badge is restored), `removed` |
//! | `resolved`, `excluded`, `removed` | nobody | decided; a removed app may open a new submission |
//! | `cancelled` | nobody | the badge went another way first (removed by a review or another escalation, retired) |
//!
//! `excluded` closes an escalation whose cause does not count: a failure the marketplace caused,
//! or downtime announced in advance.

use serde::{Deserialize, Serialize};

use super::{Ball, DAY, MoveError, Side, Transition, spelled};

/// Days between the partner being told of a demotion and the badge's suspension (a decision
/// where the public material only says the partner is told before any badge changes).
pub const DEMOTION_NOTICE_DAYS: i64 = 7;

/// Who raised an escalation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Staff,
    Customer,
    System,
}

/// Where an escalation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EscalationState {
    IncidentManagement,
    RemediationPlan,
    PlanReview,
    PlanOverdue,
    DemotionNotice,
    Suspended,
    Resolved,
    Excluded,
    Removed,
    Cancelled,
}

impl EscalationState {
    /// Who must move.
    pub fn ball(self) -> Ball {
        use EscalationState as S;
        match self {
            S::IncidentManagement | S::RemediationPlan => Ball::Partner,
            S::PlanReview | S::PlanOverdue | S::Suspended => Ball::Staff,
            S::DemotionNotice => Ball::Timer,
            S::Resolved | S::Excluded | S::Removed | S::Cancelled => Ball::Nobody,
        }
    }

    /// Decided.
    pub fn is_terminal(self) -> bool {
        self.ball() == Ball::Nobody
    }
}

/// What can be done to an escalation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EscalationAction {
    /// Staff and the partner agree a remediation plan with a due date.
    AgreePlan,
    /// The partner says the plan is carried out.
    CompletePlan,
    /// The plan's due date passed (a timer).
    PlanOverdue,
    Resolve,
    /// The cause does not count (marketplace-caused, announced downtime).
    Exclude,
    /// Staff start the demotion: the partner is told, the badge is suspended after the notice.
    Demote,
    /// The notice has run (a timer): the badge is suspended.
    Suspend,
    Remove,
    /// The badge went another way first (a system move).
    Cancel,
}

impl EscalationAction {
    /// Every action.
    pub const ALL: [EscalationAction; 9] = [
        EscalationAction::AgreePlan,
        EscalationAction::CompletePlan,
        EscalationAction::PlanOverdue,
        EscalationAction::Resolve,
        EscalationAction::Exclude,
        EscalationAction::Demote,
        EscalationAction::Suspend,
        EscalationAction::Remove,
        EscalationAction::Cancel,
    ];

    /// Whose move it is.
    pub fn side(self) -> Side {
        match self {
            EscalationAction::CompletePlan => Side::Partner,
            EscalationAction::PlanOverdue
            | EscalationAction::Suspend
            | EscalationAction::Cancel => Side::System,
            _ => Side::Staff,
        }
    }

    /// As the API spells it.
    pub fn name(self) -> String {
        spelled(&self)
    }

    /// Reads an action's name.
    pub fn parse(name: &str) -> Option<EscalationAction> {
        EscalationAction::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// What a move does to the badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadgeEffect {
    Suspend,
    Restore,
    Remove,
}

/// One escalation of one app's badge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Escalation {
    pub source: Source,
    /// Who raised it (`user:3 (...)`, `system:signals`).
    pub raised_by: String,
    /// The user who raised it, so that a customer can follow it (none for the system's).
    #[serde(default)]
    pub reporter: Option<i64>,
    /// For a system escalation: what it is about (`slo-breach:availability`).
    pub cause: Option<String>,
    /// What happened, as raised.
    pub reason: String,
    pub opened_at: i64,
    pub state: EscalationState,
    pub ball: Ball,
    /// The agreed plan's due date (seconds).
    pub plan_due: Option<i64>,
    /// When the badge is suspended, once the partner was told (seconds).
    pub suspends_at: Option<i64>,
    pub history: Vec<Transition>,
}

impl Escalation {
    /// An escalation raised at `at`.
    pub fn raise(
        source: Source,
        raised_by: &str,
        cause: Option<&str>,
        reason: &str,
        at: i64,
    ) -> Result<Escalation, MoveError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(MoveError::Invalid(
                "an escalation needs a reason: what happened".to_string(),
            ));
        }
        let state = EscalationState::IncidentManagement;
        Ok(Escalation {
            source,
            raised_by: raised_by.to_string(),
            reporter: None,
            cause: cause.map(str::to_string),
            reason: reason.to_string(),
            opened_at: at,
            state,
            ball: state.ball(),
            plan_due: None,
            suspends_at: None,
            history: vec![Transition {
                at,
                actor: raised_by.to_string(),
                side: if source == Source::System {
                    Side::System
                } else {
                    Side::Staff
                },
                action: "raise".to_string(),
                requirement: None,
                from: String::new(),
                to: spelled(&state),
                reason: Some(reason.to_string()),
            }],
        })
    }

    fn target(&self, action: EscalationAction) -> Option<EscalationState> {
        use EscalationAction as A;
        use EscalationState as S;
        let open_stage = matches!(
            self.state,
            S::IncidentManagement | S::RemediationPlan | S::PlanReview | S::PlanOverdue
        );
        Some(match (action, self.state) {
            (A::AgreePlan, S::IncidentManagement | S::PlanReview | S::PlanOverdue) => {
                S::RemediationPlan
            }
            (A::CompletePlan, S::RemediationPlan) => S::PlanReview,
            (A::PlanOverdue, S::RemediationPlan) => S::PlanOverdue,
            (A::Resolve, S::IncidentManagement | S::PlanReview | S::PlanOverdue) => S::Resolved,
            (A::Resolve, S::DemotionNotice | S::Suspended) => S::Resolved,
            (A::Exclude, _) if open_stage || self.state == S::DemotionNotice => S::Excluded,
            (A::Demote, _) if open_stage => S::DemotionNotice,
            (A::Suspend, S::DemotionNotice) => S::Suspended,
            (A::Remove, S::Suspended) => S::Removed,
            (A::Cancel, state) if !state.is_terminal() => S::Cancelled,
            _ => return None,
        })
    }

    /// The actions possible now, by anyone.
    pub fn allowed(&self) -> Vec<EscalationAction> {
        EscalationAction::ALL
            .into_iter()
            .filter(|a| self.target(*a).is_some())
            .collect()
    }

    /// Takes `action` for `actor` on `side` at `at`; returns what it does to the badge. Every
    /// staff move and the plan's completion need a `reason`; `agree-plan` needs a `due` date at
    /// least a day away.
    pub fn apply(
        &mut self,
        action: EscalationAction,
        side: Side,
        actor: &str,
        at: i64,
        reason: Option<&str>,
        due: Option<i64>,
    ) -> Result<Option<BadgeEffect>, MoveError> {
        if action.side() != side {
            return Err(MoveError::NotYours {
                action: action.name(),
                side: spelled(&action.side()),
            });
        }
        let Some(to) = self.target(action) else {
            return Err(MoveError::NotNow {
                subject: "the escalation".to_string(),
                action: action.name(),
                state: spelled(&self.state),
                allowed: self
                    .allowed()
                    .into_iter()
                    .filter(|a| a.side() == side)
                    .map(EscalationAction::name)
                    .collect(),
            });
        };
        match action {
            EscalationAction::PlanOverdue if self.plan_due.is_some_and(|d| at < d) => {
                return Err(MoveError::Blocked(
                    "the plan's due date has not come yet".to_string(),
                ));
            }
            EscalationAction::Suspend if self.suspends_at.is_some_and(|s| at < s) => {
                return Err(MoveError::Blocked(
                    "the partner's notice has not run yet".to_string(),
                ));
            }
            _ => {}
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if side != Side::System && reason.is_none() {
            return Err(MoveError::Invalid(format!(
                "`{}` needs a reason",
                action.name()
            )));
        }
        let mut effect = None;
        match action {
            EscalationAction::AgreePlan => {
                let Some(due) = due else {
                    return Err(MoveError::Invalid(
                        "`agree-plan` needs the plan's `due` date".to_string(),
                    ));
                };
                if due < at + DAY {
                    return Err(MoveError::Invalid(
                        "the plan's due date must leave the partner at least a day".to_string(),
                    ));
                }
                self.plan_due = Some(due);
            }
            EscalationAction::Demote => {
                self.suspends_at = Some(at + DEMOTION_NOTICE_DAYS * DAY);
            }
            EscalationAction::Suspend => effect = Some(BadgeEffect::Suspend),
            EscalationAction::Remove => effect = Some(BadgeEffect::Remove),
            EscalationAction::Resolve if self.state == EscalationState::Suspended => {
                effect = Some(BadgeEffect::Restore);
            }
            _ => {}
        }
        if to.is_terminal() || to == EscalationState::Suspended {
            self.suspends_at = None;
        }
        if !matches!(
            to,
            EscalationState::RemediationPlan
                | EscalationState::PlanReview
                | EscalationState::PlanOverdue
        ) {
            self.plan_due = None;
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
        Ok(effect)
    }

    /// The next deadline: the plan's due date, or the end of the partner's notice.
    pub fn deadline(&self) -> Option<i64> {
        match self.state {
            EscalationState::RemediationPlan => self.plan_due,
            EscalationState::DemotionNotice => self.suspends_at,
            _ => None,
        }
    }
}
