//! The web pages: server-rendered HTML for the public (the directory, trust pages, the checker),
//! partners, staff and site admins. Templates are `maud` macros compiled into the binary; there
//! is no script: every flow is a link or a form. Pages read and act through the same handlers
//! as the JSON API, so a page can show or do exactly what its viewer's token could, no more.
//!
//! Forms are protected by the session's CSRF token in a hidden field, by the session cookie's
//! `SameSite=Strict` (a cross-site post arrives signed out) and by `Sec-Fetch-Site`.

mod admin;
mod annotate;
mod cases;
mod checker;
mod directory;
mod errors;
mod forms;
mod layout;
mod partner;
mod programs;
mod sign_in;
mod staff;
mod submission;
mod svg;
mod trust_page;
mod upload;
mod viewer;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::state::AppState;

pub use errors::{PageError, error_page};

/// The stylesheet, compiled in.
const STYLESHEET: &str = include_str!("apptrust.css");

/// The API's routes with every page's added.
pub fn with_pages(api: Router<AppState>) -> Router<AppState> {
    api.merge(router())
}

/// Every page's route. The sign-in form is small; the checker's take manifests.
fn router() -> Router<AppState> {
    let checker = Router::new()
        .route("/check", get(checker::form).post(checker::check))
        .route("/check/diff", get(checker::diff_form).post(checker::diff))
        .layer(DefaultBodyLimit::max(checker::MAX_FORM_BYTES));
    Router::new()
        .route("/", get(directory::show))
        .route("/apps/{key}", get(trust_page::show))
        .route(
            "/sign-in",
            get(sign_in::form)
                .post(sign_in::sign_in)
                .layer(DefaultBodyLimit::max(sign_in::MAX_FORM_BYTES)),
        )
        .route("/sign-out", post(sign_in::sign_out))
        .route("/admin", get(admin::home))
        .route("/admin/policy", post(admin::set_policy))
        .route("/admin/installations", post(admin::install))
        .route("/admin/installations/{id}", get(admin::installation))
        .route("/admin/installations/{id}/switches", post(admin::switches))
        .route("/admin/installations/{id}/consent", post(admin::consent))
        .route("/admin/escalations", post(admin::escalate))
        .route("/partner", get(partner::home))
        .route("/partner/apps", post(partner::register))
        .route("/partner/apps/{key}", get(partner::app))
        .route("/partner/apps/{key}/submissions", post(partner::submit))
        .route(
            "/partner/apps/{key}/environments/{env}/versions/{version}",
            get(partner::version),
        )
        .route("/submissions/{id}", get(submission::show))
        .route("/submissions/{id}/actions", post(submission::act))
        .route(
            "/submissions/{id}/checks/{requirement}",
            post(submission::act_on_check),
        )
        .route("/submissions/{id}/messages", post(submission::message))
        .route("/partner/apps/{key}/dry-run", get(programs::dry_run))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/settings", post(webhooks::save_settings))
        .route("/webhooks/{id}", get(webhooks::deliveries))
        .route("/webhooks/{id}/delete", post(webhooks::delete))
        .route("/escalations/{id}", get(cases::escalation))
        .route("/escalations/{id}/actions", post(cases::act_on_escalation))
        .route("/reviews/{id}", get(cases::review))
        .route("/reviews/{id}/actions", post(cases::act_on_review))
        .route("/programs", get(programs::list))
        .route("/programs/{key}", get(programs::show))
        .route(
            "/staff/editions",
            get(programs::editions).post(programs::publish),
        )
        .route("/staff", get(staff::home))
        .route("/staff/audit", get(staff::audit_log))
        .route("/static/apptrust.css", get(stylesheet))
        .merge(checker)
}

/// `GET /static/apptrust.css`: cached for a day; the page links it with the binary's version.
async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        STYLESHEET,
    )
}
