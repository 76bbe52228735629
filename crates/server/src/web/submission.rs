//! `/submissions/{id}`: one submission to an approval program, for its partner and for staff
//! alike: its state and who holds the ball, the time it has waited on each side, every
//! requirement's check with its evidence and waiver, the message thread, the history, and the
//! moves the viewer may make now (as the API lists them in `allowedActions`).

use apptrust_api::submissions::{
    CheckActionRequest, CheckView, HistoryEntry, PostMessage, SubmissionActionRequest,
    SubmissionView,
};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use crate::extract::ApiJson;
use crate::routes::submissions as api;
use crate::state::AppState;

use super::PageError;
use super::forms::{Done, csrf_field, end_of_day, notice, see_other};
use super::layout::page;
use super::svg::{dwell, slo_chart};
use super::trust_page::day;
use super::viewer::Viewer;

/// `GET /submissions/{id}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    let s = api::show(State(state), signed_in, Path(id)).await?.0;
    let title = format!("Submission {} · {}", s.id, s.app);
    Ok(page(
        &viewer,
        &title,
        "",
        render(&viewer, &s, done.done.as_deref()),
    ))
}

fn render(viewer: &Viewer, s: &SubmissionView, done: Option<&str>) -> Markup {
    html! {
        h1 { "Submission " (s.id) ": " (s.app) }
        (notice(done))
        section aria-labelledby="where" {
            h2 #where { "Where it stands" }
            dl.facts {
                dt { "Program" } dd { (s.program) " · " code { (s.requirement_set) } }
                dt { "State" } dd { span.badge { (s.state) } }
                dt { "Ball" } dd { (ball(&s.ball)) }
                @if let Some(due) = &s.due { dt { "Due" } dd { (day(due)) } }
                dt { "Opened" } dd { (day(&s.opened_at)) }
            }
            h3 { "Time waiting on each side" }
            (dwell(&[
                ("Partner", s.waiting.partner),
                ("Staff", s.waiting.staff),
                ("Timers (soak)", s.waiting.timer),
            ]))
            @if !s.allowed_actions.is_empty() {
                h3 { "Your moves" }
                div.row {
                    @for action in &s.allowed_actions { (submission_action(viewer, s.id, action)) }
                }
            }
        }
        section aria-labelledby="checks" {
            h2 #checks { "Checks" }
            div.scroll tabindex="0" { table.stack {
                thead { tr {
                    th scope="col" { "Requirement" } th scope="col" { "State" } th scope="col" { "Ball" }
                    th scope="col" { "Evidence" } th scope="col" { "Moves" }
                } }
                tbody { @for c in &s.checks { (check_row(viewer, s.id, c)) } }
            } }
        }
        section aria-labelledby="thread" {
            h2 #thread { "Messages" }
            @if s.messages.is_empty() { p { "No message yet." } }
            ol.thread {
                @for m in &s.messages {
                    li {
                        strong { (m.actor) } " (" (m.side) "), " (day(&m.at))
                        @if let Some(due) = &m.due { " · answer by " (day(due)) }
                        p { (m.body) }
                    }
                }
            }
            form method="post" action={ "/submissions/" (s.id) "/messages" } {
                (csrf_field(&viewer.csrf))
                div.field {
                    label for="message" { "Write a message" }
                    textarea #message name="body" rows="3" required maxlength="10000" {}
                }
                button type="submit" { "Send" }
            }
        }
        @if !s.slos.is_empty() {
            section aria-labelledby="slos" {
                h2 #slos { "Service levels (28 days)" }
                @for slo in &s.slos { (slo_chart(slo)) }
            }
        }
        (history(&s.history))
    }
}

/// A case's recorded moves, newest first.
pub fn history(entries: &[HistoryEntry]) -> Markup {
    html! {
        section aria-labelledby="history" {
            h2 #history { "History" }
            div.scroll tabindex="0" { table.stack {
                thead { tr {
                    th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Move" }
                    th scope="col" { "From → to" } th scope="col" { "Why" }
                } }
                tbody { @for h in entries.iter().rev() { tr {
                    td { (day(&h.at)) }
                    td { (h.actor) " (" (h.side) ")" }
                    td { (h.action) @if let Some(r) = &h.requirement { " · " code { (r) } } }
                    td { (h.from) " → " (h.to) }
                    td { (h.reason.as_deref().unwrap_or("")) }
                } } }
            } }
        }
    }
}

