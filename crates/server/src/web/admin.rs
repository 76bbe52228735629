//! `/admin`: a site admin's app administration. The site's installations with their switches
//! and consent states, installing an app (refused with reasons when the site's policy says
//! no), the site's policy, and raising an escalation about an installed app; and one
//! installation's page with its effective egress and the diff of a major waiting for consent.
//! Staff may open any site's (`/admin?site=KEY`). Every read and change goes through the API's
//! own handlers, so it is authorised and audited exactly as the API is.

use apptrust_api::escalations::RaiseEscalation;
use apptrust_api::installations::{
    ConsentAnswer, ConsentView, CreateInstallation, EffectiveEgress, EgressEntry, Installation,
    UpdateInstallation, UpdateSitePolicy,
};
use apptrust_api::paging::PageQuery;
use apptrust_programs::Program;
use apptrust_store::users::Role;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::{HotCaller, SignedIn};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::{escalations, installations, sites};
use crate::state::AppState;

use super::PageError;
use super::forms::{csrf_field, encode, notice, see_other};
use super::layout::page;
use super::viewer::Viewer;

/// The badges a site policy may require, in the order a buyer cares about them.
const REQUIRABLE: [Program; 4] = [
    Program::RunsOnAtlassian,
    Program::CloudFortified,
    Program::CloudSecurityParticipant,
    Program::BugBountyParticipant,
];

#[derive(Deserialize)]
pub struct AdminQuery {
    site: Option<String>,
    done: Option<String>,
    /// The paging cursor of the installations (the previous page's last id).
    after: Option<i64>,
}

/// The site a viewer administers: a site admin's own; for staff, the one asked for.
fn site_of(signed_in: &SignedIn, asked: Option<&str>) -> Result<String, PageError> {
    let user = signed_in.user();
    match user.role {
        Role::SiteAdmin => Ok(user.site.clone().unwrap_or_default()),
        Role::Staff => asked
            .map(str::to_string)
            .ok_or_else(|| ApiError::bad_request("staff: open /admin?site=KEY").into()),
        _ => Err(ApiError::forbidden("site administration is for site admins and staff").into()),
    }
}

