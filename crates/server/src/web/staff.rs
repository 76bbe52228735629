//! `/staff`: the service desk. The open submissions by who holds the ball, the earliest due
//! and then the longest waiting first; open escalations and the review calendar; and
//! `/staff/audit`, the audit log. Each is read through the API's handler, which refuses anyone
//! but staff where the API does.

use apptrust_api::escalations::{EscalationQuery, EscalationSummary};
use apptrust_api::paging::PageQuery;
use apptrust_api::reviews::{ReviewQuery, ReviewSummary};
use apptrust_api::submissions::{SubmissionQuery, SubmissionSummary};
use apptrust_store::users::Role;
use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use crate::error::ApiError;
use crate::routes::{audit, escalations, reviews, submissions};
use crate::state::AppState;

use super::PageError;
use super::forms::encode;
use super::layout::page;
use super::partner::submission_table;
use super::submission::ball;
use super::trust_page::day;
use super::viewer::Viewer;

#[derive(Deserialize)]
pub struct QueueQuery {
    ball: Option<String>,
}

/// The viewer if they are staff.
fn staff(viewer: &Viewer) -> Result<crate::auth::SignedIn, PageError> {
    let signed_in = viewer.require()?;
    if signed_in.user().role != Role::Staff {
        return Err(ApiError::forbidden("this page is for staff").into());
    }
    Ok(signed_in.clone())
}

/// The queue's order: open ones first, the earliest due date first (none last), then the one
/// that has waited longest since its last move.
fn queue_order(list: &mut [SubmissionSummary]) {
    list.sort_by(|a, b| {
        let decided = |s: &SubmissionSummary| s.ball == "nobody";
        decided(a)
            .cmp(&decided(b))
            .then_with(|| match (&a.due, &b.due) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.updated_at.cmp(&b.updated_at))
    });
}

/// `GET /staff?ball=`.
pub async fn home(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<QueueQuery>,
) -> Result<Markup, PageError> {
    let signed_in = staff(&viewer)?;
    let ball_filter = query.ball.filter(|b| !b.is_empty());
    // The open ones by default (the ball with staff, the partner or a timer); `nobody` shows
    // the decided ones. Each list is the API's first page of 200.
    let balls: Vec<String> = match &ball_filter {
        Some(ball) => vec![ball.clone()],
        None => ["staff", "partner", "timer"].map(String::from).to_vec(),
    };
    let mut queue = Vec::new();
    let mut cut = false;
    for ball in balls {
        let page_of = submissions::list(
            State(state.clone()),
            signed_in.clone(),
            Ok(Query(SubmissionQuery {
                ball: Some(ball),
                limit: Some(200),
                ..SubmissionQuery::default()
            })),
        )
        .await?
        .0;
        cut |= page_of.next.is_some();
        queue.extend(page_of.submissions);
    }
    queue_order(&mut queue);
    let (open_escalations, calendar) = open_cases(&state, &signed_in).await?;
    let body = html! {
        h1 { "Service desk" }
        section aria-labelledby="queue" {
            h2 #queue { "Submissions" }
            nav aria-label="Filter by ball" {
                "Ball with: "
                @for (value, label) in [("", "open"), ("staff", "staff"), ("partner", "the partner"), ("timer", "a timer"), ("nobody", "decided")] {
                    @let href = if value.is_empty() { "/staff".to_string() } else { format!("/staff?ball={}", encode(value)) };
                    @if ball_filter.as_deref().unwrap_or("") == value {
                        strong aria-current="true" { (label) }
                    } @else {
                        a href=(href) { (label) }
                    }
                    " "
                }
            }
            p.muted { "The earliest due first, then the longest waiting." }
            (submission_table(&queue))
            @if cut {
                p.notice.warn { "Only the first 200 of each ball holder are shown; the API pages on (" code { "GET /api/v1/submissions?ball=" } ")." }
            }
        }
        section aria-labelledby="escalations" {
            h2 #escalations { "Open escalations" }
            (escalation_table(&open_escalations))
        }
        section aria-labelledby="calendar" {
            h2 #calendar { "Review calendar" }
            (review_table(&calendar))
        }
        nav aria-label="More" {
            ul {
                li { a href="/staff/editions" { "The go-to-market list: preview, publish, download" } }
                li { a href="/programs" { "Programs and change notices" } }
                li { a href="/webhooks" { "Webhooks and notification settings" } }
                li { a href="/staff/audit" { "The audit log" } }
            }
        }
    };
    Ok(page(&viewer, "Service desk", "/staff", body))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    after: Option<i64>,
}

