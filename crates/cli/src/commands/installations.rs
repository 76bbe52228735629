//! `apptrust installations`: a site admin's controls over the apps installed on their site, from
//! a script: list and show installations, switch analytics egress and logs access, read the
//! allow-list in force, ask for an egress decision, and read or answer the consent to a new
//! major. Exit codes: 0 done (`decide`: allowed), 1 denied (`decide`), 2 an error, including
//! every error the server answers (its `error.message` is printed).
//!
//! Requests and answers are the API's own types (`apptrust_api::installations`), the ones the
//! server reads and writes, so the client cannot drift from the server it talks to.

use std::time::Duration;

use apptrust_api::error::ErrorBody;
use apptrust_api::installations::{
    ConsentAnswer, ConsentStatus, ConsentView, EffectiveEgress, EgressDecision,
    EgressDecisionRequest, EgressEntry, Installation, InstallationList, SiteResidency,
    UpdateInstallation,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::args::{
    ClientArgs, InstallationArgs, InstallationsCommand, InstallationsConsentArgs,
    InstallationsDecideArgs, InstallationsListArgs, InstallationsSetArgs, ReportFormat, Switch,
};
use crate::output::emitln;

/// How often a request that changes nothing is tried again when the server is busy (429, 503).
const BUSY_RETRIES: u32 = 3;

/// The most pages `list` follows: a server that never stops paging is an error, not a hang.
const MAX_PAGES: usize = 100_000;

pub fn run(command: &InstallationsCommand) -> Result<u8, String> {
    match command {
        InstallationsCommand::List(args) => list(args),
        InstallationsCommand::Show(args) => show(args),
        InstallationsCommand::Set(args) => set(args),
        InstallationsCommand::Egress(args) => egress(args),
        InstallationsCommand::Decide(args) => decide(args),
        InstallationsCommand::Consent(args) => consent(args),
    }
}

fn list(args: &InstallationsListArgs) -> Result<u8, String> {
    let client = Client::new(&args.client)?;
    let what = format!("list the installations of {}", args.site);
    let mut query = Vec::new();
    if let Some(size) = args.page_size {
        query.push(format!("limit={size}"));
    }
    let path = format!("/api/v1/sites/{}/installations", encode(&args.site));
    let mut pages = Vec::new();
    let mut installations = Vec::new();
    let mut after = None;
    loop {
        if pages.len() >= MAX_PAGES {
            return Err(format!(
                "cannot {what}: the server kept paging past {MAX_PAGES} pages"
            ));
        }
        let mut query = query.clone();
        if let Some(after) = after {
            query.push(format!("after={after}"));
        }
        let page_path = if query.is_empty() {
            path.clone()
        } else {
            format!("{path}?{}", query.join("&"))
        };
        let (text, page) =
            client.call::<InstallationList>(&what, "GET", &page_path, None::<&()>)?;
        pages.push(text);
        installations.extend(page.installations);
        match page.next {
            None => break,
            // Ids only grow: a cursor that does not would page forever.
            Some(next) if after.is_some_and(|after| next <= after) => {
                return Err(format!(
                    "cannot {what}: the server's paging went backwards (next {next})"
                ));
            }
            Some(next) => after = Some(next),
        }
    }
    match args.client.format {
        ReportFormat::Json => emitln(&joined(&pages).map_err(|e| format!("cannot {what}: {e}"))?)?,
        ReportFormat::Human if installations.is_empty() => {
            emitln(&format!("{}: no installations", args.site))?;
        }
        ReportFormat::Human => {
            for installation in &installations {
                emitln(&line(installation))?;
            }
        }
    }
    Ok(0)
}

/// The pages of a list as one JSON document: one page as the server wrote it; several joined
/// into the first, with every installation as the server wrote it (the last page has no `next`).
fn joined(pages: &[String]) -> Result<String, String> {
    if let [only] = pages {
        return Ok(only.trim_end().to_string());
    }
    let mut all: Option<serde_json::Value> = None;
    for page in pages {
        let mut value: serde_json::Value =
            serde_json::from_str(page).map_err(|_| "the server's answer is not JSON")?;
        let items = value
            .get_mut("installations")
            .and_then(serde_json::Value::as_array_mut)
            .map(std::mem::take)
            .ok_or("the server's answer has no installations")?;
        match &mut all {
            None => {
                value["installations"] = serde_json::Value::Array(items);
                all = Some(value);
            }
            Some(all) => {
                if let Some(list) = all
                    .get_mut("installations")
                    .and_then(serde_json::Value::as_array_mut)
                {
                    list.extend(items);
                }
            }
        }
    }
    let mut all = all.unwrap_or_default();
    if let Some(object) = all.as_object_mut() {
        object.remove("next");
    }
    Ok(all.to_string())
}

fn show(args: &InstallationArgs) -> Result<u8, String> {
    let client = Client::new(&args.client)?;
    let (text, installation) = client.call::<Installation>(
        &format!("show installation {}", args.id),
        "GET",
        &format!("/api/v1/installations/{}", args.id),
        None::<&()>,
    )?;
    print(&args.client, &text, || details(&installation))?;
    Ok(0)
}

fn set(args: &InstallationsSetArgs) -> Result<u8, String> {
    let client = Client::new(&args.client)?;
    let body = UpdateInstallation {
        allow_analytics_egress: args.analytics_egress.map(on),
        allow_logs_access: args.logs_access.map(on),
        revision: args.revision,
    };
    if body.allow_analytics_egress.is_none() && body.allow_logs_access.is_none() {
        return Err("nothing to set: give --analytics-egress or --logs-access".into());
    }
    let (text, installation) = client.call::<Installation>(
        &format!("set installation {}", args.id),
        "PATCH",
        &format!("/api/v1/installations/{}", args.id),
        Some(&body),
    )?;
    print(&args.client, &text, || line(&installation))?;
    Ok(0)
}

fn egress(args: &InstallationArgs) -> Result<u8, String> {
    let client = Client::new(&args.client)?;
    let (text, egress) = client.call::<EffectiveEgress>(
        &format!("read the egress of installation {}", args.id),
        "GET",
        &format!("/api/v1/installations/{}/egress", args.id),
        None::<&()>,
    )?;
    print(&args.client, &text, || effective_egress(&egress))?;
    Ok(0)
}

fn decide(args: &InstallationsDecideArgs) -> Result<u8, String> {
    let client = Client::new(&args.client)?;
    let body = EgressDecisionRequest {
        url: args.url.clone(),
        list: args.list.clone(),
    };
    let (text, decision) = client.call::<EgressDecision>(
        &format!("decide egress for installation {}", args.id),
        "POST",
        &format!("/api/v1/installations/{}/egress/decisions", args.id),
        Some(&body),
    )?;
    print(&args.client, &text, || {
        match (decision.allowed, &decision.entry, &decision.reason) {
            (true, Some(entry), _) => format!("allowed by {}", entry_name(entry)),
            (true, None, _) => "allowed".to_string(),
            (false, _, Some(reason)) => format!("denied: {reason}"),
            (false, _, None) => "denied".to_string(),
        }
    })?;
    Ok(if decision.allowed { 0 } else { 1 })
}

fn consent(args: &InstallationsConsentArgs) -> Result<u8, String> {
    let client = Client::new(&args.client)?;
    let id = args.id;
    let (route, done, major) = match (args.accept, args.decline) {
        (Some(major), _) => ("consent", "accepted", major),
        (None, Some(major)) => ("decline", "declined", major),
        (None, None) => {
            let (text, view) = client.call::<ConsentView>(
                &format!("read the consent of installation {id}"),
                "GET",
                &format!("/api/v1/installations/{id}/consent"),
                None::<&()>,
            )?;
            print(&args.client, &text, || consent_view(&view))?;
            return Ok(0);
        }
    };
    let (text, installation) = client.call::<Installation>(
        &format!("answer major {major} for installation {id}"),
        "POST",
        &format!("/api/v1/installations/{id}/{route}"),
        Some(&ConsentAnswer { major }),
    )?;
    print(&args.client, &text, || {
        format!(
            "installation {id}: {done} major {major}; version in force {}, consent {}",
            installation.version.as_deref().unwrap_or("none"),
            consent_state(&installation.consent)
        )
    })?;
    Ok(0)
}

fn on(switch: Switch) -> bool {
    switch == Switch::On
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// The JSON body as the server wrote it, or the text for people.
fn print(client: &ClientArgs, text: &str, human: impl FnOnce() -> String) -> Result<(), String> {
    match client.format {
        ReportFormat::Json => emitln(text.trim_end()),
        ReportFormat::Human => emitln(human().trim_end()),
    }
}

/// `none`, `pending (offered 2.0.0)`, `declined (offered 3.0.0, declined major 3)`.
fn consent_state(consent: &ConsentStatus) -> String {
    let mut notes = Vec::new();
    if let Some(offered) = &consent.offered {
        notes.push(format!("offered {offered}"));
    }
    if let Some(major) = consent.declined_major {
        notes.push(format!("declined major {major}"));
    }
    if notes.is_empty() {
        consent.state.clone()
    } else {
        format!("{} ({})", consent.state, notes.join(", "))
    }
}

/// One line of `list` (and the answer of `set`).
fn line(installation: &Installation) -> String {
    let mut line = format!(
        "{}  {}  {}  analytics-egress {}  logs-access {}  consent {}",
        installation.id,
        installation.app,
        installation.version.as_deref().unwrap_or("-"),
        on_off(installation.allow_analytics_egress),
        on_off(installation.allow_logs_access),
        consent_state(&installation.consent),
    );
    if let Some(breaks) = &installation.policy_breaks {
        line.push_str(&format!("  FLAGGED: {}", breaks.join("; ")));
    }
    line
}

fn details(installation: &Installation) -> String {
    let mut out = format!(
        "installation {}: {} on {}\n",
        installation.id, installation.app, installation.site
    );
    out.push_str(&format!(
        "version in force: {} (major {})\n",
        installation.version.as_deref().unwrap_or("none"),
        installation.major
    ));
    out.push_str(&format!(
        "analytics egress: {}\n",
        on_off(installation.allow_analytics_egress)
    ));
    out.push_str(&format!(
        "logs access: {}\n",
        on_off(installation.allow_logs_access)
    ));
    out.push_str(&format!(
        "consent: {}\n",
        consent_state(&installation.consent)
    ));
    if let Some(breaks) = &installation.policy_breaks {
        out.push_str(&format!("FLAGGED: {}\n", breaks.join("; ")));
    }
    out.push_str(&format!(
        "revision {}; installed {}; updated {}\n",
        installation.revision, installation.installed_at, installation.updated_at
    ));
    out
}

/// `fetch.backend api.example.com`, `remotes https://store.example.com`.
fn entry_name(entry: &EgressEntry) -> String {
    format!("{} {}", entry.list, entry.address)
}

fn entry_line(entry: &EgressEntry) -> String {
    let mut notes = Vec::new();
    if let Some(remote) = &entry.remote {
        notes.push(format!("remote {remote}"));
    }
    if let Some(region) = &entry.region {
        notes.push(format!("region {region}"));
    }
    if let Some(category) = &entry.category {
        notes.push(category.clone());
    }
    if entry.analytics && entry.category.as_deref() != Some("analytics") {
        notes.push("analytics".to_string());
    }
    if entry.in_scope_eud {
        notes.push("in-scope EUD".to_string());
    }
    if notes.is_empty() {
        format!("  {}", entry_name(entry))
    } else {
        format!("  {} ({})", entry_name(entry), notes.join(", "))
    }
}

fn effective_egress(egress: &EffectiveEgress) -> String {
    let mut out = format!(
        "installation {}: {} {} on {}; analytics egress {}\n",
        egress.installation,
        egress.app,
        egress.version.as_deref().unwrap_or("(no version in force)"),
        egress.site,
        on_off(egress.allow_analytics_egress)
    );
    if egress.allowed.is_empty() {
        out.push_str("allowed: nothing\n");
    } else {
        out.push_str("allowed:\n");
        for entry in &egress.allowed {
            out.push_str(&entry_line(entry));
            out.push('\n');
        }
    }
    if egress.switched_off.is_empty() {
        out.push_str("switched off: nothing\n");
    } else {
        out.push_str("switched off (analytics egress off):\n");
        for entry in &egress.switched_off {
            out.push_str(&entry_line(entry));
            out.push('\n');
        }
    }
    out.push_str(&residency_line(egress.residency.as_ref()));
    out
}

fn residency_line(residency: Option<&SiteResidency>) -> String {
    let Some(residency) = residency else {
        return "residency: unknown (no version in force)\n".to_string();
    };
    let site = &residency.site_residency;
    if !residency.eud_may_leave_residency {
        return format!("residency: site in {site}; in-scope End-User Data stays in {site}\n");
    }
    let leaving: Vec<String> = residency
        .remotes
        .iter()
        .filter(|r| r.eud_may_leave_residency)
        .map(|r| format!("remote {}", r.key.as_deref().unwrap_or("(unnamed)")))
        .collect();
    format!(
        "residency: site in {site}; in-scope End-User Data may leave {site} ({} has no {site} URL)\n",
        if leaving.is_empty() {
            "a remote".to_string()
        } else {
            leaving.join(", ")
        }
    )
}

fn consent_view(view: &ConsentView) -> String {
    let mut out = format!(
        "installation {}: consent {}\n",
        view.installation, view.status.state
    );
    out.push_str(&format!(
        "version in force: {}\n",
        view.version.as_deref().unwrap_or("none")
    ));
    out.push_str(&format!(
        "offered: {}\n",
        view.status.offered.as_deref().unwrap_or("none")
    ));
    if let Some(major) = view.status.declined_major {
        out.push_str(&format!("declined: major {major}\n"));
    }
    if view.changes.is_empty() {
        out.push_str("changes: none\n");
    } else {
        out.push_str("changes:\n");
        for change in &view.changes {
            out.push_str(&format!("  {change}\n"));
        }
    }
    out
}

/// The server, the token and a connection to them.
struct Client {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl Client {
    fn new(args: &ClientArgs) -> Result<Client, String> {
        let token = args
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or("no API token: set APPTRUST_TOKEN (or pass --token, which other users can see in the process list)")?;
        let base = args.server.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!(
                "--server must be an http:// or https:// URL, not `{base}`"
            ));
        }
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(args.timeout.max(1)))
            .build();
        Ok(Client {
            base: base.to_string(),
            token: token.to_string(),
            agent,
        })
    }

    /// Sends the request; returns the answer's text and the answer read as `T`. An answer
    /// outside 2xx is an error with the server's message. `what` completes "cannot ...".
    fn call<T: DeserializeOwned>(
        &self,
        what: &str,
        method: &str,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<(String, T), String> {
        let url = format!("{}{path}", self.base);
        // Reads, and decisions (which change nothing), are safe to send again.
        let safe = method == "GET" || path.ends_with("/egress/decisions");
        let mut attempt = 0;
        let (status, text) = loop {
            let request = self
                .agent
                .request(method, &url)
                .set("Authorization", &format!("Bearer {}", self.token));
            let response = match body {
                Some(body) => request.send_json(body),
                None => request.call(),
            };
            let (status, retry_after, text) = match response {
                Ok(r) => (r.status(), None, r.into_string()),
                Err(ureq::Error::Status(status, r)) => {
                    let wait = r
                        .header("retry-after")
                        .and_then(|v| v.trim().parse::<u64>().ok());
                    (status, wait, r.into_string())
                }
                Err(ureq::Error::Transport(t)) => {
                    return Err(format!("cannot {what}: cannot reach {}: {t}", self.base));
                }
            };
            if safe && matches!(status, 429 | 503) && attempt < BUSY_RETRIES {
                attempt += 1;
                let wait = retry_after.unwrap_or(1).clamp(1, 10);
                eprintln!(
                    "apptrust installations: the server is busy ({status}); trying again in \
                     {wait} s ({attempt} of {BUSY_RETRIES})"
                );
                std::thread::sleep(Duration::from_secs(wait));
                continue;
            }
            break (status, text);
        };
        let text =
            text.map_err(|e| format!("cannot {what}: cannot read the server's answer: {e}"))?;
        if !(200..300).contains(&status) {
            let message = match serde_json::from_str::<ErrorBody>(&text) {
                Ok(error) => format!("{} ({})", error.error.message, error.error.code),
                Err(_) => format!("no error message (HTTP {status})"),
            };
            return Err(format!(
                "cannot {what}: the server answered {status}: {message}"
            ));
        }
        let value = serde_json::from_str(&text).map_err(|_| {
            if serde_json::from_str::<serde_json::Value>(&text).is_ok() {
                format!("cannot {what}: the server answered {status} with JSON of another shape")
            } else {
                format!(
                    "cannot {what}: the server answered {status} with something other than JSON"
                )
            }
        })?;
        Ok((text, value))
    }
}

/// Percent-encodes a path segment.
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
