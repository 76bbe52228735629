//! Annual reviews through the API on both databases, on the test clock: approval schedules the
//! review on the partner's calendar, the notice lands on the submission's thread 14 days ahead,
//! the review week opens with the delta since approval, findings are remediated or end in
//! removal, and each move is announced.

use serde_json::{Value, json};

use crate::submissions::{advance, approve};
use crate::support::{Db, TestApp, eventually};

crate::on_both_databases!(
    an_annual_review_runs_on_the_partners_calendar,
    an_unremediated_review_removes_the_badge,
);

fn reviews_of(app: &TestApp, token: &str, key: &str) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/reviews?limit=200", Some(token));
    assert_eq!(status, 200, "{page}");
    page["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["app"] == key)
        .cloned()
        .collect()
}

fn review(app: &TestApp, token: &str, id: i64) -> Value {
    let (status, body) = app.get(&format!("/api/v1/reviews/{id}"), Some(token));
    assert_eq!(status, 200, "{body}");
    body
}

fn act(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.post(&format!("/api/v1/reviews/{id}/actions"), Some(token), body)
}

/// Moves the test clock to `target` (RFC 3339 with milliseconds, as the API shows times) or
/// just past it.
fn advance_to(app: &TestApp, target: &str) {
    let (_, now) = app.get("/api/v1/test/clock", Some(&app.staff_token));
    let now = now["now"].as_str().unwrap().to_string();
    let seconds = |t: &str| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp()
    };
    let gap = seconds(target) - seconds(&now);
    if gap > 0 {
        advance(app, &format!("PT{}S", gap + 1));
    }
}

fn wait_for_state(app: &TestApp, token: &str, id: i64, state: &str) -> Value {
    let mut last = Value::Null;
    eventually(&format!("review {id} {state}"), || {
        last = review(app, token, id);
        last["state"] == state
    });
    last
}

