//! The demo's Cloud Fortified story: Issue Insights approved, with its annual review coming up,
//! 27 days of health checks behind its SLO and an active bug bounty (so it also carries Cloud
//! Security Participant); Vendor Reports waiting for the partner's answer with a due date; Board
//! Sync approved and then suspended after a customer's escalation.
//!
//! Everything goes through the use cases, as a real marketplace's would, except the escalation's
//! history: its stages take weeks (a plan's due date, 7 days' notice before a suspension), so the
//! demo writes the escalation as it stands after those weeks, with its moves dated in the past.

use apptrust_programs::catalog::Catalog;
use apptrust_programs::fortified::{
    CheckAction, DAY, Escalation, EscalationAction, Side, Source, SubmissionAction,
};
use apptrust_service::badges::{APPROVED, ProgramBadgeMove, SUSPENDED, move_program_badge};
use apptrust_service::cases::{NewCaseOf, insert_in};
use apptrust_service::signals::{Batch, HealthCheck, ingest};
use apptrust_service::submissions::{self, Move, SubmissionError};
use apptrust_store::apps::App;
use apptrust_store::cases::ESCALATION;
use apptrust_store::users::User;
use apptrust_store::{Actor, Store, StoreError};

fn failed(e: SubmissionError) -> StoreError {
    StoreError::Invalid(format!("demo: {e}"))
}

/// Seeds the story.
pub(super) async fn seed(
    store: &Store,
    programs: &Catalog,
    staff: &User,
    developer: &User,
) -> Result<(), StoreError> {
    let (staff_actor, partner_actor) = (staff.actor(), developer.actor());
    let issues = store.app("com.acme.issue-insights").await?;
    approve(store, programs, &issues, &staff_actor, &partner_actor).await?;
    health_checks(store, programs, &issues, 0).await?;
    apptrust_service::security::set_bug_bounty(
        store,
        programs,
        &issues,
        "active",
        true,
        &Actor::system("demo"),
    )
    .await
    .map_err(failed)?;

    let reports = store.app("com.acme.vendor-reports").await?;
    let opened = submissions::open(store, programs, &reports, "cloud-fortified", &partner_actor)
        .await
        .map_err(failed)?;
    let submission = |action: SubmissionAction| Move::Submission { action, due: None };
    for (action, question) in [
        (SubmissionAction::Triage, None),
        (
            SubmissionAction::RequestInfo,
            Some("Which incident process do you follow, and who signs off post-incident reviews?"),
        ),
    ] {
        submissions::act(
            store,
            programs,
            opened.row.id,
            &submission(action),
            Side::Staff,
            &staff_actor,
            question,
        )
        .await
        .map_err(failed)?;
    }

    let board = store.app("com.acme.board-sync").await?;
    approve(store, programs, &board, &staff_actor, &partner_actor).await?;
    // One poll in 50 fails: 98% availability, below the 99.9% target.
    health_checks(store, programs, &board, 50).await?;
    suspended(store, &board, &staff_actor).await
}

/// Opens a submission of `app` and takes it to approval: every check passed, or waived (for a
/// year) where it would need weeks of soak.
async fn approve(
    store: &Store,
    programs: &Catalog,
    app: &App,
    staff: &Actor,
    partner: &Actor,
) -> Result<(), StoreError> {
    let opened = submissions::open(store, programs, app, "cloud-fortified", partner)
        .await
        .map_err(failed)?;
    let id = opened.row.id;
    let submission = |action: SubmissionAction| Move::Submission { action, due: None };
    for action in [SubmissionAction::Triage, SubmissionAction::StartReview] {
        submissions::act(
            store,
            programs,
            id,
            &submission(action),
            Side::Staff,
            staff,
            None,
        )
        .await
        .map_err(failed)?;
    }
    let a_year = store.clock().now().unix_timestamp() + 365 * DAY;
    for (requirement, check) in &opened.submission.checks {
        let (action, reason, expires) = if check.passes_unasked {
            (CheckAction::Pass, None, None)
        } else {
            (
                CheckAction::Waive,
                Some("Verified in the partner's earlier assessment (demo)"),
                Some(a_year),
            )
        };
        let the_move = Move::Check {
            requirement: requirement.clone(),
            action,
            expires,
        };
        submissions::act(store, programs, id, &the_move, Side::Staff, staff, reason)
            .await
            .map_err(failed)?;
    }
    submissions::act(
        store,
        programs,
        id,
        &submission(SubmissionAction::Approve),
        Side::Staff,
        staff,
        None,
    )
    .await
    .map_err(failed)?;
    Ok(())
}

