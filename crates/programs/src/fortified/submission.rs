//! A submission: one app's application to an approval program, against one requirement set.
//!
//! | state | ball | next |
//! |---|---|---|
//! | `submitted` | staff | `triage` |
//! | `triage` | staff | `waiting-for-partner` (request-info), `in-review` (start-review) |
//! | `waiting-for-partner` | partner | `waiting-for-staff` (reply), `rejected` after 14 days without a reply (a timer) |
//! | `waiting-for-staff` | staff | `in-review` |
//! | `in-review` | staff | `waiting-for-partner`, `soaking`, `approved`, `rejected` |
//! | `soaking` | timer | `in-review` when no check soaks any more |
//! | `approved`, `rejected`, `withdrawn` | nobody | terminal; a new submission may be opened |
//!
//! The partner may withdraw at any time before a decision (a decision where the public material
//! only names `waiting-for-partner`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::check::{Check, CheckAction, CheckState, Waiver};
use super::{Ball, CLARIFICATION_DAYS, DAY, MoveError, Side, spelled};
use crate::catalog::{Framework, RequirementSet};

/// Where a submission stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubmissionState {
    Submitted,
    Triage,
    WaitingForPartner,
    WaitingForStaff,
    InReview,
    Soaking,
    Approved,
    Rejected,
    Withdrawn,
}

impl SubmissionState {
    /// Who must move.
    pub fn ball(self) -> Ball {
        match self {
            SubmissionState::Submitted
            | SubmissionState::Triage
            | SubmissionState::WaitingForStaff
            | SubmissionState::InReview => Ball::Staff,
            SubmissionState::WaitingForPartner => Ball::Partner,
            SubmissionState::Soaking => Ball::Timer,
            SubmissionState::Approved | SubmissionState::Rejected | SubmissionState::Withdrawn => {
                Ball::Nobody
            }
        }
    }

    /// Decided: nothing moves any more.
    pub fn is_terminal(self) -> bool {
        self.ball() == Ball::Nobody
    }
}

/// What can be done to a submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubmissionAction {
    Triage,
    RequestInfo,
    Reply,
    StartReview,
    /// Staff put the submission to soak while its soaking checks run.
    Soak,
    /// Every soaking check has run (a timer).
    SoakEnded,
    Approve,
    Reject,
    Withdraw,
    /// The partner did not answer within the due date (a timer).
    ClarificationTimeout,
}

impl SubmissionAction {
    /// Every action, for listing what is possible.
    pub const ALL: [SubmissionAction; 10] = [
        SubmissionAction::Triage,
        SubmissionAction::RequestInfo,
        SubmissionAction::Reply,
        SubmissionAction::StartReview,
        SubmissionAction::Soak,
        SubmissionAction::SoakEnded,
        SubmissionAction::Approve,
        SubmissionAction::Reject,
        SubmissionAction::Withdraw,
        SubmissionAction::ClarificationTimeout,
    ];

    /// Whose move it is.
    pub fn side(self) -> Side {
        match self {
            SubmissionAction::Reply | SubmissionAction::Withdraw => Side::Partner,
            SubmissionAction::SoakEnded | SubmissionAction::ClarificationTimeout => Side::System,
            _ => Side::Staff,
        }
    }

    /// As the API spells it.
    pub fn name(self) -> String {
        spelled(&self)
    }

    /// Reads an action's name.
    pub fn parse(name: &str) -> Option<SubmissionAction> {
        SubmissionAction::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One recorded move: of the submission, or of one of its checks (`requirement`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    pub at: i64,
    pub actor: String,
    pub side: Side,
    /// The action's name.
    pub action: String,
    /// The check's requirement, for a check's move.
    pub requirement: Option<String>,
    pub from: String,
    pub to: String,
    pub reason: Option<String>,
}

/// Time spent waiting on each side, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub partner: i64,
    pub staff: i64,
    pub timer: i64,
}

/// One message of the submission's thread: a clarification asked (with its due date), an
/// answer, a remark from either side, or a notice from the service (an annual review's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub at: i64,
    pub actor: String,
    pub side: Side,
    pub body: String,
    /// For a clarification: when the partner must answer by (seconds).
    pub due: Option<i64>,
}

