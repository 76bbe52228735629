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
use apptrust_store::cases;
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
                        from: &[APPROVED, SUSPENDED],
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
                crate::escalations::cancel_open_in(
                    connection,
                    holder.app_id,
                    &program.key,
                    None,
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
            if phase == "grace-ended" {
                self.move_reviewed_in_grace(connection, program, set, &holders, &now)
                    .await?;
            }
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

impl ProgramCalendar {
    /// At a set's grace end, the apps reviewed during its grace (against their older set) move
    /// to it: apps move at their next review or at grace end, whichever is later. Apps not
    /// reviewed since the set came into force move at their next review.
    async fn move_reviewed_in_grace(
        &self,
        connection: &mut apptrust_store::Connection,
        program: &apptrust_programs::catalog::ProgramDef,
        set: &apptrust_programs::catalog::RequirementSet,
        holders: &[apptrust_store::editions::Holder],
        now: &str,
    ) -> Result<(), StoreError> {
        for holder in holders {
            let held = holder
                .requirement_set
                .as_deref()
                .and_then(|h| program.set(h));
            if held.is_none_or(|h| h.effective >= set.effective) {
                continue;
            }
            let mut reviewed_in_grace = false;
            for state in ["passed", "passed-after-remediation"] {
                let last = cases::latest_closed_in(
                    connection,
                    cases::REVIEW,
                    holder.app_id,
                    &program.key,
                    state,
                )
                .await?;
                if let Some(review) = last
                    && review.sort_at.as_str() >= set.effective.as_str()
                {
                    reviewed_in_grace = true;
                }
            }
            if !reviewed_in_grace {
                continue;
            }
            crate::badges::move_to_set(
                connection,
                holder.app_id,
                &program.badge,
                &set.id,
                "annual-review",
                &format!("requirement-set:{}", set.id),
                now,
            )
            .await?;
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
