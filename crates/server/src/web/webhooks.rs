//! `/webhooks`: a partner's (or the staff's) webhooks with their delivery logs, adding and
//! removing one, and the signed-in user's notification settings (which events not to be
//! e-mailed about). The secret of a new webhook is shown once, on the page that follows.

use apptrust_api::notifications::UpdateNotificationSettings;
use apptrust_api::paging::PageQuery;
use apptrust_api::webhooks::CreateWebhook;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use crate::extract::ApiJson;
use crate::routes::webhooks as api;
use crate::state::AppState;

use super::PageError;
use super::forms::{Done, csrf_field, notice, see_other};
use super::layout::page;
use super::trust_page::day;
use super::viewer::Viewer;

/// `GET /webhooks`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    let hooks = api::list(
        State(state.clone()),
        signed_in.clone(),
        Ok(Query(PageQuery {
            after: None,
            limit: Some(200),
        })),
    )
    .await?
    .0;
    let settings = api::settings(State(state), signed_in).await?.0;
    let body = html! {
        h1 { "Webhooks and notifications" }
        (notice(done.done.as_deref()))
        section aria-labelledby="hooks" {
            h2 #hooks { "Webhooks" }
            p.muted { "Signed as Standard Webhooks 1.0 specifies; see the API documentation for verifying them." }
            @if hooks.webhooks.is_empty() { p { "No webhook yet." } }
            @else { div.scroll tabindex="0" { table.stack {
                thead { tr { th scope="col" { "Address" } th scope="col" { "Events" } th scope="col" { "Added" } th scope="col" { "Remove" } } }
                tbody { @for w in &hooks.webhooks { tr {
                    td { a href={ "/webhooks/" (w.id) } { (w.url) } }
                    td { (if w.events.is_empty() { "every event".to_string() } else { w.events.join(", ") }) }
                    td { (day(&w.created_at)) }
                    td {
                        form.inline method="post" action={ "/webhooks/" (w.id) "/delete" } {
                            (csrf_field(&viewer.csrf))
                            button.danger type="submit" aria-label={ "Remove the webhook to " (w.url) } { "Remove" }
                        }
                    }
                } } }
            } } }
            form method="post" action="/webhooks" {
                (csrf_field(&viewer.csrf))
                div.field {
                    label for="url" { "Address (https)" }
                    input #url type="url" name="url" required placeholder="https://hooks.example.com/apptrust";
                }
                fieldset {
                    legend { "Events (none ticked: every event)" }
                    @for event in &settings.events {
                        label { input type="checkbox" name="event" value=(event); " " code { (event) } }
                        br;
                    }
                }
                button type="submit" { "Add the webhook" }
            }
        }
        section aria-labelledby="email" {
            h2 #email { "E-mail" }
            p { "Sent to " strong { (settings.email) } "."
                @if !settings.email_enabled { " This server sends no e-mail (no SMTP relay is configured)." } }
            form method="post" action="/webhooks/settings" {
                (csrf_field(&viewer.csrf))
                fieldset {
                    legend { "E-mail me about" }
                    @for event in &settings.events {
                        label {
                            input type="checkbox" name="event" value=(event)
                                checked[!settings.email_opt_out.contains(event)];
                            " " code { (event) }
                        }
                        br;
                    }
                }
                button type="submit" { "Save" }
            }
        }
    };
    Ok(page(
        &viewer,
        "Webhooks and notifications",
        "/webhooks",
        body,
    ))
}

/// The values of every `name` field of a form.
fn all<'a>(fields: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    fields
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn csrf_of(fields: &[(String, String)]) -> &str {
    all(fields, "csrf").next().unwrap_or("")
}

/// `POST /webhooks`: adds one and shows its secret once.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.check_csrf(csrf_of(&fields))?.clone();
    let body = ApiJson(CreateWebhook {
        url: all(&fields, "url").next().unwrap_or("").trim().to_string(),
        events: all(&fields, "event").map(str::to_string).collect(),
    });
    let (_, created) = api::create(State(state), signed_in, body).await?;
    let created = created.0;
    let body = html! {
        h1 { "Webhook added" }
        p.notice.ok role="status" { "Deliveries to " code { (created.webhook.url) } " begin with the next event." }
        section {
            h2 { "Its signing secret" }
            p { "Copy it now: it is shown this once (rotate it from the API to get a new one)." }
            pre { code { (created.secret) } }
            p { a href="/webhooks" { "Back to the webhooks" } }
        }
    };
    Ok(page(&viewer, "Webhook added", "/webhooks", body))
}

/// `POST /webhooks/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(csrf_of(&fields))?.clone();
    api::delete(State(state), signed_in, Path(id)).await?;
    Ok(see_other("/webhooks?done=removed"))
}

/// `POST /webhooks/settings`: the ticked events are e-mailed, the rest opted out of.
pub async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(csrf_of(&fields))?.clone();
    let wanted: Vec<&str> = all(&fields, "event").collect();
    let body = ApiJson(UpdateNotificationSettings {
        email_opt_out: apptrust_api::notifications::Event::ALL
            .iter()
            .map(|e| e.as_str().to_string())
            .filter(|e| !wanted.contains(&e.as_str()))
            .collect(),
    });
    let _saved = api::update_settings(State(state), signed_in, body).await?;
    Ok(see_other("/webhooks?done=settings"))
}

#[derive(Deserialize)]
pub struct After {
    after: Option<i64>,
}

/// `GET /webhooks/{id}?after=`: the webhook's delivery log, oldest first, 100 a page.
pub async fn deliveries(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(after): Query<After>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    let hook = api::show(State(state.clone()), signed_in.clone(), Path(id))
        .await?
        .0
        .webhook;
    let log = api::deliveries(
        State(state),
        signed_in,
        Path(id),
        Ok(Query(PageQuery {
            after: after.after,
            limit: Some(100),
        })),
    )
    .await?
    .0;
    let body = html! {
        p { a href="/webhooks" { "← Webhooks" } }
        p.muted { "Oldest first, 100 a page." }
        h1 { "Deliveries to " (hook.url) }
        @if log.deliveries.is_empty() { p { "Nothing delivered yet." } }
        @else { div.scroll tabindex="0" { table.stack {
            thead { tr {
                th scope="col" { "Event" } th scope="col" { "Status" } th scope="col" { "Attempts" }
                th scope="col" { "Last answer" } th scope="col" { "Created" } th scope="col" { "Delivered" }
            } }
            tbody { @for d in &log.deliveries { tr {
                td { code { (d.event) } }
                td { (d.status) @if let Some(next) = &d.next_attempt_at { br; span.muted { "next " (day(next)) } } }
                td { (d.attempts) }
                td {
                    @if let Some(code) = d.last_status { (code) " " }
                    (d.last_error.as_deref().unwrap_or(""))
                }
                td { (day(&d.created_at)) }
                td { (d.delivered_at.as_deref().map(day).unwrap_or("")) }
            } } }
        } } }
        @if let Some(next) = log.next {
            nav.pager aria-label="Pages" { a href={ "/webhooks/" (id) "?after=" (next) } rel="next" { "Later deliveries" } }
        }
    };
    Ok(page(&viewer, "Deliveries", "/webhooks", body))
}
