//! Submissions to approval programs (Cloud Fortified): opening one, and the moves of the
//! submission and of its checks. The rules are the domain model's
//! (`apptrust_programs::fortified`); here each move is read, applied and written back in one
//! transaction with its audit entry, and a move that lost a race with another edit is made
//! again on the new state (or refused, if it no longer applies).

use apptrust_programs::catalog::{Catalog, Framework, Grant, ProgramStatus};
use apptrust_programs::fortified::{
    CheckAction, MoveError, Side, Submission, SubmissionAction, SubmissionState,
};
use apptrust_programs::spelled;
use apptrust_store::apps::App;
use apptrust_store::submissions::{self, SubmissionRow, SubmissionWrite};
use apptrust_store::timers::{NewTimer, schedule_in};
use apptrust_store::{Actor, Store, StoreError, audit, clock, notifications};
use time::OffsetDateTime;

/// How often a move is made again after losing a race with another edit.
const ATTEMPTS: usize = 5;

/// Why a submission use case refused.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    /// The domain refused the move.
    #[error(transparent)]
    Move(#[from] MoveError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A submission as read: the stored row and the aggregate.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub row: SubmissionRow,
    pub submission: Submission,
}

/// Seconds since the epoch of a stored or RFC 3339 time.
pub fn seconds(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// A time in seconds, as the API shows times.
pub fn shown(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .map(clock::stored)
        .unwrap_or_default()
}

fn now_seconds(store: &Store) -> i64 {
    store.clock().now().unix_timestamp()
}

/// Opens a submission of `app` to the approval program `program` (its key or badge key),
/// against the requirement set in force today.
pub async fn open(
    store: &Store,
    catalog: &Catalog,
    app: &App,
    program: &str,
    actor: &Actor,
) -> Result<Loaded, SubmissionError> {
    let invalid = |m: String| SubmissionError::Store(StoreError::Invalid(m));
    let Some(definition) = catalog.program(program) else {
        return Err(invalid(format!("no program `{program}`")));
    };
    if definition.grant != Grant::Approval {
        return Err(invalid(format!(
            "`{}` is not granted through submissions",
            definition.key
        )));
    }
    if definition.status != ProgramStatus::Active {
        return Err(invalid(format!(
            "`{}` takes no new submissions (it is {})",
            definition.key,
            spelled(&definition.status)
        )));
    }
    let carried = {
        let mut connection = store.reader().await?;
        apptrust_store::badges::load_in(&mut connection, app.id, &definition.badge)
            .await?
            .map(|b| b.status)
    };
    match carried.as_deref() {
        Some(crate::badges::APPROVED) => {
            return Err(SubmissionError::Store(StoreError::Conflict(format!(
                "the app already carries the `{}` badge",
                definition.badge
            ))));
        }
        Some(crate::badges::SUSPENDED) => {
            return Err(SubmissionError::Store(StoreError::Conflict(
                "the app's badge is suspended: its escalation decides (resolved, or removed \
                 and then a new submission)"
                    .to_string(),
            )));
        }
        _ => {}
    }
    let now = store.now();
    let today = store.today();
    let Some(set) = definition.set_in_force(&today) else {
        return Err(invalid(format!(
            "`{}` has no requirement set in force yet",
            definition.key
        )));
    };
    let framework = if app.framework == "connect" {
        Framework::Connect
    } else {
        Framework::Forge
    };
    let submission = Submission::open(set, framework, &actor.label, now_seconds(store));
    let document = serde_json::to_string(&submission).map_err(StoreError::from)?;
    let mut tx = store.begin().await?;
    let columns = Columns::of(&submission);
    let write = columns.write(&document, &now);
    let id =
        submissions::insert_in(tx.connection(), app.id, &definition.key, &set.id, &write).await?;
    // Opening is news too: staff's queue has a new submission.
    notifications::record_in(
        tx.connection(),
        &now,
        notifications::SUBMISSION_MOVED,
        app.id,
        &format!("submission:{id}"),
        serde_json::json!({
            "submission": id,
            "program": definition.key,
            "action": "submit",
            "side": "partner",
            "actor": actor.label,
            "from": null,
            "state": spelled(&submission.state),
            "ball": spelled(&submission.ball),
            "due": null,
            "reason": null,
        }),
    )
    .await?;
    audit::record(
        tx.connection(),
        &now,
        actor,
        "submission.open",
        &format!("submission:{id}"),
        serde_json::json!({"app": app.key, "program": definition.key, "requirementSet": set.id}),
    )
    .await?;
    tx.commit().await?;
    load(store, id).await
}

/// Reads a submission.
pub async fn load(store: &Store, id: i64) -> Result<Loaded, SubmissionError> {
    let row = store
        .submission(id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no submission {id}")))?;
    let submission: Submission = serde_json::from_str(&row.document)
        .map_err(|e| StoreError::Corrupt(format!("submission {id}: {e}")))?;
    Ok(Loaded { row, submission })
}

/// What a move is: of the submission, or of one of its checks.
#[derive(Clone, Debug)]
pub enum Move {
    Submission {
        action: SubmissionAction,
        /// Seconds.
        due: Option<i64>,
    },
    Check {
        requirement: String,
        action: CheckAction,
        /// Seconds; a waiver's expiry.
        expires: Option<i64>,
    },
    /// A message on the thread (no state moves).
    Message { body: String },
}

/// Makes a move on submission `id` for `actor` on `side`, with its reason. An approval grants
/// the program's badge (`catalog` says which) in the same transaction.
pub async fn act(
    store: &Store,
    catalog: &Catalog,
    id: i64,
    the_move: &Move,
    side: Side,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<Loaded, SubmissionError> {
    for _ in 0..ATTEMPTS {
        let Loaded {
            row,
            mut submission,
        } = load(store, id).await?;
        let at = now_seconds(store);
        let before = (submission.state, submission.ball, submission.due);
        if matches!(
            the_move,
            Move::Submission {
                action: SubmissionAction::Approve,
                ..
            }
        ) && catalog
            .program(&row.program)
            .is_some_and(|p| p.is_over(&store.today()))
        {
            return Err(MoveError::Blocked(format!(
                "`{}` has ended: it grants no more badges",
                row.program
            ))
            .into());
        }
        let (name, requirement) = match the_move {
            Move::Submission { action, due } => {
                submission.apply(*action, side, &actor.label, at, reason, *due)?;
                (action.name(), None)
            }
            Move::Check {
                requirement,
                action,
                expires,
            } => {
                submission.apply_check(
                    requirement,
                    *action,
                    side,
                    &actor.label,
                    at,
                    reason,
                    *expires,
                )?;
                (action.name(), Some(requirement.clone()))
            }
            Move::Message { body } => {
                submission.post_message(side, &actor.label, at, body)?;
                ("message".to_string(), None)
            }
        };
        let now = store.now();
        let document = serde_json::to_string(&submission).map_err(StoreError::from)?;
        let mut tx = store.begin().await?;
        let columns = Columns::of(&submission);
        if !submissions::update_in(
            tx.connection(),
            id,
            row.revision,
            &columns.write(&document, &now),
        )
        .await?
        {
            // Another edit landed first: read again and make the move on what it left.
            continue;
        }
        // The move is news first; what it causes (the badge, the review) follows.
        let news = News {
            id,
            program: &row.program,
            name: &name,
            requirement: requirement.as_deref(),
            side,
            actor: &actor.label,
            reason,
        };
        news.record(
            tx.connection(),
            row.app_id,
            the_move,
            &submission,
            before,
            &now,
        )
        .await?;
        if submission.state == SubmissionState::Approved
            && matches!(
                the_move,
                Move::Submission {
                    action: SubmissionAction::Approve,
                    ..
                }
            )
        {
            let badge = catalog
                .program(&row.program)
                .map(|p| p.badge.clone())
                .ok_or_else(|| StoreError::Internal(format!("no program `{}`", row.program)))?;
            crate::badges::grant_on_approval(
                tx.connection(),
                row.app_id,
                &badge,
                &row.requirement_set,
                &format!("submission:{id}"),
                &now,
            )
            .await?;
            crate::reviews::schedule_first_in(tx.connection(), catalog, &row, at, &now).await?;
        }
        for timer in timers_after(id, the_move, &submission) {
            let key = format!("submission:{id}:{}", timer.key);
            schedule_in(
                tx.connection(),
                &now,
                &NewTimer {
                    kind: TIMER_KIND,
                    due_at: shown(timer.due),
                    subject: &format!("submission:{id}"),
                    idempotency_key: &key,
                    payload: timer.payload,
                },
            )
            .await?;
        }
        audit::record(
            tx.connection(),
            &now,
            actor,
            if matches!(the_move, Move::Message { .. }) {
                "submission.message"
            } else {
                "submission.move"
            },
            &format!("submission:{id}"),
            serde_json::json!({
                "action": name,
                "requirement": requirement,
                "state": spelled(&submission.state),
                "reason": reason,
            }),
        )
        .await?;
        tx.commit().await?;
        return load(store, id).await;
    }
    Err(StoreError::Busy(format!(
        "submission {id} kept changing under this move; retry"
    ))
    .into())
}

/// Posts a message from the service (`actor`, on the system's side) on submission `id`'s
/// thread, in the caller's transaction, with its notification. A submission that moved under
/// it makes the caller's transaction fail, to be retried.
pub async fn post_system_message_in(
    connection: &mut apptrust_store::Connection,
    id: i64,
    actor: &str,
    at: i64,
    body: &str,
    now: &str,
) -> Result<(), StoreError> {
    let row = submissions::row_in(connection, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no submission {id}")))?;
    let mut submission: Submission = serde_json::from_str(&row.document)
        .map_err(|e| StoreError::Corrupt(format!("submission {id}: {e}")))?;
    submission
        .post_message(Side::System, actor, at, body)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let document = serde_json::to_string(&submission)?;
    let columns = Columns::of(&submission);
    if !submissions::update_in(connection, id, row.revision, &columns.write(&document, now)).await?
    {
        return Err(StoreError::Busy(format!("submission {id} moved; retry")));
    }
    let news = News {
        id,
        program: &row.program,
        name: "message",
        requirement: None,
        side: Side::System,
        actor,
        reason: None,
    };
    let unchanged = (submission.state, submission.ball, submission.due);
    news.record(
        connection,
        row.app_id,
        &Move::Message {
            body: body.to_string(),
        },
        &submission,
        unchanged,
        now,
    )
    .await
}

/// What one move tells the app's partner and staff: the notification it writes in the move's
/// transaction.
struct News<'a> {
    id: i64,
    program: &'a str,
    name: &'a str,
    requirement: Option<&'a str>,
    side: Side,
    actor: &'a str,
    reason: Option<&'a str>,
}

impl News<'_> {
    async fn record(
        &self,
        connection: &mut apptrust_store::Connection,
        app_id: i64,
        the_move: &Move,
        submission: &Submission,
        (state, ball, due): (
            SubmissionState,
            apptrust_programs::fortified::Ball,
            Option<i64>,
        ),
        now: &str,
    ) -> Result<(), StoreError> {
        let subject = format!("submission:{}", self.id);
        let mut details = serde_json::json!({
            "submission": self.id,
            "program": self.program,
            "action": self.name,
            "side": spelled(&self.side),
            "actor": self.actor,
            "state": spelled(&submission.state),
            "ball": spelled(&submission.ball),
            "due": submission.due.map(shown),
        });
        let event = match the_move {
            Move::Message { .. } => {
                details["body"] = submission.messages.last().map(|m| m.body.clone()).into();
                notifications::SUBMISSION_MESSAGE
            }
            Move::Check { .. } => {
                let check = self.requirement.and_then(|r| submission.checks.get(r));
                details["requirement"] = self.requirement.into();
                details["checkState"] = check.map(|c| spelled(&c.state)).into();
                details["reason"] = self.reason.into();
                notifications::CHECK_MOVED
            }
            Move::Submission { .. } => {
                details["from"] = spelled(&state).into();
                details["reason"] = self.reason.into();
                notifications::SUBMISSION_MOVED
            }
        };
        notifications::record_in(connection, now, event, app_id, &subject, details).await?;
        // A check's move that carried the submission along (the last soak ran) is the
        // submission's news too.
        let carried = matches!(the_move, Move::Check { .. })
            && (state, ball, due) != (submission.state, submission.ball, submission.due);
        if carried {
            notifications::record_in(
                connection,
                now,
                notifications::SUBMISSION_MOVED,
                app_id,
                &subject,
                serde_json::json!({
                    "submission": self.id,
                    "program": self.program,
                    "action": SubmissionAction::SoakEnded.name(),
                    "side": "system",
                    "actor": "system",
                    "from": spelled(&state),
                    "state": spelled(&submission.state),
                    "ball": spelled(&submission.ball),
                    "due": submission.due.map(shown),
                    "reason": null,
                }),
            )
            .await?;
        }
        Ok(())
    }
}

/// The columns written beside the aggregate, as the domain spells them.
struct Columns {
    state: String,
    ball: String,
    due: Option<String>,
}

impl Columns {
    fn of(submission: &Submission) -> Columns {
        Columns {
            state: spelled(&submission.state),
            ball: spelled(&submission.ball),
            due: submission.due.map(shown),
        }
    }

    fn write<'a>(&'a self, document: &'a str, now: &'a str) -> SubmissionWrite<'a> {
        SubmissionWrite {
            state: &self.state,
            ball: &self.ball,
            due_at: self.due.as_deref(),
            document,
            now,
        }
    }
}

