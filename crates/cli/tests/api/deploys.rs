//! Deploys, version numbering and the Runs on Atlassian badge.

use serde_json::json;

use crate::support::{Db, ELIGIBLE, NOT_ELIGIBLE, TestApp, for_app};

crate::on_both_databases!(
    deploys_number_versions_and_move_the_badge,
    requested_versions_must_move_forward_and_respect_consent,
    idempotency_keys_make_retries_safe,
    concurrent_deploys_of_one_version_record_it_once,
    concurrent_auto_numbered_deploys_get_distinct_versions,
    search_filters_by_badge_and_pages,
    stored_findings_are_bounded,
);

fn stored_findings_are_bounded(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.many-hosts");
    let hosts: String = (0..300)
        .map(|n| format!("        - h{n}.example.com\n"))
        .collect();
    let manifest = format!(
        "{}permissions:\n  external:\n    fetch:\n      backend:\n{hosts}",
        crate::support::ELIGIBLE
            .split("permissions:")
            .next()
            .expect("the eligible example has permissions")
    );
    let (status, body) = app.deploy(
        &token,
        "com.acme.many-hosts",
        "production",
        json!({"manifest": manifest}),
    );
    assert_eq!(status, 201, "{body}");
    let findings = body["evaluation"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 200);
    assert!(body["evaluation"]["findingsOmitted"].as_i64().unwrap() >= 100);
    let (_, list) = app.get(
        "/api/v1/apps/com.acme.many-hosts/environments/production/versions",
        Some(&token),
    );
    assert!(
        list["versions"][0]["evaluation"].get("findings").is_none(),
        "lists leave findings out"
    );
    assert_eq!(list["versions"][0]["evaluation"]["verdict"], "not-eligible");
}

