//! Tokens and sessions end when they should: revoking a token ends the sessions opened with it
//! and the tokens issued under it; users list and end their own sessions; staff revoke a user's
//! tokens and disable users; tokens expire; lists are capped and paged.

use serde_json::{Value, json};

use crate::support::{Db, TestApp, into_parts};

crate::on_both_databases!(
    revoking_a_token_ends_its_sessions_and_the_tokens_issued_under_it,
    users_list_and_end_their_own_sessions,
    staff_revoke_tokens_and_disable_users,
    tokens_expire_and_sessions_end_with_them,
    token_and_environment_lists_are_capped_and_paged,
);

fn status(result: Result<ureq::Response, ureq::Error>) -> u16 {
    into_parts(result).0
}

fn revoking_a_token_ends_its_sessions_and_the_tokens_issued_under_it(db: Db) {
    let app = TestApp::spawn(db);
    let first = app.partner("acme");
    // A second, independent token (issued by staff) must survive the revocation.
    let (_, me) = app.get("/api/v1/me", Some(&first));
    let user_id = me["user"]["id"].as_i64().unwrap();
    let (code, other) = app.post(
        &format!("/api/v1/users/{user_id}/tokens"),
        Some(&app.staff_token),
        json!({"label": "independent"}),
    );
    assert_eq!(code, 201, "{other}");
    let independent = other["token"].as_str().unwrap().to_string();

    // A session opened with the first token mints a token of its own.
    let session = app.sign_in(&first);
    let (code, minted) = into_parts(
        app.with_session("POST", "/api/v1/me/tokens", &session)
            .send_json(json!({"label": "minted by the session"})),
    );
    assert_eq!(code, 201, "{minted}");
    let minted = minted["token"].as_str().unwrap().to_string();
    // ...and that token mints another.
    let (code, grandchild) = app.post(
        "/api/v1/me/tokens",
        Some(&minted),
        json!({"label": "grandchild"}),
    );
    assert_eq!(code, 201, "{grandchild}");
    let grandchild = grandchild["token"].as_str().unwrap().to_string();
    let second_session = app.sign_in(&grandchild);

    let (_, tokens) = app.get("/api/v1/me/tokens", Some(&independent));
    let first_id = tokens["tokens"][0]["id"].as_i64().unwrap();
    let (code, body) = app.request(
        "DELETE",
        &format!("/api/v1/me/tokens/{first_id}"),
        Some(&independent),
        None,
    );
    assert_eq!(code, 204, "{body}");

    assert_eq!(app.get("/api/v1/me", Some(&first)).0, 401);
    assert_eq!(
        app.get("/api/v1/me", Some(&minted)).0,
        401,
        "minted by its session"
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&grandchild)).0,
        401,
        "issued under it"
    );
    assert_eq!(
        status(app.with_session("GET", "/api/v1/me", &session).call()),
        401,
        "the session opened with it"
    );
    assert_eq!(
        status(
            app.with_session("GET", "/api/v1/me", &second_session)
                .call()
        ),
        401,
        "a session opened with a token issued under it"
    );
    let (code, body) = into_parts(
        app.with_session("POST", "/api/v1/me/tokens", &session)
            .send_json(json!({"label": "too late"})),
    );
    assert_eq!(code, 401, "an ended session mints nothing: {body}");
    assert_eq!(app.get("/api/v1/me", Some(&independent)).0, 200);
    let (_, audit) = app.get("/api/v1/audit?limit=200", Some(&app.staff_token));
    let revocation = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "token.revoke")
        .expect("audited");
    assert_eq!(revocation["detail"]["tokensIssuedUnderItRevoked"], 2);
    assert_eq!(revocation["detail"]["sessionsEnded"], 2);
}