/// Who holds the ball, in words.
pub fn ball(ball: &str) -> Markup {
    let (class, text) = match ball {
        "partner" => ("warn", "the partner"),
        "staff" => ("", "staff"),
        "timer" => ("none", "a timer"),
        _ => ("none", "nobody: decided"),
    };
    html! { span class={ "badge " (class) } { (text) } }
}

/// A form for one move of the submission; the moves that need words ask for them.
fn submission_action(viewer: &Viewer, id: i64, action: &str) -> Markup {
    let (label, needs) = match action {
        "triage" => ("Triage", None),
        "request-info" => ("Ask the partner", Some("The question")),
        "reply" => ("Answer", Some("Your answer")),
        "start-review" => ("Start the review", None),
        "soak" => ("Put to soak", None),
        "approve" => ("Approve", None),
        "reject" => ("Reject", Some("Why reject")),
        "withdraw" => ("Withdraw", Some("Why withdraw")),
        other => (other, None),
    };
    html! {
        form.card method="post" action={ "/submissions/" (id) "/actions" } {
            (csrf_field(&viewer.csrf))
            input type="hidden" name="action" value=(action);
            @if let Some(prompt) = needs {
                div.field {
                    label for={ "reason-" (action) } { (prompt) }
                    textarea id={ "reason-" (action) } name="reason" rows="2" required {}
                }
            }
            button type="submit" class=[(matches!(action, "reject" | "withdraw")).then_some("danger")] { (label) }
        }
    }
}

fn check_row(viewer: &Viewer, id: i64, c: &CheckView) -> Markup {
    html! {
        tr {
            td { code { (c.requirement) } }
            td {
                (c.state)
                @if let Some(until) = &c.soak_until { br; span.muted { "soaks until " (day(until)) } }
                @if let Some(w) = &c.waiver { br; span.muted { "waived until " (day(&w.expires)) ": " (w.reason) } }
            }
            td { (ball(&c.ball)) }
            td { @for e in &c.evidence {
                div { (day(&e.at)) " " (e.actor) @if let Some(note) = &e.note { ": " (note) } }
            } }
            td { @for action in &c.allowed_actions {
                form.inline method="post" action={ "/submissions/" (id) "/checks/" (c.requirement) } {
                    (csrf_field(&viewer.csrf))
                    input type="hidden" name="action" value=(action);
                    @match action.as_str() {
                        "waive" => {
                            label { "Why " input type="text" name="reason" required; }
                            " "
                            label { "until " input type="date" name="expires" required; }
                            " "
                        }
                        "submit-evidence" => {
                            label { "Evidence " input type="text" name="reason" required; }
                            " "
                        }
                        _ => {}
                    }
                    button.secondary type="submit" aria-label={ (action) " " (c.requirement) } { (action) }
                }
                " "
            } }
        }
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    action: String,
    reason: Option<String>,
}

/// `POST /submissions/{id}/actions`.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ActionForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let body = SubmissionActionRequest {
        action: form.action,
        reason: form.reason.filter(|r| !r.trim().is_empty()),
        due: None,
    };
    let _moved = api::act(State(state), signed_in, Path(id), ApiJson(body)).await?;
    Ok(see_other(format!("/submissions/{id}?done=moved")))
}

#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    csrf: String,
    action: String,
    reason: Option<String>,
    /// A day (`2027-06-30`), from the date input.
    expires: Option<String>,
}

/// `POST /submissions/{id}/checks/{requirement}`.
pub async fn act_on_check(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, requirement)): Path<(i64, String)>,
    axum::Form(form): axum::Form<CheckForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let body = CheckActionRequest {
        action: form.action,
        reason: form.reason.filter(|r| !r.trim().is_empty()),
        expires: end_of_day(form.expires.as_deref()),
    };
    let _moved = api::act_on_check(
        State(state),
        signed_in,
        Path((id, requirement)),
        ApiJson(body),
    )
    .await?;
    Ok(see_other(format!("/submissions/{id}?done=moved")))
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    csrf: String,
    body: String,
}

/// `POST /submissions/{id}/messages`.
pub async fn message(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<MessageForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let body = ApiJson(PostMessage { body: form.body });
    let _posted = api::post_message(State(state), signed_in, Path(id), body).await?;
    Ok(see_other(format!("/submissions/{id}?done=sent")))
}
