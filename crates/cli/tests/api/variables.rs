//! Deploy-time variable values: a deploy is evaluated with the `${NAME}` values it carries, as
//! `apptrust check --var` evaluates the same manifest, and so is every later use of the version.

use std::process::Command;

use serde_json::json;

use crate::support::{Db, TempDir, TestApp, binary, eventually, repo_path};

crate::on_both_databases!(
    deploys_are_evaluated_with_their_variable_values,
    variable_values_never_appear_in_answers,
    deploy_variables_are_bounded,
    the_deploy_command_sends_variable_values,
);

/// Declares `ANALYTICS_HOST` and uses it as an analytics egress address.
const NEEDS_VARIABLE: &str = include_str!("../fixtures/needs-variable.yml");
const FIXTURE: &str = "crates/cli/tests/fixtures/needs-variable.yml";
/// An approved analytics host: with it the manifest is eligible.
const HOST: &str = "eu.posthog.com";

fn deploys_are_evaluated_with_their_variable_values(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.vars");
    let deploy = |body: serde_json::Value| app.deploy(&token, "com.acme.vars", "production", body);

    // Without a value the declared variable cannot be deployed, as `check` says.
    let (status, body) = deploy(json!({"manifest": NEEDS_VARIABLE}));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "manifest-refused");
    assert_eq!(body["evaluation"]["verdict"], "blocked");

    // With it, the deploy is judged as `check --var ANALYTICS_HOST=...` judges it.
    let (status, body) = deploy(json!({
        "manifest": NEEDS_VARIABLE,
        "variables": {"ANALYTICS_HOST": HOST},
        "idempotencyKey": "first",
    }));
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["evaluation"]["verdict"], "eligible", "{body}");
    assert_eq!(body["version"], "1.0.0");
    assert_eq!(body["variables"], json!(["ANALYTICS_HOST"]), "names only");
    assert_eq!(body["badgeEvents"][0]["to"], "APPROVED");

    // A retry with the same key must carry the same values.
    let (status, body) = deploy(json!({
        "manifest": NEEDS_VARIABLE,
        "variables": {"ANALYTICS_HOST": "x.mixpanel.com"},
        "idempotencyKey": "first",
    }));
    assert_eq!(status, 409, "{body}");
    let (status, body) = deploy(json!({
        "manifest": NEEDS_VARIABLE,
        "variables": {"ANALYTICS_HOST": HOST},
        "idempotencyKey": "first",
    }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["replayed"], true);

    // The next deploy is compared with the previous version read with its own values: the
    // same manifest and values are a minor change, not one that needs consent.
    let (status, body) = deploy(json!({
        "manifest": NEEDS_VARIABLE,
        "variables": {"ANALYTICS_HOST": HOST},
    }));
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["version"], "1.1.0", "{body}");
    assert_eq!(body["change"]["major"], false, "{body}");

    // The values are kept for the version, never shown: the audit log and the version read
    // name the variable only.
    let (status, audit) = app.get("/api/v1/audit?limit=200", Some(&app.staff_token));
    assert_eq!(status, 200);
    let audit = audit.to_string();
    assert!(audit.contains("ANALYTICS_HOST"), "{audit}");
    assert!(!audit.contains(HOST), "a value in the audit log: {audit}");
    let (status, version) = app.get(
        "/api/v1/apps/com.acme.vars/environments/production/versions/1.0.0",
        Some(&token),
    );
    assert_eq!(status, 200);
    assert_eq!(version["variables"], json!(["ANALYTICS_HOST"]));

    // A newer rules engine evaluates the versions again with the values they were deployed
    // with: the badge stays.
    app.db
        .sql("UPDATE evaluations SET engine_version = '0.0.1+rules.0'")
        .unwrap();
    eventually("re-evaluation", || {
        app.db
            .sql("SELECT COUNT(*) FROM evaluations WHERE current = 1 AND engine_version = '0.0.1+rules.0'")
            .unwrap()
            == "0"
    });
    let verdicts = app
        .db
        .sql("SELECT verdict FROM evaluations WHERE current = 1 ORDER BY id")
        .unwrap();
    assert_eq!(verdicts, "eligible\neligible");
    let (_, trust) = app.get("/api/v1/apps/com.acme.vars/trust", None);
    assert_eq!(trust["programs"]["runsOnAtlassian"]["status"], "APPROVED");
    assert_eq!(trust["badgeEvents"].as_array().unwrap().len(), 1, "{trust}");
}

