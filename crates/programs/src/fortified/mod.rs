//! Cloud Fortified's approval workflow, pure: a submission moves through states, each with the
//! side that holds the ball (spec §3), and each requirement is a component check with its own
//! states, soak and waiver. Time is always an input (seconds since the Unix epoch), so every rule
//! is tested without a clock; the service stores the results and schedules the timers.
//!
//! Every illegal move is refused with an error that names the moves allowed now.

pub mod calendar;
mod check;
mod escalation;
mod review;
pub mod signals;
mod submission;

#[cfg(test)]
mod tests;

pub use calendar::{PartnerZone, ReviewDates, UnknownZone};
pub use check::{Check, CheckAction, CheckState, Waiver};
pub use escalation::{
    BadgeEffect, DEMOTION_NOTICE_DAYS, Escalation, EscalationAction, EscalationState, Source,
};
pub use review::{Finding, Review, ReviewAction, ReviewDelta, ReviewOutcome, ReviewState};
pub use submission::{
    MAX_MESSAGES, MESSAGE_LIMIT, Message, Submission, SubmissionAction, SubmissionState,
    Transition, Waiting,
};

use serde::{Deserialize, Serialize};

/// Who holds the ball: whose move it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ball {
    Staff,
    Partner,
    /// A timer: a soak, or a deadline, runs.
    Timer,
    /// Nobody: decided.
    Nobody,
}

/// Who acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    Partner,
    Staff,
    /// A timer firing (a soak ended, a deadline passed, a waiver expired).
    System,
}

/// Days, in seconds.
pub const DAY: i64 = 86_400;

/// How long a partner has to answer a clarification before the submission is rejected
/// (a decision where the public material is silent).
pub const CLARIFICATION_DAYS: i64 = 14;

/// Why a move was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    /// The move does not exist in this state; `allowed` lists the moves that do.
    #[error(
        "`{action}` is not possible while {subject} is `{state}`; possible now: {}",
        list(allowed)
    )]
    NotNow {
        subject: String,
        action: String,
        state: String,
        allowed: Vec<String>,
    },
    /// The move exists but is another side's.
    #[error("`{action}` is for {side} to do")]
    NotYours { action: String, side: String },
    /// The move exists in this state but cannot be made yet (open checks, a soak or a deadline
    /// that has not run, a decided submission).
    #[error("{0}")]
    Blocked(String),
    /// The move exists but something it needs is missing or wrong.
    #[error("{0}")]
    Invalid(String),
}

fn list(allowed: &[String]) -> String {
    if allowed.is_empty() {
        "nothing (it is decided)".to_string()
    } else {
        allowed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(crate) use crate::spelled;

#[cfg(test)]
mod review_tests;

#[cfg(test)]
mod escalation_tests;

#[cfg(test)]
mod signals_tests;