/// `GET /admin`.
pub async fn home(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<AdminQuery>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    let site_key = site_of(&signed_in, query.site.as_deref())?;
    let site = sites::show(
        State(state.clone()),
        signed_in.clone(),
        Path(site_key.clone()),
    )
    .await?
    .0;
    let list = sites::installations(
        State(state.clone()),
        signed_in.clone(),
        Path(site_key.clone()),
        Ok(Query(PageQuery {
            after: query.after,
            limit: Some(200),
        })),
    )
    .await?
    .0;
    let pending = list
        .installations
        .iter()
        .filter(|i| i.consent.state == "pending")
        .count();
    let body = html! {
        h1 { "Site administration" }
        p.muted { code { (site.key) } " · data residency " strong { (site.residency) } }
        (notice(query.done.as_deref()))
        @if pending > 0 {
            p.notice.warn role="status" { (pending) " installation(s) wait for your consent to a new major version." }
        }
        section aria-labelledby="installed" {
            h2 #installed { "Installed apps" }
            @if list.installations.is_empty() {
                p { "No app is installed yet." }
            } @else {
                div.scroll tabindex="0" { table.stack {
                    thead { tr {
                        th scope="col" { "App" } th scope="col" { "Version" }
                        th scope="col" { "Analytics egress" } th scope="col" { "Logs access" }
                        th scope="col" { "Consent" } th scope="col" { "Policy" }
                    } }
                    tbody { @for i in &list.installations { tr {
                        td { a href={ "/admin/installations/" (i.id) } { (i.app) } }
                        td { (i.version.as_deref().unwrap_or("none yet")) " (major " (i.major) ")" }
                        td { (on_off(i.allow_analytics_egress)) }
                        td { (on_off(i.allow_logs_access)) }
                        td { (consent_state(i)) }
                        td { @match &i.policy_breaks {
                            Some(breaks) if !breaks.is_empty() => { span.badge.bad { "broken" } " " (breaks.join("; ")) }
                            _ => { span.badge.ok { "ok" } }
                        } }
                    } } }
                } }
            }
            @if let Some(next) = list.next {
                nav.pager aria-label="Pages" {
                    a href={ "/admin?site=" (encode(&site.key)) "&after=" (next) } rel="next" { "Next installations" }
                }
            }
            form method="post" action="/admin/installations" {
                (csrf_field(&viewer.csrf))
                input type="hidden" name="site" value=(site.key);
                div.row {
                    div.field {
                        label for="app" { "Install an app (its key)" }
                        input #app type="text" name="app" required placeholder="com.example.app";
                    }
                    div.field { button type="submit" { "Install" } }
                }
            }
        }
        section aria-labelledby="policy" {
            h2 #policy { "Site policy" }
            form method="post" action="/admin/policy" {
                (csrf_field(&viewer.csrf))
                input type="hidden" name="site" value=(site.key);
                fieldset {
                    legend { "New installations must carry" }
                    @for program in REQUIRABLE {
                        label {
                            input type="checkbox" name=(program.key())
                                checked[site.policy.required_badges.iter().any(|b| b == program.key())];
                            " " (program.name())
                        }
                        br;
                    }
                }
                label {
                    input type="checkbox" name="analytics_default"
                        checked[site.policy.analytics_egress_default];
                    " Analytics egress on for new installations"
                }
                p { button type="submit" { "Save policy" } }
            }
        }
        @if !list.installations.is_empty() {
            section aria-labelledby="escalate" {
                h2 #escalate { "Raise an escalation" }
                p.muted { "Tell the marketplace's staff about a problem with an app installed here." }
                form method="post" action="/admin/escalations" {
                    (csrf_field(&viewer.csrf))
                    input type="hidden" name="site" value=(site.key);
                    div.field {
                        label for="esc-app" { "App" }
                        select #esc-app name="app" {
                            @for i in &list.installations { option value=(i.app) { (i.app) } }
                        }
                    }
                    div.field {
                        label for="reason" { "What happened" }
                        textarea #reason name="reason" rows="4" required {}
                    }
                    button type="submit" { "Raise escalation" }
                }
            }
        }
    };
    Ok(page(&viewer, "Site administration", "/admin", body))
}

fn on_off(on: bool) -> Markup {
    html! { @if on { span.badge.ok { "on" } } @else { span.badge.none { "off" } } }
}

fn consent_state(i: &Installation) -> Markup {
    html! {
        @match i.consent.state.as_str() {
            "pending" => { a.badge.warn href={ "/admin/installations/" (i.id) "#consent" } {
                (i.consent.offered.as_deref().unwrap_or("new major")) " waits" } }
            "declined" => { span.badge.none { "declined major " (i.consent.declined_major.unwrap_or(0)) } }
            _ => { span.badge.ok { "up to date" } }
        }
    }
}

