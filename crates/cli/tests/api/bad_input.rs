//! Bad input gets a clear 4xx and writes nothing.

use serde_json::json;

use crate::support::{BLOCKED, Db, ELIGIBLE, TestApp, into_parts};

crate::on_both_databases!(
    malformed_requests_get_clear_errors,
    hostile_manifests_are_refused_without_a_trace
);

fn malformed_requests_get_clear_errors(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.bad");
    let url = format!(
        "{}/api/v1/apps/com.acme.bad/environments/production/deployments",
        app.url
    );
    let post = || ureq::post(&url).set("Authorization", &format!("Bearer {token}"));

    let (status, body) = into_parts(
        post()
            .set("Content-Type", "application/json")
            .send_string("{\"manifest\": "),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad-request");
    let (status, _) = into_parts(post().set("Content-Type", "text/plain").send_string("{}"));
    assert_eq!(status, 415);
    let (status, body) =
        into_parts(post().send_json(json!({"manifest": ELIGIBLE, "colour": "red"})));
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );
    let (status, _) = into_parts(post().send_json(json!({"manifest": 42})));
    assert_eq!(status, 422);
    // The server answers 413 as soon as the limit is passed and closes the connection, so a
    // client still sending may see the reset instead of the answer; either way nothing is stored.
    let huge = "a".repeat(5 * 1024 * 1024);
    match post().send_json(json!({"manifest": huge})) {
        Err(ureq::Error::Status(status, _)) => assert_eq!(status, 413),
        Err(ureq::Error::Transport(t)) => assert_eq!(t.kind(), ureq::ErrorKind::Io, "{t}"),
        Ok(response) => panic!("an oversized body was accepted: {}", response.status()),
    }

    let (status, body) = app.deploy(
        &token,
        "com.acme.nope",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.deploy(
        &token,
        "com.acme.bad",
        "prod",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no environment `prod`")
    );
    let (status, _) = app.deploy(
        &token,
        "com.acme.bad",
        "production",
        json!({"manifest": ELIGIBLE, "idempotencyKey": ""}),
    );
    assert_eq!(status, 422);
    let (status, _) = app.get(
        "/api/v1/apps/com.acme.bad/environments/production/versions/one",
        Some(&token),
    );
    assert_eq!(status, 422);
    let (status, _) = app.get(
        "/api/v1/apps/com.acme.bad/environments/production/versions?limit=0",
        Some(&token),
    );
    assert_eq!(status, 422);
    let (status, _) = app.get("/api/v1/no-such-route", None);
    assert_eq!(status, 404);

    // NUL characters, which PostgreSQL cannot store, are refused at the edge on both databases.
    for path in [
        "/api/v1/apps/a%00b/trust",
        "/api/v1/apps?q=%00",
        "/api/v1/apps?partner=x%00",
    ] {
        let (status, body) = app.get(path, None);
        assert_eq!(status, 400, "{path}: {body}");
    }
    let (status, body) = app.post(
        "/api/v1/users",
        Some(&app.staff_token),
        json!({"name": "x", "email": "a\u{0}@b.test", "role": "staff"}),
    );
    assert_eq!(status, 422, "{body}");
    let (status, _) = app.deploy(
        &token,
        "com.acme.bad",
        "production",
        json!({"manifest": ELIGIBLE, "idempotencyKey": "k\u{0}"}),
    );
    assert_eq!(status, 422);
    // Keys that cannot name an app are not looked up (nor cached).
    for key in ["bad%20key", ".dot", "x".repeat(300).as_str()] {
        let (status, _) = app.get(&format!("/api/v1/apps/{key}/trust"), None);
        assert_eq!(status, 404, "{key}");
    }

    for bad in [
        json!({"key": "", "name": "x"}),
        json!({"key": "a/b", "name": "x"}),
        json!({"key": "com.ok", "name": ""}),
        json!({"key": "com.ok", "name": "x", "framework": "electron"}),
    ] {
        let (status, body) = app.post("/api/v1/apps", Some(&token), bad.clone());
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (status, _) = app.post(
        "/api/v1/apps",
        Some(&token),
        json!({"key": "com.acme.bad", "name": "again"}),
    );
    assert_eq!(status, 409);
    let (status, _) = app.post(
        "/api/v1/apps/com.acme.bad/environments",
        Some(&token),
        json!({"name": "Prod EU"}),
    );
    assert_eq!(status, 422);
    let (status, _) = app.post(
        "/api/v1/apps/com.acme.bad/environments",
        Some(&token),
        json!({"name": "production"}),
    );
    assert_eq!(status, 409);
    let (status, _) = app.post(
        "/api/v1/users",
        Some(&app.staff_token),
        json!({"name": "x", "email": "not-an-address", "role": "staff"}),
    );
    assert_eq!(status, 422);
    let (status, _) = app.post(
        "/api/v1/users",
        Some(&app.staff_token),
        json!({"name": "x", "email": "x@y.test", "role": "partner"}),
    );
    assert_eq!(status, 422, "a partner member needs a partner");
    let (status, _) = app.post(
        "/api/v1/users",
        Some(&app.staff_token),
        json!({"name": "x", "email": "x@y.test", "role": "king"}),
    );
    assert_eq!(status, 422);

    let (_, versions) = app.get(
        "/api/v1/apps/com.acme.bad/environments/production/versions",
        Some(&token),
    );
    assert_eq!(
        versions["versions"],
        json!([]),
        "no refused request wrote a version"
    );
}

fn hostile_manifests_are_refused_without_a_trace(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.hostile");
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for n in 0..12 {
        let prev = if n == 0 {
            "a".to_string()
        } else {
            format!("l{}", n - 1)
        };
        bomb.push_str(&format!("l{n}: &l{n} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases = [
        ("alias bomb", bomb),
        ("deep nesting", deep),
        ("not YAML", "app: [unclosed\n".to_string()),
        ("not a mapping", "- just\n- a list\n".to_string()),
        ("empty", String::new()),
        ("blocked by Forge", BLOCKED.to_string()),
    ];
    for (what, manifest) in cases {
        let (status, body) = app.deploy(
            &token,
            "com.acme.hostile",
            "production",
            json!({"manifest": manifest}),
        );
        assert_eq!(status, 422, "{what}: {body}");
        assert_eq!(body["error"]["code"], "manifest-refused", "{what}");
        let verdict = body["evaluation"]["verdict"].as_str().unwrap();
        assert!(
            verdict == "error" || verdict == "blocked",
            "{what}: {verdict}"
        );
        assert!(
            !body["evaluation"]["findings"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{what}"
        );
    }
    let (_, versions) = app.get(
        "/api/v1/apps/com.acme.hostile/environments/production/versions",
        Some(&token),
    );
    assert_eq!(versions["versions"], json!([]));
    let (_, audit) = app.get("/api/v1/audit?limit=200", Some(&app.staff_token));
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] != "deploy")
    );
    // The server is still healthy afterwards.
    let (status, _) = app.deploy(
        &token,
        "com.acme.hostile",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 201);
}
