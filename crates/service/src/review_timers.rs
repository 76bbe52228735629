//! Reviews' dates as timers: the notice 14 days ahead, the review week's start, a
//! remediation's due date. Each is the domain's system move, made through the same use case as
//! people's moves; one that no longer applies (the review was decided, the due date was
//! extended) is passed over.

use std::sync::Arc;

use apptrust_programs::catalog::Catalog;
use apptrust_programs::fortified::{MoveError, ReviewAction, Side};
use apptrust_store::timers::{Firing, Timer};
use apptrust_store::{Actor, Store};

use crate::reviews::{TIMER_KIND, act};
use crate::submissions::SubmissionError;
use crate::timers::{Handler, HandlerFuture, Handlers};

/// The handler of `review` timers.
pub struct ReviewTimers {
    pub store: Store,
    pub catalog: Arc<Catalog>,
}

/// Registers the handler.
pub fn register(handlers: &mut Handlers, store: &Store, catalog: &Arc<Catalog>) {
    handlers.insert(
        TIMER_KIND,
        Arc::new(ReviewTimers {
            store: store.clone(),
            catalog: catalog.clone(),
        }),
    );
}

impl Handler for ReviewTimers {
    // As with submissions' deadlines, the move is its own use case's transaction, made before
    // the firing's; making it twice is harmless (the second time it is passed over).
    fn prepare<'a>(&'a self, timer: &'a Timer) -> HandlerFuture<'a> {
        Box::pin(async move {
            let id = timer.payload["review"]
                .as_i64()
                .ok_or("the timer names no review")?;
            let action = timer.payload["move"]
                .as_str()
                .and_then(ReviewAction::parse)
                .filter(|a| a.side() == Side::System)
                .ok_or_else(|| format!("unknown review timer move {}", timer.payload["move"]))?;
            let actor = Actor::system("review-calendar");
            match act(
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
            {
                Ok(_) => Ok(()),
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
