//! What reads cost: unknown keys in the trust cache, the stale-evaluation count of `/metrics`,
//! the index behind a version's badge events, the badge lookup of search, and where paging ends.

use serde_json::json;

use crate::support::{Db, ELIGIBLE, NOT_ELIGIBLE, TestApp};

crate::on_both_databases!(
    unknown_keys_are_remembered_apart_from_documents_and_bounded,
    metrics_count_stale_evaluations_at_most_once_per_refresh,
    a_versions_badge_events_are_found_through_an_index,
    search_reads_the_badges_of_its_hits,
    the_last_page_of_the_audit_log_has_no_cursor,
);

fn metric(app: &TestApp, name: &str) -> String {
    let (status, text) = app.get("/metrics", None);
    assert_eq!(status, 200);
    let text = text.as_str().unwrap().to_string();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .to_string()
}

fn unknown_keys_are_remembered_apart_from_documents_and_bounded(db: Db) {
    let app = TestApp::spawn_configured(db, "trust-cache-ms = 600000\nmax-trust-negatives = 5\n");
    let token = app.partner("acme");
    app.app(&token, "com.acme.known");
    let (status, _) = app.deploy(
        &token,
        "com.acme.known",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 201);
    assert_eq!(app.get("/api/v1/apps/com.acme.known/trust", None).0, 200);
    // A flood of well-formed unknown keys: each is a 404, remembered within its own bound, and
    // the document of the real app stays.
    for n in 0..50 {
        let (status, _) = app.get(&format!("/api/v1/apps/com.acme.unknown-{n}/trust"), None);
        assert_eq!(status, 404);
    }
    assert_eq!(metric(&app, "apptrust_trust_cache_negatives"), "5");
    assert_eq!(metric(&app, "apptrust_trust_cache_entries"), "1");
    // Creating an app ends its negative at once (the TTL here is ten minutes).
    assert_eq!(
        app.get("/api/v1/apps/com.acme.unknown-49/trust", None).0,
        404
    );
    app.app(&token, "com.acme.unknown-49");
    let (status, trust) = app.get("/api/v1/apps/com.acme.unknown-49/trust", None);
    assert_eq!(status, 200, "{trust}");
    assert_eq!(metric(&app, "apptrust_trust_cache_negatives"), "4");
    assert_eq!(metric(&app, "apptrust_trust_cache_entries"), "2");
}

fn metrics_count_stale_evaluations_at_most_once_per_refresh(db: Db) {
    let mut app = TestApp::spawn_configured(db, "metrics-refresh-ms = 600000\n");
    let token = app.partner("acme");
    app.app(&token, "com.acme.m");
    let (status, _) = app.deploy(
        &token,
        "com.acme.m",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 201);
    // Another instance holds the re-evaluation job, so that the stale evaluation stays stale.
    app.db
        .sql(
            "INSERT INTO jobs (name, lease_owner, lease_until, updated_at) \
             VALUES ('reevaluate', 'elsewhere', '9999-12-31T00:00:00.000Z', '2000-01-01T00:00:00.000Z') \
             ON CONFLICT (name) DO UPDATE SET lease_owner = 'elsewhere', \
             lease_until = '9999-12-31T00:00:00.000Z'",
        )
        .unwrap();
    assert_eq!(metric(&app, "apptrust_stale_evaluations"), "0");
    app.db
        .sql("UPDATE evaluations SET engine_version = '0.0.1+rules.0'")
        .unwrap();
    // Scrapes within `metrics-refresh-ms` do not count again.
    for _ in 0..3 {
        assert_eq!(metric(&app, "apptrust_stale_evaluations"), "0");
    }
    // A new process counts at its first scrape.
    app.kill();
    app.start();
    assert_eq!(metric(&app, "apptrust_stale_evaluations"), "1");
}

fn a_versions_badge_events_are_found_through_an_index(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.ix");
    let (status, body) = app.deploy(
        &token,
        "com.acme.ix",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 201);
    assert_eq!(body["badgeEvents"].as_array().map(Vec::len), Some(1));
    let query = "SELECT program FROM badge_events WHERE reference = 'version:1' ORDER BY id";
    let plan = match db {
        Db::Sqlite => app.db.sql(&format!("EXPLAIN QUERY PLAN {query}")),
        // The table is tiny: forbid the sequential scan to see which index the planner has.
        Db::Postgres => app
            .db
            .sql(&format!("SET enable_seqscan = off; EXPLAIN {query}")),
    }
    .unwrap();
    assert!(plan.contains("badge_events_reference"), "{plan}");
}

fn search_reads_the_badges_of_its_hits(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    // Two hits far apart, with badged apps between them that the search leaves out.
    for (key, manifest) in [
        ("com.acme.a-hit", ELIGIBLE),
        ("com.acme.b", ELIGIBLE),
        ("com.acme.c", ELIGIBLE),
        ("com.acme.d", NOT_ELIGIBLE),
        ("com.acme.z-hit", NOT_ELIGIBLE),
    ] {
        app.app(&token, key);
        let (status, _) = app.deploy(&token, key, "production", json!({"manifest": manifest}));
        assert_eq!(status, 201);
    }
    let (status, page) = app.get("/api/v1/apps?q=hit", None);
    assert_eq!(status, 200);
    let hits: Vec<_> = page["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["key"].clone(), a["badges"].clone()))
        .collect();
    assert_eq!(
        hits,
        vec![
            (json!("com.acme.a-hit"), json!(["runsOnAtlassian"])),
            (json!("com.acme.z-hit"), json!([])),
        ]
    );
    let (_, page) = app.get("/api/v1/apps?q=hit&limit=1&after=com.acme.a-hit", None);
    assert_eq!(page["apps"][0]["badges"], json!([]));
    assert_eq!(page["next"], serde_json::Value::Null);
}

fn the_last_page_of_the_audit_log_has_no_cursor(db: Db) {
    let app = TestApp::spawn(db);
    for n in 0..3 {
        app.partner(&format!("p{n}"));
    }
    let staff = Some(app.staff_token.as_str());
    let (status, all) = app.get("/api/v1/audit?limit=200", staff);
    assert_eq!(status, 200);
    let entries = all["entries"].as_array().unwrap();
    let total = entries.len();
    assert!(total >= 6, "{all}");
    assert_eq!(all["next"], serde_json::Value::Null, "nothing follows");
    // A page that is exactly full is the last one too.
    let (_, full) = app.get(&format!("/api/v1/audit?limit={total}"), staff);
    assert_eq!(full["entries"].as_array().unwrap().len(), total);
    assert_eq!(full["next"], serde_json::Value::Null);
    // One short: a cursor, and the following page holds the rest and ends.
    let (_, first) = app.get(&format!("/api/v1/audit?limit={}", total - 1), staff);
    assert_eq!(first["next"], entries[total - 2]["id"]);
    let (_, rest) = app.get(
        &format!("/api/v1/audit?after={}&limit={}", first["next"], total - 1),
        staff,
    );
    assert_eq!(rest["entries"].as_array().unwrap().len(), 1);
    assert_eq!(rest["entries"][0]["id"], entries[total - 1]["id"]);
    assert_eq!(rest["next"], serde_json::Value::Null);
    // The same holds for the other lists: users, exactly one page of them.
    let (_, users) = app.get("/api/v1/users", staff);
    let count = users["users"].as_array().unwrap().len();
    let (_, exact) = app.get(&format!("/api/v1/users?limit={count}"), staff);
    assert_eq!(exact["next"], serde_json::Value::Null, "{exact}");
}
