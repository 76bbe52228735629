//! Escalations through the API on both databases, on the test clock: a customer's site admin
//! raises one, staff agree a plan, its due date passes, a demotion tells the partner before the
//! badge is suspended, the badge is removed, and a new submission reinstates the app with its
//! history kept. Staff exclusions and a resolution that restores a suspended badge too.
//! Customers escalate only apps installed on their own site.

use serde_json::{Value, json};

use crate::installations::{install, site_with_admin};
use crate::submissions::{advance, approve};
use crate::support::{Db, ELIGIBLE, TestApp, eventually};

crate::on_both_databases!(
    an_escalation_goes_from_incident_to_removal_and_reinstatement,
    exclusions_and_resolutions_leave_or_restore_the_badge,
    removing_the_security_contact_escalates,
    a_badge_moves_only_from_the_status_it_is_in,
);

/// A production version of `key` (a customer installs what runs in production).
fn deploy(app: &TestApp, partner: &str, key: &str) {
    let (status, body) = app.deploy(partner, key, "production", json!({"manifest": ELIGIBLE}));
    assert_eq!(status, 201, "{body}");
}

/// Asserts that `admin`, whose site does not run `key`, may not escalate it.
fn not_installed(app: &TestApp, admin: &str, key: &str) {
    let (status, body) = raise(app, Some(admin), key, "We heard it is slow.");
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("not installed"), "{message}");
}

fn act(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.post(
        &format!("/api/v1/escalations/{id}/actions"),
        Some(token),
        body,
    )
}

fn raise(app: &TestApp, token: Option<&str>, key: &str, reason: &str) -> (u16, Value) {
    app.post(
        &format!("/api/v1/apps/{key}/escalations"),
        token,
        json!({"program": "cloud-fortified", "reason": reason}),
    )
}

fn cloud_fortified(app: &TestApp, key: &str) -> Value {
    let (_, trust) = app.get(&format!("/api/v1/apps/{key}/trust"), None);
    trust
}

fn wait_for(app: &TestApp, id: i64, state: &str) -> Value {
    let mut last = Value::Null;
    eventually(&format!("escalation {id} {state}"), || {
        last = app
            .get(&format!("/api/v1/escalations/{id}"), Some(&app.staff_token))
            .1;
        last["state"] == state
    });
    last
}

