//! The test clock of `apptrust serve --test-clock`: staff read it and move it forward through
//! the API, and the service takes its time from it (a token that expires in a day stops working
//! two days later, at once). Without the flag the routes do not exist.

use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::{Db, TestApp};

crate::on_both_databases!(
    staff_move_the_test_clock_and_the_service_follows_it,
    without_the_flag_there_is_no_test_clock,
);

fn time_of(body: &serde_json::Value) -> OffsetDateTime {
    OffsetDateTime::parse(body["now"].as_str().expect("now"), &Rfc3339).expect("RFC 3339")
}

fn staff_move_the_test_clock_and_the_service_follows_it(db: Db) {
    let app = TestApp::spawn_with(db, &["--test-clock"]);
    let staff = app.staff_token.clone();
    let (status, health) = app.get("/healthz", None);
    assert_eq!(status, 200);
    assert_eq!(health["testClock"], true, "{health}");

    let (status, before) = app.get("/api/v1/test/clock", Some(&staff));
    assert_eq!(status, 200, "{before}");
    let start = time_of(&before);

    // A partner's token that expires in a day works now...
    let partner = app.partner("acme");
    let (status, minted) = app.post(
        "/api/v1/me/tokens",
        Some(&partner),
        json!({"label": "ci", "expiresInDays": 1}),
    );
    assert_eq!(status, 201, "{minted}");
    let short = minted["token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/me", Some(&short)).0, 200);

    // ...partners may not move the clock...
    let (status, _) = app.post(
        "/api/v1/test/clock",
        Some(&partner),
        json!({"advance": "P2D"}),
    );
    assert_eq!(status, 403);

    // ...staff move it forward by three days and four hours...
    let (status, moved) = app.post(
        "/api/v1/test/clock",
        Some(&staff),
        json!({"advance": "P3DT4H"}),
    );
    assert_eq!(status, 200, "{moved}");
    let later = time_of(&moved);
    let moved_by = later - start;
    assert!(
        moved_by >= time::Duration::hours(76) && moved_by < time::Duration::hours(77),
        "{moved_by}"
    );
    // ...and the token has expired, without waiting.
    assert_eq!(app.get("/api/v1/me", Some(&short)).0, 401);
    assert_eq!(app.get("/api/v1/me", Some(&partner)).0, 200);

    // Setting a time: forward is fine, backwards is refused, and so is nonsense.
    let target = later + time::Duration::weeks(2);
    let (status, set) = app.post(
        "/api/v1/test/clock",
        Some(&staff),
        json!({"now": target.format(&Rfc3339).unwrap()}),
    );
    assert_eq!(status, 200, "{set}");
    assert_eq!(time_of(&set), target);
    for (body, why) in [
        (
            json!({"now": start.format(&Rfc3339).unwrap()}),
            "only moves forward",
        ),
        (json!({"advance": "P1M"}), "write days"),
        (json!({"advance": "3 days"}), "ISO 8601"),
        (json!({}), "exactly one"),
        (json!({"now": "tomorrow"}), "RFC 3339"),
    ] {
        let (status, refused) = app.post("/api/v1/test/clock", Some(&staff), body);
        assert_eq!(status, 422, "{refused}");
        assert!(refused.to_string().contains(why), "{why}: {refused}");
    }
    let (_, health) = app.get("/healthz", None);
    assert!(time_of(&health) >= target, "{health}");

    // Each move is in the audit log, stamped with the clock's time.
    let (status, log) = app.get("/api/v1/audit?limit=200", Some(&staff));
    assert_eq!(status, 200);
    let moves: Vec<_> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "test-clock.move")
        .collect();
    assert_eq!(moves.len(), 2, "{log}");
}

fn without_the_flag_there_is_no_test_clock(db: Db) {
    let app = TestApp::spawn(db);
    let staff = app.staff_token.clone();
    let (_, health) = app.get("/healthz", None);
    assert_eq!(health["testClock"], false, "{health}");
    assert!(health.get("now").is_none());
    assert_eq!(app.get("/api/v1/test/clock", Some(&staff)).0, 404);
    // Not even a sign-in check tells the route apart from one that does not exist.
    assert_eq!(app.get("/api/v1/test/clock", None).0, 404);
    let (status, _) = app.post(
        "/api/v1/test/clock",
        Some(&staff),
        json!({"advance": "P1D"}),
    );
    assert_eq!(status, 404);
}
