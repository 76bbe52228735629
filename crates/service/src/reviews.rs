//! Annual reviews of approved apps: scheduled at approval on the partner's calendar, noticed 14
//! days ahead on the submission's thread, opened with the delta since approval, and decided by
//! staff. The rules are the domain model's (`apptrust_programs::fortified::Review`); here each
//! move is written with its effects in one transaction: the notice message, the next deadline,
//! the badge moving to a new requirement set or being removed, next year's review, the
//! notification and the audit entry.

use apptrust_programs::catalog::{Catalog, SetDelta};
use apptrust_programs::fortified::{
    PartnerZone, Review, ReviewAction, ReviewDates, ReviewDelta, Side,
};
use apptrust_programs::spelled;
use apptrust_store::cases::{self, REVIEW};
use apptrust_store::submissions::SubmissionRow;
use apptrust_store::{Actor, Connection, Store, StoreError, audit, notifications, partners};

use crate::badges::{APPROVED, ProgramBadgeMove, REMOVED, SUSPENDED, move_program_badge};
use crate::cases::{
    ATTEMPTS, Aggregate, Columns, Loaded, NewCaseOf, insert_in, load, schedule_deadline_in,
    update_in,
};
use crate::submissions::{SubmissionError, shown};

/// The timer kind of reviews' dates: the notice, the review week's start, a remediation's due
/// date. Its handler is [`crate::case_timers`].
pub const TIMER_KIND: &str = "review";

impl Aggregate for Review {
    fn columns(&self) -> Columns {
        Columns {
            state: spelled(&self.state),
            ball: spelled(&self.ball),
            due: self.due,
            sort_at: self.dates.starts_at,
            closed: self.state.is_terminal(),
        }
    }
}

/// Reads a review.
pub async fn load_review(store: &Store, id: i64) -> Result<Loaded<Review>, StoreError> {
    load(store, REVIEW, id).await
}

/// Schedules the first review of an app just approved through `submission` at `approved_at`
/// (seconds) against `held_set`, on its partner's calendar, in the approval's transaction.
pub async fn schedule_first_in(
    connection: &mut Connection,
    catalog: &Catalog,
    submission: &SubmissionRow,
    approved_at: i64,
    now: &str,
) -> Result<i64, StoreError> {
    // A review left open from an earlier badge no longer applies: this approval starts anew.
    cancel_open_in(
        connection,
        submission.app_id,
        &submission.program,
        "a new approval",
        approved_at,
        now,
    )
    .await?;
    // Likewise an escalation left open against the earlier badge.
    crate::escalations::cancel_open_in(
        connection,
        submission.app_id,
        &submission.program,
        None,
        "a new approval",
        approved_at,
        now,
    )
    .await?;
    let zone = zone_of(connection, submission.partner_id).await?;
    let dates = ReviewDates::first(&zone, approved_at);
    schedule_in(
        connection,
        catalog,
        &Placement {
            app_id: submission.app_id,
            program: &submission.program,
            submission_id: Some(submission.id),
        },
        dates,
        (approved_at, approved_at),
        &submission.requirement_set,
        now,
    )
    .await
}

/// Cancels the app's open review of `program` (if any), in the caller's transaction: the badge
/// went another way (`why`: removed by an escalation, a new approval).
pub async fn cancel_open_in(
    connection: &mut Connection,
    app_id: i64,
    program: &str,
    why: &str,
    at: i64,
    now: &str,
) -> Result<(), StoreError> {
    let Some(row) = cases::open_in(connection, REVIEW, app_id, program, None).await? else {
        return Ok(());
    };
    let mut review: Review = serde_json::from_str(&row.document)
        .map_err(|e| StoreError::Corrupt(format!("review {}: {e}", row.id)))?;
    let from = review.state;
    review
        .apply(
            ReviewAction::Cancel,
            Side::System,
            "system",
            at,
            Some(why),
            None,
        )
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    if !update_in(connection, &row, &review, now).await? {
        return Err(StoreError::Busy(format!("review {} moved; retry", row.id)));
    }
    notifications::record_in(
        connection,
        now,
        notifications::REVIEW_MOVED,
        app_id,
        &format!("review:{}", row.id),
        serde_json::json!({
            "review": row.id,
            "program": program,
            "action": "cancel",
            "side": "system",
            "actor": "system",
            "from": spelled(&from),
            "state": spelled(&review.state),
            "ball": spelled(&review.ball),
            "due": null,
            "outcome": null,
            "reason": why,
            "firstDay": review.dates.first_day,
        }),
    )
    .await
}

/// The partner's zone (UTC if what is stored no longer reads: it was checked when set).
async fn zone_of(connection: &mut Connection, partner_id: i64) -> Result<PartnerZone, StoreError> {
    let name = partners::time_zone_in(connection, partner_id).await?;
    PartnerZone::named(&name)
        .or_else(|_| PartnerZone::named("UTC"))
        .map_err(|e| StoreError::Internal(e.to_string()))
}

