//! One end-to-end black-box scenario of Cloud Fortified, on both databases and the test clock:
//! a submission with a clarification (and a second one rejected by the 14-day timeout), a soak,
//! approval and the badge, the month's go-to-market edition, the annual review with its notice
//! and a finding remediated, an SLO breach opening a system escalation, a customer escalation
//! (from a site that runs the app) ending in suspension and removal, and reinstatement through
//! a new submission. Every step's notification is awaited at a real webhook receiver the test
//! runs on loopback, and at the end what the receiver got is compared with the app's
//! notifications as the API lists them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::installations::{install, site_with_admin};
use crate::receivers::{Received, WebhookReceiver};
use crate::submissions::{advance, approve};
use crate::support::{Db, TempDir, TestApp, eventually};

crate::on_both_databases!(cloud_fortified_from_submission_to_reinstatement);

/// The app the scenario follows from submission to reinstatement.
const APP: &str = "com.acme.fortress";
/// The app whose clarification goes unanswered.
const QUIET: &str = "com.acme.quiet";
/// The customer site that runs the app and escalates it.
const SITE: &str = "customer.atlassian.net";

/// Every event a webhook may subscribe to: the receiver must get all of an app's notifications.
const EVENTS: [&str; 12] = [
    "badge.gained",
    "badge.lost",
    "version.consent-required",
    "deploy.blocked",
    "submission.moved",
    "submission.check-moved",
    "submission.message",
    "review.moved",
    "escalation.moved",
    "vulnerability.overdue",
    "edition.published",
    "requirements.changed",
];

/// How long one delivery may take to arrive (the deliverer looks for work every second).
const WAIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn submission_move(app: &TestApp, token: &str, id: i64, body: Value) -> Value {
    let (status, after) = app.post(
        &format!("/api/v1/submissions/{id}/actions"),
        Some(token),
        body.clone(),
    );
    assert_eq!(status, 200, "{body}: {after}");
    after
}

fn check_move(app: &TestApp, token: &str, id: i64, requirement: &str, body: Value) -> Value {
    let (status, after) = app.post(
        &format!("/api/v1/submissions/{id}/checks/{requirement}/actions"),
        Some(token),
        body.clone(),
    );
    assert_eq!(status, 200, "{requirement} {body}: {after}");
    after
}

fn review_move(app: &TestApp, token: &str, id: i64, body: Value) -> Value {
    let (status, after) = app.post(
        &format!("/api/v1/reviews/{id}/actions"),
        Some(token),
        body.clone(),
    );
    assert_eq!(status, 200, "{body}: {after}");
    after
}

fn escalation_move(app: &TestApp, token: &str, id: i64, body: Value) -> Value {
    let (status, after) = app.post(
        &format!("/api/v1/escalations/{id}/actions"),
        Some(token),
        body.clone(),
    );
    assert_eq!(status, 200, "{body}: {after}");
    after
}

/// Reads `path` until `field` equals `value`; returns the last answer.
fn wait_until(app: &TestApp, path: &str, field: &str, value: &str) -> Value {
    let mut last = Value::Null;
    eventually(&format!("{path}: {field} = {value}"), || {
        last = app.get(path, Some(&app.staff_token)).1;
        last[field] == value
    });
    last
}

fn cloud_fortified(app: &TestApp) -> Value {
    let (status, trust) = app.get(&format!("/api/v1/apps/{APP}/trust"), None);
    assert_eq!(status, 200, "{trust}");
    trust
}

fn now(app: &TestApp) -> OffsetDateTime {
    let (_, clock) = app.get("/api/v1/test/clock", Some(&app.staff_token));
    OffsetDateTime::parse(clock["now"].as_str().unwrap(), &Rfc3339).unwrap()
}

