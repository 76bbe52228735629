//! `/escalations/{id}` and `/reviews/{id}`: an escalation or an annual review, with its state,
//! who holds the ball, its deadlines, what it is about, its history, and the moves the viewer
//! may make now (as the API lists them). Staff reach them from the service desk; partners from
//! their app's submissions and notifications.

use apptrust_api::escalations::{EscalationActionRequest, EscalationView};
use apptrust_api::reviews::{ReviewActionRequest, ReviewView};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use crate::extract::ApiJson;
use crate::routes::{escalations, reviews};
use crate::state::AppState;

use super::PageError;
use super::forms::{Done, csrf_field, end_of_day, notice, see_other};
use super::layout::page;
use super::submission::{ball, history};
use super::svg::slo_chart;
use super::trust_page::day;
use super::viewer::Viewer;

/// A move's form: its name, a reason when it takes one, a due day when it takes one.
fn move_form(viewer: &Viewer, action_url: &str, action: &str, reason: bool, due: bool) -> Markup {
    html! {
        form.card method="post" action=(action_url) {
            (csrf_field(&viewer.csrf))
            input type="hidden" name="action" value=(action);
            @if reason {
                div.field {
                    label for={ "reason-" (action) } { "Why (" (action) ")" }
                    textarea id={ "reason-" (action) } name="reason" rows="2" required {}
                }
            }
            @if due {
                div.field {
                    label for={ "due-" (action) } { "Due (" (action) ")" }
                    input id={ "due-" (action) } type="date" name="due" required;
                }
            }
            button type="submit" class=[(matches!(action, "remove" | "demote")).then_some("danger")] { (action) }
        }
    }
}

/// `GET /escalations/{id}`.
pub async fn escalation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    let e: EscalationView = escalations::show(State(state), signed_in, Path(id))
        .await?
        .0;
    let url = format!("/escalations/{id}");
    let body = html! {
        h1 { "Escalation " (e.id) ": " a href={ "/apps/" (e.app) } { (e.app) } }
        (notice(done.done.as_deref()))
        section {
            dl.facts {
                dt { "Program" } dd { (e.program) }
                dt { "Raised by" } dd { (e.source) @if let Some(c) = &e.cause { " · " code { (c) } } }
                dt { "Opened" } dd { (day(&e.opened_at)) }
                dt { "State" } dd { span.badge { (e.state) } }
                dt { "Ball" } dd { (ball(&e.ball)) }
                @if let Some(d) = &e.plan_due { dt { "Plan due" } dd { (day(d)) } }
                @if let Some(d) = &e.suspends_at { dt { "Suspends" } dd { (day(d)) } }
            }
            p { (e.reason) }
            @if !e.allowed_actions.is_empty() {
                h2 { "Your moves" }
                div.row { @for a in &e.allowed_actions {
                    (move_form(&viewer, &format!("{url}/actions"), a, true, a == "agree-plan"))
                } }
            }
        }
        (history(&e.history))
    };
    Ok(page(&viewer, &format!("Escalation {id}"), "", body))
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    csrf: String,
    action: String,
    reason: Option<String>,
    /// A day from the date input.
    due: Option<String>,
}

impl MoveForm {
    fn reason(&self) -> Option<String> {
        self.reason.clone().filter(|r| !r.trim().is_empty())
    }

    /// The end of the day picked, as the API reads times.
    fn due(&self) -> Option<String> {
        end_of_day(self.due.as_deref())
    }
}

/// `POST /escalations/{id}/actions`.
pub async fn act_on_escalation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<MoveForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let body = ApiJson(EscalationActionRequest {
        action: form.action.clone(),
        reason: form.reason(),
        due: form.due(),
    });
    let _moved = escalations::act(State(state), signed_in, Path(id), body).await?;
    Ok(see_other(format!("/escalations/{id}?done=moved")))
}

/// `GET /reviews/{id}`.
pub async fn review(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    let r: ReviewView = reviews::show(State(state), signed_in, Path(id)).await?.0;
    let url = format!("/reviews/{id}");
    let changes = &r.delta.requirements;
    let body = html! {
        h1 { "Review " (r.year) ": " a href={ "/apps/" (r.app) } { (r.app) } }
        (notice(done.done.as_deref()))
        section {
            dl.facts {
                dt { "Program" } dd { (r.program) }
                dt { "Review week" } dd { (r.first_day) " (" (day(&r.starts_at)) " to " (day(&r.ends_at)) ")" }
                dt { "State" } dd { span.badge { (r.state) } }
                dt { "Ball" } dd { (ball(&r.ball)) }
                dt { "Requirements" } dd { code { (r.held_set) } " → " code { (r.requirement_set) } }
                @if let Some(due) = &r.due { dt { "Findings due" } dd { (day(due)) } }
                @if let Some(outcome) = &r.outcome { dt { "Outcome" } dd { (outcome) } }
                @if let Some(s) = r.submission { dt { "Approved by" } dd { a href={ "/submissions/" (s) } { "submission " (s) } } }
            }
            h2 { "Since the approval" }
            ul {
                li { "Requirements added: " (changes.added.join(", ")) "; changed: " (changes.changed.join(", ")) "; dropped: " (changes.dropped.join(", ")) }
                li { "New majors in production: " (r.delta.new_majors.join(", ")) }
                li { "Egress added or changed: " (r.delta.egress_added.join("; ")) }
            }
            @if !r.findings.is_empty() {
                h2 { "Findings" }
                ul { @for f in &r.findings { li { (day(&f.at)) " " (f.actor) ": " (f.text) } } }
            }
            @if !r.allowed_actions.is_empty() {
                h2 { "Your moves" }
                div.row { @for a in &r.allowed_actions {
                    (move_form(&viewer, &format!("{url}/actions"), a, a != "pass", a == "extend"))
                } }
            }
        }
        @if !r.slos.is_empty() {
            section aria-labelledby="slos" {
                h2 #slos { "Service levels (28 days)" }
                @for slo in &r.slos { (slo_chart(slo)) }
            }
        }
        (history(&r.history))
    };
    Ok(page(&viewer, &format!("Review {id}"), "", body))
}

/// `POST /reviews/{id}/actions`.
pub async fn act_on_review(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<MoveForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let body = ApiJson(ReviewActionRequest {
        action: form.action.clone(),
        reason: form.reason(),
        due: form.due(),
    });
    let _moved = reviews::act(State(state), signed_in, Path(id), body).await?;
    Ok(see_other(format!("/reviews/{id}?done=moved")))
}