/// Which app, program and submission thread a review belongs to.
struct Placement<'a> {
    app_id: i64,
    program: &'a str,
    submission_id: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
async fn schedule_in(
    connection: &mut Connection,
    catalog: &Catalog,
    placement: &Placement<'_>,
    dates: ReviewDates,
    (approved_at, since): (i64, i64),
    held_set: &str,
    now: &str,
) -> Result<i64, StoreError> {
    let against = catalog
        .program(placement.program)
        .and_then(|p| p.set_for_review(held_set, &dates.first_day))
        .map_or_else(|| held_set.to_string(), |s| s.id.clone());
    let mut review = Review::schedule(dates.clone(), approved_at, held_set, &against);
    review.since = since;
    let year = dates.year.to_string();
    let id = insert_in(
        connection,
        &NewCaseOf {
            kind: REVIEW,
            app_id: placement.app_id,
            program: placement.program,
            submission_id: placement.submission_id,
            unique_key: Some(&year),
        },
        &review,
        now,
    )
    .await?
    .ok_or_else(|| {
        StoreError::Conflict(format!(
            "the app already has an open review for {}",
            dates.year
        ))
    })?;
    let subject = format!("review:{id}");
    for (name, due) in [("notify", dates.notice_at), ("open", dates.starts_at)] {
        schedule_deadline_in(
            connection,
            TIMER_KIND,
            &subject,
            &format!("{subject}:{name}"),
            due,
            serde_json::json!({"review": id, "move": name}),
            now,
        )
        .await?;
    }
    notifications::record_in(
        connection,
        now,
        notifications::REVIEW_MOVED,
        placement.app_id,
        &subject,
        serde_json::json!({
            "review": id,
            "program": placement.program,
            "action": "schedule",
            "side": "system",
            "actor": "system:review-calendar",
            "from": null,
            "due": null,
            "outcome": null,
            "reason": null,
            "state": spelled(&review.state),
            "ball": spelled(&review.ball),
            "year": dates.year,
            "firstDay": dates.first_day,
            "noticeAt": shown(dates.notice_at),
            "startsAt": shown(dates.starts_at),
            "endsAt": shown(dates.ends_at),
            "requirementSet": against,
        }),
    )
    .await?;
    Ok(id)
}