/// `GET /admin/installations/{id}`.
pub async fn installation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(query): Query<AdminQuery>,
) -> Result<Markup, PageError> {
    let signed_in = viewer.require()?.clone();
    let shown = installations::show(State(state.clone()), signed_in.clone(), Path(id))
        .await?
        .0;
    let egress =
        installations::egress(State(state.clone()), HotCaller(signed_in.clone()), Path(id))
            .await?
            .0;
    let consent = installations::show_consent(State(state.clone()), signed_in, Path(id))
        .await?
        .0;
    let body = html! {
        p { a href={ "/admin?site=" (encode(&shown.site)) } { "← " (shown.site) } }
        h1 { (shown.app) }
        (notice(query.done.as_deref()))
        p.muted {
            "Version " (shown.version.as_deref().unwrap_or("none yet")) " (major " (shown.major) ") · "
            a href={ "/apps/" (shown.app) } { "trust page" }
        }
        @if let Some(breaks) = shown.policy_breaks.as_ref().filter(|b| !b.is_empty()) {
            p.notice.bad role="alert" { "This installation breaks the site's policy: " (breaks.join("; ")) }
        }
        section aria-labelledby="switches" {
            h2 #switches { "Switches" }
            form method="post" action={ "/admin/installations/" (id) "/switches" } {
                (csrf_field(&viewer.csrf))
                input type="hidden" name="revision" value=(shown.revision);
                label {
                    input type="checkbox" name="analytics" checked[shown.allow_analytics_egress];
                    " Allow analytics egress"
                }
                br;
                label {
                    input type="checkbox" name="logs" checked[shown.allow_logs_access];
                    " Allow the partner to read this installation's logs"
                }
                p { button type="submit" { "Save switches" } }
            }
        }
        (consent_section(&viewer, id, &consent, viewer.role() == Some(Role::SiteAdmin)))
        (egress_section(&egress))
    };
    Ok(page(&viewer, &shown.app, "/admin", body))
}

/// What waits for consent, and the answers when `may_answer` (the site's admins answer;
/// staff see).
fn consent_section(viewer: &Viewer, id: i64, consent: &ConsentView, may_answer: bool) -> Markup {
    let major = consent
        .status
        .offered
        .as_deref()
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    html! {
        section aria-labelledby="consent" {
            h2 #consent { "Consent" }
            @match (consent.status.state.as_str(), major) {
                ("pending" | "declined", Some(major)) => {
                    @if consent.status.state == "declined" {
                        p.notice.info { "You declined major " (major) "; the installation stays on its major. You may still consent." }
                    }
                    p { "Version " strong { (consent.status.offered.as_deref().unwrap_or("")) }
                        " is a new major: it applies here only if you consent. What it adds or changes:" }
                    ul.changes { @for change in &consent.changes { li { (change) } } }
                    @if may_answer {
                        div.row {
                            form method="post" action={ "/admin/installations/" (id) "/consent" } {
                                (csrf_field(&viewer.csrf))
                                input type="hidden" name="major" value=(major);
                                input type="hidden" name="answer" value="consent";
                                button type="submit" { "Consent to major " (major) }
                            }
                            @if consent.status.state == "pending" {
                                form method="post" action={ "/admin/installations/" (id) "/consent" } {
                                    (csrf_field(&viewer.csrf))
                                    input type="hidden" name="major" value=(major);
                                    input type="hidden" name="answer" value="decline";
                                    button.secondary type="submit" { "Decline major " (major) }
                                }
                            }
                        }
                    }
                }
                _ => { p { "Nothing waits for consent: the installation runs the app's newest major." } }
            }
        }
    }
}

fn egress_section(egress: &EffectiveEgress) -> Markup {
    html! {
        section aria-labelledby="egress" {
            h2 #egress { "Effective egress" }
            p.muted { "Where the app may send data from this site now." }
            (entries(&egress.allowed, "Nothing: the app reaches no address outside Atlassian."))
            @if !egress.switched_off.is_empty() {
                h3 { "Switched off (analytics)" }
                (entries(&egress.switched_off, ""))
            }
            @if let Some(r) = &egress.residency {
                h3 { "Data residency" }
                p {
                    "Site residency " strong { (r.site_residency) } ": "
                    @if r.eud_may_leave_residency {
                        span.badge.bad { "end-user data may leave it" }
                    } @else {
                        span.badge.ok { "end-user data stays in it" }
                    }
                }
            }
        }
    }
}

fn entries(list: &[EgressEntry], empty: &str) -> Markup {
    html! {
        @if list.is_empty() {
            p { (empty) }
        } @else {
            div.scroll tabindex="0" { table.stack {
                thead { tr {
                    th scope="col" { "Address" } th scope="col" { "List" }
                    th scope="col" { "Category" } th scope="col" { "In-scope EUD" }
                } }
                tbody { @for e in list { tr {
                    td { code { (e.address) } }
                    td { code { (e.list) } }
                    td { (e.category.as_deref().unwrap_or("")) @if e.analytics && e.category.as_deref() != Some("analytics") { " (analytics)" } }
                    td { (if e.in_scope_eud { "yes" } else { "no" }) }
                } } }
            } }
        }
    }
}

