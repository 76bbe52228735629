//! The front page: a public directory of apps and their badges, so that a newcomer who opens the
//! server in a browser sees it working at once.

use apptrust_api::apps::SearchQuery;
use axum::extract::State;
use axum::response::Html;

use crate::error::ApiError;
use crate::openapi::responses as r;
use crate::state::AppState;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `GET /`.
#[utoipa::path(
    get,
    path = "/",
    operation_id = "indexPage",
    tag = "service",
    summary = "The front page: an HTML directory of apps and their badges (at most 200).",
    responses(
        (status = 200, description = "HTML.", body = String, content_type = "text/html"),
        (status = "default", response = r::ServerError),
    ),
    security(()),
)]
pub async fn index(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    let page = apptrust_service::search::search_apps(
        &state.store,
        SearchQuery::default(),
        200,
        state.settings.max_search_chars,
    )
    .await?;
    let mut rows = String::new();
    for app in &page.apps {
        let badges = if app.badges.is_empty() {
            "<span class=none>no badge</span>".to_string()
        } else {
            app.badges
                .iter()
                .map(|b| format!("<span class=badge>{}</span>", escape(b)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let key = escape(&app.key);
        rows.push_str(&format!(
            "<tr><td><a href=\"/api/v1/apps/{key}/trust\">{key}</a></td><td>{}</td><td>{}</td><td>{badges}</td></tr>\n",
            escape(&app.name),
            escape(&app.partner),
        ));
    }
    if page.apps.is_empty() {
        rows.push_str("<tr><td colspan=4>No apps yet. Start with <code>apptrust serve --demo</code>.</td></tr>");
    }
    Ok(Html(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>apptrust</title>\
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}table{{border-collapse:collapse;width:100%}}\
td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}}.badge{{background:#0052cc;color:#fff;border-radius:3px;padding:0 .4rem}}\
.none{{color:#777}}</style></head><body><h1>apptrust</h1>\
<p>Apps and the trust badges they carry. Each key links to its public trust document; the API is described at \
<a href=\"/api/openapi.json\">/api/openapi.json</a>.</p>\
<table><thead><tr><th>App</th><th>Name</th><th>Partner</th><th>Badges</th></tr></thead><tbody>\n{rows}</tbody></table></body></html>"
    )))
}