fn deploys_number_versions_and_move_the_badge(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.one");

    let (status, trust) = app.get("/api/v1/apps/com.acme.one/trust", None);
    assert_eq!(status, 200);
    assert_eq!(
        trust["programs"]["runsOnAtlassian"]["status"],
        "NOT_A_PARTICIPANT"
    );

    // A development deploy is advisory: no badge.
    let (status, body) = app.deploy(
        &token,
        "com.acme.one",
        "development",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["version"], "1.0.0");
    assert_eq!(body["evaluation"]["verdict"], "eligible");
    assert_eq!(body["badgeEvents"], json!([]));

    let (status, body) = app.deploy(
        &token,
        "com.acme.one",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["version"], "1.0.0");
    assert_eq!(body["badgeEvents"][0]["to"], "APPROVED");
    assert_eq!(body["badgeEvents"][0]["cause"], "auto-evaluation");

    // The same manifest again: a minor version, no badge change.
    let (_, body) = app.deploy(
        &token,
        "com.acme.one",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(body["version"], "1.1.0");
    assert_eq!(body["change"]["major"], false);
    assert_eq!(body["badgeEvents"], json!([]));

    // Widening egress needs consent: a new major, and the badge goes.
    let (_, body) = app.deploy(
        &token,
        "com.acme.one",
        "production",
        json!({"manifest": NOT_ELIGIBLE}),
    );
    assert_eq!(body["version"], "2.0.0");
    assert_eq!(body["change"]["major"], true);
    assert_eq!(body["evaluation"]["verdict"], "not-eligible");
    assert_eq!(body["badgeEvents"][0]["to"], "REMOVED");
    let reasons = body["badgeEvents"][0]["reasons"]
        .as_array()
        .expect("reasons");
    assert!(reasons.contains(&json!("HAS_REMOTES")), "{reasons:?}");
    assert!(body["evaluation"]["findings"][0]["line"].is_u64());

    let (_, trust) = app.get("/api/v1/apps/com.acme.one/trust", None);
    let roa = &trust["programs"]["runsOnAtlassian"];
    assert_eq!(roa["status"], "REMOVED");
    assert_eq!(roa["eligible"], false);
    assert_eq!(roa["version"], "2.0.0");
    assert_eq!(roa["environment"], "production");
    assert_eq!(trust["badgeEvents"].as_array().map(Vec::len), Some(2));
    assert_eq!(trust["badgeEvents"][0]["to"], "REMOVED", "newest first");

    // Restoring the eligible manifest restores the badge (a major again: it adds analytics egress).
    let (_, body) = app.deploy(
        &token,
        "com.acme.one",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(body["badgeEvents"][0]["to"], "APPROVED");
    let (_, trust) = app.get("/api/v1/apps/com.acme.one/trust", None);
    assert_eq!(trust["programs"]["runsOnAtlassian"]["eligible"], true);

    // Versions read back, newest first, with the manifest on the single read.
    let (status, list) = app.get(
        "/api/v1/apps/com.acme.one/environments/production/versions",
        Some(&token),
    );
    assert_eq!(status, 200);
    let versions: Vec<_> = list["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].clone())
        .collect();
    assert_eq!(
        versions,
        vec![
            json!("3.0.0"),
            json!("2.0.0"),
            json!("1.1.0"),
            json!("1.0.0")
        ]
    );
    let (status, one) = app.get(
        "/api/v1/apps/com.acme.one/environments/production/versions/2.0.0",
        Some(&token),
    );
    assert_eq!(status, 200);
    assert_eq!(one["manifest"], for_app(NOT_ELIGIBLE, "com.acme.one"));
    let (_, health) = app.get("/healthz", None);
    assert_eq!(one["evaluation"]["engineVersion"], health["engineVersion"]);
    let (_, page) = app.get(
        "/api/v1/apps/com.acme.one/environments/production/versions?limit=2&before=2.0.0",
        Some(&token),
    );
    assert_eq!(page["versions"][0]["version"], "1.1.0");
    assert_eq!(
        page["next"],
        serde_json::Value::Null,
        "the last page says so"
    );
    let (_, page) = app.get(
        "/api/v1/apps/com.acme.one/environments/production/versions?limit=2",
        Some(&token),
    );
    assert_eq!(page["next"], "2.0.0");
}

fn requested_versions_must_move_forward_and_respect_consent(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.two");
    let deploy = |manifest: &str, version: &str| {
        app.deploy(
            &token,
            "com.acme.two",
            "staging",
            json!({"manifest": manifest, "version": version}),
        )
    };
    let (status, body) = deploy(ELIGIBLE, "4.2.0");
    assert_eq!((status, body["version"].as_str()), (201, Some("4.2.0")));
    let (status, body) = deploy(ELIGIBLE, "4.2.0");
    assert_eq!(status, 409, "{body}");
    let (status, body) = deploy(ELIGIBLE, "4.1.9");
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not newer")
    );
    let (status, body) = deploy(NOT_ELIGIBLE, "4.3.0");
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("new major")
    );
    let (status, body) = deploy(NOT_ELIGIBLE, "5.0.0");
    assert_eq!(status, 201, "{body}");
    // Numbers are bounded, so numbering can never wrap and make a newer version look older.
    let (status, _) = deploy(NOT_ELIGIBLE, "999999999.999999999.999999999");
    assert_eq!(status, 201);
    let (status, body) = app.deploy(
        &token,
        "com.acme.two",
        "staging",
        json!({"manifest": NOT_ELIGIBLE}),
    );
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("maximum"),
        "{body}"
    );
    for bad in ["1.2", "01.0.0", "1.0.0-beta", "x", "", "1000000000.0.0"] {
        let (status, body) = deploy(ELIGIBLE, bad);
        assert_eq!(status, 422, "{bad}: {body}");
    }
}

