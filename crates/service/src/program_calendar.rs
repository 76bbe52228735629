//! The programs' own dates, as timers scheduled at start from the catalog: each requirement
//! set's publication, its effective date and its grace end (change notices to the apps that
//! carry the program's badge), and a retiring program's end (its badges move to `RETIRED`,
//! never `REMOVED`, so history does not read as a sanction).
//!
//! Scheduling is idempotent (one timer per date and key, whichever instance starts first), so
//! every instance schedules them at every start. A date that passed long before the service
//! first saw it is not news: a change notice more than [`STALE_DAYS`] old is passed over.

use std::sync::Arc;

use apptrust_programs::catalog::{Catalog, ProgramStatus};
use apptrust_programs::fortified::DAY;
use apptrust_store::editions::holders_in;
use apptrust_store::timers::{Firing, Timer};
use apptrust_store::{Actor, Store, StoreError, audit, notifications};

use crate::badges::{APPROVED, ProgramBadgeMove, RETIRED, SUSPENDED, move_program_badge};
use crate::cases::schedule_deadline_in;
use crate::submissions::{SubmissionError, seconds};
use crate::timers::{Handler, HandlerFuture, Handlers};

/// The timer kind of the programs' dates.
pub const TIMER_KIND: &str = "program";

/// Change notices older than this when they fire are not sent.
pub const STALE_DAYS: i64 = 7;

/// Seconds of the start of day `YYYY-MM-DD` (UTC).
fn day_start(day: &str) -> Option<i64> {
    seconds(&format!("{day}T00:00:00Z"))
}

/// Schedules every date of the catalog (idempotent).
pub async fn schedule(store: &Store, catalog: &Catalog) -> Result<(), StoreError> {
    let now = store.now();
    let mut tx = store.begin().await?;
    for program in &catalog.programs {
        for set in &program.requirement_sets {
            let phases = [
                ("announced", Some(&set.announced)),
                ("effective", Some(&set.effective)),
                (
                    "grace-ended",
                    Some(&set.grace_until).filter(|g| **g != set.effective),
                ),
            ];
            for (phase, day) in phases {
                let Some((day, at)) = day.and_then(|d| Some((d, day_start(d)?))) else {
                    continue;
                };
                // The date is part of the key: a date moved in the files is a new timer.
                let key = format!("program:{}:{phase}:{day}", set.id);
                let payload = serde_json::json!({
                    "program": program.key, "requirementSet": set.id, "phase": phase,
                });
                schedule_deadline_in(tx.connection(), TIMER_KIND, &key, &key, at, payload, &now)
                    .await?;
            }
        }
        let ends = match (program.status, &program.retiring_on) {
            (ProgramStatus::Retiring | ProgramStatus::Retired, Some(day)) => {
                day_start(day).map(|at| (day.as_str(), at))
            }
            (ProgramStatus::Retired, None) => Some(("now", store.clock().now().unix_timestamp())),
            _ => None,
        };
        if let Some((day, at)) = ends {
            let key = format!("program:{}:retire:{day}", program.key);
            let payload = serde_json::json!({"program": program.key, "phase": "retire"});
            schedule_deadline_in(tx.connection(), TIMER_KIND, &key, &key, at, payload, &now)
                .await?;
        }
    }
    tx.commit().await
}

/// The handler of the programs' dates.
pub struct ProgramCalendar {
    pub store: Store,
    pub catalog: Arc<Catalog>,
}

/// Registers the handler.
pub fn register(handlers: &mut Handlers, store: &Store, catalog: &Arc<Catalog>) {
    handlers.insert(
        TIMER_KIND,
        Arc::new(ProgramCalendar {
            store: store.clone(),
            catalog: catalog.clone(),
        }),
    );
}

impl ProgramCalendar {
    /// Does the date's work in the firing's transaction, so that it happens exactly once.
    async fn happen(
        &self,
        timer: &Timer,
        connection: &mut apptrust_store::Connection,
    ) -> Result<(), SubmissionError> {
        let payload = &timer.payload;
        let Some(program) = payload["program"]
            .as_str()
            .and_then(|p| self.catalog.program(p))
        else {
            // A program since taken out of the catalog: nothing to do.
            return Ok(());
        };
        let now = self.store.now();
        let at = self.store.clock().now().unix_timestamp();
        let phase = payload["phase"].as_str().unwrap_or_default();
        let mut holders = holders_in(connection, &program.badge, APPROVED).await?;
        holders.extend(holders_in(connection, &program.badge, SUSPENDED).await?);
        if phase == "retire" {
            for holder in &holders {
                move_program_badge(
                    connection,
                    holder.app_id,
                    &ProgramBadgeMove {
                        badge: &program.badge,
                        to: RETIRED,
                        requirement_set: None,
                        cause: "retirement",
                        reasons: &[format!("the {} program was retired", program.name)],
                        reference: &format!("program:{}", program.key),
                    },
                    &now,
                )
                .await?;
                crate::reviews::cancel_open_in(
                    connection,
                    holder.app_id,
                    &program.key,
                    "the program was retired",
                    at,
                    &now,
                )
                .await?;
            }
            audit::record(
                connection,
                &now,
                &Actor::system("program-calendar"),
                "program.retire",
                &format!("program:{}", program.key),
                serde_json::json!({"badges": holders.len()}),
            )
            .await?;
        } else {
            let set = payload["requirementSet"]
                .as_str()
                .and_then(|s| program.set(s));
            let Some(set) = set else { return Ok(()) };
            if timer_age(timer, at) > STALE_DAYS * DAY {
                return Ok(());
            }
            for holder in &holders {
                notifications::record_in(
                    connection,
                    &now,
                    notifications::REQUIREMENTS_CHANGED,
                    holder.app_id,
                    &format!("requirement-set:{}", set.id),
                    serde_json::json!({
                        "program": program.key,
                        "requirementSet": set.id,
                        "phase": phase,
                        "summary": set.summary,
                        "announced": set.announced,
                        "discussionUntil": set.discussion_until,
                        "effective": set.effective,
                        "graceUntil": set.grace_until,
                        "added": set.added,
                        "changed": set.changed,
                        "dropped": set.dropped.iter().map(|d| &d.id).collect::<Vec<_>>(),
                    }),
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// How long ago the timer fell due, in seconds.
fn timer_age(timer: &Timer, now: i64) -> i64 {
    seconds(&timer.due_at).map_or(0, |due| now - due)
}

impl Handler for ProgramCalendar {
    fn prepare<'a>(&'a self, _timer: &'a Timer) -> HandlerFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    fn fire<'a>(&'a self, timer: &'a Timer, firing: &'a mut Firing) -> HandlerFuture<'a> {
        Box::pin(async move {
            self.happen(timer, firing.connection())
                .await
                .map_err(|e| e.to_string())
        })
    }
}
