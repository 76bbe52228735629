//! `/check` and `/check/diff`: the checker in the browser. Paste a manifest and see what
//! `apptrust check` says of it (the verdict, each finding at its line with its fix, the egress
//! inventory and the residency report); or paste two and see what `apptrust diff` says. No
//! account is needed and nothing is stored. The forms change nothing, so they carry no CSRF
//! token; cross-site posts are still refused (see `viewer`).
//!
//! Anyone may post here, so the page is kept from the CPU that deploys need: one check at a
//! time per instance (`CHECKS`), in the evaluator's small lane only (manifests up to
//! `MAX_MANIFEST_BYTES`, far above real ones; `apptrust check` reads larger files), waiting a
//! few seconds at most before saying the checker is busy.

use apptrust_rules::changes::{Impact, Which, classify};
use apptrust_rules::{Evaluation, Verdict};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use maud::{Markup, html};

use crate::error::ApiError;
use crate::state::AppState;

use super::PageError;
use super::annotate::{Note, annotated};
use super::layout::page;
use super::trust_page::reasons;
use super::upload::read_fields;
use super::viewer::Viewer;

/// The largest manifest the page checks (each side of a comparison). Below the evaluator's
/// large-file threshold, so the page never takes the lane that large deploys need.
pub const MAX_MANIFEST_BYTES: usize = 128 * 1024;

/// The form body the checker pages take: two manifests at the limit, form-encoded.
pub const MAX_FORM_BYTES: usize = 8 * MAX_MANIFEST_BYTES;

/// Checks from the pages running at once on this instance.
static CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// How long a check waits for its turn before the page says the checker is busy.
const CHECK_WAIT: Duration = Duration::from_secs(5);

/// Runs `work` on `bytes` of manifest for a page: one at a time, in the small lane.
async fn run_check<T, F>(state: &AppState, bytes: usize, work: F) -> Result<T, PageError>
where
    F: FnOnce(&apptrust_rules::CheckOptions) -> T + Send + 'static,
    T: Send + 'static,
{
    let busy = || {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the checker is busy; try again in a moment (or run `apptrust check`)",
        )
    };
    let _turn = tokio::time::timeout(CHECK_WAIT, CHECKS.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    Ok(state
        .evaluator
        .run_within(bytes, CHECK_WAIT, work)
        .await
        .map_err(ApiError::from)?)
}

/// Refuses a manifest over the page's limit, naming it.
fn within_limit(name: &str, text: &str) -> Result<(), PageError> {
    if text.len() > MAX_MANIFEST_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!(
                "{name} is {} bytes; the checker page takes manifests up to {} KiB (run `apptrust check` for larger files)",
                text.len(),
                MAX_MANIFEST_BYTES / 1024
            ),
        )
        .into());
    }
    Ok(())
}

/// `GET /check`.
pub async fn form(viewer: Viewer) -> Markup {
    page(
        &viewer,
        "Check a manifest",
        "/check",
        check_form("", html! {}),
    )
}

/// `POST /check`: the pasted text, or the chosen file (`file`) when there is one.
pub async fn check(
    State(state): State<AppState>,
    viewer: Viewer,
    request: Request,
) -> Result<Markup, PageError> {
    let fields = read_fields(request, &state, MAX_MANIFEST_BYTES).await?;
    let source = fields.first_of(&["file", "manifest"]);
    if source.trim().is_empty() {
        let empty =
            html! { p.notice.bad role="alert" { "Paste a manifest or choose its file first." } };
        return Ok(page(
            &viewer,
            "Check a manifest",
            "/check",
            check_form("", empty),
        ));
    }
    within_limit("The manifest", &source)?;
    let bytes = source.clone().into_bytes();
    let evaluation = run_check(&state, bytes.len(), move |options| {
        apptrust_rules::evaluate(&bytes, options)
    })
    .await?;
    let result = result(&source, &evaluation);
    Ok(page(
        &viewer,
        "Check a manifest",
        "/check",
        check_form(&source, result),
    ))
}