/// The longest message body, in characters.
pub const MESSAGE_LIMIT: usize = 10_000;

/// The most messages a thread holds: the submission is one document, read whole.
pub const MAX_MESSAGES: usize = 500;

/// A submission and its checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    pub state: SubmissionState,
    pub ball: Ball,
    /// The requirement set it is judged against (`cloud-fortified/2026-01`).
    pub requirement_set: String,
    pub opened_at: i64,
    /// When the partner must answer the open clarification by (seconds).
    pub due: Option<i64>,
    /// By requirement id.
    pub checks: BTreeMap<String, Check>,
    /// Every move, oldest first.
    pub history: Vec<Transition>,
    /// The thread, oldest first: clarifications, answers, remarks, notices.
    #[serde(default)]
    pub messages: Vec<Message>,
}

impl Submission {
    /// A submission opened at `at` by `actor` against `set`: one check per requirement that
    /// applies to the app's `framework`.
    pub fn open(set: &RequirementSet, framework: Framework, actor: &str, at: i64) -> Submission {
        Submission {
            state: SubmissionState::Submitted,
            ball: Ball::Staff,
            requirement_set: set.id.clone(),
            opened_at: at,
            due: None,
            checks: set
                .requirements
                .iter()
                .filter(|r| r.frameworks.contains(&framework))
                .map(|r| (r.id.clone(), Check::new(r)))
                .collect(),
            history: vec![Transition {
                at,
                actor: actor.to_string(),
                side: Side::Partner,
                action: "submit".to_string(),
                requirement: None,
                from: String::new(),
                to: spelled(&SubmissionState::Submitted),
                reason: None,
            }],
            messages: Vec::new(),
        }
    }

    /// Adds `body` to the thread for `actor` on `side`. The thread stays open after a decision:
    /// annual reviews and escalations speak on it.
    pub fn post_message(
        &mut self,
        side: Side,
        actor: &str,
        at: i64,
        body: &str,
    ) -> Result<(), MoveError> {
        let body = message_body(body)?;
        // The service's own notices always land: a full thread must not stop a review notice.
        if side != Side::System && self.messages.len() >= MAX_MESSAGES {
            return Err(MoveError::Blocked(format!(
                "the thread holds at most {MAX_MESSAGES} messages"
            )));
        }
        self.messages.push(Message {
            at,
            actor: actor.to_string(),
            side,
            body,
            due: None,
        });
        Ok(())
    }

    /// Where `action` leads from here, or `None` when it cannot be taken now.
    fn target(&self, action: SubmissionAction) -> Option<SubmissionState> {
        use SubmissionAction as A;
        use SubmissionState as S;
        let to = match (action, self.state) {
            (A::Triage, S::Submitted) => S::Triage,
            (A::RequestInfo, S::Triage | S::InReview) => S::WaitingForPartner,
            (A::Reply, S::WaitingForPartner) => S::WaitingForStaff,
            (A::StartReview, S::Triage | S::WaitingForStaff) => S::InReview,
            (A::Soak, S::InReview) if self.any_check(CheckState::Soaking) => S::Soaking,
            (A::SoakEnded, S::Soaking) if !self.any_check(CheckState::Soaking) => S::InReview,
            (A::Approve, S::InReview) if self.checks.values().all(|c| c.state.is_closed()) => {
                S::Approved
            }
            (A::Reject, S::InReview | S::Soaking) => S::Rejected,
            (A::ClarificationTimeout, S::WaitingForPartner) => S::Rejected,
            (A::Withdraw, state) if !state.is_terminal() => S::Withdrawn,
            _ => return None,
        };
        Some(to)
    }

    fn any_check(&self, state: CheckState) -> bool {
        self.checks.values().any(|c| c.state == state)
    }

