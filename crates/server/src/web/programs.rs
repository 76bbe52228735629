//! `/programs`: the trust programs and their change notices (each requirement set with its
//! phase, when it was announced, when it takes effect, the grace that follows, and what it adds,
//! changes and drops), public as the API's program reads are; `/staff/editions`: the go-to-market
//! list, its preview for a month, publishing it, and every published edition as CSV or JSON;
//! `/partner/apps/{key}/dry-run`: how an app fares against an announced requirement set.

use apptrust_api::editions::{PreviewQuery, PublishEdition};
use apptrust_api::programs::{DryRunQuery, RequirementSetView};
use apptrust_store::users::Role;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::{editions, programs as api};
use crate::state::AppState;

use super::PageError;
use super::forms::{csrf_field, notice, see_other};
use super::layout::page;
use super::trust_page::day;
use super::viewer::Viewer;

/// The approval program whose go-to-market list staff publish.
const FORTIFIED: &str = "cloud-fortified";

/// `GET /programs`.
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Markup, PageError> {
    let programs = api::list(State(state)).await.0;
    let body = html! {
        h1 { "Trust programs" }
        @for p in &programs.programs {
            section {
                h2 { a href={ "/programs/" (p.key) } { (p.name) } }
                p { (p.description) }
                dl.facts {
                    dt { "Granted" } dd { (p.grant) }
                    dt { "Status" } dd { (p.status) @if let Some(on) = &p.retiring_on { " (retiring on " (on) ")" } }
                    @if let Some(set) = &p.requirement_set_in_force { dt { "Requirements in force" } dd { code { (set) } } }
                }
            }
        }
    };
    Ok(page(&viewer, "Trust programs", "/programs", body))
}

/// `GET /programs/{key}`: the program's requirement sets, newest first: its change notices.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Markup, PageError> {
    let detail = api::show(State(state), Path(key)).await?.0;
    let body = html! {
        p { a href="/programs" { "← Trust programs" } }
        h1 { (detail.program.name) }
        p { (detail.program.description) }
        h2 { "Requirement sets and change notices" }
        @if detail.requirement_sets.is_empty() { p { "This program has no requirement set." } }
        @for set in detail.requirement_sets.iter().rev() { (set_notice(set)) }
    };
    Ok(page(&viewer, &detail.program.name, "/programs", body))
}