fn check_form(source: &str, result: Markup) -> Markup {
    html! {
        h1 { "Check a manifest" }
        p { "What " code { "apptrust check" } " says of a Forge " code { "manifest.yml" }
            ": whether it qualifies for Runs on Atlassian, why not, and how to fix it. Nothing is stored." }
        (result)
        section {
            form method="post" action="/check" enctype="multipart/form-data" {
                div.field {
                    label for="manifest" { "manifest.yml" }
                    textarea #manifest name="manifest" rows="18" spellcheck="false" { (source) }
                }
                div.field {
                    label for="file" { "or choose the file" }
                    input #file type="file" name="file" accept=".yml,.yaml,text/yaml";
                }
                button type="submit" { "Check" }
            }
        }
    }
}

/// The verdict, the findings on the file, the egress inventory and the residency report.
fn result(source: &str, e: &Evaluation) -> Markup {
    html! {
        section aria-labelledby="verdict" {
            h2 #verdict { "Verdict" }
            (verdict(e.verdict))
            @if !e.rules.is_empty() {
                h3 { "Rules that fire" }
                (reasons(&e.rules.iter().map(|c| c.name().to_string()).collect::<Vec<_>>()))
            }
            @if !e.blockers.is_empty() {
                h3 { "Forge would refuse to deploy it" }
                (reasons(&e.blockers.iter().map(|c| c.name().to_string()).collect::<Vec<_>>()))
            }
        }
        section aria-labelledby="findings" {
            h2 #findings { "Findings (" (e.findings.len()) ")" }
            (annotated(source, &e.findings.iter().map(Note::from).collect::<Vec<_>>()))
        }
        @if !e.egress.is_empty() {
            section aria-labelledby="egress" {
                h2 #egress { "Egress inventory" }
                div.scroll tabindex="0" { table.stack {
                    thead { tr {
                        th scope="col" { "Line" } th scope="col" { "List" } th scope="col" { "Address" }
                        th scope="col" { "Category" } th scope="col" { "In-scope EUD" }
                        th scope="col" { "Admin can block" }
                    } }
                    tbody { @for item in &e.egress { tr {
                        td { a href={ "#L" (item.line) } { (item.line) } }
                        td { code { (item.list) } }
                        td { code { (item.address.as_deref().or(item.remote.as_deref()).unwrap_or("")) } }
                        td { (item.category.as_deref().unwrap_or("")) }
                        td { (yes_no(item.in_scope_eud)) }
                        td { (yes_no(item.admin_can_block)) }
                    } } }
                } }
            }
        }
        @if let Some(residency) = &e.residency {
            section aria-labelledby="residency" {
                h2 #residency { "Data residency" }
                p {
                    @if residency.eud_may_leave_residency {
                        span.badge.bad { "End-user data may leave the host product's residency" }
                    } @else {
                        span.badge.ok { "End-user data follows the host product's residency" }
                    }
                }
                @if !residency.remotes.is_empty() {
                    div.scroll tabindex="0" { table.stack {
                        thead { tr {
                            th scope="col" { "Remote" } th scope="col" { "Regions" }
                            th scope="col" { "Missing regions" } th scope="col" { "Stores EUD" }
                        } }
                        tbody { @for r in &residency.remotes { tr {
                            td { code { (r.key.as_deref().unwrap_or("(unnamed)")) } }
                            td { (r.regions.join(", ")) }
                            td { (r.missing_regions.join(", ")) }
                            td { (yes_no(r.stores_eud)) }
                        } } }
                    } }
                }
            }
        }
    }
}

