//! Security signals: vulnerability records with their due dates under the Security Bug Fix
//! Policy (a timer at each due date: past due and unfixed, the partner is told and a system
//! escalation opens), and each app's bug bounty, from which the derived programs (Cloud Security
//! Participant, Bug Bounty Participant) follow. A lapsed bug bounty fails Cloud Fortified's
//! bug-bounty requirement, which opens an escalation instead of silently removing the badge.

use std::sync::Arc;

use apptrust_programs::catalog::{Catalog, Grant};
use apptrust_programs::fortified::signals::{Severity, vulnerability_due};
use apptrust_programs::spelled;
use apptrust_store::apps::App;
use apptrust_store::signals::{self as rows, BugBountyRow, VulnerabilityRow};
use apptrust_store::timers::{Firing, Timer};
use apptrust_store::{Actor, Store, StoreError, audit, badges, notifications};

use crate::badges::{APPROVED, NOT_A_PARTICIPANT, ProgramBadgeMove, REMOVED, move_program_badge};
use crate::cases::schedule_deadline_in;
use crate::signals::{PROGRAM, escalate_in};
use crate::submissions::{SubmissionError, seconds, shown};
use crate::timers::{Handler, HandlerFuture, Handlers};

/// The timer kind of vulnerabilities' due dates.
pub const TIMER_KIND: &str = "vulnerability";

/// A vulnerability as reported.
#[derive(Clone, Debug)]
pub struct Report<'a> {
    /// The reporter's id for it (a bug-bounty ticket).
    pub external_id: &'a str,
    pub severity: Severity,
    /// Found through the bug bounty: 2 more weeks of triage.
    pub from_bug_bounty: bool,
    /// Seconds.
    pub reported_at: i64,
    pub fixed_at: Option<i64>,
}