/// 27 days of health checks, one every 10 minutes, with one in `fail_every` failing (never,
/// with 0), reported as the platform's monitor would, in batches.
async fn health_checks(
    store: &Store,
    programs: &Catalog,
    app: &App,
    fail_every: i64,
) -> Result<(), StoreError> {
    let now = store.clock().now().unix_timestamp();
    let polls: Vec<HealthCheck> = (1..=27 * 24 * 6)
        .map(|i| HealthCheck {
            at: now - i * 600,
            ok: fail_every == 0 || i % fail_every != 0,
            latency_ms: Some(90 + (i % 7) as u64 * 20),
        })
        .collect();
    let monitor = Actor::system("demo-monitor");
    for chunk in polls.chunks(apptrust_service::signals::MAX_SIGNALS_PER_REQUEST) {
        let batch = Batch {
            health_checks: chunk.to_vec(),
            installation_callbacks: Vec::new(),
        };
        ingest(store, programs, app, &batch, &monitor)
            .await
            .map_err(failed)?;
    }
    Ok(())
}

/// A customer's escalation against `app` as it stands after its weeks: a plan agreed and
/// missed, the partner told of the demotion, the notice run, the badge suspended.
async fn suspended(store: &Store, app: &App, staff: &Actor) -> Result<(), StoreError> {
    let move_error =
        |e: apptrust_programs::fortified::MoveError| StoreError::Invalid(e.to_string());
    let now = store.clock().now().unix_timestamp();
    let start = now - 13 * DAY;
    let mut escalation = Escalation::raise(
        Source::Customer,
        "site admin of globex.atlassian.net (demo)",
        None,
        "Board changes stopped syncing for two days, and the support ticket went unanswered.",
        start,
    )
    .map_err(move_error)?;
    let staff_label = staff.label.as_str();
    let system = "system:escalation-deadline";
    let steps = [
        (
            EscalationAction::AgreePlan,
            Side::Staff,
            staff_label,
            start + DAY,
            Some("Add monitoring of the sync queue and an on-call rota."),
            Some(start + 4 * DAY),
        ),
        (
            EscalationAction::PlanOverdue,
            Side::System,
            system,
            start + 4 * DAY,
            None,
            None,
        ),
        (
            EscalationAction::Demote,
            Side::Staff,
            staff_label,
            start + 5 * DAY,
            Some("The plan's due date passed without the monitoring in place."),
            None,
        ),
    ];
    for (action, side, actor, at, reason, due) in steps {
        escalation
            .apply(action, side, actor, at, reason, due)
            .map_err(move_error)?;
    }
    let suspends_at = escalation.suspends_at.unwrap_or(now);
    escalation
        .apply(
            EscalationAction::Suspend,
            Side::System,
            system,
            suspends_at,
            None,
            None,
        )
        .map_err(move_error)?;
    let stamp = store.now();
    let mut tx = store.begin().await?;
    let id = insert_in(
        tx.connection(),
        &NewCaseOf {
            kind: ESCALATION,
            app_id: app.id,
            program: "cloud-fortified",
            submission_id: None,
            unique_key: None,
        },
        &escalation,
        &stamp,
    )
    .await?
    .ok_or_else(|| StoreError::Conflict("the demo's escalation exists".into()))?;
    move_program_badge(
        tx.connection(),
        app.id,
        &ProgramBadgeMove {
            badge: "cloudFortified",
            to: SUSPENDED,
            requirement_set: None,
            cause: "escalation",
            reasons: std::slice::from_ref(&escalation.reason),
            reference: &format!("escalation:{id}"),
            from: &[APPROVED],
        },
        &stamp,
    )
    .await?;
    tx.commit().await
}
