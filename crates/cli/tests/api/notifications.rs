//! The outbox: each change someone must hear about is written once, with the change itself.

use serde_json::json;

use crate::support::{BLOCKED, Db, ELIGIBLE, NOT_ELIGIBLE, TestApp};

crate::on_both_databases!(each_change_is_announced_once_and_only_to_its_owners);

fn events(app: &TestApp, token: &str, key: &str) -> Vec<serde_json::Value> {
    let (status, body) = app.get(&format!("/api/v1/apps/{key}/notifications"), Some(token));
    assert_eq!(status, 200, "{body}");
    body["notifications"].as_array().unwrap().clone()
}

fn each_change_is_announced_once_and_only_to_its_owners(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.told");
    let deploy = |manifest: &str| {
        app.deploy(
            &token,
            "com.acme.told",
            "production",
            json!({"manifest": manifest}),
        )
    };
    assert_eq!(deploy(ELIGIBLE).0, 201);
    let told = events(&app, &token, "com.acme.told");
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["event"], "badge.gained");
    assert_eq!(told[0]["payload"]["app"], "com.acme.told");
    assert_eq!(told[0]["payload"]["program"], "runsOnAtlassian");
    assert_eq!(told[0]["payload"]["to"], "APPROVED");
    assert_eq!(told[0]["payload"]["version"], "1.0.0");

    // The same manifest again: no change, nothing to say.
    assert_eq!(deploy(ELIGIBLE).0, 201);
    assert_eq!(events(&app, &token, "com.acme.told").len(), 1);

    // A version with remotes: a new major that needs consent, and the badge is lost.
    assert_eq!(deploy(NOT_ELIGIBLE).0, 201);
    let told = events(&app, &token, "com.acme.told");
    let names: Vec<&str> = told.iter().map(|n| n["event"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["badge.gained", "version.consent-required", "badge.lost"]
    );
    assert_eq!(told[1]["payload"]["version"], "2.0.0");
    assert_eq!(told[1]["payload"]["previous"], "1.1.0");
    assert!(
        told[2]["payload"]["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("HAS_REMOTES")),
        "{}",
        told[2]
    );

    // A refused deploy records no version but is announced.
    assert_eq!(deploy(BLOCKED).0, 422);
    let told = events(&app, &token, "com.acme.told");
    assert_eq!(told.len(), 4);
    assert_eq!(told[3]["event"], "deploy.blocked");
    assert_eq!(told[3]["payload"]["verdict"], "blocked");
    // A refused deploy retried with its idempotency key is announced once.
    for _ in 0..2 {
        let (status, _) = app.deploy(
            &token,
            "com.acme.told",
            "production",
            json!({"manifest": BLOCKED, "idempotencyKey": "ci-7"}),
        );
        assert_eq!(status, 422);
    }
    assert_eq!(events(&app, &token, "com.acme.told").len(), 5);

    // Only the app's partner and staff read them; paging ends without a cursor.
    let other = app.partner("other");
    let (status, _) = app.get("/api/v1/apps/com.acme.told/notifications", Some(&other));
    assert_eq!(status, 403);
    let staff = app.staff_token.clone();
    assert_eq!(events(&app, &staff, "com.acme.told").len(), 5);
    let (_, page) = app.get(
        "/api/v1/apps/com.acme.told/notifications?limit=3",
        Some(&token),
    );
    assert_eq!(page["next"], 3);
    let (_, rest) = app.get(
        "/api/v1/apps/com.acme.told/notifications?after=3&limit=3",
        Some(&token),
    );
    assert_eq!(rest["notifications"].as_array().unwrap().len(), 2);
    assert!(rest["next"].is_null());
}
