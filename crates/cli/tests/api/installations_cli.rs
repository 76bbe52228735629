//! `apptrust installations`, the site admins' client, run as a binary against a real server: list
//! (every page), set a switch, the egress in force, decisions with their exit codes, consent to a
//! new major (read, then accept), and the server's and the network's errors (exit 2).

use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::installations::{install, manifest, site_with_admin};
use crate::support::{Db, TestApp, binary};

crate::on_both_databases!(the_installations_command_drives_an_admins_controls);

const SITE: &str = "customer.atlassian.net";

/// Runs `apptrust installations ARGS` with the server and token from the environment, as a
/// script would.
fn cli(app: &TestApp, token: &str, args: &[&str]) -> Output {
    Command::new(binary())
        .arg("installations")
        .args(args)
        .env("APPTRUST_SERVER", &app.url)
        .env("APPTRUST_TOKEN", token)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// Asserts the exit code, showing both streams when it is another.
fn exits(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

fn deploy(app: &TestApp, token: &str, key: &str, manifest: &str) -> Value {
    let (status, body) = app.deploy(token, key, "production", json!({"manifest": manifest}));
    assert_eq!(status, 201, "{body}");
    body
}

fn the_installations_command_drives_an_admins_controls(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let key = "com.acme.reports";
    let other = "com.acme.other";
    app.app(&acme, key);
    app.app(&acme, other);
    let admin = site_with_admin(&app, SITE, "EU", "admin@customer.test");
    let v1 = manifest(&["api.example.com"], &["eu.posthog.com"], true);
    deploy(&app, &acme, key, &v1);
    deploy(
        &app,
        &acme,
        other,
        &manifest(&["other.example.com"], &[], false),
    );
    let id = install(&app, &admin, SITE, key)["id"].as_i64().unwrap();
    let other_id = install(&app, &admin, SITE, other)["id"].as_i64().unwrap();
    let id_arg = id.to_string();
    let id_arg = id_arg.as_str();

    // list follows the pages to the end: one line per installation.
    let listed = cli(&app, &admin, &["list", "--site", SITE, "--page-size", "1"]);
    exits(&listed, 0);
    let text = stdout(&listed);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(
        lines[0],
        format!("{id}  {key}  1.0.0  analytics-egress on  logs-access on  consent none"),
        "{text}"
    );
    assert!(
        lines[1].starts_with(&format!("{other_id}  {other}  1.0.0  ")),
        "{text}"
    );
    assert!(!text.contains("FLAGGED"), "{text}");
    // As JSON: the pages joined into one list, each installation as the server wrote it.
    let listed = cli(
        &app,
        &admin,
        &[
            "list",
            "--site",
            SITE,
            "--page-size",
            "1",
            "--format",
            "json",
        ],
    );
    exits(&listed, 0);
    let joined: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let (_, shown) = app.get(&format!("/api/v1/installations/{id}"), Some(&admin));
    assert_eq!(joined["installations"][0], shown, "{joined}");
    assert_eq!(joined["installations"][1]["id"], other_id, "{joined}");
    assert!(joined.get("next").is_none(), "{joined}");
    // One page: the server's body as is.
    let listed = cli(&app, &admin, &["list", "--site", SITE, "-f", "json"]);
    exits(&listed, 0);
    let raw = ureq::get(&format!("{}/api/v1/sites/{SITE}/installations", app.url))
        .set("Authorization", &format!("Bearer {admin}"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert_eq!(stdout(&listed).trim_end(), raw.trim_end());

    // show, with --server and --token instead of the variables.
    let shown_cli = Command::new(binary())
        .args([
            "installations",
            "show",
            id_arg,
            "--server",
            &app.url,
            "--token",
            &admin,
        ])
        .env_remove("APPTRUST_SERVER")
        .env_remove("APPTRUST_TOKEN")
        .output()
        .unwrap();
    exits(&shown_cli, 0);
    let text = stdout(&shown_cli);
    assert!(
        text.contains(&format!("installation {id}: {key} on {SITE}")),
        "{text}"
    );
    assert!(text.contains("version in force: 1.0.0 (major 1)"), "{text}");
    assert!(text.contains("analytics egress: on"), "{text}");

    // Decisions before the switch: the analytics destination is allowed.
    let decided = cli(
        &app,
        &admin,
        &["decide", id_arg, "https://eu.posthog.com/capture"],
    );
    exits(&decided, 0);
    assert_eq!(
        stdout(&decided).trim(),
        "allowed by fetch.backend eu.posthog.com"
    );

    // set: analytics egress off; the answer is the installation's line.
    let set = cli(&app, &admin, &["set", id_arg, "--analytics-egress", "off"]);
    exits(&set, 0);
    assert!(
        stdout(&set).contains("analytics-egress off  logs-access on"),
        "{}",
        stdout(&set)
    );
    let (_, shown) = app.get(&format!("/api/v1/installations/{id}"), Some(&admin));
    assert_eq!(shown["allowAnalyticsEgress"], false, "{shown}");
    assert_eq!(shown["allowLogsAccess"], true, "{shown}");
    // At least one switch is needed: a usage error.
    let nothing = cli(&app, &admin, &["set", id_arg]);
    exits(&nothing, 2);

    // egress: the allow-list in force, the switched-off entry, the residency line.
    let egress = cli(&app, &admin, &["egress", id_arg]);
    exits(&egress, 0);
    let text = stdout(&egress);
    let (allowed, rest) = text.split_once("switched off").unwrap();
    assert!(
        allowed.contains("  fetch.backend api.example.com"),
        "{text}"
    );
    assert!(
        allowed.contains("  remotes https://eu.store.example.com"),
        "{text}"
    );
    assert!(!allowed.contains("eu.posthog.com"), "{text}");
    assert!(rest.contains("  fetch.backend eu.posthog.com"), "{text}");
    assert!(
        text.contains("residency: site in EU; in-scope End-User Data stays in EU"),
        "{text}"
    );
    let egress = cli(&app, &admin, &["egress", id_arg, "-f", "json"]);
    exits(&egress, 0);
    let body: Value = serde_json::from_slice(&egress.stdout).unwrap();
    assert_eq!(
        body["switchedOff"][0]["address"], "eu.posthog.com",
        "{body}"
    );

    // decide: allowed exits 0, denied exits 1 with the server's reason.
    let allowed = cli(
        &app,
        &admin,
        &["decide", id_arg, "https://API.example.com./v1"],
    );
    exits(&allowed, 0);
    assert_eq!(
        stdout(&allowed).trim(),
        "allowed by fetch.backend api.example.com"
    );
    let denied = cli(
        &app,
        &admin,
        &["decide", id_arg, "https://eu.posthog.com/capture"],
    );
    exits(&denied, 1);
    let text = stdout(&denied);
    assert!(text.starts_with("denied: "), "{text}");
    assert!(text.contains("analytics egress off"), "{text}");
    let stranger = cli(
        &app,
        &admin,
        &[
            "decide",
            id_arg,
            "https://evil.example.net/",
            "--format",
            "json",
        ],
    );
    exits(&stranger, 1);
    let body: Value = serde_json::from_slice(&stranger.stdout).unwrap();
    assert_eq!(body["allowed"], false, "{body}");

    // consent: a new major that adds egress waits; its changes, line by line; then accept.
    let v2 = manifest(
        &["api.example.com", "new.example.com"],
        &["eu.posthog.com"],
        true,
    );
    assert_eq!(deploy(&app, &acme, key, &v2)["version"], "2.0.0");
    let listed = cli(&app, &admin, &["list", "--site", SITE]);
    exits(&listed, 0);
    assert!(
        stdout(&listed).contains(&format!(
            "{id}  {key}  1.0.0  analytics-egress off  logs-access on  consent pending (offered 2.0.0)"
        )),
        "{}",
        stdout(&listed)
    );
    let consent = cli(&app, &admin, &["consent", id_arg]);
    exits(&consent, 0);
    let text = stdout(&consent);
    assert!(
        text.contains(&format!("installation {id}: consent pending")),
        "{text}"
    );
    assert!(text.contains("version in force: 1.0.0"), "{text}");
    assert!(text.contains("offered: 2.0.0"), "{text}");
    let (_, view) = app.get(&format!("/api/v1/installations/{id}/consent"), Some(&admin));
    let changes = view["changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "{view}");
    for change in changes {
        assert!(
            text.contains(&format!("  {}\n", change.as_str().unwrap())),
            "{text}"
        );
    }
    assert!(text.contains("new.example.com"), "{text}");
    let before = cli(
        &app,
        &admin,
        &["decide", id_arg, "https://new.example.com/"],
    );
    exits(&before, 1);

    // The wrong major is the server's refusal: its message, exit 2.
    let wrong = cli(&app, &admin, &["consent", id_arg, "--accept", "3"]);
    exits(&wrong, 2);
    assert!(stderr(&wrong).contains("409"), "{}", stderr(&wrong));
    let accepted = cli(&app, &admin, &["consent", id_arg, "--accept", "2"]);
    exits(&accepted, 0);
    assert!(
        stdout(&accepted).contains(&format!(
            "installation {id}: accepted major 2; version in force 2.0.0, consent none"
        )),
        "{}",
        stdout(&accepted)
    );
    let after = cli(
        &app,
        &admin,
        &["decide", id_arg, "https://new.example.com/"],
    );
    exits(&after, 0);
    assert_eq!(
        stdout(&after).trim(),
        "allowed by fetch.backend new.example.com"
    );

    // Decline the next major: the installation stays on 2.0.0.
    let v3 = manifest(
        &["api.example.com", "new.example.com", "third.example.com"],
        &[],
        true,
    );
    deploy(&app, &acme, key, &v3);
    let declined = cli(
        &app,
        &admin,
        &["consent", id_arg, "--decline", "3", "-f", "json"],
    );
    exits(&declined, 0);
    let body: Value = serde_json::from_slice(&declined.stdout).unwrap();
    assert_eq!(body["version"], "2.0.0", "{body}");
    assert_eq!(body["consent"]["state"], "declined", "{body}");
    let shown = cli(&app, &admin, &["show", id_arg]);
    exits(&shown, 0);
    assert!(
        stdout(&shown).contains("consent: declined (offered 3.0.0, declined major 3)"),
        "{}",
        stdout(&shown)
    );
    let both = cli(
        &app,
        &admin,
        &["consent", id_arg, "--accept", "3", "--decline", "3"],
    );
    exits(&both, 2);

    // Errors: the server's message and exit 2; no token; an unreachable server.
    let missing = cli(&app, &admin, &["show", "999999"]);
    exits(&missing, 2);
    assert!(stderr(&missing).contains("404"), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("no installation 999999"),
        "{}",
        stderr(&missing)
    );
    let neighbour = site_with_admin(
        &app,
        "neighbour.atlassian.net",
        "US",
        "admin@neighbour.test",
    );
    let foreign = cli(&app, &neighbour, &["list", "--site", SITE]);
    exits(&foreign, 2);
    assert!(stdout(&foreign).is_empty(), "{}", stdout(&foreign));
    let wrong_token = cli(&app, "apt_wrong", &["egress", id_arg]);
    exits(&wrong_token, 2);
    assert!(
        stderr(&wrong_token).contains("401"),
        "{}",
        stderr(&wrong_token)
    );
    let no_token = Command::new(binary())
        .args(["installations", "show", id_arg, "--server", &app.url])
        .env_remove("APPTRUST_TOKEN")
        .output()
        .unwrap();
    exits(&no_token, 2);
    assert!(
        stderr(&no_token).contains("APPTRUST_TOKEN"),
        "{}",
        stderr(&no_token)
    );
    let unreachable = Command::new(binary())
        .args([
            "installations",
            "decide",
            id_arg,
            "https://api.example.com/",
        ])
        .env("APPTRUST_SERVER", "http://127.0.0.1:9")
        .env("APPTRUST_TOKEN", &admin)
        .output()
        .unwrap();
    exits(&unreachable, 2);
    assert!(
        stderr(&unreachable).contains("cannot reach http://127.0.0.1:9"),
        "{}",
        stderr(&unreachable)
    );
}
