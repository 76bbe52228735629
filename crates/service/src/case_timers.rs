//! The deadlines of cases as timers: a review's notice, its week's start and a remediation's
//! due date; an escalation's plan due date and the end of a demotion notice. Each is the
//! domain's system move, made through the same use case as people's moves; one that no longer
//! applies (the review was decided, the plan was extended, the escalation resolved) is passed
//! over.

use std::sync::Arc;

use apptrust_programs::catalog::Catalog;
use apptrust_programs::fortified::{EscalationAction, MoveError, ReviewAction, Side};
use apptrust_store::timers::{Firing, Timer};
use apptrust_store::{Actor, Store};

use crate::submissions::SubmissionError;
use crate::timers::{Handler, HandlerFuture, Handlers};
use crate::{escalations, reviews};

/// The handler of `review` and `escalation` timers.
pub struct CaseTimers {
    pub store: Store,
    pub catalog: Arc<Catalog>,
}

/// Registers the handler for both kinds.
pub fn register(handlers: &mut Handlers, store: &Store, catalog: &Arc<Catalog>) {
    let handler = Arc::new(CaseTimers {
        store: store.clone(),
        catalog: catalog.clone(),
    });
    handlers.insert(reviews::TIMER_KIND, handler.clone());
    handlers.insert(escalations::TIMER_KIND, handler);
}

impl CaseTimers {
    async fn make(&self, timer: &Timer) -> Result<(), String> {
        let payload = &timer.payload;
        let name = payload["move"].as_str().unwrap_or_default();
        let unknown = || format!("unknown {} timer move `{name}`", timer.kind);
        let result = if timer.kind == reviews::TIMER_KIND {
            let id = payload["review"]
                .as_i64()
                .ok_or("the timer names no review")?;
            let action = ReviewAction::parse(name)
                .filter(|a| a.side() == Side::System)
                .ok_or_else(unknown)?;
            let actor = Actor::system("review-calendar");
            reviews::act(
                &self.store,
                &self.catalog,
                id,
                action,
                Side::System,
                &actor,
                None,
                None,
            )
            .await
            .map(|_| ())
        } else {
            let id = payload["escalation"]
                .as_i64()
                .ok_or("the timer names no escalation")?;
            let action = EscalationAction::parse(name)
                .filter(|a| a.side() == Side::System)
                .ok_or_else(unknown)?;
            let actor = Actor::system("escalation-deadline");
            escalations::act(
                &self.store,
                &self.catalog,
                id,
                action,
                Side::System,
                &actor,
                None,
                None,
            )
            .await
            .map(|_| ())
        };
        match result {
            Ok(()) => Ok(()),
            // No longer applies: decided, extended, resolved. Nothing to do.
            Err(SubmissionError::Move(
                MoveError::NotNow { .. } | MoveError::Blocked(_) | MoveError::Invalid(_),
            )) => Ok(()),
            Err(other) => Err(other.to_string()),
        }
    }
}

impl Handler for CaseTimers {
    // As with submissions' deadlines, the move is its own use case's transaction, made before
    // the firing's; making it twice is harmless (the second time it is passed over).
    fn prepare<'a>(&'a self, timer: &'a Timer) -> HandlerFuture<'a> {
        Box::pin(self.make(timer))
    }

    fn fire<'a>(&'a self, _timer: &'a Timer, _firing: &'a mut Firing) -> HandlerFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}
