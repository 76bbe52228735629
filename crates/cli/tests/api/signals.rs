//! Automated signals through the API on both databases, on the test clock: reliability
//! measurements become rolling SLOs, announced downtime and excluded incidents do not count, a
//! breach repeated within the window opens one system escalation; vulnerabilities get their
//! Security Bug Fix Policy due dates and escalate when overdue; the bug bounty drives the
//! derived badges and escalates its lapse.

use serde_json::{Value, json};

use crate::submissions::{advance, approve};
use crate::support::{Db, TestApp, eventually};

crate::on_both_databases!(
    measurements_become_slos_and_a_repeated_breach_escalates,
    vulnerabilities_and_the_bug_bounty_drive_badges_and_escalations,
);

fn platform(app: &TestApp) -> String {
    let (status, body) = app.post(
        "/api/v1/users",
        Some(&app.staff_token),
        json!({"name": "Monitor", "email": "monitor@platform.test", "role": "platform"}),
    );
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_string()
}

fn now(app: &TestApp) -> time::OffsetDateTime {
    let (_, clock) = app.get("/api/v1/test/clock", Some(&app.staff_token));
    time::OffsetDateTime::parse(
        clock["now"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

fn at(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// `count` polls, one a second ending a minute before now, `ok` with `latency` ms.
fn polls(app: &TestApp, count: i64, ok: bool, latency: u64) -> Value {
    let end = now(app) - time::Duration::minutes(1);
    let checks: Vec<Value> = (0..count)
        .map(
            |i| json!({"at": at(end - time::Duration::seconds(i)), "ok": ok, "latencyMs": latency}),
        )
        .collect();
    json!({ "healthChecks": checks })
}

fn ingest(app: &TestApp, token: &str, key: &str, batch: Value) -> (u16, Value) {
    app.post(&format!("/api/v1/apps/{key}/signals"), Some(token), batch)
}

fn measurements_become_slos_and_a_repeated_breach_escalates(db: Db) {
    let app = TestApp::spawn_with(db, &["--test-clock"]);
    let acme = app.partner("acme");
    let staff = app.staff_token.clone();
    let monitor = platform(&app);
    let key = "com.acme.measured";
    app.app(&acme, key);
    let submission = approve(&app, &acme, key);

    assert_eq!(ingest(&app, &acme, key, polls(&app, 1, true, 1)).0, 403);
    assert_eq!(
        app.post(&format!("/api/v1/apps/{key}/signals"), None, json!({}))
            .0,
        401
    );
    let (status, body) = ingest(&app, &monitor, key, polls(&app, 1_001, true, 1));
    assert_eq!(status, 422, "{body}");
    let future =
        json!({"healthChecks": [{"at": at(now(&app) + time::Duration::hours(1)), "ok": true}]});
    assert_eq!(ingest(&app, &monitor, key, future).0, 422);
    let stale =
        json!({"healthChecks": [{"at": at(now(&app) - time::Duration::days(29)), "ok": true}]});
    assert_eq!(ingest(&app, &monitor, key, stale).0, 422);
    let (status, body) = ingest(&app, &monitor, key, json!({"pings": []}));
    assert_eq!(status, 422, "unknown field: {body}");

    // 995 good polls and 5 slow ones (over 3 s): 99.5%, below 99.9%.
    let (status, done) = ingest(&app, &monitor, key, polls(&app, 995, true, 120));
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["accepted"], 995);
    assert_eq!(done["slos"][0]["met"], true, "{done}");
    let (_, done) = ingest(&app, &monitor, key, polls(&app, 5, true, 3_500));
    assert_eq!(done["slos"][0]["good"], 995, "{done}");
    assert_eq!(done["slos"][0]["met"], false, "{done}");
    assert_eq!(
        done["escalations"],
        json!([]),
        "one day's breach is not yet repeated"
    );

    // Downtime announced in advance (a day at least) does not count.
    let soon = now(&app) + time::Duration::hours(25);
    let window = json!({"from": at(soon), "until": at(soon + time::Duration::hours(2)), "reason": "Database upgrade"});
    let (status, body) = app.post(&format!("/api/v1/apps/{key}/downtime"), Some(&acme), window);
    assert_eq!(status, 201, "{body}");
    let late = now(&app) + time::Duration::hours(1);
    let late =
        json!({"from": at(late), "until": at(late + time::Duration::hours(1)), "reason": "x"});
    let (status, body) = app.post(&format!("/api/v1/apps/{key}/downtime"), Some(&acme), late);
    assert_eq!(
        status, 422,
        "announced when it starts is not in advance: {body}"
    );
    advance(&app, "PT26H");
    let (_, done) = ingest(&app, &monitor, key, polls(&app, 50, false, 10));
    assert_eq!(
        (done["accepted"].as_i64(), done["inDowntime"].as_i64()),
        (Some(0), Some(50)),
        "{done}"
    );

    // Staying below target is the same breach, however long it lasts.
    advance(&app, "PT2H");
    let (_, done) = ingest(&app, &monitor, key, polls(&app, 10, false, 10));
    assert_eq!(done["slos"][0]["met"], false, "{done}");
    assert_eq!(done["escalations"], json!([]), "{done}");
    // It recovers, then breaks again: a second breach within the window, one escalation.
    for _ in 0..20 {
        ingest(&app, &monitor, key, polls(&app, 1_000, true, 100));
    }
    let (_, done) = ingest(&app, &monitor, key, polls(&app, 1, true, 100));
    assert_eq!(done["slos"][0]["met"], true, "{done}");
    let (_, done) = ingest(&app, &monitor, key, polls(&app, 30, false, 10));
    assert_eq!(done["slos"][0]["met"], false, "{done}");
    let escalation = done["escalations"][0]
        .as_i64()
        .unwrap_or_else(|| panic!("{done}"));
    let (_, opened) = app.get(&format!("/api/v1/escalations/{escalation}"), Some(&acme));
    assert_eq!(opened["source"], "system", "{opened}");
    assert_eq!(
        opened["cause"], "slo-breach:availability.percent",
        "{opened}"
    );
    for _ in 0..20 {
        ingest(&app, &monitor, key, polls(&app, 1_000, true, 100));
    }
    let (_, again) = ingest(&app, &monitor, key, polls(&app, 100, false, 10));
    assert_eq!(again["slos"][0]["met"], false, "{again}");
    assert_eq!(
        again["escalations"],
        json!([]),
        "one open per cause: {again}"
    );

    // An incident the marketplace caused is left out: only staff exclude.
    let incident = json!({
        "from": at(now(&app) - time::Duration::days(2)),
        "until": at(now(&app)),
        "reason": "Marketplace network outage"
    });
    let url = format!("/api/v1/apps/{key}/exclusions");
    assert_eq!(app.post(&url, Some(&acme), incident.clone()).0, 403);
    let (status, body) = app.post(&url, Some(&staff), incident);
    assert_eq!(status, 201, "{body}");
    let (status, report) = app.get(&format!("/api/v1/apps/{key}/slos"), Some(&acme));
    assert_eq!(status, 200, "{report}");
    let slo = &report["slos"][0];
    assert_eq!(slo["metric"], "availability.percent");
    assert_eq!(
        slo["total"], 0,
        "every measurement fell in the excluded window: {report}"
    );
    assert_eq!(slo["daily"].as_array().unwrap().len(), 28, "{report}");
    assert_eq!(report["windows"].as_array().unwrap().len(), 2, "{report}");
    let (status, _) = app.get(
        &format!("/api/v1/apps/{key}/slos"),
        Some(&app.partner("other")),
    );
    assert_eq!(status, 403);
    // The submission shows them too.
    let (_, shown) = app.get(&format!("/api/v1/submissions/{submission}"), Some(&staff));
    assert_eq!(
        shown["slos"][0]["metric"], "availability.percent",
        "{shown}"
    );
    assert_eq!(shown["slos"][0]["daily"].as_array().unwrap().len(), 28);
}

fn vulnerabilities_and_the_bug_bounty_drive_badges_and_escalations(db: Db) {
    let app = TestApp::spawn_with(db, &["--test-clock"]);
    let acme = app.partner("acme");
    let monitor = platform(&app);
    let key = "com.acme.secured";
    app.app(&acme, key);
    let bounty = format!("/api/v1/apps/{key}/bug-bounty");
    assert_eq!(app.get(&bounty, Some(&acme)).0, 404);
    let put = |token: &str, body: Value| app.request("PUT", &bounty, Some(token), Some(body));
    assert_eq!(put(&acme, json!({"state": "active", "paid": true})).0, 403);
    assert_eq!(
        put(&monitor, json!({"state": "running", "paid": true})).0,
        422
    );
    let (status, body) = put(&monitor, json!({"state": "active", "paid": true}));
    assert_eq!(status, 200, "{body}");
    let (_, trust) = app.get(&format!("/api/v1/apps/{key}/trust"), None);
    assert_eq!(
        trust["programs"]["cloudSecurityParticipant"]["status"], "APPROVED",
        "{trust}"
    );
    assert_eq!(
        trust["programs"]["bugBountyParticipant"]["cloud"]["status"], "APPROVED",
        "{trust}"
    );
    assert_eq!(trust["badgeEvents"][0]["cause"], "dependency", "{trust}");
    approve(&app, &acme, key);

    // Due dates under the Security Bug Fix Policy.
    let url = format!("/api/v1/apps/{key}/vulnerabilities");
    let reported = now(&app);
    let critical = json!({"id": "BB-1", "severity": "critical", "source": "bug-bounty", "reportedAt": at(reported)});
    assert_eq!(app.post(&url, Some(&acme), critical.clone()).0, 403);
    let (status, body) = app.post(
        &url,
        Some(&monitor),
        json!({"id": "X", "severity": "urgent", "reportedAt": at(reported)}),
    );
    assert_eq!(status, 422, "{body}");
    let (status, recorded) = app.post(&url, Some(&monitor), critical);
    assert_eq!(status, 200, "{recorded}");
    let due = reported + time::Duration::days(28 + 14);
    assert_eq!(
        recorded["dueAt"].as_str().unwrap()[..19],
        at(due)[..19],
        "{recorded}"
    );
    let fixed = json!({"id": "OT-7", "severity": "low", "reportedAt": at(reported),
                       "fixedAt": at(reported + time::Duration::hours(3))});
    assert_eq!(app.post(&url, Some(&monitor), fixed).0, 200);
    let (_, listed) = app.get(&url, Some(&acme));
    assert_eq!(
        listed["vulnerabilities"].as_array().unwrap().len(),
        2,
        "{listed}"
    );

    // Past due and unfixed: the partner is told and a system escalation opens.
    advance(&app, "P43D");
    let mut told = Value::Null;
    eventually("vulnerability.overdue", || {
        told = app
            .get(
                &format!("/api/v1/apps/{key}/notifications?limit=200"),
                Some(&acme),
            )
            .1;
        told.to_string().contains("vulnerability.overdue")
    });
    let (_, queue) = app.get("/api/v1/escalations?open=true", Some(&acme));
    let causes: Vec<&str> = queue["escalations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .map(|id| app.get(&format!("/api/v1/escalations/{id}"), Some(&acme)).1)
        .map(|e| {
            if e["cause"] == "vulnerability-overdue:BB-1" {
                "overdue"
            } else {
                "other"
            }
        })
        .collect();
    assert_eq!(causes, ["overdue"], "{queue}");
    let (_, listed) = app.get(&url, Some(&acme));
    let overdue: Vec<&Value> = listed["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["overdue"] == true)
        .collect();
    assert_eq!(overdue.len(), 1, "{listed}");

    // A lapsed bug bounty removes the derived badges and escalates; Cloud Fortified stays.
    let (status, body) = put(&monitor, json!({"state": "paused", "paid": true}));
    assert_eq!(status, 200, "{body}");
    let (_, trust) = app.get(&format!("/api/v1/apps/{key}/trust"), None);
    assert_eq!(
        trust["programs"]["cloudSecurityParticipant"]["status"], "REMOVED",
        "{trust}"
    );
    assert_eq!(
        trust["programs"]["bugBountyParticipant"]["cloud"]["status"], "REMOVED",
        "{trust}"
    );
    assert_eq!(
        trust["programs"]["cloudFortified"]["status"], "APPROVED",
        "{trust}"
    );
    let (_, queue) = app.get("/api/v1/escalations?open=true", Some(&acme));
    assert_eq!(queue["escalations"].as_array().unwrap().len(), 2, "{queue}");
    let (_, shown) = app.get(&bounty, Some(&acme));
    assert_eq!(shown["state"], "paused", "{shown}");
}

/// A dry run judges the app's signals with an announced set's thresholds and carries the
/// rest over from its approval.
#[test]
fn a_dry_run_shows_how_an_app_fares_against_the_announced_set() {
    let app = TestApp::spawn_with(Db::Sqlite, &["--test-clock"]);
    let acme = app.partner("acme");
    let other = app.partner("other");
    let monitor = platform(&app);
    let key = "com.acme.rehearsed";
    app.app(&acme, key);
    approve(&app, &acme, key);
    // 1,000 polls with one failure: 99.9%, enough for 2026-01 (99.9%), not for 2027-01 (99.95%).
    ingest(&app, &monitor, key, polls(&app, 999, true, 100));
    let (_, done) = ingest(&app, &monitor, key, polls(&app, 1, false, 100));
    assert_eq!(done["slos"][0]["total"], 1_000, "{done}");

    let url = |set: &str| {
        format!("/api/v1/apps/{key}/programs/cloud-fortified/dry-run?requirementSet={set}")
    };
    assert_eq!(app.get(&url("2027-01"), None).0, 401);
    assert_eq!(app.get(&url("2027-01"), Some(&other)).0, 403);
    assert_eq!(app.get(&url("2099-01"), Some(&acme)).0, 404);
    let (status, run) = app.get(&url("2027-01"), Some(&acme));
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["requirementSet"], "cloud-fortified/2027-01");
    let outcome = |run: &Value, id: &str| {
        run["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["requirement"] == id)
            .map(|r| r["outcome"].as_str().unwrap().to_string())
    };
    assert_eq!(
        outcome(&run, "reliability.availability").as_deref(),
        Some("fails"),
        "{run}"
    );
    assert_eq!(outcome(&run, "reliability.testing"), None, "dropped: {run}");
    if run["comparedWith"] == "cloud-fortified/2026-01" {
        assert_eq!(run["added"], json!(["privacy.data-residency"]), "{run}");
        assert_eq!(
            outcome(&run, "privacy.data-residency").as_deref(),
            Some("needs-evidence"),
            "{run}"
        );
        assert_eq!(
            outcome(&run, "security.contact").as_deref(),
            Some("meets"),
            "carried over: {run}"
        );
        let (_, current) = app.get(&url("2026-01"), Some(&acme));
        assert_eq!(
            outcome(&current, "reliability.availability").as_deref(),
            Some("meets"),
            "{current}"
        );
    }
    assert!(run["summary"]["fails"].as_i64().unwrap() >= 1, "{run}");
}
