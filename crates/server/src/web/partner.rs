//! `/partner`: a partner's workspace. Their apps with badges, registering an app, submissions
//! with who holds the ball, open escalations and annual reviews; one app's environments and versions with their verdicts, its
//! service levels and installations, and submitting it to a program; one version's evaluation
//! on its manifest and the change from the version before. Staff may open any app's pages.

use apptrust_api::apps::{CreateApp, SearchQuery};
use apptrust_api::paging::PageQuery;
use apptrust_api::submissions::{CreateSubmission, SubmissionQuery};
use apptrust_api::versions::{Finding, VersionQuery};
use apptrust_store::users::Role;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::{apps, environments, installations, signals, submissions, versions};
use crate::state::AppState;

use super::PageError;
use super::annotate::{Note, annotated};
use super::directory::badges;
use super::forms::{Done, csrf_field, notice, see_other};
use super::layout::page;
use super::staff::{escalation_table, open_cases, review_table};
use super::submission::ball;
use super::svg::slo_chart;
use super::trust_page::{day, reasons};
use super::viewer::Viewer;

/// Versions listed per environment on an app's page.
const VERSIONS_SHOWN: i64 = 20;

/// `GET /partner`.
pub async fn home(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    let user = signed_in.user();
    let Some(partner) = user.partner.clone().filter(|_| user.role == Role::Partner) else {
        return Err(
            ApiError::forbidden("this page is for partners; staff work from /staff").into(),
        );
    };
    let apps = apptrust_service::search::search_apps(
        &state.store,
        SearchQuery {
            partner: Some(partner.clone()),
            ..SearchQuery::default()
        },
        200,
        state.settings.max_search_chars,
    )
    .await
    .map_err(ApiError::from)?;
    let subs = submissions::list(
        State(state.clone()),
        signed_in.clone(),
        Ok(Query(SubmissionQuery {
            limit: Some(200),
            ..SubmissionQuery::default()
        })),
    )
    .await?
    .0;
    let (open_escalations, open_reviews) = open_cases(&state, &signed_in).await?;
    let body = html! {
        h1 { "Your apps" }
        (notice(done.done.as_deref()))
        section aria-labelledby="apps" {
            h2 #apps { "Apps" }
            @if apps.apps.is_empty() { p { "No app yet: register one below." } }
            @else {
                div.scroll tabindex="0" { table.stack {
                    thead { tr { th scope="col" { "App" } th scope="col" { "Badges" } } }
                    tbody { @for a in &apps.apps { tr {
                        td { a href={ "/partner/apps/" (a.key) } { (a.name) } br; code.muted { (a.key) } }
                        td { (badges(&a.badges)) }
                    } } }
                } }
            }
            form method="post" action="/partner/apps" {
                (csrf_field(&viewer.csrf))
                div.row {
                    div.field { label for="key" { "App key" } input #key type="text" name="key" required placeholder="com.example.app"; }
                    div.field { label for="name" { "Name" } input #name type="text" name="name" required; }
                    div.field { button type="submit" { "Register the app" } }
                }
            }
        }
        section aria-labelledby="submissions" {
            h2 #submissions { "Submissions" }
            (submission_table(&subs.submissions))
        }
        section aria-labelledby="escalations" {
            h2 #escalations { "Escalations about your apps" }
            (escalation_table(&open_escalations))
        }
        section aria-labelledby="reviews" {
            h2 #reviews { "Annual reviews" }
            (review_table(&open_reviews))
        }
        p { a href="/webhooks" { "Webhooks and notification settings" } }
    };
    Ok(page(&viewer, "Your apps", "/partner", body))
}

/// Submissions as a table, linking to each.
pub fn submission_table(list: &[apptrust_api::submissions::SubmissionSummary]) -> Markup {
    html! {
        @if list.is_empty() { p { "None." } }
        @else {
            div.scroll tabindex="0" { table.stack {
                thead { tr {
                    th scope="col" { "Submission" } th scope="col" { "Program" } th scope="col" { "State" }
                    th scope="col" { "Ball" } th scope="col" { "Due" } th scope="col" { "Last move" }
                } }
                tbody { @for s in list { tr {
                    td { a href={ "/submissions/" (s.id) } { "#" (s.id) " " (s.app) } }
                    td { (s.program) }
                    td { (s.state) }
                    td { (ball(&s.ball)) }
                    td { (s.due.as_deref().map(day).unwrap_or("")) }
                    td { (day(&s.updated_at)) }
                } } }
            } }
        }
    }
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    key: String,
    name: String,
}

/// `POST /partner/apps`.
pub async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<RegisterForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let key = form.key.trim().to_string();
    let body = ApiJson(CreateApp {
        key: key.clone(),
        name: form.name.trim().to_string(),
        partner: None,
        framework: None,
        forge_app_id: None,
    });
    let _created = apps::create(State(state), signed_in, body).await?;
    Ok(see_other(format!("/partner/apps/{key}?done=registered")))
}

/// `GET /partner/apps/{key}`.
pub async fn app(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    let shown = apps::show(State(state.clone()), signed_in.clone(), Path(key.clone()))
        .await?
        .0;
    let envs = environments::list(
        State(state.clone()),
        signed_in.clone(),
        Path(key.clone()),
        Ok(Query(PageQuery {
            after: None,
            limit: Some(50),
        })),
    )
    .await?
    .0;
    let mut per_env = Vec::new();
    for env in &envs.environments {
        let list = versions::list(
            State(state.clone()),
            signed_in.clone(),
            Path((key.clone(), env.name.clone())),
            Ok(Query(VersionQuery {
                before: None,
                limit: Some(VERSIONS_SHOWN),
            })),
        )
        .await?
        .0;
        per_env.push((env.name.clone(), list.versions));
    }
    let slos = signals::slos(State(state.clone()), signed_in.clone(), Path(key.clone()))
        .await?
        .0;
    let installs =
        installations::counts(State(state.clone()), signed_in.clone(), Path(key.clone()))
            .await?
            .0;
    let body = html! {
        p { a href="/partner" { "← Your apps" } }
        h1 { (shown.app.name) }
        p.muted { code { (shown.app.key) } " · " a href={ "/apps/" (shown.app.key) } { "public trust page" } }
        (notice(done.done.as_deref()))
        section aria-labelledby="versions" {
            h2 #versions { "Environments and versions" }
            @if per_env.iter().all(|(_, v)| v.is_empty()) {
                p { "Nothing deployed yet. Deploy with " code { "apptrust deploy" } " or from the platform's pipeline." }
            }
            @for (env, list) in &per_env {
                @if !list.is_empty() {
                    h3 { (env) }
                    div.scroll tabindex="0" { table.stack {
                        thead { tr {
                            th scope="col" { "Version" } th scope="col" { "Verdict" }
                            th scope="col" { "Rules" } th scope="col" { "Deployed" }
                        } }
                        tbody { @for v in list { tr {
                            td { a href={ "/partner/apps/" (key) "/environments/" (env) "/versions/" (v.version) } { (v.version) } }
                            td { (verdict_badge(&v.evaluation.verdict)) }
                            td { @for r in &v.evaluation.rules { code { (r) } " " } }
                            td { (day(&v.deployed_at)) " by " (v.reported_by) }
                        } } }
                    } }
                }
            }
        }
        section aria-labelledby="submit" {
            h2 #submit { "Submit to Cloud Fortified" }
            form method="post" action={ "/partner/apps/" (key) "/submissions" } {
                (csrf_field(&viewer.csrf))
                input type="hidden" name="program" value="cloud-fortified";
                p.muted { "Staff triage the submission and track each requirement with you." }
                button type="submit" { "Submit" }
            }
            p { a href={ "/partner/apps/" (key) "/dry-run" } { "Dry run against a requirement set" }
                " (the one in force, or one announced: see " a href="/programs/cloud-fortified" { "the change notices" } ")" }
        }
        section aria-labelledby="installs" {
            h2 #installs { "Installations" }
            p { (installs.installations) " site(s)"
                @if let Some(major) = installs.latest_major { "; newest major " (major) } }
            @if !installs.by_major.is_empty() {
                ul { @for m in &installs.by_major {
                    li { "major " (m.major) ": " (m.installations) " installed, " (m.pending) " waiting for consent, " (m.declined) " declined" }
                } }
            }
        }
        section aria-labelledby="slos" {
            h2 #slos { "Service levels (28 days)" }
            @if slos.slos.is_empty() { p { "No measurements yet." } }
            @for slo in &slos.slos { (slo_chart(slo)) }
        }
    };
    Ok(page(&viewer, &shown.app.name, "/partner", body))
}

fn verdict_badge(verdict: &str) -> Markup {
    let class = if verdict == "eligible" { "ok" } else { "bad" };
    html! { span class={ "badge " (class) } { (verdict) } }
}

#[derive(Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    csrf: String,
    program: String,
}