fn set_notice(set: &RequirementSetView) -> Markup {
    html! {
        section aria-labelledby={ "set-" (set.version) } {
            h3 id={ "set-" (set.version) } { code { (set.id) } " " span.badge { (set.phase) } }
            p { (set.summary) }
            dl.facts {
                dt { "Announced" } dd { (day(&set.announced)) }
                @if let Some(until) = &set.discussion_until { dt { "Open for discussion until" } dd { (day(until)) } }
                dt { "Takes effect" } dd { (day(&set.effective)) }
                dt { "Grace until" } dd { (day(&set.grace_until)) }
            }
            @if !set.added.is_empty() { p { "Adds: " @for r in &set.added { code { (r) } " " } } }
            @if !set.changed.is_empty() { p { "Changes: " @for r in &set.changed { code { (r) } " " } } }
            @if !set.dropped.is_empty() {
                p { "Drops: " }
                ul { @for d in &set.dropped { li { code { (d.id) } ": " (d.reason) } } }
            }
            details {
                summary { (set.requirements.len()) " requirements" }
                ul { @for r in &set.requirements {
                    li { code { (r.id) } " " (r.title) " · " span.muted { (r.verification)
                        @if let Some(days) = r.soak_days { ", soaks " (days) " days" } } }
                } }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct EditionsQuery {
    month: Option<String>,
    done: Option<String>,
}

/// `GET /staff/editions?month=`.
pub async fn editions(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<EditionsQuery>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    if signed_in.user().role != Role::Staff {
        return Err(ApiError::forbidden("this page is for staff").into());
    }
    let published = editions::list(State(state.clone()), Path(FORTIFIED.to_string()))
        .await?
        .0;
    let preview = editions::preview(
        State(state),
        signed_in,
        Path(FORTIFIED.to_string()),
        Ok(Query(PreviewQuery {
            month: query.month.filter(|m| !m.is_empty()),
        })),
    )
    .await?
    .0;
    let body = html! {
        p { a href="/staff" { "← Service desk" } }
        h1 { "Go-to-market list" }
        (notice(query.done.as_deref()))
        section aria-labelledby="preview" {
            h2 #preview { "The " (preview.month) " edition"
                @if preview.published_at.is_some() { " (published)" } @else { " if published now" } }
            form method="get" action="/staff/editions" {
                div.row {
                    div.field { label for="month" { "Month" } input #month type="text" name="month" value=(preview.month) pattern="[0-9]{4}-[0-9]{2}"; }
                    div.field { button.secondary type="submit" { "Show" } }
                }
            }
            (entries(&preview.apps))
            @if preview.published_at.is_none() {
                form method="post" action="/staff/editions" {
                    (csrf_field(&viewer.csrf))
                    input type="hidden" name="month" value=(preview.month);
                    button type="submit" { "Publish the " (preview.month) " edition" }
                }
            }
        }
        section aria-labelledby="published" {
            h2 #published { "Published editions" }
            @if published.editions.is_empty() { p { "None yet." } }
            @else { div.scroll tabindex="0" { table.stack {
                thead { tr { th scope="col" { "Month" } th scope="col" { "Apps" } th scope="col" { "Published" } th scope="col" { "Download" } } }
                tbody { @for e in &published.editions { tr {
                    td { (e.month) } td { (e.apps) } td { (day(&e.published_at)) }
                    td {
                        a href={ "/api/v1/programs/" (FORTIFIED) "/editions/" (e.month) "?format=csv" } { "CSV" }
                        " · "
                        a href={ "/api/v1/programs/" (FORTIFIED) "/editions/" (e.month) } { "JSON" }
                    }
                } } }
            } } }
        }
    };
    Ok(page(&viewer, "Go-to-market list", "/staff", body))
}

fn entries(apps: &[apptrust_api::editions::EditionEntry]) -> Markup {
    html! {
        @if apps.is_empty() { p { "No app." } }
        @else { div.scroll tabindex="0" { table.stack {
            thead { tr { th scope="col" { "App" } th scope="col" { "Partner" } th scope="col" { "Since" } th scope="col" { "Requirements" } th scope="col" { "New" } } }
            tbody { @for a in apps { tr {
                td { a href={ "/apps/" (a.app) } { (a.name) } }
                td { (a.partner) } td { (day(&a.since)) }
                td { (a.requirement_set.as_deref().unwrap_or("")) }
                td { @if a.new { span.badge.ok { "new" } } }
            } } }
        } } }
    }
}

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    csrf: String,
    month: String,
}

/// `POST /staff/editions`.
pub async fn publish(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<PublishForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let body = ApiJson(PublishEdition {
        month: form.month.clone(),
    });
    let _published =
        editions::publish(State(state), signed_in, Path(FORTIFIED.to_string()), body).await?;
    let to = format!(
        "/staff/editions?month={}&done=published",
        super::forms::encode(&form.month)
    );
    Ok(see_other(to))
}

#[derive(Deserialize)]
pub struct DryRunForm {
    requirement_set: Option<String>,
}

/// `GET /partner/apps/{key}/dry-run?requirement_set=`: the app against a requirement set.
pub async fn dry_run(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(form): Query<DryRunForm>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    let detail = api::show(State(state.clone()), Path(FORTIFIED.to_string()))
        .await?
        .0;
    let chosen = form.requirement_set.filter(|s| !s.is_empty());
    let run = api::dry_run(
        State(state),
        signed_in,
        Path((key.clone(), FORTIFIED.to_string())),
        Ok(Query(DryRunQuery {
            requirement_set: chosen.clone(),
        })),
    )
    .await?
    .0;
    let body = html! {
        p { a href={ "/partner/apps/" (key) } { "← " (key) } }
        h1 { "Dry run: " (key) }
        form method="get" action={ "/partner/apps/" (key) "/dry-run" } {
            div.row {
                div.field {
                    label for="requirement_set" { "Requirement set" }
                    select #requirement_set name="requirement_set" {
                        @for set in &detail.requirement_sets {
                            option value=(set.id) selected[set.id == run.requirement_set] { (set.id) " (" (set.phase) ")" }
                        }
                    }
                }
                div.field { button type="submit" { "Run" } }
            }
        }
        p {
            code { (run.requirement_set) } " (" (run.phase) ")"
            @if let Some(with) = &run.compared_with { ", compared with " code { (with) } }
            ": " (run.summary.meets) " met, " (run.summary.fails) " failing, "
            (run.summary.needs_evidence) " needing evidence, " (run.summary.unknown) " unknown."
        }
        div.scroll tabindex="0" { table.stack {
            thead { tr { th scope="col" { "Requirement" } th scope="col" { "Change" } th scope="col" { "Outcome" } th scope="col" { "Detail" } } }
            tbody { @for r in &run.requirements { tr {
                td { code { (r.requirement) } br; (r.title) }
                td { (r.change) }
                td { span class={ "badge " (match r.outcome.as_str() { "meets" => "ok", "fails" => "bad", _ => "warn" }) } { (r.outcome) } }
                td { (r.detail) }
            } } }
        } }
    };
    Ok(page(&viewer, "Dry run", "/partner", body))
}