fn at(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

/// Moves the test clock just past `target` (an RFC 3339 time read from the API).
fn advance_to(app: &TestApp, target: &str) {
    let gap = (OffsetDateTime::parse(target, &Rfc3339).unwrap() - now(app)).whole_seconds();
    if gap > 0 {
        advance(app, &format!("PT{}S", gap + 1));
    }
}

/// `good` health-check polls answered in 100 ms, then `bad` failed ones, one a second ending a
/// minute before now.
fn polls(app: &TestApp, good: i64, bad: i64) -> Value {
    let end = now(app) - time::Duration::minutes(1);
    let polls: Vec<Value> = (0..good + bad)
        .map(|i| {
            let at = at(end - time::Duration::seconds(good + bad - i));
            json!({"at": at, "ok": i < good, "latencyMs": 100})
        })
        .collect();
    json!({ "healthChecks": polls })
}

fn user(app: &TestApp, body: Value) -> String {
    let (status, created) = app.post("/api/v1/users", Some(&app.staff_token), body);
    assert_eq!(status, 201, "{created}");
    created["token"].as_str().unwrap().to_string()
}

/// Every notification of `key`, oldest first, all pages.
fn notifications(app: &TestApp, token: &str, key: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let (status, page) = app.get(
            &format!("/api/v1/apps/{key}/notifications?after={after}&limit=200"),
            Some(token),
        );
        assert_eq!(status, 200, "{page}");
        all.extend(page["notifications"].as_array().unwrap().iter().cloned());
        match page["next"].as_i64() {
            Some(next) => after = next,
            None => return all,
        }
    }
}

/// The deliveries the receiver got at `path` (one registered webhook) about app `key`.
fn deliveries(receiver: &WebhookReceiver, path: &str, key: &str) -> Vec<Received> {
    receiver
        .received()
        .into_iter()
        .filter(|r| r.path == path && r.json()["data"]["app"] == key)
        .collect()
}

/// Whether every field of `expected` (an object) is in `data` with the same value.
fn matches(data: &Value, expected: &Value) -> bool {
    expected
        .as_object()
        .unwrap()
        .iter()
        .all(|(field, value)| &data[field] == value)
}

