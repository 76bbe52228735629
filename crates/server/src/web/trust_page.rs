//! `/apps/{key}`: an app's trust page. Each badge with its status and since when, the reasons
//! and the version behind it, and the badge history as a timeline and as a list.

use apptrust_api::trust::{BadgeEvent, TrustDocument};
use apptrust_programs::Program;
use apptrust_rules::Code;
use axum::extract::{Path, State};
use maud::{Markup, html};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::ApiError;
use crate::state::AppState;

use super::PageError;
use super::layout::page;
use super::svg::{Lane, Stretch, timeline};
use super::viewer::Viewer;

/// `GET /apps/{key}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Markup, PageError> {
    let missing = || ApiError::not_found("no app with this key");
    let bytes = crate::routes::trust::document_bytes(&state, &key)
        .await?
        .ok_or_else(missing)?;
    let document: TrustDocument =
        serde_json::from_slice(&bytes).map_err(|_| ApiError::internal())?;
    let now = state.store.clock().now();
    Ok(page(&viewer, &document.name, "", render(&document, now)))
}

fn render(doc: &TrustDocument, now: OffsetDateTime) -> Markup {
    let p = &doc.programs;
    let roa = &p.runs_on_atlassian;
    let cf = &p.cloud_fortified;
    html! {
        h1 { (doc.name) }
        p.muted { code { (doc.app_key) } " · by " (doc.partner) " · " (doc.framework) }
        div.grid2 {
            section aria-labelledby="roa" {
                h2 #roa { (Program::RunsOnAtlassian.name()) }
                (status(&roa.status))
                dl.facts {
                    @if let Some(since) = &roa.since { dt { "Since" } dd { (day(since)) } }
                    dt { "Version" }
                    dd {
                        @match (&roa.version, &roa.environment) {
                            (Some(v), Some(env)) => { (v) " in " (env) }
                            (Some(v), None) => { (v) }
                            _ => { "no production deploy yet" }
                        }
                    }
                    @if let Some(by) = &roa.reported_by { dt { "Reported by" } dd { (by) } }
                }
                @if !roa.reasons.is_empty() {
                    h3 { "Why not" }
                    (reasons(&roa.reasons))
                }
            }
            section aria-labelledby="cf" {
                h2 #cf { (Program::CloudFortified.name()) }
                (status(&cf.status))
                dl.facts {
                    @if let Some(since) = &cf.since { dt { "Since" } dd { (day(since)) } }
                    @if let Some(set) = &cf.requirement_set { dt { "Requirements" } dd { code { (set) } } }
                    @if let Some(review) = &cf.next_review { dt { "Next review" } dd { (review) } }
                }
            }
            section aria-labelledby="csp" {
                h2 #csp { (Program::CloudSecurityParticipant.name()) }
                (status(&p.cloud_security_participant.status))
            }
            section aria-labelledby="bb" {
                h2 #bb { (Program::BugBountyParticipant.name()) }
                (status(&p.bug_bounty_participant.cloud.status))
            }
        }
        section aria-labelledby="history" {
            h2 #history { "Badge history" }
            @if doc.badge_events.is_empty() {
                p { "No badge has moved yet." }
            } @else {
                (history_chart(&doc.badge_events, now))
                div.scroll tabindex="0" {
                    table.stack {
                        caption.muted { "Newest first" }
                        thead { tr {
                            th scope="col" { "When" } th scope="col" { "Badge" }
                            th scope="col" { "Change" } th scope="col" { "Version" }
                            th scope="col" { "Why" }
                        } }
                        tbody {
                            @for e in &doc.badge_events {
                                tr {
                                    td { (day(&e.at)) }
                                    td { (program_name(&e.program)) }
                                    td { (label(&e.from)) " → " (label(&e.to)) br; span.muted { (e.cause) } }
                                    td { (e.version.as_deref().unwrap_or("")) }
                                    td { @for r in &e.reasons { code { (r) } " " } }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { a href={ "/api/v1/apps/" (doc.app_key) "/trust" } { "This page as JSON" } }
    }
}

/// The badges' history as lanes, one per program that ever moved.
fn history_chart(events: &[BadgeEvent], now: OffsetDateTime) -> Markup {
    let parsed: Vec<(&BadgeEvent, OffsetDateTime)> = events
        .iter()
        .rev()
        .filter_map(|e| OffsetDateTime::parse(&e.at, &Rfc3339).ok().map(|t| (e, t)))
        .collect();
    let Some(first) = parsed.first().map(|(_, t)| *t) else {
        return html! {};
    };
    let last = parsed.last().map_or(first, |(_, t)| *t);
    let end = now.max(last);
    let secs = |t: OffsetDateTime| (t - first).as_seconds_f64();
    let span = secs(end).max(86_400.0);
    let mut lanes = Vec::new();
    for program in Program::ALL {
        let mine: Vec<_> = parsed
            .iter()
            .filter(|(e, _)| e.program == program.key())
            .collect();
        if mine.is_empty() {
            continue;
        }
        let mut stretches = Vec::new();
        for (i, (event, at)) in mine.iter().enumerate() {
            let until = mine.get(i + 1).map_or(span, |(_, t)| secs(*t));
            stretches.push(Stretch {
                from: secs(*at),
                to: until,
                state: event.to.clone(),
            });
        }
        lanes.push(Lane {
            label: program.name().to_string(),
            stretches,
        });
    }
    timeline(
        "Badge history: each badge's status over time",
        &lanes,
        span,
        &day_of(first),
        &day_of(end),
    )
}

/// A status as a coloured badge with words.
fn status(status: &str) -> Markup {
    html! { p { span class={ "badge " (status) } { (label(status)) } } }
}

/// A status in words.
pub fn label(status: &str) -> &str {
    match status {
        "APPROVED" => "Approved",
        "REMOVED" => "Removed",
        "SUSPENDED" => "Suspended",
        "NOT_A_PARTICIPANT" => "Not a participant",
        "RETIRED" => "Retired",
        other => other,
    }
}

fn program_name(key: &str) -> &str {
    Program::from_key(key).map_or(key, |p| p.name())
}

/// Rule codes with their one-line summaries.
pub fn reasons(codes: &[String]) -> Markup {
    html! {
        ul {
            @for code in codes {
                li {
                    code { (code) }
                    @if let Some(known) = Code::from_name(code) { " " (known.summary()) }
                }
            }
        }
    }
}

/// The day of an RFC 3339 time (`2026-12-03`), or the text itself.
pub fn day(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

fn day_of(t: OffsetDateTime) -> String {
    format!("{}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}