/// Records (or updates) a vulnerability of `app`, with its due date, and schedules the check
/// at the due date while it is unfixed.
pub async fn record_vulnerability(
    store: &Store,
    catalog: &Catalog,
    app: &App,
    report: &Report<'_>,
    actor: &Actor,
) -> Result<VulnerabilityRow, StoreError> {
    let id = report.external_id.trim();
    if id.is_empty() || id.len() > 200 {
        return Err(StoreError::Invalid(
            "`id` names the vulnerability (1 to 200 characters)".to_string(),
        ));
    }
    let now = store.clock().now().unix_timestamp();
    if report.reported_at > now + 300 || report.fixed_at.is_some_and(|f| f < report.reported_at) {
        return Err(StoreError::Invalid(
            "`reportedAt` is not in the future, and `fixedAt` comes after it".to_string(),
        ));
    }
    let (deadlines, triage_days) = catalog
        .program(PROGRAM)
        .and_then(|p| p.set_in_force(&store.today()))
        .and_then(|s| {
            s.requirements
                .iter()
                .find_map(|r| Some((r.fix_within_days?, r.triage_days.unwrap_or(0))))
        })
        .ok_or_else(|| StoreError::Invalid("no Security Bug Fix Policy is in force".to_string()))?;
    let due = vulnerability_due(
        report.reported_at,
        report.severity,
        &deadlines,
        triage_days,
        report.from_bug_bounty,
    );
    let stamp = store.now();
    let mut tx = store.begin().await?;
    let row = rows::upsert_vulnerability_in(
        tx.connection(),
        &VulnerabilityRow {
            id: 0,
            app_id: app.id,
            external_id: id.to_string(),
            severity: spelled(&report.severity),
            source: if report.from_bug_bounty {
                "bug-bounty".to_string()
            } else {
                "other".to_string()
            },
            reported_at: shown(report.reported_at),
            due_at: shown(due),
            fixed_at: report.fixed_at.map(shown),
        },
        &stamp,
    )
    .await?;
    if row.fixed_at.is_none() {
        let subject = format!("vulnerability:{}", row.id);
        schedule_deadline_in(
            tx.connection(),
            TIMER_KIND,
            &subject,
            &format!("{subject}:{due}"),
            due,
            serde_json::json!({"vulnerability": row.id}),
            &stamp,
        )
        .await?;
    }
    audit::record(
        tx.connection(),
        &stamp,
        actor,
        "vulnerability.record",
        &format!("app:{}", app.key),
        serde_json::json!({"id": row.external_id, "severity": row.severity, "source": row.source,
                           "reportedAt": row.reported_at, "dueAt": row.due_at,
                           "fixedAt": row.fixed_at}),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The handler of vulnerability due dates.
pub struct VulnerabilityTimers {
    pub store: Store,
    pub catalog: Arc<Catalog>,
}

/// Registers the handler.
pub fn register(handlers: &mut Handlers, store: &Store, catalog: &Arc<Catalog>) {
    handlers.insert(
        TIMER_KIND,
        Arc::new(VulnerabilityTimers {
            store: store.clone(),
            catalog: catalog.clone(),
        }),
    );
}

impl VulnerabilityTimers {
    /// Past due and unfixed: the partner is told, and a system escalation opens; in the
    /// firing's transaction, so it happens exactly once.
    async fn overdue(
        &self,
        id: i64,
        timer_due: &str,
        connection: &mut apptrust_store::Connection,
    ) -> Result<(), SubmissionError> {
        let now = self.store.clock().now().unix_timestamp();
        let stamp = self.store.now();
        let Some(row) = rows::vulnerability_in(connection, id).await? else {
            return Ok(());
        };
        let due = seconds(&row.due_at).unwrap_or(i64::MAX);
        if row.fixed_at.is_some() || due > now || Some(due) != seconds(timer_due) {
            // Fixed, or its report moved the due date (the timer of the current one acts).
            return Ok(());
        }
        notifications::record_in(
            connection,
            &stamp,
            notifications::VULNERABILITY_OVERDUE,
            row.app_id,
            &format!("vulnerability:{id}"),
            serde_json::json!({"id": row.external_id, "severity": row.severity,
                               "source": row.source, "reportedAt": row.reported_at,
                               "dueAt": row.due_at}),
        )
        .await?;
        let reason = format!(
            "vulnerability {} ({}) was due to be fixed by {} under the Security Bug Fix Policy",
            row.external_id, row.severity, row.due_at
        );
        let cause = format!("vulnerability-overdue:{}", row.external_id);
        escalate_in(
            connection,
            &self.catalog,
            row.app_id,
            &cause,
            &reason,
            now,
            &stamp,
        )
        .await?;
        Ok(())
    }
}

impl Handler for VulnerabilityTimers {
    fn prepare<'a>(&'a self, _timer: &'a Timer) -> HandlerFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    fn fire<'a>(&'a self, timer: &'a Timer, firing: &'a mut Firing) -> HandlerFuture<'a> {
        Box::pin(async move {
            let id = timer.payload["vulnerability"]
                .as_i64()
                .ok_or("the timer names no vulnerability")?;
            self.overdue(id, &timer.due_at, firing.connection())
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// A bug bounty's state.
pub const BOUNTY_STATES: [&str; 3] = ["active", "paused", "ended"];

/// Records the app's bug bounty; the derived programs' badges follow it (cause `dependency`),
/// and a lapse under a Cloud Fortified badge opens a system escalation.
pub async fn set_bug_bounty(
    store: &Store,
    catalog: &Catalog,
    app: &App,
    state: &str,
    paid: bool,
    actor: &Actor,
) -> Result<BugBountyRow, SubmissionError> {
    if !BOUNTY_STATES.contains(&state) {
        return Err(StoreError::Invalid(format!(
            "`state` is one of {}, not `{state}`",
            BOUNTY_STATES.join(", ")
        ))
        .into());
    }
    let now = store.clock().now().unix_timestamp();
    let stamp = store.now();
    let mut tx = store.begin().await?;
    let before = rows::bug_bounty_in(tx.connection(), app.id).await?;
    let was_covering = before
        .as_ref()
        .is_some_and(|b| b.state == "active" && b.paid);
    let covers = state == "active" && paid;
    let row = BugBountyRow {
        state: state.to_string(),
        paid,
        since: match &before {
            Some(b) if b.state == state && b.paid == paid => b.since.clone(),
            _ => stamp.clone(),
        },
        updated_at: stamp.clone(),
    };
    rows::set_bug_bounty_in(tx.connection(), app.id, &row).await?;
    let reference = format!("bug-bounty:{}", app.key);
    let reason = if covers {
        "an active, paid bug bounty covers the app".to_string()
    } else {
        format!(
            "the bug bounty is {state}{}",
            if paid { "" } else { " and unpaid" }
        )
    };
    let today = store.today();
    for program in catalog.programs.iter().filter(|p| {
        p.grant == Grant::Derived
            && p.derived_from.as_deref() == Some("bug-bounty")
            && !p.is_over(&today)
    }) {
        let status = badges::load_in(tx.connection(), app.id, &program.badge)
            .await?
            .map(|b| b.status);
        let to = if covers {
            APPROVED
        } else if status.as_deref() == Some(APPROVED) {
            REMOVED
        } else {
            continue;
        };
        move_program_badge(
            tx.connection(),
            app.id,
            &ProgramBadgeMove {
                badge: &program.badge,
                to,
                requirement_set: None,
                cause: "dependency",
                reasons: std::slice::from_ref(&reason),
                reference: &reference,
                // Never back from RETIRED.
                from: &[NOT_A_PARTICIPANT, REMOVED, APPROVED],
            },
            &stamp,
        )
        .await?;
    }
    if was_covering && !covers {
        let why = format!(
            "{reason}: Cloud Fortified's bug-bounty requirement (security.bug-bounty) fails"
        );
        escalate_in(
            tx.connection(),
            catalog,
            app.id,
            "dependency-lapsed:bug-bounty",
            &why,
            now,
            &stamp,
        )
        .await?;
    }
    audit::record(
        tx.connection(),
        &stamp,
        actor,
        "bug-bounty.set",
        &format!("app:{}", app.key),
        serde_json::json!({"state": state, "paid": paid}),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The app's bug bounty, if it ever had one.
pub async fn bug_bounty(store: &Store, app: &App) -> Result<Option<BugBountyRow>, StoreError> {
    let mut connection = store.reader().await?;
    rows::bug_bounty_in(&mut connection, app.id).await
}
