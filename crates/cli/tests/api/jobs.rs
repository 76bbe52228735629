//! Re-evaluation after a rules-engine change (a recurring timer), and several instances sharing
//! one PostgreSQL database.

use serde_json::json;

use crate::support::{Db, ELIGIBLE, NOT_ELIGIBLE, TestApp, eventually};

crate::on_both_databases!(a_new_rules_engine_reevaluates_stored_versions);

/// Pretends the stored evaluations came from an older engine that judged differently, and checks
/// that the running server re-evaluates them and moves the badge through an event.
fn a_new_rules_engine_reevaluates_stored_versions(db: Db) {
    let mut app = TestApp::spawn(db);
    let token = app.partner("acme");
    app.app(&token, "com.acme.re");
    app.app(&token, "com.acme.other");
    let (status, _) = app.deploy(
        &token,
        "com.acme.re",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 201);
    let (status, _) = app.deploy(
        &token,
        "com.acme.other",
        "production",
        json!({"manifest": NOT_ELIGIBLE}),
    );
    assert_eq!(status, 201);
    // The badge first: the job ignores it until evaluations go stale.
    app.db
        .sql("UPDATE badges SET status = 'REMOVED', reasons = '[\"HAS_REMOTES\"]' WHERE app_id = (SELECT id FROM apps WHERE key = 'com.acme.re')")
        .unwrap();
    app.db
        .sql("UPDATE evaluations SET engine_version = '0.0.1+rules.0', verdict = 'not-eligible', rules = '[\"HAS_REMOTES\"]'")
        .unwrap();

    eventually("re-evaluation", || {
        app.db.sql("SELECT COUNT(*) FROM evaluations WHERE current = 1 AND engine_version = '0.0.1+rules.0'").unwrap() == "0"
    });
    eventually("the trust document shows the badge again", || {
        let (_, trust) = app.get("/api/v1/apps/com.acme.re/trust", None);
        trust["programs"]["runsOnAtlassian"]["status"] == "APPROVED"
    });
    let (_, trust) = app.get("/api/v1/apps/com.acme.re/trust", None);
    assert_eq!(trust["badgeEvents"][0]["cause"], "reevaluation");
    assert_eq!(trust["badgeEvents"][0]["from"], "REMOVED");
    let (_, other) = app.get("/api/v1/apps/com.acme.other/trust", None);
    assert_eq!(
        other["badgeEvents"],
        json!([]),
        "an unchanged verdict emits no event"
    );
    // The work is one recurring timer: one row, however many rounds ran.
    assert_eq!(
        app.db
            .sql("SELECT COUNT(*) FROM timers WHERE kind = 'reevaluate'")
            .unwrap(),
        "1"
    );
    // Old evaluations are kept, not overwritten.
    let kept = app
        .db
        .sql("SELECT COUNT(*) FROM evaluations WHERE current = 0")
        .unwrap();
    assert_eq!(kept, "2");

    // During a rolling upgrade or after a roll-back, builds of other engines share the table:
    // a newer engine's chain is left alive by this build, and a chain of ours that an older
    // build ended starts again when this build starts.
    app.kill();
    app.db
        .sql("UPDATE timers SET fired_at = due_at WHERE kind = 'reevaluate'")
        .unwrap();
    app.db
        .sql(
            "INSERT INTO timers (kind, due_at, subject, idempotency_key, payload, created_at) \
             VALUES ('reevaluate', '2000-01-01T00:00:00.000000Z', 'rules-engine', \
             'reevaluate:999.0.0+rules.9', '{\"engine\":\"999.0.0+rules.9\"}', \
             '2000-01-01T00:00:00.000000Z')",
        )
        .unwrap();
    app.start();
    eventually(
        "the newer engine's timer was claimed and made due again",
        || {
            app.db
            .sql("SELECT due_at > '2001' FROM timers WHERE idempotency_key = 'reevaluate:999.0.0+rules.9'")
            .unwrap()
            .contains(['1', 't'])
        },
    );
    let pending = app
        .db
        .sql("SELECT COUNT(*) FROM timers WHERE kind = 'reevaluate' AND fired_at IS NULL")
        .unwrap();
    assert_eq!(pending, "2", "both chains are alive");
    // Ended again by an older build while this one runs: started again within a few seconds.
    app.db
        .sql(
            "UPDATE timers SET fired_at = due_at WHERE kind = 'reevaluate' \
             AND idempotency_key <> 'reevaluate:999.0.0+rules.9'",
        )
        .unwrap();
    eventually("this engine's chain is started again", || {
        app.db
            .sql("SELECT COUNT(*) FROM timers WHERE kind = 'reevaluate' AND fired_at IS NULL")
            .unwrap()
            == "2"
    });
}

#[test]
fn two_instances_share_one_postgres_database() {
    let app = TestApp::spawn(Db::Postgres);
    let (second_url, mut second) = app.second_instance();
    let token = app.partner("acme");
    app.app(&token, "com.acme.shared");
    // Deploys alternate between the instances; numbering stays consistent.
    for n in 0..6 {
        let base = if n % 2 == 0 { &app.url } else { &second_url };
        let url = format!("{base}/api/v1/apps/com.acme.shared/environments/production/deployments");
        let response = ureq::post(&url)
            .set("Authorization", &format!("Bearer {token}"))
            .send_json(json!({"manifest": ELIGIBLE}))
            .expect("deploy");
        let body: serde_json::Value = response.into_json().unwrap();
        assert_eq!(body["version"], format!("1.{n}.0"));
    }
    // Both instances run the job loop; the lease lets exactly one re-evaluate each version.
    app.db
        .sql("UPDATE evaluations SET engine_version = 'old'")
        .unwrap();
    eventually("re-evaluation", || {
        app.db
            .sql("SELECT COUNT(*) FROM evaluations WHERE engine_version = 'old' AND current = 1")
            .unwrap()
            == "0"
    });
    let current = app
        .db
        .sql("SELECT COUNT(*) FROM evaluations WHERE current = 1")
        .unwrap();
    assert_eq!(current, "6", "one current evaluation per version");
    let total = app.db.sql("SELECT COUNT(*) FROM evaluations").unwrap();
    assert_eq!(total, "12", "each version was re-evaluated exactly once");
    let _ = second.kill();
    let _ = second.wait();
}
