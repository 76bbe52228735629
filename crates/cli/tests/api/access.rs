//! Authorisation: who may read and change what.

use serde_json::json;

use crate::support::{Db, ELIGIBLE, TestApp, into_parts};

crate::on_both_databases!(
    partners_cannot_reach_each_others_private_data,
    anonymous_callers_reach_only_public_routes,
    roles_limit_what_users_may_do,
    sessions_need_the_csrf_token_for_changes,
    tokens_can_be_listed_and_revoked,
);

fn tokens_can_be_listed_and_revoked(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let globex = app.partner("globex");
    let (status, created) = app.post("/api/v1/me/tokens", Some(&acme), json!({"label": "ci"}));
    assert_eq!(status, 201, "{created}");
    let ci = created["token"].as_str().unwrap().to_string();
    let (_, listed) = app.get("/api/v1/me/tokens", Some(&ci));
    let tokens = listed["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(
        !listed.to_string().contains("apt_"),
        "secrets are never listed"
    );
    let id = tokens.iter().find(|t| t["label"] == "ci").unwrap()["id"]
        .as_i64()
        .unwrap();
    // Another partner cannot revoke it.
    let (status, _) = app.request(
        "DELETE",
        &format!("/api/v1/me/tokens/{id}"),
        Some(&globex),
        None,
    );
    assert_eq!(status, 404);
    assert_eq!(app.get("/api/v1/me", Some(&ci)).0, 200);
    let (status, _) = app.request(
        "DELETE",
        &format!("/api/v1/me/tokens/{id}"),
        Some(&acme),
        None,
    );
    assert_eq!(status, 204);
    let (status, body) = app.get("/api/v1/me", Some(&ci));
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        app.get("/api/v1/me", Some(&acme)).0,
        200,
        "the other token still works"
    );
    let (_, audit) = app.get("/api/v1/audit?limit=200", Some(&app.staff_token));
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "token.revoke")
    );
}

fn partners_cannot_reach_each_others_private_data(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let globex = app.partner("globex");
    app.app(&acme, "com.acme.private");
    let (status, _) = app.deploy(
        &acme,
        "com.acme.private",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 201);

    for path in [
        "/api/v1/apps/com.acme.private",
        "/api/v1/apps/com.acme.private/environments",
        "/api/v1/apps/com.acme.private/environments/production/versions",
        "/api/v1/apps/com.acme.private/environments/production/versions/1.0.0",
        "/api/v1/apps/com.acme.private/environments/production/deployments",
        "/api/v1/partners/acme",
    ] {
        let (status, body) = app.get(path, Some(&globex));
        assert_eq!(status, 403, "{path}: {body}");
        let (status, _) = app.get(path, Some(&acme));
        assert_eq!(status, 200, "{path}");
        let (status, _) = app.get(path, Some(&app.staff_token));
        assert_eq!(status, 200, "{path}");
    }
    let (status, _) = app.deploy(
        &globex,
        "com.acme.private",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 403);
    let (status, _) = app.post(
        "/api/v1/apps/com.acme.private/environments",
        Some(&globex),
        json!({"name": "perf"}),
    );
    assert_eq!(status, 403);
    let (status, _) = app.post(
        "/api/v1/apps",
        Some(&globex),
        json!({"key": "com.x", "name": "x", "partner": "acme"}),
    );
    assert_eq!(status, 403);
    let (_, partners) = app.get("/api/v1/partners", Some(&globex));
    assert_eq!(partners["partners"].as_array().map(Vec::len), Some(1));
    assert_eq!(partners["partners"][0]["key"], "globex");

    // Nothing the intruder tried left a trace in the data.
    let (_, versions) = app.get(
        "/api/v1/apps/com.acme.private/environments/production/versions",
        Some(&acme),
    );
    assert_eq!(versions["versions"].as_array().map(Vec::len), Some(1));
    let (_, envs) = app.get("/api/v1/apps/com.acme.private/environments", Some(&acme));
    assert_eq!(envs["environments"].as_array().map(Vec::len), Some(3));
}

fn anonymous_callers_reach_only_public_routes(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    app.app(&acme, "com.acme.pub");
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/openapi.json",
        "/api/v1/apps",
        "/api/v1/apps/com.acme.pub/trust",
        "/",
    ] {
        let (status, _) = app.get(path, None);
        assert_eq!(status, 200, "{path}");
    }
    for path in [
        "/api/v1/me",
        "/api/v1/partners",
        "/api/v1/partners/acme",
        "/api/v1/apps/com.acme.pub",
        "/api/v1/apps/com.acme.pub/environments",
        "/api/v1/apps/com.acme.pub/environments/production/versions",
        "/api/v1/audit",
    ] {
        let (status, body) = app.get(path, None);
        assert_eq!(status, 401, "{path}: {body}");
        let (status, body) = app.get(path, Some("apt_not-a-real-token"));
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid-credentials");
    }
    let (status, _) = app.deploy(
        "apt_forged",
        "com.acme.pub",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 401);
    let (status, _) = app.post(
        "/api/v1/apps/com.acme.pub/environments/production/deployments",
        None,
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 401);
    let result = ureq::get(&format!("{}/api/v1/me", app.url))
        .set("Authorization", "Basic abc")
        .call();
    assert_eq!(into_parts(result).0, 401);
}

