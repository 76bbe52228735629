//! Escalations against apps carrying an approval program's badge: raised by staff, customers or
//! the system, moved through their stages, and changing the badge (suspended, restored,
//! removed) only after the partner was told. The rules are the domain model's
//! (`apptrust_programs::fortified::Escalation`); here each move is written with its effects in
//! one transaction: the badge, the next deadline, the notification and the audit entry.

use apptrust_programs::catalog::{Catalog, Grant};
use apptrust_programs::fortified::{
    BadgeEffect, Escalation, EscalationAction, EscalationState, Side, Source,
};
use apptrust_programs::spelled;
use apptrust_store::apps::App;
use apptrust_store::badges;
use apptrust_store::cases::{self, CaseRow, ESCALATION};
use apptrust_store::{Actor, Connection, Store, StoreError, audit, notifications};

use crate::badges::{APPROVED, ProgramBadgeMove, REMOVED, SUSPENDED, move_program_badge};
use crate::cases::{
    ATTEMPTS, Aggregate, Columns, Loaded, NewCaseOf, insert_in, load, schedule_deadline_in,
    update_in,
};
use crate::submissions::{SubmissionError, shown};

/// The timer kind of escalations' deadlines: a plan's due date, the end of a demotion notice.
pub const TIMER_KIND: &str = "escalation";

impl Aggregate for Escalation {
    fn columns(&self) -> Columns {
        Columns {
            state: spelled(&self.state),
            ball: spelled(&self.ball),
            due: self.deadline(),
            sort_at: self.opened_at,
            closed: self.state.is_terminal(),
        }
    }
}

/// Reads an escalation.
pub async fn load_escalation(store: &Store, id: i64) -> Result<Loaded<Escalation>, StoreError> {
    load(store, ESCALATION, id).await
}

/// What is raised.
#[derive(Clone, Debug)]
pub struct Raise<'a> {
    /// The program's key or badge key.
    pub program: &'a str,
    pub source: Source,
    /// For a system escalation: what it is about.
    pub cause: Option<&'a str>,
    /// What may be open only once per app and program: a system escalation's cause, a
    /// customer's own (one open escalation per site admin and app).
    pub unique_key: Option<&'a str>,
    pub reason: &'a str,
}

/// Raises an escalation against `app`, which must carry (or have suspended) the program's badge.
pub async fn raise(
    store: &Store,
    catalog: &Catalog,
    app: &App,
    raise: &Raise<'_>,
    actor: &Actor,
) -> Result<Loaded<Escalation>, SubmissionError> {
    let now = store.now();
    let at = store.clock().now().unix_timestamp();
    let mut tx = store.begin().await?;
    let id = raise_in(tx.connection(), catalog, app.id, raise, actor, at, &now)
        .await?
        .ok_or_else(|| {
            StoreError::Conflict(
                "you already have an open escalation about this app: follow that one".to_string(),
            )
        })?;
    tx.commit().await?;
    Ok(load_escalation(store, id).await?)
}

