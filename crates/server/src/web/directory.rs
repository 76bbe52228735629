//! `/`: the app directory, searched by text and filtered by badge as the marketplace filters,
//! fifty apps a page, from the copy in memory that `directory_cache` keeps.

use apptrust_api::apps::SearchQuery;
use apptrust_programs::Program;
use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;

use super::PageError;
use super::forms::encode;
use super::layout::page;
use super::viewer::Viewer;

/// Apps on one page of the directory.
const PAGE_SIZE: i64 = 50;

#[derive(Deserialize)]
pub struct DirectoryQuery {
    q: Option<String>,
    badge: Option<String>,
    after: Option<String>,
}

/// `GET /?q=&badge=&after=`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DirectoryQuery>,
) -> Result<Markup, PageError> {
    let badge = query.badge.clone().filter(|b| !b.is_empty());
    let q = query.q.clone().filter(|q| !q.trim().is_empty());
    let search = SearchQuery {
        badge: badge.clone(),
        q: q.clone(),
        after: query.after.clone().filter(|a| !a.is_empty()),
        ..SearchQuery::default()
    };
    let max_chars = state.settings.max_search_chars;
    // From the copy in memory (see `directory_cache`), or the database when it is too large.
    let found = match state
        .directory_cache
        .get(&state.store, &state.trust_cache)
        .await
    {
        Some(directory) => directory.search(search, PAGE_SIZE, max_chars),
        None => {
            apptrust_service::search::search_apps(&state.store, search, PAGE_SIZE, max_chars).await
        }
    }
    .map_err(ApiError::from)?;
    let next = found.next.as_ref().map(|after| {
        let mut href = format!("/?after={}", encode(after));
        if let Some(q) = &q {
            href.push_str(&format!("&q={}", encode(q)));
        }
        if let Some(b) = &badge {
            href.push_str(&format!("&badge={}", encode(b)));
        }
        href
    });
    let body = html! {
        h1 { "Apps and their trust badges" }
        section aria-label="Search" {
            form method="get" action="/" role="search" {
                div.row {
                    div.field {
                        label for="q" { "Search" }
                        input #q type="search" name="q" value=[q.as_deref()]
                            placeholder="name or key";
                    }
                    fieldset {
                        legend { "Badge" }
                        label { input type="radio" name="badge" value="" checked[badge.is_none()]; " Any" }
                        @for program in badge_order() {
                            " "
                            label {
                                input type="radio" name="badge" value=(program.key())
                                    checked[badge.as_deref() == Some(program.key())];
                                " " (program.name())
                            }
                        }
                    }
                    div.field { button type="submit" { "Search" } }
                }
            }
        }
        section aria-label="Apps" {
            @if found.apps.is_empty() {
                p { "No app matches." }
            } @else {
                div.scroll tabindex="0" {
                    table.stack {
                        caption.muted { "Apps in key order" }
                        thead { tr { th scope="col" { "App" } th scope="col" { "Partner" } th scope="col" { "Badges" } } }
                        tbody {
                            @for app in &found.apps {
                                tr {
                                    td {
                                        a href={ "/apps/" (app.key) } { (app.name) }
                                        br;
                                        code.muted { (app.key) }
                                    }
                                    td { (app.partner) }
                                    td { (badges(&app.badges)) }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(href) = next {
                nav.pager aria-label="Pages" { a href=(href) rel="next" { "Next apps" } }
            }
        }
    };
    Ok(page(&viewer, "Directory", "/", body))
}

/// The programs in the order a buyer cares about them.
fn badge_order() -> [Program; 4] {
    [
        Program::RunsOnAtlassian,
        Program::CloudFortified,
        Program::CloudSecurityParticipant,
        Program::BugBountyParticipant,
    ]
}

/// The approved badges of an app, by name.
pub fn badges(keys: &[String]) -> Markup {
    html! {
        @if keys.is_empty() {
            span.badge.none { "No badge" }
        }
        @for key in keys {
            span.badge.APPROVED { (Program::from_key(key).map_or(key.as_str(), |p| p.name())) }
        }
    }
}