/// Makes `action` on review `id` for `actor` on `side`, with its effects.
#[allow(clippy::too_many_arguments)]
pub async fn act(
    store: &Store,
    catalog: &Catalog,
    id: i64,
    action: ReviewAction,
    side: Side,
    actor: &Actor,
    reason: Option<&str>,
    due: Option<i64>,
) -> Result<Loaded<Review>, SubmissionError> {
    for _ in 0..ATTEMPTS {
        let Loaded {
            row,
            case: mut review,
        } = load_review(store, id).await?;
        let at = store.clock().now().unix_timestamp();
        let from = review.state;
        review.apply(action, side, &actor.label, at, reason, due)?;
        let now = store.now();
        let mut tx = store.begin().await?;
        if action == ReviewAction::Open {
            // The set is chosen again when the week starts: sets added to the catalog since
            // the review was scheduled count.
            if let Some(set) = catalog
                .program(&row.program)
                .and_then(|p| p.set_for_review(&review.held_set, &review.dates.first_day))
            {
                review.requirement_set = set.id.clone();
            }
            review.delta = delta_in(tx.connection(), catalog, &row, &review).await?;
        }
        if !update_in(tx.connection(), &row, &review, &now).await? {
            continue;
        }
        let subject = format!("review:{id}");
        // The move is news first; what it causes (a badge, next year's review) follows.
        notifications::record_in(
            tx.connection(),
            &now,
            notifications::REVIEW_MOVED,
            row.app_id,
            &subject,
            serde_json::json!({
                "review": id,
                "program": row.program,
                "action": action.name(),
                "side": spelled(&side),
                "actor": actor.label,
                "from": spelled(&from),
                "state": spelled(&review.state),
                "ball": spelled(&review.ball),
                "due": review.due.map(shown),
                "outcome": review.outcome.map(|o| spelled(&o)),
                "reason": reason,
                "firstDay": review.dates.first_day,
            }),
        )
        .await?;
        match action {
            ReviewAction::Notify => {
                if let Some(submission) = row.submission_id {
                    let body = format!(
                        "Your annual review of {} for {} runs from {} for seven days; it checks \
                         the app against {} and what changed since approval. Findings are due \
                         28 days after it ends.",
                        row.app_key, row.program, review.dates.first_day, review.requirement_set
                    );
                    match crate::submissions::post_system_message_in(
                        tx.connection(),
                        submission,
                        "review",
                        at,
                        &body,
                        &now,
                    )
                    .await
                    {
                        // The submission moved under this one: do it all again.
                        Err(StoreError::Busy(_)) => continue,
                        other => other?,
                    }
                }
            }
            ReviewAction::ReportFindings | ReviewAction::Extend => {
                if let Some(due) = review.due {
                    schedule_deadline_in(
                        tx.connection(),
                        TIMER_KIND,
                        &subject,
                        &format!("{subject}:overdue:{due}:{}", review.history.len()),
                        due,
                        serde_json::json!({"review": id, "move": "remediation-overdue"}),
                        &now,
                    )
                    .await?;
                }
            }
            ReviewAction::Pass => {
                pass_in(tx.connection(), catalog, &row, &review, &now).await?;
            }
            ReviewAction::Remove => {
                let findings: Vec<String> =
                    review.findings.iter().map(|f| f.text.clone()).collect();
                move_program_badge(
                    tx.connection(),
                    row.app_id,
                    &ProgramBadgeMove {
                        badge: &badge_of(catalog, &row.program)?,
                        to: REMOVED,
                        requirement_set: None,
                        cause: "annual-review",
                        reasons: &findings,
                        reference: &subject,
                        from: &[APPROVED, SUSPENDED],
                    },
                    &now,
                )
                .await?;
                let why = format!("the badge was removed ({subject})");
                let cancelled = crate::escalations::cancel_open_in(
                    tx.connection(),
                    row.app_id,
                    &row.program,
                    None,
                    &why,
                    at,
                    &now,
                )
                .await;
                match cancelled {
                    Err(StoreError::Busy(_)) => continue,
                    other => other?,
                }
            }
            ReviewAction::Open
            | ReviewAction::Resolve
            | ReviewAction::RemediationOverdue
            | ReviewAction::Cancel => {}
        }
        audit::record(
            tx.connection(),
            &now,
            actor,
            "review.move",
            &subject,
            serde_json::json!({
                "action": action.name(),
                "state": spelled(&review.state),
                "reason": reason,
            }),
        )
        .await?;
        tx.commit().await?;
        return Ok(load_review(store, id).await?);
    }
    Err(StoreError::Busy(format!("review {id} kept changing under this move; retry")).into())
}

fn badge_of(catalog: &Catalog, program: &str) -> Result<String, StoreError> {
    catalog
        .program(program)
        .map(|p| p.badge.clone())
        .ok_or_else(|| StoreError::Internal(format!("no program `{program}`")))
}

/// A passed review: the badge moves to the set it was reviewed against (its status does not
/// change), and next year's review is scheduled.
async fn pass_in(
    connection: &mut Connection,
    catalog: &Catalog,
    row: &apptrust_store::cases::CaseRow,
    review: &Review,
    now: &str,
) -> Result<(), StoreError> {
    if review.requirement_set != review.held_set {
        crate::badges::move_to_set(
            connection,
            row.app_id,
            &badge_of(catalog, &row.program)?,
            &review.requirement_set,
            "annual-review",
            &format!("review:{}", row.id),
            now,
        )
        .await?;
    }
    let zone = zone_of(connection, row.partner_id).await?;
    let next = review.dates.next(&zone, review.approved_at);
    let passed_at = review.history.last().map_or(review.since, |t| t.at);
    schedule_in(
        connection,
        catalog,
        &Placement {
            app_id: row.app_id,
            program: &row.program,
            submission_id: row.submission_id,
        },
        next,
        (review.approved_at, passed_at),
        &review.requirement_set,
        now,
    )
    .await?;
    Ok(())
}

/// What changed since the app was approved or last reviewed: the requirements between the set
/// it holds and the one it is reviewed against, and its production versions since.
async fn delta_in(
    connection: &mut Connection,
    catalog: &Catalog,
    row: &apptrust_store::cases::CaseRow,
    review: &Review,
) -> Result<ReviewDelta, StoreError> {
    let requirements = catalog
        .program(&row.program)
        .and_then(|p| Some((p.set(&review.held_set)?, p.set(&review.requirement_set)?)))
        .map(|(held, against)| SetDelta::between(held, against))
        .unwrap_or_default();
    let since = shown(review.since);
    let changes =
        apptrust_store::versions::production_since_in(connection, row.app_id, &since).await?;
    let mut egress_added: Vec<String> = changes.iter().flat_map(|c| c.egress.clone()).collect();
    egress_added.sort();
    egress_added.dedup();
    Ok(ReviewDelta {
        requirements,
        new_majors: changes
            .iter()
            .filter(|c| c.major)
            .map(|c| c.version.clone())
            .collect(),
        egress_added,
    })
}