/// Raises an escalation in the caller's transaction; `None` when one about the same cause is
/// already open (a system escalation is raised once, however often its signal repeats).
pub async fn raise_in(
    connection: &mut Connection,
    catalog: &Catalog,
    app_id: i64,
    raise: &Raise<'_>,
    actor: &Actor,
    at: i64,
    now: &str,
) -> Result<Option<i64>, SubmissionError> {
    let invalid = |m: String| SubmissionError::Store(StoreError::Invalid(m));
    let Some(program) = catalog.program(raise.program) else {
        return Err(invalid(format!("no program `{}`", raise.program)));
    };
    if program.grant != Grant::Approval {
        return Err(invalid(format!(
            "`{}` is not an approval program: its badge is not escalated",
            program.key
        )));
    }
    let status = badges::load_in(connection, app_id, &program.badge)
        .await?
        .map(|b| b.status);
    if !matches!(status.as_deref(), Some(APPROVED | SUSPENDED)) {
        return Err(SubmissionError::Store(StoreError::Conflict(format!(
            "the app does not carry the `{}` badge: there is nothing to escalate",
            program.badge
        ))));
    }
    if let Some(key) = raise.unique_key
        && cases::open_in(connection, ESCALATION, app_id, &program.key, Some(key))
            .await?
            .is_some()
    {
        return Ok(None);
    }
    let mut escalation =
        Escalation::raise(raise.source, &actor.label, raise.cause, raise.reason, at)?;
    escalation.reporter = actor.user_id;
    let Some(id) = insert_in(
        connection,
        &NewCaseOf {
            kind: ESCALATION,
            app_id,
            program: &program.key,
            submission_id: None,
            unique_key: raise.unique_key,
        },
        &escalation,
        now,
    )
    .await?
    else {
        // Raised at the same moment by another transaction: one open escalation per key.
        return Ok(None);
    };
    let subject = format!("escalation:{id}");
    notifications::record_in(
        connection,
        now,
        notifications::ESCALATION_MOVED,
        app_id,
        &subject,
        serde_json::json!({
            "escalation": id,
            "program": program.key,
            "action": "raise",
            "source": spelled(&escalation.source),
            "cause": escalation.cause,
            "actor": actor.label,
            "from": null,
            "state": spelled(&escalation.state),
            "ball": spelled(&escalation.ball),
            "reason": escalation.reason,
            "due": null,
            "suspendsAt": null,
        }),
    )
    .await?;
    audit::record(
        connection,
        now,
        actor,
        "escalation.raise",
        &subject,
        serde_json::json!({"program": program.key, "source": spelled(&escalation.source),
                           "cause": escalation.cause, "reason": escalation.reason}),
    )
    .await?;
    Ok(Some(id))
}

/// Makes `action` on escalation `id` for `actor` on `side`, with its effects.
#[allow(clippy::too_many_arguments)]
pub async fn act(
    store: &Store,
    catalog: &Catalog,
    id: i64,
    action: EscalationAction,
    side: Side,
    actor: &Actor,
    reason: Option<&str>,
    due: Option<i64>,
) -> Result<Loaded<Escalation>, SubmissionError> {
    for _ in 0..ATTEMPTS {
        let Loaded {
            row,
            case: mut escalation,
        } = load_escalation(store, id).await?;
        let at = store.clock().now().unix_timestamp();
        let from = escalation.state;
        let effect = escalation.apply(action, side, &actor.label, at, reason, due)?;
        let now = store.now();
        let mut tx = store.begin().await?;
        if !update_in(tx.connection(), &row, &escalation, &now).await? {
            continue;
        }
        let subject = format!("escalation:{id}");
        // The move is news first (a demotion tells the partner when the badge is suspended);
        // what it does to the badge follows.
        notifications::record_in(
            tx.connection(),
            &now,
            notifications::ESCALATION_MOVED,
            row.app_id,
            &subject,
            serde_json::json!({
                "escalation": id,
                "program": row.program,
                "action": action.name(),
                "source": spelled(&escalation.source),
                "cause": escalation.cause,
                "actor": actor.label,
                "from": spelled(&from),
                "state": spelled(&escalation.state),
                "ball": spelled(&escalation.ball),
                "reason": reason,
                "due": escalation.plan_due.map(shown),
                "suspendsAt": escalation.suspends_at.map(shown),
            }),
        )
        .await?;
        if let Some(deadline) = escalation.deadline() {
            let name = match action {
                EscalationAction::Demote => "suspend",
                _ => "plan-overdue",
            };
            schedule_deadline_in(
                tx.connection(),
                TIMER_KIND,
                &subject,
                &format!("{subject}:{name}:{deadline}"),
                deadline,
                serde_json::json!({"escalation": id, "move": name}),
                &now,
            )
            .await?;
        }
        if let Some(effect) = effect {
            let outcome = badge_effect_in(
                tx.connection(),
                catalog,
                &row,
                effect,
                &escalation.reason,
                at,
                &now,
            )
            .await;
            match outcome {
                // A case moved under this one: do it all again.
                Err(StoreError::Busy(_)) => continue,
                other => other?,
            }
        }
        audit::record(
            tx.connection(),
            &now,
            actor,
            "escalation.move",
            &subject,
            serde_json::json!({
                "action": action.name(),
                "state": spelled(&escalation.state),
                "reason": reason,
            }),
        )
        .await?;
        tx.commit().await?;
        return Ok(load_escalation(store, id).await?);
    }
    Err(StoreError::Busy(format!(
        "escalation {id} kept changing under this move; retry"
    ))
    .into())
}