    /// The submission's actions possible now, by anyone.
    pub fn allowed(&self) -> Vec<SubmissionAction> {
        SubmissionAction::ALL
            .into_iter()
            .filter(|a| self.target(*a).is_some())
            .collect()
    }

    /// The submission's actions `side` can take now.
    pub fn allowed_for(&self, side: Side) -> Vec<SubmissionAction> {
        self.allowed()
            .into_iter()
            .filter(|a| a.side() == side)
            .collect()
    }

    /// Takes `action` for `actor` on `side` at `at`. `reason` is required to request
    /// information (the question), to reject and to withdraw; `due` is when a clarification
    /// must be answered (default: 14 days).
    pub fn apply(
        &mut self,
        action: SubmissionAction,
        side: Side,
        actor: &str,
        at: i64,
        reason: Option<&str>,
        due: Option<i64>,
    ) -> Result<SubmissionState, MoveError> {
        // Another side's move is refused as such, before anything about the submission is said.
        if action.side() != side {
            return Err(MoveError::NotYours {
                action: action.name(),
                side: spelled(&action.side()),
            });
        }
        let Some(to) = self.target(action) else {
            let mut problem = MoveError::NotNow {
                subject: "the submission".to_string(),
                action: action.name(),
                state: spelled(&self.state),
                allowed: self.allowed_for(side).iter().map(|a| a.name()).collect(),
            };
            if action == SubmissionAction::Approve && self.state == SubmissionState::InReview {
                let open: Vec<&str> = self
                    .checks
                    .values()
                    .filter(|c| !c.state.is_closed())
                    .map(|c| c.requirement.as_str())
                    .collect();
                problem = MoveError::Blocked(format!(
                    "cannot approve while checks are open: {}",
                    open.join(", ")
                ));
            }
            return Err(problem);
        };
        if action == SubmissionAction::Approve
            && let Some(lapsed) = self.checks.values().find(|c| !c.is_closed_at(at))
        {
            return Err(MoveError::Blocked(format!(
                "cannot approve: the waiver of `{}` has run out",
                lapsed.requirement
            )));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let needs_reason = matches!(
            action,
            SubmissionAction::RequestInfo
                | SubmissionAction::Reply
                | SubmissionAction::Reject
                | SubmissionAction::Withdraw
        );
        if needs_reason && reason.is_none() {
            return Err(MoveError::Invalid(format!(
                "`{}` needs a reason",
                action.name()
            )));
        }
        let threaded = matches!(
            action,
            SubmissionAction::RequestInfo | SubmissionAction::Reply
        );
        let message = match reason {
            Some(reason) if threaded => Some(message_body(reason)?),
            _ => None,
        };
        if message.is_some() && self.messages.len() >= MAX_MESSAGES {
            return Err(MoveError::Blocked(format!(
                "the thread holds at most {MAX_MESSAGES} messages"
            )));
        }
        match action {
            SubmissionAction::RequestInfo => {
                let due = due.unwrap_or(at + CLARIFICATION_DAYS * DAY);
                if due < at + DAY {
                    return Err(MoveError::Invalid(
                        "the due date must leave the partner at least a day".to_string(),
                    ));
                }
                self.due = Some(due);
            }
            SubmissionAction::ClarificationTimeout if self.due.is_some_and(|d| at < d) => {
                return Err(MoveError::Blocked(
                    "the clarification is not overdue yet".to_string(),
                ));
            }
            _ => self.due = None,
        }
        self.record(actor, side, action.name(), self.state, to, at, reason);
        self.state = to;
        self.ball = to.ball();
        if let Some(body) = message {
            self.messages.push(Message {
                at,
                actor: actor.to_string(),
                side,
                body,
                due: self.due,
            });
        }
        Ok(to)
    }

    /// Takes `action` on the check of `requirement`. Checks move only while the submission is
    /// open (not decided).
    #[allow(clippy::too_many_arguments)]
    pub fn apply_check(
        &mut self,
        requirement: &str,
        action: CheckAction,
        side: Side,
        actor: &str,
        at: i64,
        reason: Option<&str>,
        waiver_expires: Option<i64>,
    ) -> Result<CheckState, MoveError> {
        // A waiver runs out after approval too: its check reopens, and the caller takes it from
        // there (an escalation, or the next review).
        let expiring =
            action == CheckAction::WaiverExpired && self.state == SubmissionState::Approved;
        if self.state.is_terminal() && !expiring {
            return Err(MoveError::Blocked(format!(
                "the submission is `{}`: its checks no longer move",
                spelled(&self.state)
            )));
        }
        let Some(check) = self.checks.get_mut(requirement) else {
            let known: Vec<&str> = self.checks.keys().map(String::as_str).collect();
            return Err(MoveError::Invalid(format!(
                "no check `{requirement}`; the checks are {}",
                known.join(", ")
            )));
        };
        let waiver = waiver_expires.map(|expires| Waiver {
            reason: reason.unwrap_or_default().to_string(),
            granted_by: actor.to_string(),
            expires,
        });
        let from = check.state;
        let to = check.apply(action, side, at, waiver)?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        self.history.push(Transition {
            at,
            actor: actor.to_string(),
            side,
            action: action.name(),
            requirement: Some(requirement.to_string()),
            from: spelled(&from),
            to: spelled(&to),
            reason: reason.map(str::to_string),
        });
        // A soaking submission whose last soaking check moved on (it ran, failed or was waived)
        // goes back to review at once: otherwise it would wait on a timer that never comes.
        if self.state == SubmissionState::Soaking && !self.any_check(CheckState::Soaking) {
            let from = self.state;
            let action = SubmissionAction::SoakEnded.name();
            self.record(
                "system",
                Side::System,
                action,
                from,
                SubmissionState::InReview,
                at,
                None,
            );
            self.state = SubmissionState::InReview;
            self.ball = Ball::Staff;
        }
        Ok(to)
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        actor: &str,
        side: Side,
        action: String,
        from: SubmissionState,
        to: SubmissionState,
        at: i64,
        reason: Option<&str>,
    ) {
        self.history.push(Transition {
            at,
            actor: actor.to_string(),
            side,
            action,
            requirement: None,
            from: spelled(&from),
            to: spelled(&to),
            reason: reason.map(str::to_string),
        });
    }

    /// Seconds the submission has waited on each side, up to `now`: each stretch between two
    /// of its own moves counts for the side that held the ball.
    pub fn waiting(&self, now: i64) -> Waiting {
        let mut waiting = Waiting::default();
        let moves: Vec<&Transition> = self
            .history
            .iter()
            .filter(|t| t.requirement.is_none())
            .collect();
        for (i, step) in moves.iter().enumerate() {
            let end = moves.get(i + 1).map_or(now, |next| next.at);
            let span = (end - step.at).max(0);
            match state_named(&step.to).map(SubmissionState::ball) {
                Some(Ball::Staff) => waiting.staff += span,
                Some(Ball::Partner) => waiting.partner += span,
                Some(Ball::Timer) => waiting.timer += span,
                Some(Ball::Nobody) | None => {}
            }
        }
        waiting
    }
}

/// A message's body, trimmed, or why it cannot be one.
fn message_body(body: &str) -> Result<String, MoveError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(MoveError::Invalid("a message needs a body".to_string()));
    }
    let length = body.chars().count();
    if length > MESSAGE_LIMIT {
        return Err(MoveError::Invalid(format!(
            "a message holds at most {MESSAGE_LIMIT} characters; this one has {length}"
        )));
    }
    Ok(body.to_string())
}

fn state_named(name: &str) -> Option<SubmissionState> {
    [
        SubmissionState::Submitted,
        SubmissionState::Triage,
        SubmissionState::WaitingForPartner,
        SubmissionState::WaitingForStaff,
        SubmissionState::InReview,
        SubmissionState::Soaking,
        SubmissionState::Approved,
        SubmissionState::Rejected,
        SubmissionState::Withdrawn,
    ]
    .into_iter()
    .find(|s| spelled(s) == name)
}
