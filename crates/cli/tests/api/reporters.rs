//! Who may say what was deployed: an app is bound to the Forge app its manifests name, a
//! `platform` account reports deploys for any app, and the operator decides whether partners'
//! own reports move badges.

use serde_json::{Value, json};

use crate::support::{
    BLOCKED, Db, ELIGIBLE, EXAMPLE_APP_IDS, NOT_ELIGIBLE, TestApp, for_app, forge_app_id,
};

crate::on_both_databases!(
    an_app_is_bound_to_the_forge_app_its_manifests_name,
    the_platform_reports_deploys_and_the_trust_document_says_so,
    when_partner_reports_do_not_count_only_the_platform_moves_badges,
    first_deploys_racing_to_two_environments_bind_one_forge_app,
    idempotency_keys_are_not_shared_between_reporters,
    staff_correct_a_wrong_binding,
);

fn raw_deploy(app: &TestApp, token: &str, key: &str, manifest: &str) -> (u16, Value) {
    app.post(
        &format!("/api/v1/apps/{key}/environments/production/deployments"),
        Some(token),
        json!({"manifest": manifest}),
    )
}

pub fn platform_token(app: &TestApp) -> String {
    let (status, body) = app.post(
        "/api/v1/users",
        Some(&app.staff_token),
        json!({"name": "Deploy pipeline", "email": "pipeline@platform.test", "role": "platform"}),
    );
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_string()
}