/// What an escalation's move does to the badge, in the move's transaction. A suspension holds
/// only a badge that is carried (or already suspended by another escalation); a restoration
/// only a suspended badge no other escalation keeps suspended; a removal ends every other open
/// escalation and the open review, which no longer have a badge to act on.
async fn badge_effect_in(
    connection: &mut Connection,
    catalog: &Catalog,
    row: &CaseRow,
    effect: BadgeEffect,
    reason: &str,
    at: i64,
    now: &str,
) -> Result<(), StoreError> {
    let badge = catalog
        .program(&row.program)
        .map(|p| p.badge.clone())
        .ok_or_else(|| StoreError::Internal(format!("no program `{}`", row.program)))?;
    let (to, from): (&str, &[&str]) = match effect {
        BadgeEffect::Suspend => (SUSPENDED, &[APPROVED, SUSPENDED]),
        BadgeEffect::Restore => {
            let others =
                cases::open_all_in(connection, ESCALATION, row.app_id, &row.program).await?;
            let still_suspended = others
                .iter()
                .any(|o| o.id != row.id && o.state == spelled(&EscalationState::Suspended));
            if still_suspended {
                return Ok(());
            }
            (APPROVED, &[SUSPENDED])
        }
        BadgeEffect::Remove => (REMOVED, &[APPROVED, SUSPENDED]),
    };
    let subject = format!("escalation:{}", row.id);
    move_program_badge(
        connection,
        row.app_id,
        &ProgramBadgeMove {
            badge: &badge,
            to,
            requirement_set: None,
            cause: "escalation",
            reasons: &[reason.to_string()],
            reference: &subject,
            from,
        },
        now,
    )
    .await?;
    if effect == BadgeEffect::Remove {
        let why = format!("the badge was removed ({subject})");
        cancel_open_in(
            connection,
            row.app_id,
            &row.program,
            Some(row.id),
            &why,
            at,
            now,
        )
        .await?;
        crate::reviews::cancel_open_in(connection, row.app_id, &row.program, &why, at, now).await?;
    }
    Ok(())
}

/// Cancels the app's open escalations of `program` (but `except`), in the caller's transaction:
/// the badge went another way (`why`). A case that moved under it fails the transaction with
/// `Busy`, to be retried.
pub async fn cancel_open_in(
    connection: &mut Connection,
    app_id: i64,
    program: &str,
    except: Option<i64>,
    why: &str,
    at: i64,
    now: &str,
) -> Result<(), StoreError> {
    for row in cases::open_all_in(connection, ESCALATION, app_id, program).await? {
        if Some(row.id) == except {
            continue;
        }
        let mut escalation: Escalation = serde_json::from_str(&row.document)
            .map_err(|e| StoreError::Corrupt(format!("escalation {}: {e}", row.id)))?;
        let from = escalation.state;
        escalation
            .apply(
                EscalationAction::Cancel,
                Side::System,
                "system",
                at,
                Some(why),
                None,
            )
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        if !update_in(connection, &row, &escalation, now).await? {
            return Err(StoreError::Busy(format!(
                "escalation {} moved; retry",
                row.id
            )));
        }
        notifications::record_in(
            connection,
            now,
            notifications::ESCALATION_MOVED,
            app_id,
            &format!("escalation:{}", row.id),
            serde_json::json!({
                "escalation": row.id,
                "program": program,
                "action": "cancel",
                "source": spelled(&escalation.source),
                "cause": escalation.cause,
                "actor": "system",
                "from": spelled(&from),
                "state": spelled(&escalation.state),
                "ball": spelled(&escalation.ball),
                "reason": why,
                "due": null,
                "suspendsAt": null,
            }),
        )
        .await?;
    }
    Ok(())
}