/// `GET /staff/audit?after=`: the audit log, oldest first, 100 a page.
pub async fn audit_log(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<AuditQuery>,
) -> Result<Markup, PageError> {
    let signed_in = staff(&viewer)?;
    let page_of = audit::list(
        State(state),
        signed_in,
        Ok(Query(PageQuery {
            after: query.after,
            limit: Some(100),
        })),
    )
    .await?
    .0;
    let body = html! {
        p { a href="/staff" { "← Service desk" } }
        h1 { "Audit log" }
        div.scroll tabindex="0" { table.stack {
            thead { tr { th scope="col" { "#" } th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Subject" } } }
            tbody { @for e in &page_of.entries { tr {
                td { (e.id) } td { (e.at) } td { (e.actor) } td { code { (e.action) } } td { (e.subject) }
            } } }
        } }
        @if let Some(next) = page_of.next {
            nav.pager aria-label="Pages" { a href={ "/staff/audit?after=" (next) } rel="next" { "Later entries" } }
        }
    };
    Ok(page(&viewer, "Audit log", "/staff", body))
}

/// The open escalations and reviews the viewer may see (all for staff, their apps' for a
/// partner), at most 100 of each.
pub async fn open_cases(
    state: &AppState,
    signed_in: &crate::auth::SignedIn,
) -> Result<(Vec<EscalationSummary>, Vec<ReviewSummary>), PageError> {
    let open_escalations = escalations::list(
        State(state.clone()),
        signed_in.clone(),
        Ok(Query(EscalationQuery {
            open: Some(true),
            limit: Some(100),
            ..EscalationQuery::default()
        })),
    )
    .await?
    .0
    .escalations;
    let open_reviews = reviews::list(
        State(state.clone()),
        signed_in.clone(),
        Ok(Query(ReviewQuery {
            open: Some(true),
            limit: Some(100),
            ..ReviewQuery::default()
        })),
    )
    .await?
    .0
    .reviews;
    Ok((open_escalations, open_reviews))
}

/// Escalations, each linking to its page.
pub fn escalation_table(list: &[EscalationSummary]) -> Markup {
    html! {
    @if list.is_empty() { p { "None open." } }
    @else { div.scroll tabindex="0" { table.stack {
        thead { tr { th scope="col" { "Escalation" } th scope="col" { "State" } th scope="col" { "Ball" } th scope="col" { "Due" } th scope="col" { "Opened" } } }
        tbody { @for e in list { tr {
            td { a href={ "/escalations/" (e.id) } { "#" (e.id) " " (e.app) } " · " (e.program) }
            td { (e.state) } td { (ball(&e.ball)) }
            td { (e.due.as_deref().map(day).unwrap_or("")) } td { (day(&e.opened_at)) }
        } } }
    } } }
    }
}

/// Reviews by their week, each linking to its page.
pub fn review_table(list: &[ReviewSummary]) -> Markup {
    html! {
    @if list.is_empty() { p { "No review is open." } }
    @else { div.scroll tabindex="0" { table.stack {
        thead { tr { th scope="col" { "Starts" } th scope="col" { "App" } th scope="col" { "State" } th scope="col" { "Ball" } th scope="col" { "Due" } } }
        tbody { @for r in list { tr {
            td { (day(&r.starts_at)) }
            td { a href={ "/reviews/" (r.id) } { (r.app) } " · " (r.program) }
            td { (r.state) } td { (ball(&r.ball)) }
            td { (r.due.as_deref().map(day).unwrap_or("")) }
        } } }
    } } }
    }
}