fn deploy_variables_are_bounded(db: Db) {
    let app = TestApp::spawn_configured(
        db,
        "max-deploy-variables = 2\nmax-deploy-variables-bytes = 100\n",
    );
    let token = app.partner("acme");
    app.app(&token, "com.acme.bounds");
    let deploy = |variables: serde_json::Value| {
        app.deploy(
            &token,
            "com.acme.bounds",
            "production",
            json!({"manifest": NEEDS_VARIABLE, "variables": variables}),
        )
    };
    let refused = |(status, body): (u16, serde_json::Value), says: &str| {
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "invalid", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    };
    refused(
        deploy(json!({"ANALYTICS_HOST": HOST, "A": "1", "B": "2"})),
        "max-deploy-variables",
    );
    refused(
        deploy(json!({"ANALYTICS_HOST": "h".repeat(90)})),
        "max-deploy-variables-bytes",
    );
    refused(deploy(json!({"ANALYTICS-HOST": HOST})), "variable name");
    let (status, body) = deploy(json!({"ANALYTICS_HOST": HOST}));
    assert_eq!(status, 201, "{body}");

    // Values may be long, but not so long that their placeholders blow the manifest up.
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.bomb");
    let placeholders = "  - ${ANALYTICS_HOST}\n".repeat(40);
    let manifest = format!("{NEEDS_VARIABLE}x-padding:\n{placeholders}");
    let (status, body) = app.deploy(
        &token,
        "com.acme.bomb",
        "production",
        json!({"manifest": manifest, "variables": {"ANALYTICS_HOST": "h".repeat(60_000)}}),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bytes of text"),
        "{body}"
    );
}

fn the_deploy_command_sends_variable_values(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.cli-vars");
    let run = |extra: &[&str]| {
        Command::new(binary())
            .args(["deploy", "--server", &app.url, "--app", "com.acme.cli-vars"])
            .args(extra)
            .arg(repo_path(FIXTURE))
            .env("APPTRUST_TOKEN", &token)
            // The process environment is never sent: only --var and --var-file values are.
            .env("ANALYTICS_HOST", HOST)
            .output()
            .unwrap()
    };
    let unsent = run(&["-e", "production"]);
    let stdout = String::from_utf8_lossy(&unsent.stdout);
    assert_eq!(unsent.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("not deployed: blocked"), "{stdout}");

    let flag = run(&[
        "-e",
        "production",
        "--var",
        &format!("ANALYTICS_HOST={HOST}"),
    ]);
    let stdout = String::from_utf8_lossy(&flag.stdout);
    assert_eq!(flag.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("deployed com.acme.cli-vars 1.0.0 to production: eligible"),
        "{stdout}"
    );

    let dir = TempDir::new("var-file");
    let file = dir.0.join("deploy.env");
    std::fs::write(&file, "ANALYTICS_HOST=stats.example.com\n").unwrap();
    let from_file = run(&[
        "--environment",
        "staging",
        "--var-file",
        file.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&from_file.stdout);
    assert_eq!(from_file.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("ANALYTICS_DOMAIN_NOT_APPROVED"), "{stdout}");
    // --var wins over --var-file.
    let both = run(&[
        "--env",
        "staging",
        "--var-file",
        file.to_str().unwrap(),
        "--var",
        &format!("ANALYTICS_HOST={HOST}"),
    ]);
    assert_eq!(
        both.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&both.stdout)
    );

    // `--env` names the environment, as everywhere: a `KEY=VALUE` there is a mistake.
    let mistaken = run(&["--env", &format!("ANALYTICS_HOST={HOST}")]);
    assert_eq!(mistaken.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&mistaken.stderr);
    assert!(stderr.contains("--var KEY=VALUE"), "{stderr}");
}

/// A value is used to judge the manifest, and every message that would quote it quotes the
/// placeholder instead: in a refusal, in a stored version, in its change report.
fn variable_values_never_appear_in_answers(db: Db) {
    const SECRET: &str = "sk-live-4f9a2c.tracking.example.net";
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.hidden");
    let (status, body) = app.deploy(
        &token,
        "com.acme.hidden",
        "production",
        json!({"manifest": NEEDS_VARIABLE, "variables": {"ANALYTICS_HOST": SECRET}}),
    );
    // Not an approved analytics host: refused, and the refusal explains it without the value.
    assert_eq!(status, 422, "{body}");
    let text = body.to_string();
    assert!(!text.contains(SECRET), "the value is shown: {text}");
    assert!(text.contains("${ANALYTICS_HOST}"), "{text}");
    let (_, told) = app.get("/api/v1/apps/com.acme.hidden/notifications", Some(&token));
    assert!(!told.to_string().contains(SECRET), "{told}");
}
