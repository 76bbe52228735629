//! Submissions to Cloud Fortified through the API, on both databases: a partner opens one, staff
//! and the partner move it and its checks, each side sees its queue, and every refused move says
//! why (409 with what is possible now, 403 for another side's move).

use serde_json::{Value, json};

use crate::support::{Db, TestApp, eventually};

crate::on_both_databases!(
    a_submission_goes_from_submitted_to_approved,
    deadlines_move_submissions_when_they_come,
    the_thread_holds_clarifications_and_every_move_is_announced,
    approved_apps_join_the_next_go_to_market_edition,
);

fn act(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.post(
        &format!("/api/v1/submissions/{id}/actions"),
        Some(token),
        body,
    )
}

fn check(app: &TestApp, token: &str, id: i64, requirement: &str, body: Value) -> (u16, Value) {
    app.post(
        &format!("/api/v1/submissions/{id}/checks/{requirement}/actions"),
        Some(token),
        body,
    )
}

fn a_submission_goes_from_submitted_to_approved(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let other = app.partner("other");
    let staff = app.staff_token.clone();
    app.app(&acme, "com.acme.fortified");

    let url = "/api/v1/apps/com.acme.fortified/submissions";
    assert_eq!(
        app.post(url, None, json!({"program": "cloud-fortified"})).0,
        401
    );
    assert_eq!(
        app.post(url, Some(&other), json!({"program": "cloud-fortified"}))
            .0,
        403
    );
    assert_eq!(
        app.post(url, Some(&staff), json!({"program": "cloud-fortified"}))
            .0,
        403
    );
    let (status, body) = app.post(url, Some(&acme), json!({"program": "runs-on-atlassian"}));
    assert_eq!(status, 422, "not granted through submissions: {body}");
    let (status, opened) = app.post(url, Some(&acme), json!({"program": "cloud-fortified"}));
    assert_eq!(status, 201, "{opened}");
    assert_eq!(opened["state"], "submitted");
    assert_eq!(opened["ball"], "staff");
    // The set in force today (the dates are the data's; this test runs on any day).
    assert!(
        opened["requirementSet"]
            .as_str()
            .unwrap()
            .starts_with("cloud-fortified/"),
        "{opened}"
    );
    // A Forge app: the Connect-only installation-callbacks requirement is not among its checks.
    let checks = opened["checks"].as_array().unwrap();
    assert!(checks.len() >= 10, "{opened}");
    assert!(
        checks
            .iter()
            .all(|c| c["requirement"] != "reliability.installation-callbacks"),
        "{opened}"
    );
    let id = opened["id"].as_i64().unwrap();
    let (status, body) = app.post(url, Some(&acme), json!({"program": "cloudFortified"}));
    assert_eq!(status, 409, "one open submission per program: {body}");

    // Who sees what: staff's queue has it; another partner sees nothing of it.
    let (_, queue) = app.get("/api/v1/submissions?ball=staff", Some(&staff));
    assert_eq!(queue["submissions"][0]["id"], id, "{queue}");
    let (_, theirs) = app.get("/api/v1/submissions", Some(&other));
    assert_eq!(theirs["submissions"], json!([]));
    assert_eq!(
        app.get(&format!("/api/v1/submissions/{id}"), Some(&other))
            .0,
        404
    );

    // Another side's move is 403; a move not possible now is 409 with what is.
    let (status, body) = act(&app, &acme, id, json!({"action": "triage"}));
    assert_eq!(status, 403, "{body}");
    let (status, body) = act(&app, &staff, id, json!({"action": "approve"}));
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["allowed"],
        json!(["triage"]),
        "what staff can do now: {body}"
    );
    assert_eq!(act(&app, &staff, id, json!({"action": "triage"})).0, 200);
    let (status, body) = act(&app, &staff, id, json!({"action": "request-info"}));
    assert_eq!(status, 422, "a question is needed: {body}");
    let (status, asked) = act(
        &app,
        &staff,
        id,
        json!({"action": "request-info", "reason": "Which bug bounty covers the app?"}),
    );
    assert_eq!(status, 200, "{asked}");
    assert_eq!(asked["ball"], "partner");
    assert!(asked["due"].is_string(), "{asked}");
    let (_, mine) = app.get("/api/v1/submissions?ball=partner", Some(&acme));
    assert_eq!(mine["submissions"][0]["id"], id, "{mine}");
    let (status, body) = act(
        &app,
        &acme,
        id,
        json!({"action": "reply", "reason": "Ours, since May."}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        act(&app, &staff, id, json!({"action": "start-review"})).0,
        200
    );

    // Approval waits for every check.
    let (status, body) = act(&app, &staff, id, json!({"action": "approve"}));
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("checks are open"),
        "{body}"
    );
    // A check that soaks cannot pass before its soak; the partner cannot pass checks.
    let (status, body) = check(
        &app,
        &staff,
        id,
        "security.bug-bounty",
        json!({"action": "pass"}),
    );
    assert_eq!(status, 409, "{body}");
    let (status, body) = check(
        &app,
        &acme,
        id,
        "security.contact",
        json!({"action": "pass"}),
    );
    assert_eq!(status, 403, "{body}");
    let (status, body) = check(&app, &staff, id, "security.nope", json!({"action": "pass"}));
    assert_eq!(status, 404, "{body}");
    let requirements: Vec<(String, Value)> = opened["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["requirement"].as_str().unwrap().to_string(),
                c["allowedActions"].clone(),
            )
        })
        .collect();
    for (requirement, allowed) in requirements {
        let body = if allowed.as_array().unwrap().contains(&json!("pass")) {
            json!({"action": "pass"})
        } else {
            json!({"action": "waive", "reason": "Covered by an earlier audit", "expires": "2099-01-01T00:00:00Z"})
        };
        let (status, after) = check(&app, &staff, id, &requirement, body);
        assert_eq!(status, 200, "{requirement}: {after}");
    }
    let (status, approved) = act(&app, &staff, id, json!({"action": "approve"}));
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["ball"], "nobody");
    assert_eq!(approved["allowedActions"], json!([]));
    let history = approved["history"].as_array().unwrap();
    assert_eq!(history[0]["action"], "submit");
    assert!(
        history
            .iter()
            .any(|h| h["action"] == "reply" && h["side"] == "partner")
    );
    let waiting = &approved["waiting"];
    assert!(waiting["partner"].as_i64().unwrap() >= 0 && waiting["staff"].as_i64().unwrap() >= 0);
    let (status, body) = act(
        &app,
        &acme,
        id,
        json!({"action": "withdraw", "reason": "x"}),
    );
    assert_eq!(status, 409, "decided: {body}");
    let (_, audit) = app.get("/api/v1/audit?limit=200", Some(&staff));
    assert!(audit.to_string().contains("submission.move"), "{audit}");

    // Approval grants the badge: the trust document, its event, the owners told, and search.
    let (_, trust) = app.get("/api/v1/apps/com.acme.fortified/trust", None);
    let cf = &trust["programs"]["cloudFortified"];
    assert_eq!(cf["status"], "APPROVED", "{trust}");
    assert_eq!(cf["requirementSet"], approved["requirementSet"], "{trust}");
    assert!(cf["since"].is_string(), "{trust}");
    let event = trust["badgeEvents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["program"] == "cloudFortified")
        .unwrap_or_else(|| panic!("{trust}"))
        .clone();
    assert_eq!(event["cause"], "approval");
    assert_eq!(event["to"], "APPROVED");
    let (_, told) = app.get("/api/v1/apps/com.acme.fortified/notifications", Some(&acme));
    assert!(
        told["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["event"] == "badge.gained" && n["payload"]["program"] == "cloudFortified"),
        "{told}"
    );
    let (_, found) = app.get("/api/v1/apps?badge=cloudFortified", None);
    assert_eq!(found["apps"][0]["key"], "com.acme.fortified", "{found}");
}

/// Opens a submission of `key` for `partner` and takes it to approval (passing what staff can
/// pass at once, waiving the rest); returns the submission's id.
pub(crate) fn approve(app: &TestApp, partner: &str, key: &str) -> i64 {
    let staff = app.staff_token.clone();
    let (status, opened) = app.post(
        &format!("/api/v1/apps/{key}/submissions"),
        Some(partner),
        json!({"program": "cloud-fortified"}),
    );
    assert_eq!(status, 201, "{opened}");
    let id = opened["id"].as_i64().unwrap();
    for action in ["triage", "start-review"] {
        let (status, body) = act(app, &staff, id, json!({ "action": action }));
        assert_eq!(status, 200, "{body}");
    }
    for c in opened["checks"].as_array().unwrap() {
        let requirement = c["requirement"].as_str().unwrap();
        let body = if c["allowedActions"]
            .as_array()
            .unwrap()
            .contains(&json!("pass"))
        {
            json!({"action": "pass"})
        } else {
            json!({"action": "waive", "reason": "Covered by an earlier audit", "expires": "2199-01-01T00:00:00Z"})
        };
        let (status, after) = check(app, &staff, id, requirement, body);
        assert_eq!(status, 200, "{requirement}: {after}");
    }
    let (status, approved) = act(app, &staff, id, json!({"action": "approve"}));
    assert_eq!(status, 200, "{approved}");
    id
}

pub(crate) fn advance(app: &TestApp, by: &str) {
    let (status, body) = app.post(
        "/api/v1/test/clock",
        Some(&app.staff_token),
        json!({"advance": by}),
    );
    assert_eq!(status, 200, "{body}");
}

/// The deadlines are durable timers: an unanswered clarification rejects its submission after
/// 14 days, and a soak hands its check back to staff (and the submission back to review) when
/// it has run, on the test clock.
fn deadlines_move_submissions_when_they_come(db: Db) {
    let app = TestApp::spawn_with(db, &["--test-clock"]);
    let acme = app.partner("acme");
    let staff = app.staff_token.clone();
    app.app(&acme, "com.acme.quiet");
    app.app(&acme, "com.acme.soaks");
    let open = |key: &str| {
        let (status, body) = app.post(
            &format!("/api/v1/apps/{key}/submissions"),
            Some(&acme),
            json!({"program": "cloud-fortified"}),
        );
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().unwrap()
    };
    let quiet = open("com.acme.quiet");
    let soaks = open("com.acme.soaks");
    for id in [quiet, soaks] {
        assert_eq!(act(&app, &staff, id, json!({"action": "triage"})).0, 200);
    }
    let (status, body) = act(
        &app,
        &staff,
        quiet,
        json!({"action": "request-info", "reason": "Your alert address?"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        act(&app, &staff, soaks, json!({"action": "start-review"})).0,
        200
    );
    for (side, action) in [
        (&staff, "request-evidence"),
        (&acme, "submit-evidence"),
        (&staff, "start-soak"),
    ] {
        let (status, body) = check(
            &app,
            side,
            soaks,
            "security.bug-bounty",
            json!({"action": action}),
        );
        assert_eq!(status, 200, "{action}: {body}");
    }
    let (status, body) = act(&app, &staff, soaks, json!({"action": "soak"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ball"], "timer");

    // Thirteen days: nothing yet.
    advance(&app, "P13D");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (_, body) = app.get(&format!("/api/v1/submissions/{quiet}"), Some(&acme));
    assert_eq!(body["state"], "waiting-for-partner", "{body}");
    // Past the due date: rejected by the deadline. Past the 30-day soak: back to staff.
    advance(&app, "P18D");
    eventually("the clarification timed out", || {
        app.get(&format!("/api/v1/submissions/{quiet}"), Some(&acme))
            .1["state"]
            == "rejected"
    });
    eventually("the soak ended", || {
        app.get(&format!("/api/v1/submissions/{soaks}"), Some(&acme))
            .1["state"]
            == "in-review"
    });
    let (_, body) = app.get(&format!("/api/v1/submissions/{soaks}"), Some(&staff));
    let bounty = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["requirement"] == "security.bug-bounty")
        .unwrap();
    assert_eq!(bounty["state"], "staff-review", "{body}");
    assert_eq!(bounty["soaked"], true);
    let (_, body) = app.get(&format!("/api/v1/submissions/{quiet}"), Some(&acme));
    let last = body["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["side"], "system", "{body}");
    assert_eq!(last["action"], "clarification-timeout");
}

/// The demo tells a Cloud Fortified story: one app approved with its review coming up, its SLO
/// measured and a bug bounty; one waiting on its partner; one suspended after an escalation.
#[test]
fn the_demo_has_a_cloud_fortified_story() {
    let dir = crate::support::TempDir::new("demo-fortified");
    let db = dir.0.join("demo.db");
    let mut demo = crate::hostile_clients::Demo::start(db.to_str().unwrap(), "127.0.0.1:0");
    let base = format!("http://127.0.0.1:{}", demo.port);
    let get = |path: &str, token: Option<&str>| -> Value {
        let mut request = ureq::get(&format!("{base}{path}"));
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        request.call().unwrap().into_json().unwrap()
    };
    let trust = get("/api/v1/apps/com.acme.issue-insights/trust", None);
    assert_eq!(
        trust["programs"]["cloudFortified"]["status"], "APPROVED",
        "{trust}"
    );
    let waiting = get("/api/v1/submissions?ball=partner", Some(&demo.partner));
    assert_eq!(
        waiting["submissions"][0]["app"], "com.acme.vendor-reports",
        "{waiting}"
    );
    assert!(waiting["submissions"][0]["due"].is_string(), "{waiting}");
    let all = get("/api/v1/submissions", Some(&demo.staff));
    assert_eq!(all["submissions"].as_array().unwrap().len(), 3, "{all}");
    assert!(
        trust["programs"]["cloudFortified"]["nextReview"].is_string(),
        "{trust}"
    );
    assert_eq!(
        trust["programs"]["cloudSecurityParticipant"]["status"], "APPROVED",
        "{trust}"
    );
    let slos = get(
        "/api/v1/apps/com.acme.issue-insights/slos",
        Some(&demo.partner),
    );
    assert_eq!(slos["slos"][0]["met"], true, "{slos}");
    let board = get("/api/v1/apps/com.acme.board-sync/trust", None);
    assert_eq!(
        board["programs"]["cloudFortified"]["status"], "SUSPENDED",
        "{board}"
    );
    let escalations = get("/api/v1/escalations?open=true", Some(&demo.staff));
    let id = escalations["escalations"][0]["id"].as_i64().unwrap();
    let escalation = get(&format!("/api/v1/escalations/{id}"), Some(&demo.partner));
    assert_eq!(escalation["state"], "suspended", "{escalation}");
    assert_eq!(escalation["source"], "customer", "{escalation}");
    let reviews = get("/api/v1/reviews?open=true", Some(&demo.partner));
    assert_eq!(reviews["reviews"].as_array().unwrap().len(), 2, "{reviews}");
    demo.stop();
}

/// Clarifications and answers land on the submission's thread with their due date, remarks can
/// be added by either side (never by another partner), and every move of the submission and of
/// its checks, and every message, is a notification to the app's partner.
fn the_thread_holds_clarifications_and_every_move_is_announced(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let other = app.partner("other");
    let staff = app.staff_token.clone();
    app.app(&acme, "com.acme.threaded");
    let (_, opened) = app.post(
        "/api/v1/apps/com.acme.threaded/submissions",
        Some(&acme),
        json!({"program": "cloud-fortified"}),
    );
    let id = opened["id"].as_i64().unwrap();
    act(&app, &staff, id, json!({"action": "triage"}));
    let due = "2126-01-31T00:00:00Z";
    let (status, asked) = act(
        &app,
        &staff,
        id,
        json!({"action": "request-info", "reason": "Your alert address?", "due": due}),
    );
    assert_eq!(status, 200, "{asked}");
    assert_eq!(asked["messages"][0]["body"], "Your alert address?");
    let shown_due = "2126-01-31T00:00:00.000Z";
    assert_eq!(asked["messages"][0]["due"], shown_due);
    assert_eq!(asked["messages"][0]["side"], "staff");

    let messages = format!("/api/v1/submissions/{id}/messages");
    assert_eq!(app.post(&messages, None, json!({"body": "hi"})).0, 401);
    assert_eq!(
        app.post(&messages, Some(&other), json!({"body": "hi"})).0,
        404
    );
    let (status, body) = app.post(&messages, Some(&acme), json!({"body": "  "}));
    assert_eq!(status, 422, "{body}");
    let (status, body) = app.post(&messages, Some(&acme), json!({"text": "hi"}));
    assert_eq!(status, 422, "unknown field: {body}");
    let (status, remarked) = app.post(
        &messages,
        Some(&acme),
        json!({"body": "Looking into it; our on-call lead is away until Monday."}),
    );
    assert_eq!(status, 201, "{remarked}");
    assert_eq!(
        remarked["state"], "waiting-for-partner",
        "a remark moves nothing"
    );
    let (_, replied) = act(
        &app,
        &acme,
        id,
        json!({"action": "reply", "reason": "alerts@acme.example"}),
    );
    assert_eq!(replied["ball"], "staff");
    let bodies: Vec<&str> = replied["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "Your alert address?",
            "Looking into it; our on-call lead is away until Monday.",
            "alerts@acme.example"
        ]
    );
    let (status, _) = check(
        &app,
        &acme,
        id,
        "security.contact",
        json!({"action": "submit-evidence", "reason": "security@acme.example"}),
    );
    assert_eq!(status, 409, "no evidence was asked for yet");
    check(
        &app,
        &staff,
        id,
        "security.contact",
        json!({"action": "request-evidence"}),
    );
    let (status, evidenced) = check(
        &app,
        &acme,
        id,
        "security.contact",
        json!({"action": "submit-evidence", "reason": "security@acme.example"}),
    );
    assert_eq!(status, 200, "{evidenced}");
    let contact = evidenced["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["requirement"] == "security.contact")
        .unwrap();
    assert_eq!(contact["evidence"][0]["note"], "security@acme.example");

    let (_, told) = app.get(
        "/api/v1/apps/com.acme.threaded/notifications?limit=200",
        Some(&acme),
    );
    let events: Vec<(String, String)> = told["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["event"].as_str().unwrap().to_string(),
                n["payload"]["action"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("submission.moved", "submit"),
        ("submission.moved", "triage"),
        ("submission.moved", "request-info"),
        ("submission.message", "message"),
        ("submission.moved", "reply"),
        ("submission.check-moved", "request-evidence"),
        ("submission.check-moved", "submit-evidence"),
    ]
    .iter()
    .map(|(e, a)| (e.to_string(), a.to_string()))
    .collect();
    assert_eq!(events, expected, "{told}");
    let asked = &told["notifications"][2]["payload"];
    assert_eq!(asked["due"], shown_due);
    assert_eq!(asked["ball"], "partner");
    assert_eq!(asked["from"], "triage");
    assert_eq!(asked["submission"], id);
}

/// Approved apps are listed in the month's go-to-market edition: published once by staff,
/// immutable, public as JSON and CSV, apps new since the previous edition marked.
fn approved_apps_join_the_next_go_to_market_edition(db: Db) {
    let app = TestApp::spawn_with(db, &["--test-clock"]);
    let acme = app.partner("acme");
    let staff = app.staff_token.clone();
    app.app(&acme, "com.acme.first");
    app.app(&acme, "com.acme.second");
    approve(&app, &acme, "com.acme.first");
    let (_, clock) = app.get("/api/v1/test/clock", Some(&staff));
    let month = clock["now"].as_str().unwrap()[..7].to_string();
    let url = "/api/v1/programs/cloud-fortified/editions";

    let (status, preview) = app.get(&format!("{url}/preview"), Some(&staff));
    assert_eq!(status, 200, "{preview}");
    assert!(preview["publishedAt"].is_null());
    assert_eq!(app.get(&format!("{url}/preview"), Some(&acme)).0, 403);
    assert_eq!(app.post(url, Some(&acme), json!({"month": month})).0, 403);
    let (status, body) = app.post(url, Some(&staff), json!({"month": "2999-01"}));
    assert_eq!(status, 422, "not before its month: {body}");
    let (status, first) = app.post(url, Some(&staff), json!({"month": month}));
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["apps"][0]["app"], "com.acme.first", "{first}");
    assert_eq!(first["apps"][0]["new"], true);
    assert_eq!(first["apps"].as_array().unwrap().len(), 1);
    let (status, body) = app.post(url, Some(&staff), json!({"month": month}));
    assert_eq!(status, 409, "editions never change: {body}");

    // Public, as JSON and CSV.
    let (status, shown) = app.get(&format!("{url}/{month}"), None);
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown, first);
    let (status, listed) = app.get(url, None);
    assert_eq!(status, 200);
    assert_eq!(listed["editions"][0]["apps"], 1, "{listed}");
    let response = ureq::get(&format!("{}{url}/{month}?format=csv", app.url))
        .call()
        .unwrap();
    assert!(response.content_type().starts_with("text/csv"));
    let csv = response.into_string().unwrap();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "app,name,partner,since,requirementSet,new");
    assert!(lines[1].starts_with("com.acme.first,"), "{csv}");
    assert!(lines[1].ends_with(",true"), "{csv}");
    assert_eq!(app.get(&format!("{url}/{month}?format=xml"), None).0, 422);
    assert_eq!(app.get(&format!("{url}/1999-01"), None).0, 404);

    // Next month: the second app is new, the first is not.
    approve(&app, &acme, "com.acme.second");
    advance(&app, "P32D");
    let (_, clock) = app.get("/api/v1/test/clock", Some(&staff));
    let next = clock["now"].as_str().unwrap()[..7].to_string();
    let (status, second) = app.post(url, Some(&staff), json!({"month": next}));
    assert_eq!(status, 201, "{second}");
    let flags: Vec<(String, bool)> = second["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["app"].as_str().unwrap().to_string(),
                a["new"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            ("com.acme.first".to_string(), false),
            ("com.acme.second".to_string(), true)
        ]
    );
    // The first edition did not change.
    assert_eq!(app.get(&format!("{url}/{month}"), None).1, first);
    let (_, told) = app.get(
        "/api/v1/apps/com.acme.second/notifications?limit=200",
        Some(&acme),
    );
    assert!(told.to_string().contains("edition.published"), "{told}");
}