fn users_list_and_end_their_own_sessions(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let globex = app.partner("globex");
    let laptop = app.sign_in(&acme);
    let phone = app.sign_in(&acme);
    let (code, listed) = into_parts(
        app.with_session("GET", "/api/v1/me/sessions", &laptop)
            .call(),
    );
    assert_eq!(code, 200, "{listed}");
    let sessions = listed["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "{listed}");
    let phone_id = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_i64()
        .unwrap();
    // Another partner's member cannot end it.
    let (code, _) = app.request(
        "DELETE",
        &format!("/api/v1/me/sessions/{phone_id}"),
        Some(&globex),
        None,
    );
    assert_eq!(code, 404);
    assert_eq!(
        status(app.with_session("GET", "/api/v1/me", &phone).call()),
        200
    );
    let ended = app
        .with_session(
            "DELETE",
            &format!("/api/v1/me/sessions/{phone_id}"),
            &laptop,
        )
        .call();
    assert_eq!(status(ended), 204);
    assert_eq!(
        status(app.with_session("GET", "/api/v1/me", &phone).call()),
        401
    );
    assert_eq!(
        status(app.with_session("GET", "/api/v1/me", &laptop).call()),
        200
    );
    // Ending a session needs the CSRF token like any change.
    let (code, _) = into_parts(
        ureq::delete(&format!("{}/api/v1/session", app.url))
            .set("Cookie", &laptop.0)
            .call(),
    );
    assert_eq!(code, 403);
}

fn staff_revoke_tokens_and_disable_users(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let session = app.sign_in(&acme);
    let (_, me) = app.get("/api/v1/me", Some(&acme));
    let id = me["user"]["id"].as_i64().unwrap();
    let staff = Some(app.staff_token.as_str());

    // Partners cannot use the staff routes.
    for (method, path) in [
        ("GET", "/api/v1/users".to_string()),
        ("POST", format!("/api/v1/users/{id}/disable")),
        ("DELETE", format!("/api/v1/users/{id}/tokens")),
    ] {
        let (code, _) = app.request(method, &path, Some(&acme), None);
        assert_eq!(code, 403, "{method} {path}");
    }

    let (code, ended) = app.request("DELETE", &format!("/api/v1/users/{id}/tokens"), staff, None);
    assert_eq!(code, 200, "{ended}");
    assert_eq!(ended["tokensRevoked"], 1);
    assert_eq!(ended["sessionsEnded"], 1);
    assert_eq!(app.get("/api/v1/me", Some(&acme)).0, 401);
    assert_eq!(
        status(app.with_session("GET", "/api/v1/me", &session).call()),
        401
    );

    // A fresh token, then disabling: it is refused, and so is signing in with it.
    let (code, issued) = app.post(
        &format!("/api/v1/users/{id}/tokens"),
        staff,
        json!({"label": "new"}),
    );
    assert_eq!(code, 201, "{issued}");
    let fresh = issued["token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).0, 200);
    let (code, disabled) = app.post(&format!("/api/v1/users/{id}/disable"), staff, json!({}));
    assert_eq!(code, 200, "{disabled}");
    assert!(disabled["user"]["disabledAt"].is_string());
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).0, 401);
    assert_eq!(
        app.post("/api/v1/session", None, json!({"token": fresh})).0,
        401
    );
    let (code, _) = app.post(
        &format!("/api/v1/users/{id}/tokens"),
        staff,
        json!({"label": "x"}),
    );
    assert_eq!(code, 409, "no tokens for a disabled user");
    // Staff cannot disable themselves (and lock everyone out).
    let (_, staff_me) = app.get("/api/v1/me", staff);
    let staff_id = staff_me["user"]["id"].as_i64().unwrap();
    let (code, _) = app.post(
        &format!("/api/v1/users/{staff_id}/tokens"),
        staff,
        json!({"label": "impersonate"}),
    );
    assert_eq!(code, 422, "no staff issues tokens for staff");
    assert_eq!(
        app.post(
            &format!("/api/v1/users/{staff_id}/disable"),
            staff,
            json!({})
        )
        .0,
        422
    );

    // Enabling does not bring old credentials back.
    let (code, enabled) = app.post(&format!("/api/v1/users/{id}/enable"), staff, json!({}));
    assert_eq!(code, 200, "{enabled}");
    assert!(enabled["user"].get("disabledAt").is_none());
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).0, 401);
    let (code, issued) = app.post(
        &format!("/api/v1/users/{id}/tokens"),
        staff,
        json!({"label": "back"}),
    );
    assert_eq!(code, 201);
    assert_eq!(
        app.get("/api/v1/me", Some(issued["token"].as_str().unwrap()))
            .0,
        200
    );
    let (code, users) = app.get("/api/v1/users", staff);
    assert_eq!(code, 200);
    assert_eq!(users["users"].as_array().unwrap().len(), 2);
    let (_, audit) = app.get("/api/v1/audit?limit=200", staff);
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "token.revoke-all",
        "user.disable",
        "user.enable",
        "token.issue",
    ] {
        assert!(
            actions.contains(&action),
            "{action} is audited: {actions:?}"
        );
    }
}