fn an_annual_review_runs_on_the_partners_calendar(db: Db) {
    let app = TestApp::spawn_with(db, &["--test-clock"]);
    let acme = app.partner("acme");
    let other = app.partner("other");
    let staff = app.staff_token.clone();
    let (status, body) = app.request(
        "PATCH",
        "/api/v1/partners/acme",
        Some(&acme),
        Some(json!({"timeZone": "Mars/Olympus_Mons"})),
    );
    assert_eq!(status, 422, "{body}");
    let (status, body) = app.request(
        "PATCH",
        "/api/v1/partners/acme",
        Some(&other),
        Some(json!({"timeZone": "UTC"})),
    );
    assert_eq!(status, 403, "another partner's: {body}");
    let (status, body) = app.request(
        "PATCH",
        "/api/v1/partners/acme",
        Some(&acme),
        Some(json!({"timeZone": "Pacific/Kiritimati"})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["timeZone"], "Pacific/Kiritimati");
    app.app(&acme, "com.acme.reviewed");
    let submission = approve(&app, &acme, "com.acme.reviewed");

    // Approval scheduled next year's review, in the last seven days of the approval month on
    // the partner's calendar (UTC+14 here).
    let listed = reviews_of(&app, &staff, "com.acme.reviewed");
    assert_eq!(listed.len(), 1, "{listed:?}");
    let id = listed[0]["id"].as_i64().unwrap();
    let scheduled = review(&app, &acme, id);
    assert_eq!(scheduled["state"], "scheduled");
    assert_eq!(scheduled["ball"], "timer");
    assert_eq!(scheduled["submission"], submission);
    let first_day = scheduled["firstDay"].as_str().unwrap().to_string();
    assert!(
        first_day.ends_with("-25")
            || first_day.ends_with("-22")
            || first_day.ends_with("-24")
            || first_day.ends_with("-23"),
        "{scheduled}"
    );
    assert!(
        scheduled["startsAt"]
            .as_str()
            .unwrap()
            .ends_with("T10:00:00.000Z"),
        "midnight at UTC+14: {scheduled}"
    );
    let (_, trust) = app.get("/api/v1/apps/com.acme.reviewed/trust", None);
    assert_eq!(
        trust["programs"]["cloudFortified"]["nextReview"],
        first_day.as_str(),
        "{trust}"
    );
    // Who sees it: not another partner, not anonymous callers; a partner sees only their own.
    assert_eq!(
        app.get(&format!("/api/v1/reviews/{id}"), Some(&other)).0,
        404
    );
    assert_eq!(app.get(&format!("/api/v1/reviews/{id}"), None).0, 401);
    assert!(reviews_of(&app, &other, "com.acme.reviewed").is_empty());
    assert_eq!(reviews_of(&app, &acme, "com.acme.reviewed").len(), 1);
    // Nothing to do before the review week: staff cannot pass it yet.
    let (status, body) = act(&app, &staff, id, json!({"action": "pass"}));
    assert_eq!(status, 409, "{body}");

    // The notice, 14 days ahead, on the submission's thread.
    advance_to(&app, scheduled["noticeAt"].as_str().unwrap());
    wait_for_state(&app, &acme, id, "noticed");
    let (_, thread) = app.get(&format!("/api/v1/submissions/{submission}"), Some(&acme));
    let notice = thread["messages"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(notice["side"], "system", "{thread}");
    assert!(
        notice["body"].as_str().unwrap().contains(&first_day),
        "{notice}"
    );

    // The review week opens with the delta since approval.
    advance_to(&app, scheduled["startsAt"].as_str().unwrap());
    let open = wait_for_state(&app, &staff, id, "in-review");
    assert_eq!(open["ball"], "staff");
    assert_eq!(open["slos"][0]["metric"], "availability.percent", "{open}");
    if open["heldSet"] != open["requirementSet"] {
        assert!(
            !open["delta"]["requirements"]["added"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{open}"
        );
    }
    let (status, body) = act(&app, &acme, id, json!({"action": "pass"}));
    assert_eq!(status, 403, "staff's move: {body}");
    let (status, body) = act(&app, &staff, id, json!({"action": "report-findings"}));
    assert_eq!(status, 422, "a finding needs its text: {body}");
    let (status, findings) = act(
        &app,
        &staff,
        id,
        json!({"action": "report-findings", "reason": "The alert address bounces."}),
    );
    assert_eq!(status, 200, "{findings}");
    assert_eq!(findings["ball"], "partner");
    assert_eq!(findings["due"], findings["remediationDue"]);
    let (status, body) = act(
        &app,
        &acme,
        id,
        json!({"action": "resolve", "reason": "Fixed the MX record."}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, passed) = act(&app, &staff, id, json!({"action": "pass"}));
    assert_eq!(status, 200, "{passed}");
    assert_eq!(passed["state"], "passed-after-remediation");
    assert_eq!(passed["outcome"], "passed-after-remediation");

    // The badge stands on the set it was reviewed against, and next year's review is on the
    // calendar.
    let (_, trust) = app.get("/api/v1/apps/com.acme.reviewed/trust", None);
    let cf = &trust["programs"]["cloudFortified"];
    assert_eq!(cf["status"], "APPROVED", "{trust}");
    assert_eq!(cf["requirementSet"], passed["requirementSet"], "{trust}");
    let listed = reviews_of(&app, &staff, "com.acme.reviewed");
    assert_eq!(listed.len(), 2, "{listed:?}");
    let next = listed.iter().find(|r| r["state"] == "scheduled").unwrap();
    let next = review(&app, &staff, next["id"].as_i64().unwrap());
    assert_eq!(next["year"], passed["year"].as_i64().unwrap() + 1);
    let (_, open_only) = app.get("/api/v1/reviews?open=true", Some(&staff));
    assert_eq!(
        open_only["reviews"].as_array().unwrap().len(),
        1,
        "{open_only}"
    );

    // Every move was announced to the partner.
    let (_, told) = app.get(
        "/api/v1/apps/com.acme.reviewed/notifications?limit=200",
        Some(&acme),
    );
    let actions: Vec<&str> = told["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "review.moved")
        .map(|n| n["payload"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "schedule",
            "notify",
            "open",
            "report-findings",
            "resolve",
            "pass",
            "schedule"
        ],
        "{told}"
    );
}

fn an_unremediated_review_removes_the_badge(db: Db) {
    let app = TestApp::spawn_with(db, &["--test-clock"]);
    let acme = app.partner("acme");
    let staff = app.staff_token.clone();
    app.app(&acme, "com.acme.lapsed");
    approve(&app, &acme, "com.acme.lapsed");
    let id = reviews_of(&app, &staff, "com.acme.lapsed")[0]["id"]
        .as_i64()
        .unwrap();
    let scheduled = review(&app, &staff, id);
    advance_to(&app, scheduled["startsAt"].as_str().unwrap());
    wait_for_state(&app, &staff, id, "in-review");
    let (status, body) = act(
        &app,
        &staff,
        id,
        json!({"action": "remove", "reason": "no"}),
    );
    assert_eq!(status, 409, "removal needs findings first: {body}");
    assert_eq!(
        body["allowed"],
        json!(["pass", "report-findings"]),
        "{body}"
    );
    act(
        &app,
        &staff,
        id,
        json!({"action": "report-findings", "reason": "No SLO data for 28 days."}),
    );
    advance_to(&app, scheduled["remediationDue"].as_str().unwrap());
    let overdue = wait_for_state(&app, &staff, id, "overdue");
    assert_eq!(overdue["ball"], "staff");
    let (status, removed) = act(
        &app,
        &staff,
        id,
        json!({"action": "remove", "reason": "Findings not resolved."}),
    );
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["outcome"], "removed");
    let (_, trust) = app.get("/api/v1/apps/com.acme.lapsed/trust", None);
    assert_eq!(
        trust["programs"]["cloudFortified"]["status"], "REMOVED",
        "{trust}"
    );
    assert!(
        trust["programs"]["cloudFortified"]["nextReview"].is_null(),
        "{trust}"
    );
    let event = &trust["badgeEvents"][0];
    assert_eq!(event["cause"], "annual-review", "{trust}");
    assert_eq!(
        event["reasons"],
        json!(["No SLO data for 28 days."]),
        "{trust}"
    );
    let (_, told) = app.get(
        "/api/v1/apps/com.acme.lapsed/notifications?limit=200",
        Some(&acme),
    );
    assert!(
        told["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["event"] == "badge.lost" && n["payload"]["cause"] == "annual-review"),
        "{told}"
    );
}