fn roles_limit_what_users_may_do(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let (status, admin) = app.post(
        "/api/v1/users",
        Some(&app.staff_token),
        json!({"name": "Site admin", "email": "admin@customer.test", "role": "site-admin", "site": "customer.atlassian.net"}),
    );
    assert_eq!(status, 201, "{admin}");
    let admin = admin["token"].as_str().unwrap().to_string();

    let (status, _) = app.post(
        "/api/v1/partners",
        Some(&acme),
        json!({"key": "evil", "name": "Evil"}),
    );
    assert_eq!(status, 403);
    let (status, _) = app.post(
        "/api/v1/users",
        Some(&acme),
        json!({"name": "x", "email": "x@x.test", "role": "staff"}),
    );
    assert_eq!(status, 403, "a partner cannot mint staff");
    let (status, _) = app.post(
        "/api/v1/apps",
        Some(&admin),
        json!({"key": "com.admin", "name": "x"}),
    );
    assert_eq!(status, 403);
    let (status, _) = app.get("/api/v1/partners", Some(&admin));
    assert_eq!(status, 403);
    let (status, _) = app.get("/api/v1/audit", Some(&acme));
    assert_eq!(status, 403);
    let (status, me) = app.get("/api/v1/me", Some(&admin));
    assert_eq!(
        (status, me["user"]["role"].as_str()),
        (200, Some("site-admin"))
    );

    // Staff see every change in the audit log, with its author.
    let (status, audit) = app.get("/api/v1/audit", Some(&app.staff_token));
    assert_eq!(status, 200);
    let actions: Vec<_> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert!(
        actions.contains(&"partner.create".to_string()),
        "{actions:?}"
    );
    assert!(actions.contains(&"user.create".to_string()), "{actions:?}");
    // Tokens are stored hashed: the database never holds one in the clear.
    let stored = app.db.sql("SELECT token_hash FROM api_tokens").unwrap();
    assert!(
        !stored.contains(&acme) && !stored.contains("apt_"),
        "{stored}"
    );
    // The audit log refuses rewrites, even straight in SQL.
    assert!(app.db.sql("UPDATE audit_log SET actor = 'nobody'").is_err());
    assert!(app.db.sql("DELETE FROM audit_log").is_err());
}

fn sessions_need_the_csrf_token_for_changes(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let result =
        ureq::post(&format!("{}/api/v1/session", app.url)).send_json(json!({"token": acme}));
    let response = result.expect("sign in");
    assert_eq!(response.status(), 201);
    let cookie_header = response.header("set-cookie").expect("a cookie").to_string();
    assert!(cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Strict"));
    let cookie = cookie_header.split(';').next().unwrap().to_string();
    let body: serde_json::Value = response.into_json().unwrap();
    let csrf = body["csrfToken"].as_str().unwrap().to_string();

    let with_cookie = |method: &str, path: &str| {
        ureq::request(method, &format!("{}{path}", app.url)).set("Cookie", &cookie)
    };
    assert_eq!(into_parts(with_cookie("GET", "/api/v1/me").call()).0, 200);
    let create = json!({"key": "com.acme.web", "name": "Web"});
    // A JSON post without the token, and a cross-site form post: both refused.
    let (status, body) = into_parts(with_cookie("POST", "/api/v1/apps").send_json(create.clone()));
    assert_eq!(status, 403, "{body}");
    let (status, _) = into_parts(
        with_cookie("POST", "/api/v1/apps").send_form(&[("key", "com.acme.web"), ("name", "Web")]),
    );
    assert_eq!(status, 403);
    let (status, _) = into_parts(
        with_cookie("POST", "/api/v1/apps")
            .set("X-CSRF-Token", "csrf_wrong")
            .send_json(create.clone()),
    );
    assert_eq!(status, 403);
    let (_, partner_apps) = app.get("/api/v1/apps?partner=acme", None);
    assert_eq!(
        partner_apps["apps"].as_array().map(Vec::len),
        Some(0),
        "nothing was created"
    );
    let (status, body) = into_parts(
        with_cookie("POST", "/api/v1/apps")
            .set("X-CSRF-Token", &csrf)
            .send_json(create),
    );
    assert_eq!(status, 201, "{body}");

    // Signing out ends the session.
    assert_eq!(
        into_parts(with_cookie("DELETE", "/api/v1/session").call()).0,
        403,
        "sign-out needs CSRF too"
    );
    assert_eq!(
        into_parts(
            with_cookie("DELETE", "/api/v1/session")
                .set("X-CSRF-Token", &csrf)
                .call()
        )
        .0,
        204
    );
    assert_eq!(into_parts(with_cookie("GET", "/api/v1/me").call()).0, 401);
    let (status, _) = app.post("/api/v1/session", None, json!({"token": "apt_wrong"}));
    assert_eq!(status, 401);
}