/// `POST /partner/apps/{key}/submissions`.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    axum::Form(form): axum::Form<SubmitForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let body = ApiJson(CreateSubmission {
        program: form.program,
    });
    let (_, opened) = submissions::open(State(state), signed_in, Path(key), body).await?;
    Ok(see_other(format!(
        "/submissions/{}?done=submitted",
        opened.0.id
    )))
}

/// `GET /partner/apps/{key}/environments/{env}/versions/{version}`.
pub async fn version(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, env, version)): Path<(String, String, String)>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    let v = versions::show(
        State(state),
        signed_in,
        Path((key.clone(), env.clone(), version)),
    )
    .await?
    .0;
    let findings: Vec<Finding> = v
        .evaluation
        .findings
        .clone()
        .and_then(|f| serde_json::from_value(f).ok())
        .unwrap_or_default();
    let notes: Vec<Note> = findings.iter().map(Note::from).collect();
    let change: Option<apptrust_api::versions::ChangeReport> = v
        .change
        .clone()
        .and_then(|c| serde_json::from_value(c).ok());
    let body = html! {
        p { a href={ "/partner/apps/" (key) } { "← " (key) } }
        h1 { (key) " " (v.version) " in " (env) }
        section aria-labelledby="evaluation" {
            h2 #evaluation { "Evaluation" }
            p { (verdict_badge(&v.evaluation.verdict)) " · engine " code { (v.evaluation.engine_version) } " · " (day(&v.evaluation.evaluated_at)) }
            @if !v.evaluation.rules.is_empty() { h3 { "Rules that fire" } (reasons(&v.evaluation.rules)) }
            @if !v.evaluation.blockers.is_empty() { h3 { "Deploy blockers" } (reasons(&v.evaluation.blockers)) }
            @if v.evaluation.findings_omitted > 0 {
                p.muted { (v.evaluation.findings_omitted) " more findings were not kept; " code { "apptrust check" } " shows them all." }
            }
        }
        @if let Some(change) = &change {
            section aria-labelledby="change" {
                h2 #change { "Change from the version before" }
                p { @if change.major { span.badge.bad { "major" } " installed sites must consent" } @else { span.badge.none { "minor" } } }
                ul { @for c in &change.changes { li { (c.impact) " " (c.area) ": " (c.description) } } }
            }
        }
        section aria-labelledby="manifest" {
            h2 #manifest { "The manifest, annotated" }
            @match &v.manifest {
                Some(text) => { (annotated(text, &notes)) }
                None => { p { "The manifest text is not kept for this version." } }
            }
        }
    };
    Ok(page(
        &viewer,
        &format!("{key} {}", v.version),
        "/partner",
        body,
    ))
}
