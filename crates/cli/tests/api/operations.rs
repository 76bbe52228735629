//! Running the service: migrations, bootstrap, configuration, health, metrics, the OpenAPI
//! document, the front page and the `deploy` client.

use std::process::Command;

use serde_json::json;

use crate::support::{Db, ELIGIBLE, TempDir, TestApp, TestDb, binary, for_app, repo_path};

crate::on_both_databases!(
    migrate_is_repeatable_and_bootstrap_happens_once,
    the_deploy_command_prints_the_verdict_and_exits_like_check,
    health_metrics_and_the_front_page_answer,
);

fn migrate_is_repeatable_and_bootstrap_happens_once(db: Db) {
    let db = TestDb::new(db);
    for _ in 0..2 {
        let output = Command::new(binary())
            .args(["migrate", "--database", &db.url])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let first = Command::new(binary())
        .args(["admin", "bootstrap", "--database", &db.url])
        .output()
        .unwrap();
    assert!(first.status.success());
    assert!(
        String::from_utf8_lossy(&first.stdout)
            .trim()
            .starts_with("apt_")
    );
    let second = Command::new(binary())
        .args(["admin", "bootstrap", "--database", &db.url])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already has a staff user"));
}

fn the_deploy_command_prints_the_verdict_and_exits_like_check(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.cli");
    // The examples as versions of this app's own Forge app, in files as a pipeline has them.
    let copies = TempDir::new("deploy-cli");
    let run = |manifest: &str, token: &str, extra: &[&str]| {
        let text = std::fs::read_to_string(repo_path(manifest)).unwrap();
        let copy = copies.0.join(manifest.replace('/', "-"));
        std::fs::write(&copy, for_app(&text, "com.acme.cli")).unwrap();
        Command::new(binary())
            .args([
                "deploy",
                "--server",
                &app.url,
                "--app",
                "com.acme.cli",
                "--env",
                "production",
            ])
            .args(extra)
            .arg(&copy)
            .env("APPTRUST_TOKEN", token)
            .output()
            .unwrap()
    };
    let ok = run("examples/eligible/manifest.yml", &token, &[]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("deployed com.acme.cli 1.0.0 to production: eligible"),
        "{stdout}"
    );
    assert!(
        stdout.contains("badge runsOnAtlassian: NOT_A_PARTICIPANT -> APPROVED"),
        "{stdout}"
    );

    let lost = run("examples/not-eligible/manifest.yml", &token, &[]);
    let stdout = String::from_utf8_lossy(&lost.stdout);
    assert_eq!(lost.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("HAS_REMOTES"), "{stdout}");
    assert!(stdout.contains("major (needs admin consent)"), "{stdout}");

    let blocked = run(
        "examples/blocked/manifest.yml",
        &token,
        &["--format", "json"],
    );
    assert_eq!(blocked.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&blocked.stdout).unwrap();
    assert_eq!(json["evaluation"]["verdict"], "blocked");

    // The server's answer, printed as JSON, names members as the CLI does: camelCase, also in
    // the change report and findings the rules engine wrote.
    let back = run(
        "examples/eligible/manifest.yml",
        &token,
        &["--format", "json"],
    );
    let printed = String::from_utf8_lossy(&back.stdout);
    assert_eq!(back.status.code(), Some(0), "{printed}");
    let value: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert!(value["change"]["rulesBefore"].is_array(), "{printed}");
    let mut names = Vec::new();
    snake_case_members(&value, &mut names);
    assert!(names.is_empty(), "snake_case members: {names:?}");

    let refused = run("examples/eligible/manifest.yml", "apt_wrong", &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("401"));
    let unreachable = Command::new(binary())
        .args([
            "deploy",
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "t",
            "--app",
            "a",
            "--env",
            "e",
        ])
        .arg(repo_path("examples/eligible/manifest.yml"))
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach"));
}

/// Every object member name in `value` (at any depth) that holds an underscore.
fn snake_case_members(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            out.extend(map.keys().filter(|k| k.contains('_')).cloned());
            map.values().for_each(|v| snake_case_members(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| snake_case_members(v, out)),
        _ => {}
    }
}

fn health_metrics_and_the_front_page_answer(db: Db) {
    let app = TestApp::spawn(db);
    let (status, ready) = app.get("/readyz", None);
    assert_eq!(status, 200);
    assert_eq!(
        ready["database"],
        if db == Db::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
    let token = app.partner("acme");
    app.app(&token, "com.acme.m");
    app.deploy(
        &token,
        "com.acme.m",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    app.get("/api/v1/apps/com.acme.m/trust", None);
    let (status, _) = app.request("FROBNICATE", "/api/v1/apps/com.acme.m/trust", None, None);
    assert_eq!(status, 405);
    let (_, metrics) = app.get("/metrics", None);
    let metrics = metrics.as_str().unwrap().to_string();
    assert!(metrics.contains("apptrust_http_requests_total{route=\"/api/v1/apps/{app}/trust\",method=\"GET\",status=\"200\"} 1"), "{metrics}");
    assert!(
        metrics.contains("apptrust_deploys_total{outcome=\"eligible\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("apptrust_stale_evaluations 0"),
        "{metrics}"
    );
    let (status, page) = app.get("/", None);
    assert_eq!(status, 200);
    let page = page.as_str().unwrap().to_string();
    assert!(
        page.contains("com.acme.m") && page.contains("runsOnAtlassian"),
        "{page}"
    );
}

/// Whether the server routed the request to a handler: the router itself answers an unknown
/// path with its own 404 and a known path with the wrong method with 405.
fn routed(status: u16, body: &serde_json::Value) -> bool {
    let no_such_route = status == 404
        && body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("no such route"));
    status != 405 && !no_such_route
}

/// A path of the document with sample values for its parameters.
fn sample(path: &str) -> String {
    [
        ("{app}", "com.acme.probe"),
        ("{env}", "production"),
        ("{version}", "1.0.0"),
        ("{partner}", "acme"),
        ("{id}", "1"),
    ]
    .iter()
    .fold(path.to_string(), |path, (name, value)| {
        path.replace(name, value)
    })
}

#[test]
fn every_documented_operation_is_served_and_the_document_is_generated() {
    // With the test clock on, so that its documented routes exist too.
    let app = TestApp::spawn_with(Db::Sqlite, &["--test-clock"]);
    let (status, doc) = app.get("/api/openapi.json", None);
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    // The committed copy is what the server serves (the server's own test keeps it current).
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_path("docs/openapi.json")).unwrap())
            .unwrap();
    assert_eq!(doc, committed, "docs/openapi.json is the served document");
    // The probe tells a routed request from an unrouted one.
    let (status, body) = app.get("/api/v1/no-such-route", None);
    assert!(!routed(status, &body), "{status} {body}");
    let (status, body) = app.request("PATCH", "/api/v1/apps", None, None);
    assert!(!routed(status, &body), "{status} {body}");

    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for method in item.as_object().expect("a path item").keys() {
            let body = matches!(method.as_str(), "post" | "put").then(|| json!({}));
            let (status, answer) = app.request(&method.to_uppercase(), &sample(path), None, body);
            assert!(
                routed(status, &answer),
                "{method} {path} is documented but not served: {status} {answer}"
            );
            operations += 1;
        }
    }
    // Every route is registered with its operation (`routes!`), so the document lists them all;
    // this guards against the document shrinking unnoticed.
    assert!(operations >= 50, "only {operations} operations documented");
    for method in ["get", "post"] {
        assert!(
            doc["paths"]["/api/v1/test/clock"][method].is_object(),
            "the test clock is documented"
        );
    }
    // Without `--test-clock` the documented test clock does not exist.
    let plain = TestApp::spawn(Db::Sqlite);
    let (status, body) = plain.get("/api/v1/test/clock", None);
    assert!(!routed(status, &body), "{status} {body}");
}

#[test]
fn settings_come_from_a_file_env_and_flags_and_bad_ones_are_refused() {
    let dir = TempDir::new("config");
    let config = dir.0.join("apptrust.toml");
    let database = dir.0.join("from-file.db");
    std::fs::write(
        &config,
        format!(
            "database = \"{}\"\nlisten = \"127.0.0.1:0\"\n",
            database.display()
        ),
    )
    .unwrap();
    let output = Command::new(binary())
        .args(["migrate"])
        .env("APPTRUST_CONFIG", &config)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(database.exists(), "the file's database was used");
    let flagged = dir.0.join("from-flag.db");
    let output = Command::new(binary())
        .args(["migrate", "--config"])
        .arg(&config)
        .arg("--database")
        .arg(&flagged)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(flagged.exists(), "the flag beats the file");

    std::fs::write(&config, "databse = \"typo.db\"\n").unwrap();
    let output = Command::new(binary())
        .args(["migrate", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("databse"));
    let output = Command::new(binary())
        .args(["migrate", "--database", "mysql://x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unsupported database URL"));
}
