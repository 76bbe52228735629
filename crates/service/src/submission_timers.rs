//! Submissions' deadlines as timers: when a clarification's due date passes the submission is
//! rejected, when a check's soak has run it goes back to staff review (and the submission with
//! it, once nothing soaks), when a waiver runs out its check reopens. Each is the domain's
//! system move, made through the same use case as people's moves; a deadline that no longer
//! applies (the partner replied, the check was failed) is simply passed over.

use std::sync::Arc;

use apptrust_programs::catalog::Catalog;
use apptrust_programs::fortified::{CheckAction, MoveError, Side, SubmissionAction};
use apptrust_store::timers::{Firing, Timer};
use apptrust_store::{Actor, Store};

use crate::submissions::{Move, SubmissionError, act};
use crate::timers::{Handler, HandlerFuture, Handlers};

/// The handler of `submission` timers.
pub struct SubmissionTimers {
    pub store: Store,
    pub catalog: Arc<Catalog>,
}

/// Registers the handler.
pub fn register(handlers: &mut Handlers, store: &Store, catalog: &Arc<Catalog>) {
    handlers.insert(
        crate::submissions::TIMER_KIND,
        Arc::new(SubmissionTimers {
            store: store.clone(),
            catalog: catalog.clone(),
        }),
    );
}

impl Handler for SubmissionTimers {
    // The move is made in a transaction of its own (a use case's), before the firing's: on
    // SQLite the firing holds the only writer. Making it again is harmless: the second time it
    // is no longer possible, and is passed over.
    fn prepare<'a>(&'a self, timer: &'a Timer) -> HandlerFuture<'a> {
        Box::pin(async move {
            let payload = &timer.payload;
            let id = payload["submission"]
                .as_i64()
                .ok_or("the timer names no submission")?;
            let the_move = match payload["move"].as_str() {
                Some("clarification-timeout") => Move::Submission {
                    action: SubmissionAction::ClarificationTimeout,
                    due: None,
                },
                Some(name @ ("soak-ended" | "waiver-expired")) => Move::Check {
                    requirement: payload["requirement"]
                        .as_str()
                        .ok_or("the timer names no requirement")?
                        .to_string(),
                    action: if name == "soak-ended" {
                        CheckAction::SoakEnded
                    } else {
                        CheckAction::WaiverExpired
                    },
                    expires: None,
                },
                other => return Err(format!("unknown submission timer move {other:?}")),
            };
            let actor = Actor::system("deadline");
            match act(
                &self.store,
                &self.catalog,
                id,
                &the_move,
                Side::System,
                &actor,
                None,
            )
            .await
            {
                Ok(_) => Ok(()),
                // No longer applies: the partner replied, the check moved on, the waiver was
                // renewed. Nothing to do.
                Err(SubmissionError::Move(
                    MoveError::NotNow { .. } | MoveError::Blocked(_) | MoveError::Invalid(_),
                )) => Ok(()),
                Err(other) => Err(other.to_string()),
            }
        })
    }

    fn fire<'a>(&'a self, _timer: &'a Timer, _firing: &'a mut Firing) -> HandlerFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}