#[derive(Deserialize)]
pub struct SwitchesForm {
    #[serde(default)]
    csrf: String,
    revision: Option<i64>,
    analytics: Option<String>,
    logs: Option<String>,
}

/// `POST /admin/installations/{id}/switches`.
pub async fn switches(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<SwitchesForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let body = UpdateInstallation {
        allow_analytics_egress: Some(form.analytics.is_some()),
        allow_logs_access: Some(form.logs.is_some()),
        revision: form.revision,
    };
    let _saved = installations::update(State(state), signed_in, Path(id), ApiJson(body)).await?;
    Ok(see_other(format!(
        "/admin/installations/{id}?done=switches"
    )))
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    csrf: String,
    major: u32,
    answer: String,
}

/// `POST /admin/installations/{id}/consent`: consents to or declines the offered major.
pub async fn consent(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ConsentForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let body = ApiJson(ConsentAnswer { major: form.major });
    let done = match form.answer.as_str() {
        "consent" => {
            let _saved =
                installations::give_consent(State(state), signed_in, Path(id), body).await?;
            "consented"
        }
        "decline" => {
            let _saved = installations::decline(State(state), signed_in, Path(id), body).await?;
            "declined"
        }
        _ => return Err(ApiError::unprocessable("answer `consent` or `decline`").into()),
    };
    Ok(see_other(format!("/admin/installations/{id}?done={done}")))
}

#[derive(Deserialize)]
pub struct InstallForm {
    #[serde(default)]
    csrf: String,
    site: String,
    app: String,
}

/// `POST /admin/installations`: installs an app, or shows why the site's policy refuses it.
pub async fn install(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<InstallForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let body = ApiJson(CreateInstallation {
        app: form.app.trim().to_string(),
    });
    let (_, installed) =
        sites::install(State(state), signed_in, Path(form.site.clone()), body).await?;
    Ok(see_other(format!(
        "/admin/installations/{}?done=installed",
        installed.0.id
    )))
}

/// `POST /admin/policy`: the form's fields are `csrf`, `site`, `analytics_default` and one
/// checkbox per badge, named by its key; the whole policy is saved (every badge is on the form).
pub async fn set_policy(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let signed_in = viewer.check_csrf(field("csrf").unwrap_or(""))?.clone();
    let site = field("site").unwrap_or("").to_string();
    let required = REQUIRABLE
        .iter()
        .filter(|p| field(p.key()).is_some())
        .map(|p| p.key().to_string())
        .collect();
    let body = ApiJson(UpdateSitePolicy {
        required_badges: Some(required),
        analytics_egress_default: Some(field("analytics_default").is_some()),
    });
    let _saved = sites::update_policy(State(state), signed_in, Path(site.clone()), body).await?;
    Ok(see_other(format!(
        "/admin?site={}&done=policy",
        encode(&site)
    )))
}

#[derive(Deserialize)]
pub struct EscalationForm {
    #[serde(default)]
    csrf: String,
    site: String,
    app: String,
    reason: String,
}

/// `POST /admin/escalations`: a customer escalation about an installed app.
pub async fn escalate(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<EscalationForm>,
) -> Result<Response, PageError> {
    let signed_in = viewer.check_csrf(&form.csrf)?.clone();
    let body = ApiJson(RaiseEscalation {
        program: "cloud-fortified".to_string(),
        reason: form.reason,
    });
    let _saved = escalations::raise(State(state), signed_in, Path(form.app.clone()), body).await?;
    Ok(see_other(format!(
        "/admin?site={}&done=escalated",
        encode(&form.site)
    )))
}