/// Waits until acme's webhook received a delivery of `event` about `key` whose data has the
/// fields of `expected`; returns that data. Panics listing what arrived if none comes.
fn heard(receiver: &WebhookReceiver, event: &str, key: &str, expected: Value) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let found = deliveries(receiver, "/acme", key)
            .into_iter()
            .find_map(|r| {
                let body = r.json();
                (body["type"] == event && matches(&body["data"], &expected))
                    .then(|| body["data"].clone())
            });
        if let Some(data) = found {
            return data;
        }
        if Instant::now() > deadline {
            let got: Vec<String> = deliveries(receiver, "/acme", key)
                .iter()
                .map(Received::text)
                .collect();
            panic!(
                "no {event} about {key} with {expected} reached the webhook; it got:\n{}",
                got.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `(notification id, event)` of each delivery, sorted; panics on a delivery received twice.
fn delivered(received: &[Received]) -> Vec<(i64, String)> {
    let mut ids: Vec<&str> = received
        .iter()
        .map(|r| r.header("webhook-id").unwrap())
        .collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "a delivery arrived twice: {ids:?}");
    let mut events: Vec<(i64, String)> = received
        .iter()
        .map(|r| {
            let body = r.json();
            (
                body["data"]["notification"].as_i64().unwrap(),
                body["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    events.sort();
    events
}

// ---------------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------------

fn cloud_fortified_from_submission_to_reinstatement(db: Db) {
    // 1. A server on the test clock that may call loopback, looking for due timers and for
    //    deliveries every 100 ms rather than every second, so that each step's news comes
    //    quickly; a receiver on loopback where acme's webhook and staff's get every event.
    let config = TempDir::new("scenario-config");
    let file = config.0.join("apptrust.toml");
    std::fs::write(
        &file,
        "timer-interval-ms = 100\ndelivery-interval-ms = 100\n",
    )
    .unwrap();
    let file = file.display().to_string();
    let app = TestApp::spawn_with(
        db,
        &[
            "--test-clock",
            "--allow-private-webhooks",
            "--config",
            &file,
        ],
    );
    let receiver = WebhookReceiver::start();
    let staff = app.staff_token.clone();
    let acme = app.partner("acme");
    for (token, path) in [(&acme, "/acme"), (&staff, "/staff")] {
        let (status, body) = app.post(
            "/api/v1/webhooks",
            Some(token),
            json!({"url": receiver.url(path), "events": EVENTS}),
        );
        assert_eq!(status, 201, "{body}");
    }
    app.app(&acme, APP);
    app.app(&acme, QUIET);
    let open = |key: &str| {
        let (status, opened) = app.post(
            &format!("/api/v1/apps/{key}/submissions"),
            Some(&acme),
            json!({"program": "cloud-fortified"}),
        );
        assert_eq!(status, 201, "{opened}");
        assert_eq!(opened["state"], "submitted");
        opened
    };

    // 2. The quiet app's clarification goes unanswered: 14 days on, the deadline rejects it.
    let quiet = open(QUIET)["id"].as_i64().unwrap();
    submission_move(&app, &staff, quiet, json!({"action": "triage"}));
    let asked = submission_move(
        &app,
        &staff,
        quiet,
        json!({"action": "request-info", "reason": "Which address gets your alerts?"}),
    );
    assert_eq!(asked["ball"], "partner");
    heard(
        &receiver,
        "submission.moved",
        QUIET,
        json!({"submission": quiet, "action": "request-info", "ball": "partner"}),
    );
    advance(&app, "P15D");
    let rejected = wait_until(
        &app,
        &format!("/api/v1/submissions/{quiet}"),
        "state",
        "rejected",
    );
    let last = rejected["history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["side"], "system", "{rejected}");
    assert_eq!(last["action"], "clarification-timeout", "{rejected}");
    heard(
        &receiver,
        "submission.moved",
        QUIET,
        json!({"submission": quiet, "action": "clarification-timeout", "side": "system",
               "state": "rejected"}),
    );

    // 3. The app's submission: triage, a clarification answered, review.
    let opened = open(APP);
    let id = opened["id"].as_i64().unwrap();
    submission_move(&app, &staff, id, json!({"action": "triage"}));
    heard(
        &receiver,
        "submission.moved",
        APP,
        json!({"submission": id, "action": "triage", "state": "triage"}),
    );
    let asked = submission_move(
        &app,
        &staff,
        id,
        json!({"action": "request-info", "reason": "Which bug bounty covers the app?"}),
    );
    assert_eq!(asked["state"], "waiting-for-partner", "{asked}");
    heard(
        &receiver,
        "submission.moved",
        APP,
        json!({"submission": id, "action": "request-info", "ball": "partner",
               "reason": "Which bug bounty covers the app?"}),
    );
    // A remark on the thread moves nothing but is news too.
    let (status, remarked) = app.post(
        &format!("/api/v1/submissions/{id}/messages"),
        Some(&acme),
        json!({"body": "Checking with our security lead."}),
    );
    assert_eq!(status, 201, "{remarked}");
    heard(
        &receiver,
        "submission.message",
        APP,
        json!({"submission": id, "side": "partner", "body": "Checking with our security lead."}),
    );
    let replied = submission_move(
        &app,
        &acme,
        id,
        json!({"action": "reply", "reason": "Marketplace's own, since May."}),
    );
    assert_eq!(replied["ball"], "staff", "{replied}");
    heard(
        &receiver,
        "submission.moved",
        APP,
        json!({"submission": id, "action": "reply", "side": "partner", "ball": "staff"}),
    );
    submission_move(&app, &staff, id, json!({"action": "start-review"}));
    heard(
        &receiver,
        "submission.moved",
        APP,
        json!({"submission": id, "action": "start-review", "state": "in-review"}),
    );

    // The bug bounty must have run 30 days: evidence, then a soak; the submission soaks.
    for (side, action) in [
        (&staff, "request-evidence"),
        (&acme, "submit-evidence"),
        (&staff, "start-soak"),
    ] {
        check_move(
            &app,
            side,
            id,
            "security.bug-bounty",
            json!({"action": action, "reason": "Bounty programme BB-ACME, paid, active."}),
        );
        heard(
            &receiver,
            "submission.check-moved",
            APP,
            json!({"submission": id, "requirement": "security.bug-bounty", "action": action}),
        );
    }
    let soaking = submission_move(&app, &staff, id, json!({"action": "soak"}));
    assert_eq!(soaking["ball"], "timer", "{soaking}");
    heard(
        &receiver,
        "submission.moved",
        APP,
        json!({"submission": id, "action": "soak", "ball": "timer"}),
    );
    // Past the soak the check goes back to staff and the submission back to review, on their
    // own: the check move carries the submission along, and both are announced.
    advance(&app, "P31D");
    let reviewed = wait_until(
        &app,
        &format!("/api/v1/submissions/{id}"),
        "state",
        "in-review",
    );
    let bounty = reviewed["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["requirement"] == "security.bug-bounty")
        .unwrap();
    assert_eq!(bounty["state"], "staff-review", "{reviewed}");
    assert_eq!(bounty["soaked"], true, "{reviewed}");
    heard(
        &receiver,
        "submission.check-moved",
        APP,
        json!({"submission": id, "requirement": "security.bug-bounty", "action": "soak-ended",
               "side": "system", "checkState": "staff-review"}),
    );
    heard(
        &receiver,
        "submission.moved",
        APP,
        json!({"submission": id, "action": "soak-ended", "side": "system", "from": "soaking",
               "state": "in-review"}),
    );

    // Every other check passed (what staff verify) or waived far into the future; approval.
    check_move(
        &app,
        &staff,
        id,
        "security.bug-bounty",
        json!({"action": "pass"}),
    );
    for check in reviewed["checks"].as_array().unwrap() {
        let requirement = check["requirement"].as_str().unwrap();
        if requirement == "security.bug-bounty" {
            continue;
        }
        let allowed = check["allowedActions"].as_array().unwrap();
        let body = if allowed.contains(&json!("pass")) {
            json!({"action": "pass"})
        } else {
            json!({"action": "waive", "reason": "Covered by the 2026 audit",
                   "expires": "2199-01-01T00:00:00Z"})
        };
        check_move(&app, &staff, id, requirement, body);
    }
    let approved = submission_move(&app, &staff, id, json!({"action": "approve"}));
    assert_eq!(approved["state"], "approved", "{approved}");
    heard(
        &receiver,
        "submission.moved",
        APP,
        json!({"submission": id, "action": "approve", "state": "approved"}),
    );
    heard(
        &receiver,
        "badge.gained",
        APP,
        json!({"program": "cloudFortified", "to": "APPROVED", "cause": "approval"}),
    );
    let trust = cloud_fortified(&app);
    let cf = &trust["programs"]["cloudFortified"];
    assert_eq!(cf["status"], "APPROVED", "{trust}");
    assert_eq!(cf["requirementSet"], approved["requirementSet"], "{trust}");
    let first_day = cf["nextReview"]
        .as_str()
        .unwrap_or_else(|| panic!("{trust}"));
    let scheduled = heard(
        &receiver,
        "review.moved",
        APP,
        json!({"action": "schedule", "firstDay": first_day}),
    );
    let review = scheduled["review"].as_i64().unwrap();
    let path = format!("/api/v1/reviews/{review}");
    let planned = app.get(&path, Some(&acme)).1;
    assert_eq!(planned["state"], "scheduled", "{planned}");
    assert_eq!(planned["submission"], id, "{planned}");
    let notice_at = planned["noticeAt"].as_str().unwrap().to_string();

    // 4. Staff publish this month's go-to-market edition: the app is on it, and new.
    let month = at(now(&app))[..7].to_string();
    let (status, edition) = app.post(
        "/api/v1/programs/cloud-fortified/editions",
        Some(&staff),
        json!({"month": month}),
    );
    assert_eq!(status, 201, "{edition}");
    assert_eq!(
        edition["apps"].as_array().unwrap().len(),
        1,
        "only the approved app: {edition}"
    );
    assert_eq!(edition["apps"][0]["app"], APP, "{edition}");
    assert_eq!(edition["apps"][0]["new"], true, "{edition}");
    heard(
        &receiver,
        "edition.published",
        APP,
        json!({"program": "cloud-fortified", "month": month, "new": true}),
    );

    // The program's own calendar until the review: each date of a requirement set that comes
    // (a publication, a set taking effect, a grace period's end; today the 2027-01 set's grace
    // end) is a change notice to the app. The clock walks to each date rather than jumping a
    // year past it: a notice more than 7 days late is not news and is passed over.
    let (_, program) = app.get("/api/v1/programs/cloud-fortified", None);
    let mut dates: Vec<(String, String, String)> = Vec::new();
    for set in program["requirementSets"].as_array().unwrap() {
        let id = set["id"].as_str().unwrap();
        for (phase, field) in [
            ("announced", "announced"),
            ("effective", "effective"),
            ("grace-ended", "graceUntil"),
        ] {
            let day = set[field].as_str().unwrap();
            if phase == "grace-ended" && set["effective"] == day {
                continue;
            }
            let start = format!("{day}T00:00:00Z");
            if start > at(now(&app)) && start < notice_at {
                dates.push((start, id.to_string(), phase.to_string()));
            }
        }
    }
    dates.sort();
    for (start, set, phase) in dates {
        advance_to(&app, &start);
        heard(
            &receiver,
            "requirements.changed",
            APP,
            json!({"requirementSet": set, "phase": phase}),
        );
    }

    // 5. The annual review, about a year on: the notice on the submission's thread 14 days
    //    ahead, the review week, a finding, its remediation, a pass after remediation.
    advance_to(&app, &notice_at);
    wait_until(&app, &path, "state", "noticed");
    heard(
        &receiver,
        "review.moved",
        APP,
        json!({"review": review, "action": "notify", "state": "noticed"}),
    );
    let thread = app.get(&format!("/api/v1/submissions/{id}"), Some(&acme)).1;
    let notice = thread["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(notice["side"], "system", "{thread}");
    assert!(
        notice["body"].as_str().unwrap().contains(first_day),
        "{notice}"
    );
    heard(
        &receiver,
        "submission.message",
        APP,
        json!({"submission": id, "side": "system", "body": notice["body"], "state": "approved"}),
    );
    advance_to(&app, planned["startsAt"].as_str().unwrap());
    let week = wait_until(&app, &path, "state", "in-review");
    assert_eq!(week["ball"], "staff", "{week}");
    heard(
        &receiver,
        "review.moved",
        APP,
        json!({"review": review, "action": "open", "state": "in-review"}),
    );
    let finding = "The alert address bounces.";
    let found = review_move(
        &app,
        &staff,
        review,
        json!({"action": "report-findings", "reason": finding}),
    );
    assert_eq!(found["ball"], "partner", "{found}");
    heard(
        &receiver,
        "review.moved",
        APP,
        json!({"review": review, "action": "report-findings", "reason": finding}),
    );
    review_move(
        &app,
        &acme,
        review,
        json!({"action": "resolve", "reason": "Fixed the MX record."}),
    );
    heard(
        &receiver,
        "review.moved",
        APP,
        json!({"review": review, "action": "resolve", "side": "partner"}),
    );
    let passed = review_move(&app, &staff, review, json!({"action": "pass"}));
    assert_eq!(passed["outcome"], "passed-after-remediation", "{passed}");
    heard(
        &receiver,
        "review.moved",
        APP,
        json!({"review": review, "action": "pass", "outcome": "passed-after-remediation"}),
    );
    assert_eq!(
        cloud_fortified(&app)["programs"]["cloudFortified"]["status"],
        "APPROVED"
    );

    // 6. The platform's monitoring reports health checks: a first breach of the availability
    //    SLO; the next day it recovers, then breaks again. The second breach within the window
    //    opens one system escalation, which staff resolve.
    let monitor = user(
        &app,
        json!({"name": "Monitor", "email": "monitor@platform.test", "role": "platform"}),
    );
    let signals = format!("/api/v1/apps/{APP}/signals");
    let ingest = |batch: Value| {
        let (status, done) = app.post(&signals, Some(&monitor), batch);
        assert_eq!(status, 200, "{done}");
        done
    };
    // 99 of 100 polls good: 99%, below the target.
    let first = ingest(polls(&app, 99, 1));
    assert_eq!(first["slos"][0]["met"], false, "{first}");
    assert_eq!(first["escalations"], json!([]), "one breach: {first}");
    advance(&app, "P1D");
    let mut recovered = Value::Null;
    for _ in 0..5 {
        recovered = ingest(polls(&app, 1_000, 0));
        if recovered["slos"][0]["met"] == true {
            break;
        }
    }
    assert_eq!(recovered["slos"][0]["met"], true, "{recovered}");
    assert_eq!(recovered["escalations"], json!([]), "{recovered}");
    let second = ingest(polls(&app, 0, 50));
    assert_eq!(second["slos"][0]["met"], false, "{second}");
    let breach = second["escalations"][0]
        .as_i64()
        .unwrap_or_else(|| panic!("{second}"));
    let opened_breach = app
        .get(&format!("/api/v1/escalations/{breach}"), Some(&acme))
        .1;
    assert_eq!(opened_breach["source"], "system", "{opened_breach}");
    assert_eq!(
        opened_breach["cause"], "slo-breach:availability.percent",
        "{opened_breach}"
    );
    heard(
        &receiver,
        "escalation.moved",
        APP,
        json!({"escalation": breach, "action": "raise", "source": "system",
               "cause": "slo-breach:availability.percent"}),
    );
    escalation_move(
        &app,
        &staff,
        breach,
        json!({"action": "resolve", "reason": "The load balancer was fixed; polls are green."}),
    );
    heard(
        &receiver,
        "escalation.moved",
        APP,
        json!({"escalation": breach, "action": "resolve", "state": "resolved"}),
    );

    // 7. A customer's site admin, whose site runs the app, escalates; the agreed plan goes
    //    overdue; staff demote; the notice runs out and the badge is suspended; staff remove
    //    it. The app's first production version (which carries Runs on Atlassian) is what the
    //    customer installs; an admin whose site does not run the app may not escalate it.
    let (status, deployed) = app.deploy(
        &acme,
        APP,
        "production",
        json!({"manifest": crate::support::ELIGIBLE}),
    );
    assert_eq!(status, 201, "{deployed}");
    heard(
        &receiver,
        "badge.gained",
        APP,
        json!({"program": "runsOnAtlassian", "to": "APPROVED"}),
    );
    let customer = site_with_admin(&app, SITE, "EU", "admin@customer.test");
    let elsewhere = site_with_admin(
        &app,
        "elsewhere.atlassian.net",
        "US",
        "admin@elsewhere.test",
    );
    install(&app, &customer, SITE, APP);
    let (status, refused) = app.post(
        &format!("/api/v1/apps/{APP}/escalations"),
        Some(&elsewhere),
        json!({"program": "cloud-fortified", "reason": "We heard it is slow."}),
    );
    assert_eq!(status, 409, "not installed there: {refused}");
    let (status, raised) = app.post(
        &format!("/api/v1/apps/{APP}/escalations"),
        Some(&customer),
        json!({"program": "cloud-fortified",
               "reason": "Sync stopped for two days; support did not answer."}),
    );
    assert_eq!(status, 201, "{raised}");
    assert_eq!(raised["source"], "customer", "{raised}");
    let escalation = raised["id"].as_i64().unwrap();
    let path = format!("/api/v1/escalations/{escalation}");
    heard(
        &receiver,
        "escalation.moved",
        APP,
        json!({"escalation": escalation, "action": "raise", "source": "customer"}),
    );
    let due = at(now(&app) + time::Duration::days(3));
    escalation_move(
        &app,
        &staff,
        escalation,
        json!({"action": "agree-plan", "reason": "Fix the sync and add monitoring.", "due": due}),
    );
    heard(
        &receiver,
        "escalation.moved",
        APP,
        json!({"escalation": escalation, "action": "agree-plan", "state": "remediation-plan"}),
    );
    advance(&app, "P4D");
    wait_until(&app, &path, "state", "plan-overdue");
    heard(
        &receiver,
        "escalation.moved",
        APP,
        json!({"escalation": escalation, "action": "plan-overdue", "state": "plan-overdue"}),
    );
    let demoted = escalation_move(
        &app,
        &staff,
        escalation,
        json!({"action": "demote", "reason": "The plan was not carried out."}),
    );
    let suspends_at = demoted["suspendsAt"]
        .as_str()
        .unwrap_or_else(|| panic!("{demoted}"));
    heard(
        &receiver,
        "escalation.moved",
        APP,
        json!({"escalation": escalation, "action": "demote", "suspendsAt": suspends_at}),
    );
    // The partner is told before the badge moves: it stands until the notice has run.
    assert_eq!(
        cloud_fortified(&app)["programs"]["cloudFortified"]["status"],
        "APPROVED"
    );
    advance(&app, "P7DT1M");
    wait_until(&app, &path, "state", "suspended");
    heard(
        &receiver,
        "escalation.moved",
        APP,
        json!({"escalation": escalation, "action": "suspend", "state": "suspended"}),
    );
    heard(
        &receiver,
        "badge.lost",
        APP,
        json!({"program": "cloudFortified", "from": "APPROVED", "to": "SUSPENDED",
               "cause": "escalation"}),
    );
    assert_eq!(
        cloud_fortified(&app)["programs"]["cloudFortified"]["status"],
        "SUSPENDED"
    );
    // The customer's site heard of it too, on its own list: never at the partner's webhook.
    let (status, told) = app.get(
        &format!("/api/v1/sites/{SITE}/notifications"),
        Some(&customer),
    );
    assert_eq!(status, 200, "{told}");
    let site_events: Vec<&str> = told["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event"].as_str().unwrap())
        .collect();
    assert_eq!(site_events, ["installation.badge-lost"], "{told}");
    escalation_move(
        &app,
        &staff,
        escalation,
        json!({"action": "remove", "reason": "No fix after suspension."}),
    );
    heard(
        &receiver,
        "escalation.moved",
        APP,
        json!({"escalation": escalation, "action": "remove", "state": "removed"}),
    );
    // Removal cancels the next annual review, which the review passed had scheduled.
    let next_review = heard(
        &receiver,
        "review.moved",
        APP,
        json!({"action": "cancel", "state": "cancelled"}),
    );
    assert_ne!(next_review["review"], review);
    let trust = cloud_fortified(&app);
    assert_eq!(
        trust["programs"]["cloudFortified"]["status"], "REMOVED",
        "{trust}"
    );
    // `badge.lost` is news of an APPROVED badge going to any other status
    // (docs/notifications.md): SUSPENDED to REMOVED is told by the escalation's `remove` above,
    // not by a second `badge.lost`.
    let lost: Vec<Value> = notifications(&app, &acme, APP)
        .into_iter()
        .filter(|n| n["event"] == "badge.lost")
        .map(|n| n["payload"]["to"].clone())
        .collect();
    assert_eq!(lost, [json!("SUSPENDED")]);

    // 8. A new submission, approved again: reinstatement, with the whole history kept.
    let again = approve(&app, &acme, APP);
    assert_ne!(again, id);
    heard(
        &receiver,
        "submission.moved",
        APP,
        json!({"submission": again, "action": "approve", "state": "approved"}),
    );
    heard(
        &receiver,
        "badge.gained",
        APP,
        json!({"program": "cloudFortified", "from": "REMOVED", "to": "APPROVED",
               "cause": "approval"}),
    );
    let trust = cloud_fortified(&app);
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
            ("APPROVED", "approval"),
        ],
        "newest first: {trust}"
    );

    // 9. What the webhooks got is what the API lists: for each app, every notification once,
    //    at acme's webhook and at staff's. Deliveries go out concurrently (up to 32 at once),
    //    so their order is not the notifications' order: both are compared sorted by the
    //    notification's id, as multisets (and no delivery arrived twice).
    for key in [APP, QUIET] {
        let listed = notifications(&app, &acme, key);
        let mut expected: Vec<(i64, String)> = listed
            .iter()
            .map(|n| {
                (
                    n["id"].as_i64().unwrap(),
                    n["event"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        expected.sort();
        for path in ["/acme", "/staff"] {
            let deadline = Instant::now() + WAIT;
            while deliveries(&receiver, path, key).len() < expected.len()
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            let received = deliveries(&receiver, path, key);
            assert_eq!(delivered(&received), expected, "{key} at {path}");
            // Each delivery carries its notification's payload.
            let payloads: HashMap<i64, &Value> = listed
                .iter()
                .map(|n| (n["id"].as_i64().unwrap(), &n["payload"]))
                .collect();
            for r in &received {
                let body = r.json();
                let payload = payloads[&body["data"]["notification"].as_i64().unwrap()];
                for (field, value) in body["data"].as_object().unwrap() {
                    if field != "notification" {
                        assert_eq!(&payload[field], value, "{field} of {body} vs {payload}");
                    }
                }
            }
        }
    }
    let listed = notifications(&app, &acme, APP);
    let seen: Vec<&str> = listed
        .iter()
        .map(|n| n["event"].as_str().unwrap())
        .collect();
    assert!(
        seen.iter().all(|e| !e.starts_with("installation.")),
        "the site's news is not the partner's: {seen:?}"
    );
    for event in [
        "submission.moved",
        "submission.check-moved",
        "submission.message",
        "badge.gained",
        "badge.lost",
        "review.moved",
        "escalation.moved",
        "edition.published",
    ] {
        assert!(seen.contains(&event), "no {event}: {seen:?}");
    }
}