/// The timer kind of submissions' deadlines: a clarification's due date, a check's soak end, a
/// waiver's expiry. Its handler is [`crate::submission_timers::SubmissionTimers`].
pub const TIMER_KIND: &str = "submission";

/// A timer a move calls for.
struct Planned {
    /// Seconds.
    due: i64,
    /// Unique per deadline, so that a retried move schedules it once.
    key: String,
    payload: serde_json::Value,
}

/// The deadlines a move just set: the clarification's due date after `request-info`, the soak's
/// end after `start-soak`, the waiver's expiry after `waive`.
fn timers_after(id: i64, the_move: &Move, submission: &Submission) -> Vec<Planned> {
    let mut planned = Vec::new();
    match the_move {
        Move::Submission {
            action: SubmissionAction::RequestInfo,
            ..
        } => {
            if let Some(due) = submission.due {
                planned.push(Planned {
                    due,
                    key: format!("clarification:{due}"),
                    payload: serde_json::json!({"submission": id, "move": "clarification-timeout"}),
                });
            }
        }
        Move::Check {
            requirement,
            action,
            ..
        } => {
            let check = submission.checks.get(requirement);
            let (due, name) = match action {
                CheckAction::StartSoak => (check.and_then(|c| c.soak_until), "soak-ended"),
                CheckAction::Waive => (
                    check.and_then(|c| c.waiver.as_ref().map(|w| w.expires)),
                    "waiver-expired",
                ),
                _ => (None, ""),
            };
            if let Some(due) = due {
                planned.push(Planned {
                    due,
                    key: format!("{name}:{requirement}:{due}"),
                    payload: serde_json::json!({
                        "submission": id, "move": name, "requirement": requirement,
                    }),
                });
            }
        }
        Move::Submission { .. } | Move::Message { .. } => {}
    }
    planned
}