fn an_app_is_bound_to_the_forge_app_its_manifests_name(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let other = app.partner("other");
    app.app(&acme, "com.acme.bound");
    let (_, shown) = app.get("/api/v1/apps/com.acme.bound", Some(&acme));
    assert_eq!(shown["app"]["forgeAppId"], Value::Null);

    // The first deploy binds the app to the manifest's app.id.
    let (status, body) = raw_deploy(&app, &acme, "com.acme.bound", ELIGIBLE);
    assert_eq!(status, 201, "{body}");
    let (_, shown) = app.get("/api/v1/apps/com.acme.bound", Some(&acme));
    assert_eq!(shown["app"]["forgeAppId"], EXAMPLE_APP_IDS[0]);

    // A clean manifest of some other Forge app cannot stand in for this one.
    let (status, body) = raw_deploy(&app, &acme, "com.acme.bound", NOT_ELIGIBLE);
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(EXAMPLE_APP_IDS[1]) && message.contains(EXAMPLE_APP_IDS[0]),
        "{message}"
    );
    // Nothing was recorded for it.
    let (_, versions) = app.get(
        "/api/v1/apps/com.acme.bound/environments/production/versions",
        Some(&acme),
    );
    assert_eq!(
        versions["versions"].as_array().unwrap().len(),
        1,
        "{versions}"
    );

    // One Forge app is one app: another app cannot claim it, whoever owns it.
    app.app(&other, "com.other.squatter");
    let (status, body) = raw_deploy(&app, &other, "com.other.squatter", ELIGIBLE);
    assert_eq!(status, 409, "{body}");

    // The id can be given when the app is created; it is checked, and unique.
    let own = forge_app_id("com.acme.given");
    let (status, body) = app.post(
        "/api/v1/apps",
        Some(&acme),
        json!({"key": "com.acme.given", "name": "Given", "forgeAppId": own.to_uppercase().replace("ARI:CLOUD:ECOSYSTEM::APP/", "ari:cloud:ecosystem::app/")}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["app"]["forgeAppId"], own, "kept in lowercase");
    let (status, body) = raw_deploy(&app, &acme, "com.acme.given", ELIGIBLE);
    assert_eq!(status, 422, "{body}");
    let (status, body) = raw_deploy(
        &app,
        &acme,
        "com.acme.given",
        &for_app(ELIGIBLE, "com.acme.given"),
    );
    assert_eq!(status, 201, "{body}");
    for bad in ["not-an-ari", "ari:cloud:ecosystem::app/123"] {
        let (status, body) = app.post(
            "/api/v1/apps",
            Some(&acme),
            json!({"key": "com.acme.bad", "name": "Bad", "forgeAppId": bad}),
        );
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (status, body) = app.post(
        "/api/v1/apps",
        Some(&acme),
        json!({"key": "com.acme.twin", "name": "Twin", "forgeAppId": own}),
    );
    assert_eq!(status, 409, "{body}");
}

fn the_platform_reports_deploys_and_the_trust_document_says_so(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let platform = platform_token(&app);
    app.app(&acme, "com.acme.reported");

    let (status, body) = app.deploy(
        &platform,
        "com.acme.reported",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["reportedBy"], "platform", "{body}");
    let (_, trust) = app.get("/api/v1/apps/com.acme.reported/trust", None);
    let badge = &trust["programs"]["runsOnAtlassian"];
    assert_eq!(badge["status"], "APPROVED", "{trust}");
    assert_eq!(badge["reportedBy"], "platform");

    // The partner's own report of a later version is marked as theirs.
    let (status, body) = app.deploy(
        &acme,
        "com.acme.reported",
        "production",
        json!({"manifest": ELIGIBLE, "version": "1.1.0"}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["reportedBy"], "partner");
    let (_, trust) = app.get("/api/v1/apps/com.acme.reported/trust", None);
    assert_eq!(
        trust["programs"]["runsOnAtlassian"]["reportedBy"], "partner",
        "{trust}"
    );

    // The platform account reports deploys and does nothing else.
    assert_eq!(
        app.get("/api/v1/apps/com.acme.reported", Some(&platform)).0,
        403
    );
    assert_eq!(
        app.post(
            "/api/v1/apps",
            Some(&platform),
            json!({"key": "com.p.x", "name": "x", "partner": "acme"})
        )
        .0,
        403
    );
    assert_eq!(
        app.get(
            "/api/v1/apps/com.acme.reported/notifications",
            Some(&platform)
        )
        .0,
        403
    );
    assert_eq!(app.get("/api/v1/users", Some(&platform)).0, 403);
    assert_eq!(app.get("/api/v1/webhooks", Some(&platform)).0, 403);
}

fn when_partner_reports_do_not_count_only_the_platform_moves_badges(db: Db) {
    let app = TestApp::spawn_configured(db, "count-partner-reported-deploys = false\n");
    let acme = app.partner("acme");
    let platform = platform_token(&app);
    app.app(&acme, "com.acme.strict");
    let status_of = || {
        app.get("/api/v1/apps/com.acme.strict/trust", None).1["programs"]["runsOnAtlassian"].clone()
    };

    // Production is the platform's to report: a partner's production report is refused
    // (it would share the platform's version numbers), and other environments are the
    // partner's, evaluated and moving nothing.
    let (status, body) = app.deploy(
        &acme,
        "com.acme.strict",
        "production",
        json!({"manifest": ELIGIBLE, "version": "999.0.0"}),
    );
    assert_eq!(status, 403, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("count-partner-reported-deploys"),
        "{message}"
    );
    // Refused before it is evaluated: a blocked manifest is not reported as a refused deploy.
    let (status, body) = app.deploy(
        &acme,
        "com.acme.strict",
        "production",
        json!({"manifest": BLOCKED}),
    );
    assert_eq!(status, 403, "{body}");
    let (_, notifications) = app.get("/api/v1/apps/com.acme.strict/notifications", Some(&acme));
    assert_eq!(notifications["notifications"], json!([]), "{notifications}");
    let (status, body) = app.deploy(
        &acme,
        "com.acme.strict",
        "staging",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["evaluation"]["verdict"], "eligible");
    assert_eq!(body["badgeEvents"], json!([]), "{body}");
    assert_eq!(status_of()["status"], "NOT_A_PARTICIPANT");

    // The platform's report of what runs does.
    let (status, body) = app.deploy(
        &platform,
        "com.acme.strict",
        "production",
        json!({"manifest": ELIGIBLE, "version": "1.1.0"}),
    );
    assert_eq!(status, 201, "{body}");
    let badge = status_of();
    assert_eq!(badge["status"], "APPROVED", "{badge}");
    assert_eq!(badge["version"], "1.1.0");
    assert_eq!(badge["reportedBy"], "platform");

    // Whatever the partner reports elsewhere, the platform has the say.
    let (status, body) = app.deploy(
        &acme,
        "com.acme.strict",
        "staging",
        json!({"manifest": NOT_ELIGIBLE}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["reportedBy"], "partner");
    let badge = status_of();
    assert_eq!(badge["status"], "APPROVED", "{badge}");
    assert_eq!(badge["version"], "1.1.0");
}

/// Two first deploys of one app to different environments run side by side (different
/// environment locks); the binding must still be one Forge app, whichever commits first.
fn first_deploys_racing_to_two_environments_bind_one_forge_app(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    for n in 0..6 {
        let key = format!("com.acme.race{n}");
        app.app(&acme, &key);
        let deploy = |environment: &str, manifest: &str| {
            app.post(
                &format!("/api/v1/apps/{key}/environments/{environment}/deployments"),
                Some(&acme),
                json!({"manifest": manifest}),
            )
        };
        let own = for_app(ELIGIBLE, &key);
        let other = NOT_ELIGIBLE.replace(EXAMPLE_APP_IDS[1], &forge_app_id(&format!("{key}-x")));
        let (first, second) = std::thread::scope(|scope| {
            let first = scope.spawn(|| deploy("production", &own));
            let second = scope.spawn(|| deploy("staging", &other));
            (first.join().unwrap(), second.join().unwrap())
        });
        let statuses = [first.0, second.0];
        assert!(
            statuses.contains(&201) && statuses.contains(&422),
            "one binds, the other is refused: {first:?} {second:?}"
        );
    }
}

/// A partner's idempotency key never answers for the platform (nor the other way round): the
/// platform's keys live apart, so a partner who guesses the pipeline's keys can neither replay
/// nor block its reports; partners and staff, who always shared keys, are told apart.
fn idempotency_keys_are_not_shared_between_reporters(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let platform = platform_token(&app);
    app.app(&acme, "com.acme.keys");
    let manifest = for_app(ELIGIBLE, "com.acme.keys");
    let body = json!({"manifest": manifest, "idempotencyKey": "deploy-42"});
    let url = "/api/v1/apps/com.acme.keys/environments/production/deployments";
    let (status, first) = app.post(url, Some(&acme), body.clone());
    assert_eq!(status, 201, "{first}");
    let (status, again) = app.post(url, Some(&acme), body.clone());
    assert_eq!(status, 200, "the partner's own retry is a replay: {again}");
    // The platform's report with the same key is its own deploy, and its retry its own replay.
    let (status, reported) = app.post(url, Some(&platform), body.clone());
    assert_eq!(status, 201, "{reported}");
    assert_eq!(reported["reportedBy"], "platform");
    assert_eq!(reported["version"], "1.1.0");
    let (status, again) = app.post(url, Some(&platform), body.clone());
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["version"], "1.1.0");
    // Staff share the partners' keys, and are told apart.
    let (status, refused) = app.post(url, Some(&app.staff_token), body);
    assert_eq!(status, 409, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("a partner reported"), "{message}");
    // A key with a control character is refused (the platform's keys are scoped with one).
    let (status, body) = app.post(
        url,
        Some(&acme),
        json!({"manifest": manifest, "idempotencyKey": "platform\u{1f}deploy-42"}),
    );
    assert_eq!(status, 422, "{body}");
}

/// Someone deployed another app's manifest first and bound the app to the wrong Forge app:
/// staff correct it (or unbind it, so that the next deploy binds again), and the audit log says
/// who bound what, from the first deploy on.
fn staff_correct_a_wrong_binding(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    app.app(&acme, "com.acme.wrong");
    app.app(&acme, "com.acme.holder");
    let url = "/api/v1/apps/com.acme.wrong/forge-app-id";
    // The wrong manifest first: the app is bound to EXAMPLE_APP_IDS[1].
    let (status, body) = raw_deploy(&app, &acme, "com.acme.wrong", NOT_ELIGIBLE);
    assert_eq!(status, 201, "{body}");
    let (_, audit) = app.get("/api/v1/audit?limit=200", Some(&app.staff_token));
    let bound = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "app.forge-app-id")
        .unwrap_or_else(|| panic!("the first binding is audited: {audit}"));
    assert_eq!(bound["detail"]["to"], EXAMPLE_APP_IDS[1], "{bound}");

    // Partners cannot rebind, even their own app; a missing field is not read as null.
    let own = forge_app_id("com.acme.wrong");
    let set = |token: &str, body: Value| app.request("PUT", url, Some(token), Some(body));
    assert_eq!(set(&acme, json!({"forgeAppId": own})).0, 403);
    assert_eq!(set(&app.staff_token, json!({})).0, 422);
    assert_eq!(set(&app.staff_token, json!({"forgeAppId": "nope"})).0, 422);
    // Another app's id is refused.
    let (status, body) = raw_deploy(
        &app,
        &acme,
        "com.acme.holder",
        &for_app(ELIGIBLE, "com.acme.holder"),
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = set(
        &app.staff_token,
        json!({"forgeAppId": forge_app_id("com.acme.holder")}),
    );
    assert_eq!(status, 409, "{body}");

    // Staff bind the right one: the app's own manifests are taken, the wrong one refused.
    let (status, body) = set(&app.staff_token, json!({"forgeAppId": own}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["app"]["forgeAppId"], own);
    let (status, _) = raw_deploy(&app, &acme, "com.acme.wrong", NOT_ELIGIBLE);
    assert_eq!(status, 422);
    let (status, body) = raw_deploy(
        &app,
        &acme,
        "com.acme.wrong",
        &for_app(ELIGIBLE, "com.acme.wrong"),
    );
    assert_eq!(status, 201, "{body}");

    // Unbound, the next deploy binds again.
    let (status, body) = set(&app.staff_token, json!({"forgeAppId": null}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["app"]["forgeAppId"], Value::Null);
    let (status, body) = raw_deploy(
        &app,
        &acme,
        "com.acme.wrong",
        &for_app(ELIGIBLE, "com.acme.wrong"),
    );
    assert_eq!(status, 201, "{body}");
    let (_, shown) = app.get("/api/v1/apps/com.acme.wrong", Some(&acme));
    assert_eq!(shown["app"]["forgeAppId"], own);
    let (_, audit) = app.get("/api/v1/audit?limit=200", Some(&app.staff_token));
    let changes = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "app.forge-app-id" && e["subject"] == "app:com.acme.wrong")
        .count();
    assert_eq!(
        changes, 4,
        "first binding, correction, unbinding, binding again: {audit}"
    );
}