fn idempotency_keys_make_retries_safe(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.idem");
    let body = json!({"manifest": ELIGIBLE, "idempotencyKey": "build-17"});
    let (first, a) = app.deploy(&token, "com.acme.idem", "production", body.clone());
    let (second, b) = app.deploy(&token, "com.acme.idem", "production", body);
    assert_eq!((first, second), (201, 200));
    assert_eq!(a["version"], b["version"]);
    assert_eq!(b["replayed"], true);
    assert_eq!(
        a["badgeEvents"], b["badgeEvents"],
        "the replay reports the original events"
    );
    let (status, c) = app.deploy(
        &token,
        "com.acme.idem",
        "production",
        json!({"manifest": NOT_ELIGIBLE, "idempotencyKey": "build-17"}),
    );
    assert_eq!(status, 409, "{c}");

    // Racing retries with one key record one version.
    let results: Vec<(u16, serde_json::Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                s.spawn(|| {
                    app.deploy(
                        &token,
                        "com.acme.idem",
                        "production",
                        json!({"manifest": NOT_ELIGIBLE, "idempotencyKey": "build-18"}),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(s, b)| (*s == 201 || *s == 200) && b["version"] == "2.0.0"),
        "{results:?}"
    );
    let (_, list) = app.get(
        "/api/v1/apps/com.acme.idem/environments/production/versions",
        Some(&token),
    );
    assert_eq!(list["versions"].as_array().map(Vec::len), Some(2));
}

fn concurrent_deploys_of_one_version_record_it_once(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.race");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    app.deploy(
                        &token,
                        "com.acme.race",
                        "production",
                        json!({"manifest": ELIGIBLE, "version": "3.0.0"}),
                    )
                    .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let (_, list) = app.get(
        "/api/v1/apps/com.acme.race/environments/production/versions",
        Some(&token),
    );
    assert_eq!(list["versions"].as_array().map(Vec::len), Some(1));
    let (_, trust) = app.get("/api/v1/apps/com.acme.race/trust", None);
    assert_eq!(trust["badgeEvents"].as_array().map(Vec::len), Some(1));
}

fn concurrent_auto_numbered_deploys_get_distinct_versions(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.many");
    let versions: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                s.spawn(|| {
                    let (status, body) = app.deploy(
                        &token,
                        "com.acme.many",
                        "staging",
                        json!({"manifest": ELIGIBLE}),
                    );
                    assert_eq!(status, 201, "{body}");
                    body["version"].as_str().unwrap().to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = versions.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 10, "{versions:?}");
}

fn search_filters_by_badge_and_pages(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    for n in 0..5 {
        let key = format!("com.acme.s{n}");
        app.app(&token, &key);
        let manifest = if n % 2 == 0 { ELIGIBLE } else { NOT_ELIGIBLE };
        let (status, _) = app.deploy(&token, &key, "production", json!({"manifest": manifest}));
        assert_eq!(status, 201);
    }
    let (status, page) = app.get("/api/v1/apps?badge=runsOnAtlassian", None);
    assert_eq!(status, 200);
    let keys: Vec<_> = page["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].clone())
        .collect();
    assert_eq!(
        keys,
        vec![
            json!("com.acme.s0"),
            json!("com.acme.s2"),
            json!("com.acme.s4")
        ]
    );
    assert_eq!(page["apps"][0]["badges"], json!(["runsOnAtlassian"]));

    let (_, first) = app.get("/api/v1/apps?limit=2", None);
    assert_eq!(first["apps"].as_array().map(Vec::len), Some(2));
    let next = first["next"].as_str().expect("a next cursor");
    let (_, second) = app.get(&format!("/api/v1/apps?limit=2&after={next}"), None);
    assert_eq!(second["apps"][0]["key"], "com.acme.s2");
    let (_, last) = app.get("/api/v1/apps?limit=2&after=com.acme.s3", None);
    assert_eq!(last["next"], serde_json::Value::Null);

    for program in [
        "cloudFortified",
        "cloudSecurityParticipant",
        "bugBountyParticipant",
    ] {
        let (status, page) = app.get(&format!("/api/v1/apps?badge={program}"), None);
        assert_eq!(
            (status, page["apps"].as_array().map(Vec::len)),
            (200, Some(0))
        );
    }
    let (status, _) = app.get("/api/v1/apps?badge=gold", None);
    assert_eq!(status, 422);
    let (_, hits) = app.get("/api/v1/apps?q=S3&partner=acme&framework=forge", None);
    assert_eq!(hits["apps"].as_array().map(Vec::len), Some(1));
    let (_, literal) = app.get("/api/v1/apps?q=acme_s", None);
    assert_eq!(
        literal["apps"].as_array().map(Vec::len),
        Some(0),
        "`_` is not a wildcard"
    );
}