fn verdict(v: Verdict) -> Markup {
    let (class, text) = match v {
        Verdict::Eligible => ("ok", "Eligible for Runs on Atlassian"),
        Verdict::NotEligible => ("bad", "Not eligible for Runs on Atlassian"),
        Verdict::Blocked => ("bad", "Blocked: Forge would refuse to deploy it"),
        Verdict::Error => ("bad", "The file cannot be read as a manifest"),
    };
    html! { p class={ "verdict " (class) } role="status" { (text) " (" code { (v.as_str()) } ")" } }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// The two sides of a comparison.
#[derive(Default)]
pub struct DiffForm {
    old: String,
    new: String,
}

/// `GET /check/diff`.
pub async fn diff_form(viewer: Viewer) -> Markup {
    page(
        &viewer,
        "Compare manifests",
        "/check/diff",
        compare_form(&DiffForm::default(), html! {}),
    )
}

/// `POST /check/diff`: each side pasted, or its file chosen (`old_file`, `new_file`).
pub async fn diff(
    State(state): State<AppState>,
    viewer: Viewer,
    request: Request,
) -> Result<Markup, PageError> {
    let fields = read_fields(request, &state, MAX_MANIFEST_BYTES).await?;
    let form = DiffForm {
        old: fields.first_of(&["old_file", "old"]),
        new: fields.first_of(&["new_file", "new"]),
    };
    if form.old.trim().is_empty() || form.new.trim().is_empty() {
        let missing =
            html! { p.notice.bad role="alert" { "Paste or choose both manifests first." } };
        return Ok(page(
            &viewer,
            "Compare manifests",
            "/check/diff",
            compare_form(&form, missing),
        ));
    }
    within_limit("The old manifest", &form.old)?;
    within_limit("The new manifest", &form.new)?;
    let (old, new) = (form.old.clone().into_bytes(), form.new.clone().into_bytes());
    // Sized by the larger side: the two are read one after the other.
    let size = old.len().max(new.len());
    let report = run_check(&state, size, move |options| classify(&old, &new, options)).await?;
    let result = match report {
        Err(unreadable) => html! {
            section {
                h2 { "The " (unreadable.side) " manifest cannot be compared" }
                (verdict(unreadable.evaluation.verdict))
                ul { @for f in &unreadable.evaluation.findings {
                    li { code { (f.code.name()) } ": " (f.message) }
                } }
            }
        },
        Ok(report) => html! {
            section aria-labelledby="classification" {
                h2 #classification { "Classification" }
                @if report.major {
                    p.verdict.bad role="status" { "Major: installed sites must consent before it applies" }
                } @else {
                    p.verdict.ok role="status" { "Minor: it rolls out without consent" }
                }
                dl.facts {
                    dt { "Before" } dd { code { (report.before.as_str()) } }
                    dt { "After" } dd { code { (report.after.as_str()) } }
                }
                @if report.changes.is_empty() {
                    p { "The manifests are the same." }
                } @else {
                    div.scroll tabindex="0" { table.stack {
                        thead { tr {
                            th scope="col" { "Impact" } th scope="col" { "Area" }
                            th scope="col" { "Change" } th scope="col" { "Where" }
                        } }
                        tbody { @for c in &report.changes { tr {
                            td { @if c.impact == Impact::Major { span.badge.bad { "major" } } @else { span.badge.none { "minor" } } }
                            td { (c.area) }
                            td { (c.description) }
                            td { @if let Some(line) = c.line {
                                (if c.file == Which::Old { "old" } else { "new" }) " line " (line)
                            } }
                        } } }
                    } }
                }
            }
        },
    };
    Ok(page(
        &viewer,
        "Compare manifests",
        "/check/diff",
        compare_form(&form, result),
    ))
}

fn compare_form(form: &DiffForm, result: Markup) -> Markup {
    html! {
        h1 { "Compare two manifests" }
        p { "What " code { "apptrust diff" } " says: which changes make a new major version that installed sites must consent to. Nothing is stored." }
        (result)
        section {
            form method="post" action="/check/diff" enctype="multipart/form-data" {
                div.grid2 {
                    div.field {
                        label for="old" { "Deployed now (old)" }
                        textarea #old name="old" rows="16" spellcheck="false" { (form.old) }
                        label for="old_file" { "or the old manifest's file" }
                        input #old_file type="file" name="old_file" accept=".yml,.yaml,text/yaml";
                    }
                    div.field {
                        label for="new" { "About to deploy (new)" }
                        textarea #new name="new" rows="16" spellcheck="false" { (form.new) }
                        label for="new_file" { "or the new manifest's file" }
                        input #new_file type="file" name="new_file" accept=".yml,.yaml,text/yaml";
                    }
                }
                button type="submit" { "Compare" }
            }
        }
    }
}
