//! Small helpers for forms and links: percent-encoding for query strings, and the notices a
//! page shows after a form posted back (by a fixed key, never text from the address bar).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

/// Percent-encodes a query-string value.
pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A local path to go back to, or `/`: never another site. Only visible ASCII is kept
/// (browsers drop tabs and line breaks from a `Location`, so `/\t/evil` would become
/// `//evil`), and neither `//` nor a backslash may start it.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && p.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// The notice for a `?done=` key, if it is one of ours.
pub fn notice(done: Option<&str>) -> Markup {
    let text = match done {
        Some("switches") => "The switches were saved.",
        Some("consented") => "Consent recorded: the new major applies to this installation.",
        Some("declined") => "Declined: the installation stays on its major.",
        Some("policy") => "The site policy was saved.",
        Some("installed") => "Installed.",
        Some("escalated") => "The escalation was raised; staff will pick it up.",
        Some("signed-out") => "You are signed out.",
        Some("moved") => "Done.",
        Some("sent") => "Message sent.",
        Some("registered") => "The app is registered.",
        Some("submitted") => "Submitted: staff will triage it.",
        Some("removed") => "The webhook was removed.",
        Some("settings") => "Your notification settings were saved.",
        Some("published") => "The edition is published.",
        _ => return html! {},
    };
    html! { p.notice.ok role="status" { (text) } }
}

/// The `?done=` of a page a form came back to.
#[derive(Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

/// Back to a page after a form (post, redirect, get): `to` is a path of this site.
pub fn see_other(to: impl Into<String>) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.into())]).into_response()
}

/// A day from a date input (`2027-06-30`) as the API reads times: the end of that day, UTC;
/// `None` when none was picked.
pub fn end_of_day(day: Option<&str>) -> Option<String> {
    day.filter(|d| !d.is_empty())
        .map(|d| format!("{d}T23:59:59Z"))
}