fn tokens_expire_and_sessions_end_with_them(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let (code, body) = app.post(
        "/api/v1/me/tokens",
        Some(&acme),
        json!({"label": "ci", "expiresInDays": 30}),
    );
    assert_eq!(code, 201, "{body}");
    assert!(body["expiresAt"].is_string());
    for bad in [
        json!({"label": "x", "expiresAt": "2001-01-01T00:00:00Z"}),
        json!({"label": "x", "expiresAt": "tomorrow"}),
        json!({"label": "x", "expiresInDays": 0}),
        json!({"label": "x", "expiresAt": "9000-01-01T00:00:00Z"}),
        json!({"label": "x", "expiresInDays": 5, "expiresAt": "2999-01-01T00:00:00Z"}),
        json!({"label": ""}),
    ] {
        let (code, body) = app.post("/api/v1/me/tokens", Some(&acme), bad.clone());
        assert_eq!(code, 422, "{bad} -> {body}");
    }
    let (code, body) = app.post(
        "/api/v1/me/tokens",
        Some(&acme),
        json!({"label": "short", "expiresInDays": 100}),
    );
    assert_eq!(code, 201, "{body}");
    let short = body["token"].as_str().unwrap().to_string();
    let session = app.sign_in(&short);
    assert_eq!(
        status(app.with_session("GET", "/api/v1/me", &session).call()),
        200
    );
    // Let it expire (no API moves time backwards; the database can).
    app.db
        .sql(&format!(
            "UPDATE api_tokens SET expires_at = '2001-01-01T00:00:00.000Z' WHERE id = {}",
            body["id"].as_i64().unwrap()
        ))
        .unwrap();
    assert_eq!(app.get("/api/v1/me", Some(&short)).0, 401);
    assert_eq!(
        status(app.with_session("GET", "/api/v1/me", &session).call()),
        401,
        "the session ends with its token"
    );
    let (code, _) = app.post("/api/v1/session", None, json!({"token": short}));
    assert_eq!(code, 401);
    // A time past what can be stored is refused, not a crash.
    let (code, _) = app.post(
        "/api/v1/me/tokens",
        Some(&acme),
        json!({"label": "far", "expiresAt": "9999-12-31T23:59:59-01:00"}),
    );
    assert_eq!(code, 422);
}

fn token_and_environment_lists_are_capped_and_paged(db: Db) {
    let app = TestApp::spawn_configured(
        db,
        "max-tokens-per-user = 5\nmax-environments-per-app = 5\n",
    );
    let acme = app.partner("acme");
    for n in 0..4 {
        let (code, body) = app.post(
            "/api/v1/me/tokens",
            Some(&acme),
            json!({"label": format!("t{n}")}),
        );
        assert_eq!(code, 201, "{body}");
    }
    let (code, body) = app.post(
        "/api/v1/me/tokens",
        Some(&acme),
        json!({"label": "one too many"}),
    );
    assert_eq!(code, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max-tokens-per-user")
    );
    let (_, page) = app.get("/api/v1/me/tokens?limit=2", Some(&acme));
    assert_eq!(page["tokens"].as_array().unwrap().len(), 2);
    let next = page["next"].as_i64().expect("a next cursor on a full page");
    let (_, rest) = app.get(
        &format!("/api/v1/me/tokens?after={next}&limit=10"),
        Some(&acme),
    );
    assert_eq!(rest["tokens"].as_array().unwrap().len(), 3);
    assert!(rest["next"].is_null());
    assert_eq!(app.get("/api/v1/me/tokens?limit=0", Some(&acme)).0, 422);
    assert_eq!(app.get("/api/v1/me/tokens?colour=red", Some(&acme)).0, 400);

    app.app(&acme, "com.acme.envs");
    let (code, body) = app.post(
        "/api/v1/apps/com.acme.envs/environments",
        Some(&acme),
        json!({"name": "qa"}),
    );
    assert_eq!(code, 201, "{body}");
    let (code, _) = app.post(
        "/api/v1/apps/com.acme.envs/environments",
        Some(&acme),
        json!({"name": "perf"}),
    );
    assert_eq!(code, 201);
    let (code, body) = app.post(
        "/api/v1/apps/com.acme.envs/environments",
        Some(&acme),
        json!({"name": "one-more"}),
    );
    assert_eq!(code, 409, "{body}");
    let (_, page) = app.get(
        "/api/v1/apps/com.acme.envs/environments?limit=3",
        Some(&acme),
    );
    assert_eq!(page["environments"].as_array().unwrap().len(), 3);
    let next = page["next"].as_i64().unwrap();
    let (_, rest) = app.get(
        &format!("/api/v1/apps/com.acme.envs/environments?after={next}"),
        Some(&acme),
    );
    assert_eq!(rest["environments"].as_array().unwrap().len(), 2);
}