fn an_escalation_goes_from_incident_to_removal_and_reinstatement(db: Db) {
    let app = TestApp::spawn_with(db, &["--test-clock"]);
    let acme = app.partner("acme");
    let other = app.partner("other");
    let staff = app.staff_token.clone();
    let customer = site_with_admin(&app, "customer.atlassian.net", "EU", "admin@customer.test");
    let neighbour = site_with_admin(
        &app,
        "neighbour.atlassian.net",
        "US",
        "admin@neighbour.test",
    );
    app.app(&acme, "com.acme.escalated");
    let key = "com.acme.escalated";
    // The customer runs the app; the neighbour does not.
    deploy(&app, &acme, key);
    install(&app, &customer, "customer.atlassian.net", key);

    // Nothing to escalate before the badge; partners do not escalate; anonymous callers neither;
    // nor a site admin whose site does not run the app.
    let (status, body) = raise(&app, Some(&customer), key, "Sync stopped.");
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("badge"),
        "{body}"
    );
    approve(&app, &acme, key);
    not_installed(&app, &neighbour, key);
    assert_eq!(raise(&app, None, key, "x").0, 401);
    assert_eq!(raise(&app, Some(&acme), key, "x").0, 403);
    let (status, body) = raise(&app, Some(&customer), key, "  ");
    assert_eq!(status, 422, "{body}");
    let (status, raised) = raise(
        &app,
        Some(&customer),
        key,
        "Sync stopped for two days; support did not answer.",
    );
    assert_eq!(status, 201, "{raised}");
    assert_eq!(raised["source"], "customer");
    assert_eq!(raised["state"], "incident-management");
    assert_eq!(raised["ball"], "partner");
    let id = raised["id"].as_i64().unwrap();

    // Who sees it.
    let show = |token: &str| app.get(&format!("/api/v1/escalations/{id}"), Some(token)).0;
    assert_eq!(show(&customer), 200);
    assert_eq!(show(&acme), 200);
    assert_eq!(show(&staff), 200);
    assert_eq!(show(&neighbour), 404);
    assert_eq!(show(&other), 404);
    let (_, queue) = app.get("/api/v1/escalations?open=true", Some(&other));
    assert_eq!(queue["escalations"], json!([]), "{queue}");
    let (_, queue) = app.get("/api/v1/escalations?open=true", Some(&acme));
    assert_eq!(queue["escalations"][0]["id"], id, "{queue}");
    assert_eq!(app.get("/api/v1/escalations", Some(&customer)).0, 403);
    let (status, _) = act(
        &app,
        &customer,
        id,
        json!({"action": "resolve", "reason": "x"}),
    );
    assert_eq!(status, 403, "site admins raise, staff move");

    // A plan with a due date; its due date passes.
    let (status, body) = act(&app, &acme, id, json!({"action": "demote", "reason": "x"}));
    assert_eq!(status, 403, "staff's move: {body}");
    let (_, clock) = app.get("/api/v1/test/clock", Some(&staff));
    let now = clock["now"].as_str().unwrap();
    let due = plus_days(now, 3);
    let (status, planned) = act(
        &app,
        &staff,
        id,
        json!({"action": "agree-plan", "reason": "Fix the sync and add monitoring.", "due": due}),
    );
    assert_eq!(status, 200, "{planned}");
    assert_eq!(planned["state"], "remediation-plan");
    advance(&app, "P4D");
    wait_for(&app, id, "plan-overdue");

    // Demotion: the partner is told when the badge will be suspended; the badge stands until.
    let (status, demoted) = act(
        &app,
        &staff,
        id,
        json!({"action": "demote", "reason": "The plan was not carried out."}),
    );
    assert_eq!(status, 200, "{demoted}");
    assert_eq!(demoted["ball"], "timer");
    assert!(demoted["suspendsAt"].is_string(), "{demoted}");
    assert_eq!(
        cloud_fortified(&app, key)["programs"]["cloudFortified"]["status"],
        "APPROVED"
    );
    advance(&app, "P7DT1M");
    let suspended = wait_for(&app, id, "suspended");
    assert_eq!(suspended["ball"], "staff");
    let trust = cloud_fortified(&app, key);
    assert_eq!(
        trust["programs"]["cloudFortified"]["status"], "SUSPENDED",
        "{trust}"
    );
    assert_eq!(trust["badgeEvents"][0]["cause"], "escalation", "{trust}");
    let (_, found) = app.get("/api/v1/apps?badge=cloudFortified", None);
    assert!(
        !found.to_string().contains(key),
        "a suspended badge is not found by the badge filter: {found}"
    );

    // The partner heard of the demotion before the badge moved.
    let (_, told) = app.get(
        &format!("/api/v1/apps/{key}/notifications?limit=200"),
        Some(&acme),
    );
    let order: Vec<String> = told["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "escalation.moved" || n["event"] == "badge.lost")
        .map(|n| {
            format!(
                "{}:{}",
                n["event"].as_str().unwrap(),
                n["payload"]["action"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            "escalation.moved:raise",
            "escalation.moved:agree-plan",
            "escalation.moved:plan-overdue",
            "escalation.moved:demote",
            "escalation.moved:suspend",
            "badge.lost:"
        ],
        "{told}"
    );

    // Removal, then reinstatement through a new submission, with the history kept.
    let (status, removed) = act(
        &app,
        &staff,
        id,
        json!({"action": "remove", "reason": "No fix after suspension."}),
    );
    assert_eq!(status, 200, "{removed}");
    assert_eq!(
        cloud_fortified(&app, key)["programs"]["cloudFortified"]["status"],
        "REMOVED"
    );
    approve(&app, &acme, key);
    let trust = cloud_fortified(&app, key);
    assert_eq!(
        trust["programs"]["cloudFortified"]["status"], "APPROVED",
        "{trust}"
    );
    let history: Vec<(&str, &str)> = trust["badgeEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["program"] == "cloudFortified")
        .map(|e| (e["to"].as_str().unwrap(), e["cause"].as_str().unwrap()))
        .collect();
    assert_eq!(
        history,
        [
            ("APPROVED", "approval"),
            ("REMOVED", "escalation"),
            ("SUSPENDED", "escalation"),
            ("APPROVED", "approval")
        ],
        "newest first: {trust}"
    );
}

fn exclusions_and_resolutions_leave_or_restore_the_badge(db: Db) {
    let app = TestApp::spawn_with(db, &["--test-clock"]);
    let acme = app.partner("acme");
    let staff = app.staff_token.clone();
    let key = "com.acme.excused";
    app.app(&acme, key);
    approve(&app, &acme, key);
    let (_, raised) = raise(&app, Some(&staff), key, "Health checks failed on 2 March.");
    assert_eq!(raised["source"], "staff");
    let id = raised["id"].as_i64().unwrap();
    let (status, excluded) = act(
        &app,
        &staff,
        id,
        json!({"action": "exclude", "reason": "The marketplace's own outage."}),
    );
    assert_eq!(status, 200, "{excluded}");
    assert_eq!(excluded["state"], "excluded");
    assert_eq!(excluded["allowedActions"], json!([]));

    let (_, raised) = raise(&app, Some(&staff), key, "Critical tickets unanswered.");
    let id = raised["id"].as_i64().unwrap();
    act(
        &app,
        &staff,
        id,
        json!({"action": "demote", "reason": "Repeated."}),
    );
    advance(&app, "P7DT1M");
    wait_for(&app, id, "suspended");
    let (status, body) = act(&app, &staff, id, json!({"action": "resolve"}));
    assert_eq!(status, 422, "a reason is needed: {body}");
    let (status, resolved) = act(
        &app,
        &staff,
        id,
        json!({"action": "resolve", "reason": "Support rota fixed and verified."}),
    );
    assert_eq!(status, 200, "{resolved}");
    let trust = cloud_fortified(&app, key);
    assert_eq!(
        trust["programs"]["cloudFortified"]["status"], "APPROVED",
        "{trust}"
    );
    assert_eq!(trust["badgeEvents"][0]["cause"], "escalation", "{trust}");
}

/// `days` after an RFC 3339 time, as RFC 3339.
fn plus_days(now: &str, days: i64) -> String {
    let format = time::format_description::well_known::Rfc3339;
    let at = time::OffsetDateTime::parse(now, &format).unwrap() + time::Duration::days(days);
    at.format(&format).unwrap()
}

/// A partner that removes its security contact fails the security-contact requirement: each of
/// its apps carrying Cloud Fortified gets one system escalation.
fn removing_the_security_contact_escalates(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let patch =
        |body: Value| app.request("PATCH", "/api/v1/partners/acme", Some(&acme), Some(body));
    let (status, body) = patch(json!({"securityContact": "security@acme.example"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["securityContact"], "security@acme.example");
    assert_eq!(body["timeZone"], "UTC", "left out, unchanged: {body}");
    app.app(&acme, "com.acme.guarded");
    approve(&app, &acme, "com.acme.guarded");
    let (status, body) = patch(json!({"timeZone": "Europe/Berlin"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["securityContact"], "security@acme.example", "{body}");
    let (_, queue) = app.get("/api/v1/escalations?open=true", Some(&acme));
    assert_eq!(queue["escalations"], json!([]), "{queue}");
    let (status, body) = patch(json!({"securityContact": null}));
    assert_eq!(status, 200, "{body}");
    assert!(body["securityContact"].is_null(), "{body}");
    let (_, queue) = app.get("/api/v1/escalations?open=true", Some(&acme));
    let id = queue["escalations"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{queue}"));
    let (_, opened) = app.get(&format!("/api/v1/escalations/{id}"), Some(&acme));
    assert_eq!(opened["cause"], "no-security-contact", "{opened}");
    assert_eq!(opened["source"], "system");
}

/// Several escalations against one badge: it stays suspended while any of them keeps it so, a
/// removal cancels the others, and nothing brings a removed badge back but a new approval.
fn a_badge_moves_only_from_the_status_it_is_in(db: Db) {
    let app = TestApp::spawn_with(db, &["--test-clock"]);
    let acme = app.partner("acme");
    let staff = app.staff_token.clone();
    let customer = site_with_admin(&app, "customer.atlassian.net", "EU", "admin@customer.test");
    let elsewhere = site_with_admin(
        &app,
        "elsewhere.atlassian.net",
        "EU",
        "admin@elsewhere.test",
    );
    let key = "com.acme.contested";
    app.app(&acme, key);
    deploy(&app, &acme, key);
    install(&app, &customer, "customer.atlassian.net", key);
    approve(&app, &acme, key);
    not_installed(&app, &elsewhere, key);
    let (status, body) = app.post(
        &format!("/api/v1/apps/{key}/submissions"),
        Some(&acme),
        json!({"program": "cloud-fortified"}),
    );
    assert_eq!(status, 409, "it carries the badge: {body}");
    let (status, first) = raise(&app, Some(&customer), key, "Sync stopped.");
    assert_eq!(status, 201, "{first}");
    assert!(
        !first["history"][0]["actor"].as_str().unwrap().contains('@'),
        "{first}"
    );
    let (status, body) = raise(&app, Some(&customer), key, "Still stopped.");
    assert_eq!(
        status, 409,
        "one open escalation per site admin and app: {body}"
    );
    let (_, second) = raise(&app, Some(&staff), key, "Support unanswered.");
    let (a, b) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    for id in [a, b] {
        let (status, body) = act(&app, &staff, id, json!({"action": "demote", "reason": "x"}));
        assert_eq!(status, 200, "{body}");
    }
    advance(&app, "P7DT1M");
    wait_for(&app, a, "suspended");
    wait_for(&app, b, "suspended");
    let status =
        |app: &TestApp| cloud_fortified(app, key)["programs"]["cloudFortified"]["status"].clone();
    assert_eq!(status(&app), "SUSPENDED");
    let (status_code, body) = app.post(
        &format!("/api/v1/apps/{key}/submissions"),
        Some(&acme),
        json!({"program": "cloud-fortified"}),
    );
    assert_eq!(
        status_code, 409,
        "suspended: its escalations decide: {body}"
    );
    act(
        &app,
        &staff,
        a,
        json!({"action": "resolve", "reason": "Fixed."}),
    );
    assert_eq!(
        status(&app),
        "SUSPENDED",
        "the other escalation keeps it suspended"
    );
    let (_, third) = raise(&app, Some(&staff), key, "Another incident.");
    let c = third["id"].as_i64().unwrap();
    act(
        &app,
        &staff,
        b,
        json!({"action": "remove", "reason": "Not fixed."}),
    );
    assert_eq!(status(&app), "REMOVED");
    let (_, cancelled) = app.get(&format!("/api/v1/escalations/{c}"), Some(&staff));
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    let (status_code, body) = raise(&app, Some(&staff), key, "Again.");
    assert_eq!(status_code, 409, "nothing to escalate: {body}");
    let (_, reviews) = app.get("/api/v1/reviews", Some(&staff));
    assert_eq!(reviews["reviews"][0]["state"], "cancelled", "{reviews}");
}
