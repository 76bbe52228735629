//! Notifications on their way out: webhooks to a real HTTP receiver and e-mail to a real SMTP
//! server, both started by the test on loopback; retries with growing gaps on the test clock; a
//! server killed mid-delivery delivering after restart; who may register and read what.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use crate::receivers::{Received, SmtpSink, WebhookReceiver};
use crate::support::{Db, ELIGIBLE, NOT_ELIGIBLE, TestApp, eventually};

// Several instances share one store only on PostgreSQL; on SQLite it is one process's file.
#[test]
fn two_postgres_instances_deliver_each_event_exactly_once() {
    two_instances_deliver_each_event_exactly_once(Db::Postgres);
}

crate::on_both_databases!(
    a_lost_badge_reaches_each_subscribed_webhook_and_inbox_exactly_once,
    a_failing_receiver_is_retried_with_growing_gaps_until_it_answers,
    a_server_killed_mid_delivery_delivers_after_restart_with_the_same_id,
    secrets_rotate_with_an_overlap_and_deliveries_can_be_sent_again,
    webhooks_are_refused_where_they_could_probe_the_network_or_leak,
    a_delivery_still_failing_a_day_after_its_first_attempt_is_marked_failed,
    an_unreadable_notification_fails_alone,
);

const WAIT: Duration = Duration::from_secs(15);

/// A server on the test clock that may call the test's receivers on loopback.
fn spawn(db: Db, smtp: Option<&SmtpSink>) -> TestApp {
    let mut args = vec![
        "--test-clock".to_string(),
        "--allow-private-webhooks".to_string(),
    ];
    if let Some(smtp) = smtp {
        args.push("--smtp-url".into());
        args.push(smtp.url());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    TestApp::spawn_with(db, &args)
}

/// Registers a webhook; returns its id and secret.
fn register(app: &TestApp, token: &str, url: &str, events: &[&str]) -> (i64, String) {
    let (status, body) = app.post(
        "/api/v1/webhooks",
        Some(token),
        json!({"url": url, "events": events}),
    );
    assert_eq!(status, 201, "{body}");
    let secret = body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (body["webhook"]["id"].as_i64().unwrap(), secret)
}

/// Whether `received` carries a valid Standard Webhooks signature under `secret`, checked as a
/// receiver would, with code of its own rather than the server's: one of the space-separated
/// `v1,<base64>` values is the HMAC-SHA256 of `id.timestamp.body` under the key after `whsec_`,
/// and the timestamp is within five minutes of the receiver's clock.
fn signed_by(received: &Received, secret: &str) -> bool {
    let id = received.header("webhook-id").unwrap();
    let timestamp = received.header("webhook-timestamp").unwrap();
    let sent: i64 = timestamp.parse().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - sent).abs() < 300, "a stale timestamp: {sent}");
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&received.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    received
        .header("webhook-signature")
        .unwrap()
        .split(' ')
        .any(|candidate| candidate == expected)
}

/// The event type of `received` as Standard Webhooks' published Python library reads it after
/// verifying the signature under `secret` (tools/standard-webhooks; scripts/test installs it),
/// or why the library refused it.
fn standard_webhooks_verify(received: &Received, secret: &str) -> Result<String, String> {
    let python = crate::support::repo_path("tools/standard-webhooks/.venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test, which installs Standard Webhooks' verifier",
        python.display()
    );
    let headers: serde_json::Map<String, Value> =
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .iter()
            .map(|name| ((*name).to_string(), json!(received.header(name).unwrap())))
            .collect();
    let request = json!({"secret": secret, "headers": headers, "body": received.text()});
    let mut child = std::process::Command::new(python)
        .arg(crate::support::repo_path(
            "tools/standard-webhooks/verify.py",
        ))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        request.to_string().as_bytes(),
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if output.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

fn verified_by_standard_webhooks(received: &Received, secret: &str) -> String {
    standard_webhooks_verify(received, secret).expect("Standard Webhooks refused the delivery")
}

/// Deploys an eligible manifest, then one that loses the badge, to production.
fn gain_then_lose(app: &TestApp, token: &str, key: &str) {
    app.app(token, key);
    for manifest in [ELIGIBLE, NOT_ELIGIBLE] {
        let (status, body) = app.deploy(token, key, "production", json!({"manifest": manifest}));
        assert_eq!(status, 201, "{body}");
    }
}

fn advance(app: &TestApp, duration: &str) {
    let (status, body) = app.post(
        "/api/v1/test/clock",
        Some(&app.staff_token),
        json!({"advance": duration}),
    );
    assert_eq!(status, 200, "{body}");
}

fn webhook_deliveries(app: &TestApp, token: &str, webhook: i64) -> Vec<Value> {
    let (status, body) = app.get(
        &format!("/api/v1/webhooks/{webhook}/deliveries"),
        Some(token),
    );
    assert_eq!(status, 200, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

fn a_lost_badge_reaches_each_subscribed_webhook_and_inbox_exactly_once(db: Db) {
    let smtp = SmtpSink::start();
    let partner_hook = WebhookReceiver::start();
    let staff_hook = WebhookReceiver::start();
    let other_hook = WebhookReceiver::start();
    let app = spawn(db, Some(&smtp));
    let acme = app.partner("acme");
    let other = app.partner("other");
    let (partner_webhook, partner_secret) =
        register(&app, &acme, &partner_hook.url("/acme"), &["badge.lost"]);
    let (_, staff_secret) = register(
        &app,
        &app.staff_token,
        &staff_hook.url("/staff"),
        &["badge.lost"],
    );
    // Another partner's webhook for every event hears nothing about acme's apps.
    register(
        &app,
        &other,
        &other_hook.url("/other"),
        &[
            "badge.gained",
            "badge.lost",
            "version.consent-required",
            "deploy.blocked",
        ],
    );
    // acme's member wants e-mail only about lost badges.
    let (status, settings) = app.request(
        "PUT",
        "/api/v1/me/notification-settings",
        Some(&acme),
        Some(json!({"emailOptOut": ["badge.gained", "version.consent-required"]})),
    );
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["emailEnabled"], true);
    assert_eq!(settings["email"], "dev@acme.test");

    gain_then_lose(&app, &acme, "com.acme.loses");

    let received = partner_hook.wait_for(1, WAIT);
    let delivery = &received[0];
    assert_eq!(delivery.method, "POST");
    assert_eq!(delivery.path, "/acme");
    assert!(signed_by(delivery, &partner_secret), "{delivery:?}");
    assert!(!signed_by(delivery, &staff_secret));
    // As a receiver verifies it: with the specification's own published library, which
    // refuses it under any other secret.
    assert_eq!(
        verified_by_standard_webhooks(delivery, &partner_secret),
        "badge.lost"
    );
    assert!(standard_webhooks_verify(delivery, &staff_secret).is_err());
    let body = delivery.json();
    assert_eq!(body["type"], "badge.lost", "{body}");
    assert_eq!(body["data"]["app"], "com.acme.loses");
    assert_eq!(body["data"]["program"], "runsOnAtlassian");
    assert_eq!(body["data"]["version"], "2.0.0");
    assert!(
        body["data"]["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("HAS_REMOTES"))
    );
    let staff_received = staff_hook.wait_for(1, WAIT);
    assert!(signed_by(&staff_received[0], &staff_secret));

    let mails = smtp.wait_for(1, WAIT);
    assert_eq!(mails[0].to, ["dev@acme.test"]);
    assert_eq!(
        mails[0].subject().as_deref(),
        Some("com.acme.loses lost the Runs on Atlassian badge")
    );
    assert!(mails[0].contains("HAS_REMOTES"), "{}", mails[0].data);
    assert!(
        mails[0].contains("text/html"),
        "text and HTML: {}",
        mails[0].data
    );

    // Rounds keep running: still exactly one of each, and nothing for the other partner.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(partner_hook.received().len(), 1);
    assert_eq!(staff_hook.received().len(), 1);
    assert_eq!(smtp.messages().len(), 1, "{:?}", smtp.messages());
    assert!(other_hook.received().is_empty());

    // The owner reads the delivery log.
    let log = webhook_deliveries(&app, &acme, partner_webhook);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["lastStatus"], 200);
    assert_eq!(
        delivery.header("webhook-id").unwrap(),
        format!("dlv_{}", log[0]["id"])
    );
    let (status, one) = app.get(&format!("/api/v1/deliveries/{}", log[0]["id"]), Some(&acme));
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(one["attempts"][0]["statusCode"], 200);
    // Where the notification went, as acme may see it: its webhook and its member, not staff's.
    let notification = log[0]["notification"].as_i64().unwrap();
    let (status, went) = app.get(
        &format!("/api/v1/notifications/{notification}/deliveries"),
        Some(&acme),
    );
    assert_eq!(status, 200, "{went}");
    let channels: Vec<&str> = went["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, ["webhook", "email"], "{went}");
    let (_, all) = app.get(
        &format!("/api/v1/notifications/{notification}/deliveries"),
        Some(&app.staff_token),
    );
    assert_eq!(all["deliveries"].as_array().unwrap().len(), 3, "{all}");
    // Nobody else reads or resends acme's delivery; acme does not see staff's.
    let acme_delivery = log[0]["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/deliveries/{acme_delivery}"), Some(&other))
            .0,
        404
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/deliveries/{acme_delivery}/redeliver"),
            Some(&other),
            json!({})
        )
        .0,
        404
    );
    let (_, staff_hooks) = app.get("/api/v1/webhooks", Some(&app.staff_token));
    let staff_webhook = staff_hooks["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["partner"].is_null())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let staff_delivery = webhook_deliveries(&app, &app.staff_token, staff_webhook)[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/deliveries/{staff_delivery}"), Some(&acme))
            .0,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{staff_webhook}"), Some(&acme))
            .0,
        404
    );
    // The other partner sees neither the log nor the notification.
    assert_eq!(
        app.get(
            &format!("/api/v1/webhooks/{partner_webhook}/deliveries"),
            Some(&other)
        )
        .0,
        404
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/notifications/{notification}/deliveries"),
            Some(&other)
        )
        .0,
        404
    );

    let text = ureq::get(&format!("{}/metrics", app.url))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        text.contains("apptrust_delivery_attempts_total{outcome=\"delivered\"} 3"),
        "{text}"
    );
    assert!(text.contains("apptrust_deliveries_pending"), "{text}");
}

fn a_failing_receiver_is_retried_with_growing_gaps_until_it_answers(db: Db) {
    let receiver = WebhookReceiver::start();
    receiver.respond_with(&[500, 503, 500]);
    let app = spawn(db, None);
    let acme = app.partner("acme");
    let (webhook, _) = register(&app, &acme, &receiver.url("/flaky"), &["badge.lost"]);
    gain_then_lose(&app, &acme, "com.acme.flaky");

    let mut gaps = Vec::new();
    for failures in 1..=3 {
        receiver.wait_for(failures, WAIT);
        // The attempt and what follows it are recorded together: once the log shows it, the
        // delivery says when it is tried next.
        let id = webhook_deliveries(&app, &acme, webhook)[0]["id"].clone();
        let mut log = Value::Null;
        eventually("the failed attempt is recorded", || {
            log = app.get(&format!("/api/v1/deliveries/{id}"), Some(&acme)).1;
            log["attempts"].as_array().unwrap().len() == failures
        });
        let delivery = &log["delivery"];
        assert_eq!(delivery["status"], "pending");
        // It is being sent already: a redelivery now would only add a copy.
        assert_eq!(
            app.post(
                &format!("/api/v1/deliveries/{id}/redeliver"),
                Some(&acme),
                json!({})
            )
            .0,
            409
        );
        let attempts = log["attempts"].as_array().unwrap();
        let last = time::OffsetDateTime::parse(
            attempts[failures - 1]["at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let next = time::OffsetDateTime::parse(
            delivery["nextAttemptAt"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let gap = (next - last).whole_seconds();
        gaps.push(gap);
        // Nothing is sent again before the gap has passed.
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(receiver.received().len(), failures, "early retry");
        advance(&app, &format!("PT{}S", gap + 1));
    }
    // 10 s, 20 s, 40 s, each within a fifth either way.
    assert!((8..=12).contains(&gaps[0]), "{gaps:?}");
    assert!((16..=24).contains(&gaps[1]), "{gaps:?}");
    assert!((32..=48).contains(&gaps[2]), "{gaps:?}");

    receiver.wait_for(4, WAIT);
    eventually("the delivery is marked delivered", || {
        webhook_deliveries(&app, &acme, webhook)[0]["status"] == "delivered"
    });
    let received = receiver.received();
    let answered: Vec<Option<u16>> = received.iter().map(|r| r.answered).collect();
    assert_eq!(answered, [Some(500), Some(503), Some(500), Some(200)]);
    // Every attempt carries the same id: one delivery, tried four times.
    assert!(
        received
            .iter()
            .all(|r| r.header("webhook-id") == received[0].header("webhook-id"))
    );
    let delivery = webhook_deliveries(&app, &acme, webhook)[0].clone();
    let (_, log) = app.get(
        &format!("/api/v1/deliveries/{}", delivery["id"]),
        Some(&acme),
    );
    let codes: Vec<&Value> = log["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["statusCode"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(503), &json!(500), &json!(200)]);
}

fn a_server_killed_mid_delivery_delivers_after_restart_with_the_same_id(db: Db) {
    let receiver = WebhookReceiver::start();
    // The first request is read and never answered: the server dies while it waits.
    receiver.hang_next(1);
    let mut app = spawn(db, None);
    let acme = app.partner("acme");
    let (webhook, secret) = register(&app, &acme, &receiver.url("/hook"), &["badge.lost"]);
    gain_then_lose(&app, &acme, "com.acme.crash");
    let first = receiver.wait_for(1, WAIT);
    assert_eq!(first[0].answered, None);
    app.kill();

    app.start();
    // While the dead instance's lease lasts nobody sends it again; when it runs out, the new
    // instance takes the delivery over.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(receiver.received().len(), 1);
    advance(&app, "PT2M");
    receiver.wait_for(2, WAIT);
    eventually("the delivery is marked delivered", || {
        webhook_deliveries(&app, &acme, webhook)[0]["status"] == "delivered"
    });
    let received = receiver.received();
    assert_eq!(received[1].answered, Some(200));
    assert_eq!(
        received[1].header("webhook-id"),
        received[0].header("webhook-id")
    );
    assert!(signed_by(&received[1], &secret));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        receiver.received().len(),
        2,
        "delivered exactly once after the restart"
    );
    assert_eq!(webhook_deliveries(&app, &acme, webhook).len(), 1);
}

fn secrets_rotate_with_an_overlap_and_deliveries_can_be_sent_again(db: Db) {
    let receiver = WebhookReceiver::start();
    let app = spawn(db, None);
    let acme = app.partner("acme");
    let (webhook, old_secret) = register(
        &app,
        &acme,
        &receiver.url("/hook"),
        &["badge.gained", "badge.lost"],
    );
    let (status, rotated) = app.post(
        &format!("/api/v1/webhooks/{webhook}/rotate-secret"),
        Some(&acme),
        json!({"overlapHours": 1}),
    );
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, old_secret);
    assert!(
        rotated["webhook"]["previousSecretUntil"].is_string(),
        "{rotated}"
    );
    assert!(
        rotated["webhook"].get("secret").is_none(),
        "never shown again"
    );
    // A second rotation with an overlap would stop the first secret early: refused while the
    // overlap lasts, and nothing changes.
    let (status, refused) = app.post(
        &format!("/api/v1/webhooks/{webhook}/rotate-secret"),
        Some(&acme),
        json!({"overlapHours": 1}),
    );
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("overlapHours: 0"),
        "{refused}"
    );

    app.app(&acme, "com.acme.rotates");
    assert_eq!(
        app.deploy(
            &acme,
            "com.acme.rotates",
            "production",
            json!({"manifest": ELIGIBLE})
        )
        .0,
        201
    );
    let gained = receiver.wait_for(1, WAIT);
    // During the overlap both secrets sign: receivers can switch without missing a delivery.
    assert!(signed_by(&gained[0], &old_secret));
    assert!(signed_by(&gained[0], &new_secret));
    assert_eq!(
        verified_by_standard_webhooks(&gained[0], &old_secret),
        "badge.gained"
    );
    assert_eq!(
        verified_by_standard_webhooks(&gained[0], &new_secret),
        "badge.gained"
    );
    assert_eq!(
        gained[0]
            .header("webhook-signature")
            .unwrap()
            .split(' ')
            .count(),
        2
    );

    // After the overlap only the new one does.
    advance(&app, "PT2H");
    assert_eq!(
        app.deploy(
            &acme,
            "com.acme.rotates",
            "production",
            json!({"manifest": NOT_ELIGIBLE})
        )
        .0,
        201
    );
    let lost = receiver.wait_for(2, WAIT);
    assert!(signed_by(&lost[1], &new_secret));
    assert!(!signed_by(&lost[1], &old_secret));

    // A redelivery sends the same delivery again, with its id.
    let deliveries = webhook_deliveries(&app, &acme, webhook);
    eventually("both delivered", || {
        webhook_deliveries(&app, &acme, webhook)
            .iter()
            .all(|d| d["status"] == "delivered")
    });
    let first = deliveries[0]["id"].as_i64().unwrap();
    let (status, again) = app.post(
        &format!("/api/v1/deliveries/{first}/redeliver"),
        Some(&acme),
        json!({}),
    );
    assert_eq!(status, 202, "{again}");
    let received = receiver.wait_for(3, WAIT);
    assert_eq!(
        received[2].header("webhook-id").unwrap(),
        format!("dlv_{first}")
    );
    assert_eq!(received[2].json()["type"], "badge.gained");
    let (_, audit) = app.get("/api/v1/audit", Some(&app.staff_token));
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "webhook.create",
        "webhook.rotate-secret",
        "delivery.redeliver",
    ] {
        assert!(
            actions.contains(&action),
            "{action} not audited: {actions:?}"
        );
    }

    // A deleted webhook gets nothing more and cannot be redelivered to.
    assert_eq!(
        app.request(
            "DELETE",
            &format!("/api/v1/webhooks/{webhook}"),
            Some(&acme),
            None
        )
        .0,
        204
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/deliveries/{first}/redeliver"),
            Some(&acme),
            json!({})
        )
        .0,
        409
    );
}

fn webhooks_are_refused_where_they_could_probe_the_network_or_leak(db: Db) {
    // Without --allow-private-webhooks.
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let other = app.partner("other");
    let refused = |url: &str, events: Value| {
        let (status, body) = app.post(
            "/api/v1/webhooks",
            Some(&acme),
            json!({"url": url, "events": events}),
        );
        assert_eq!(status, 422, "{url}: {body}");
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    for url in [
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://localhost/hook",
    ] {
        let message = refused(url, json!(["badge.lost"]));
        assert!(message.contains("--allow-private-webhooks"), "{message}");
    }
    assert!(refused("http://hooks.example.com/", json!(["badge.lost"])).contains("https"));
    assert!(
        refused("https://hooks.example.com/", json!(["badge.stolen"])).contains("badge.stolen")
    );
    assert!(refused("https://hooks.example.com/", json!([])).contains("at least one"));

    // A name is accepted when registered; a delivery to it still only reaches public addresses.
    let (id, _) = register(
        &app,
        &acme,
        "https://hooks.example.com/apptrust",
        &["badge.lost"],
    );
    let (status, list) = app.get("/api/v1/webhooks", Some(&acme));
    assert_eq!(status, 200);
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 1);
    assert!(list["webhooks"][0].get("secret").is_none(), "{list}");
    // Other partners neither see nor touch it; staff see it.
    assert_eq!(
        app.get("/api/v1/webhooks", Some(&other)).1["webhooks"],
        json!([])
    );
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{id}"), Some(&other)).0,
        404
    );
    assert_eq!(
        app.request(
            "DELETE",
            &format!("/api/v1/webhooks/{id}"),
            Some(&other),
            None
        )
        .0,
        404
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            Some(&other),
            json!({})
        )
        .0,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{id}"), Some(&app.staff_token))
            .0,
        200
    );
    assert_eq!(app.get("/api/v1/webhooks", None).0, 401);
    // Bad overlaps and unknown fields are refused.
    assert_eq!(
        app.post(
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            Some(&acme),
            json!({"overlapHours": 1000})
        )
        .0,
        422
    );
    assert_eq!(
        app.post(
            "/api/v1/webhooks",
            Some(&acme),
            json!({"url": "https://a.example/", "events": ["badge.lost"], "secret": "mine"})
        )
        .0,
        422
    );
    let (status, settings) = app.request(
        "PUT",
        "/api/v1/me/notification-settings",
        Some(&acme),
        Some(json!({"emailOptOut": ["nope"]})),
    );
    assert_eq!(status, 422, "{settings}");
    let (_, settings) = app.get("/api/v1/me/notification-settings", Some(&acme));
    assert_eq!(settings["emailEnabled"], false, "no smtp-url: {settings}");

    // One address once per partner: one receiver never gets one event under two ids.
    let (status, body) = app.post(
        "/api/v1/webhooks",
        Some(&acme),
        json!({"url": "https://hooks.example.com/apptrust", "events": ["badge.gained"]}),
    );
    assert_eq!(status, 409, "{body}");
    // Another partner may use the same receiver.
    register(
        &app,
        &other,
        "https://hooks.example.com/apptrust",
        &["badge.lost"],
    );
    // Site admins do not register webhooks.
    let (status, admin) = app.post(
        "/api/v1/users",
        Some(&app.staff_token),
        json!({"name": "Admin", "email": "admin@site.test", "role": "site-admin", "site": "acme.atlassian.net"}),
    );
    assert_eq!(status, 201, "{admin}");
    let admin = admin["token"].as_str().unwrap();
    assert_eq!(
        app.post(
            "/api/v1/webhooks",
            Some(admin),
            json!({"url": "https://a.example/", "events": ["badge.lost"]})
        )
        .0,
        403
    );
    assert_eq!(app.get("/api/v1/webhooks", Some(admin)).0, 403);
}

/// Two instances on one PostgreSQL, one receiver: every event is dispatched once and delivered
/// once, whichever instance gets to it.
fn two_instances_deliver_each_event_exactly_once(db: Db) {
    let receiver = WebhookReceiver::start();
    let app = spawn(db, None);
    let (_url, mut second) = app.second_instance();
    let acme = app.partner("acme");
    register(&app, &acme, &receiver.url("/both"), &["badge.gained"]);
    let apps = 24;
    for n in 0..apps {
        let key = format!("com.acme.twice{n}");
        app.app(&acme, &key);
        let (status, body) = app.deploy(&acme, &key, "production", json!({"manifest": ELIGIBLE}));
        assert_eq!(status, 201, "{body}");
    }
    let received = receiver.wait_for(apps, WAIT);
    std::thread::sleep(Duration::from_secs(3));
    let received = if receiver.received().len() > received.len() {
        receiver.received()
    } else {
        received
    };
    let _ = second.kill();
    let _ = second.wait();
    let mut ids: Vec<&str> = received
        .iter()
        .map(|r| r.header("webhook-id").unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(received.len(), apps, "each event once: {ids:?}");
    assert_eq!(ids.len(), apps);
    let mut apps_told: Vec<String> = received
        .iter()
        .map(|r| r.json()["data"]["app"].as_str().unwrap().to_string())
        .collect();
    apps_told.sort_unstable();
    apps_told.dedup();
    assert_eq!(apps_told.len(), apps);
}

fn a_delivery_still_failing_a_day_after_its_first_attempt_is_marked_failed(db: Db) {
    let receiver = WebhookReceiver::start();
    receiver.respond_with(&[500; 10]);
    let app = spawn(db, None);
    let acme = app.partner("acme");
    let (webhook, _) = register(&app, &acme, &receiver.url("/down"), &["badge.lost"]);
    gain_then_lose(&app, &acme, "com.acme.down");
    receiver.wait_for(1, WAIT);
    eventually("the first failure is recorded", || {
        webhook_deliveries(&app, &acme, webhook)[0]["lastStatus"] == 500
    });
    // A day and an hour later the next attempt is the last.
    advance(&app, "P1DT1H");
    receiver.wait_for(2, WAIT);
    eventually("the delivery is given up", || {
        webhook_deliveries(&app, &acme, webhook)[0]["status"] == "failed"
    });
    let delivery = &webhook_deliveries(&app, &acme, webhook)[0];
    assert!(delivery.get("nextAttemptAt").is_none(), "{delivery}");
    assert_eq!(delivery["lastError"], "the receiver answered 500");
    let text = ureq::get(&format!("{}/metrics", app.url))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        text.contains("apptrust_delivery_attempts_total{outcome=\"failed\"} 1"),
        "{text}"
    );
    // Nothing more is sent, however long one waits.
    advance(&app, "P7D");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(receiver.received().len(), 2);
}

/// A notification whose stored payload cannot be read (a hand-edited row) fails its own
/// delivery with a reason, and the deliveries behind it still go out.
fn an_unreadable_notification_fails_alone(db: Db) {
    let receiver = WebhookReceiver::start();
    let app = spawn(db, None);
    let token = app.partner("acme");
    let (webhook, _) = register(&app, &token, &receiver.url("/hook"), &["badge.gained"]);
    app.app(&token, "com.acme.poison");
    app.db
        .sql(
            "INSERT INTO notifications (event, app_id, subject, payload, created_at) \
             SELECT 'badge.gained', id, 'version:0', '{not json', '2026-01-01T00:00:00.000000Z' \
             FROM apps WHERE key = 'com.acme.poison'",
        )
        .unwrap();
    let (status, body) = app.deploy(
        &token,
        "com.acme.poison",
        "production",
        json!({"manifest": ELIGIBLE}),
    );
    assert_eq!(status, 201, "{body}");
    let received = receiver.wait_for(1, WAIT);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].json()["data"]["app"], "com.acme.poison");
    eventually("the unreadable one failed with a reason", || {
        webhook_deliveries(&app, &token, webhook)
            .iter()
            .any(|d| d["status"] == "failed")
    });
    let (_, failed) = app.get(
        &format!(
            "/api/v1/deliveries/{}",
            webhook_deliveries(&app, &token, webhook)
                .iter()
                .find(|d| d["status"] == "failed")
                .unwrap()["id"]
        ),
        Some(&token),
    );
    let attempts = failed["attempts"].to_string();
    assert!(attempts.contains("cannot be read"), "{failed}");
    // The app's notifications still list, the unreadable one with a null payload.
    let (status, listed) = app.get("/api/v1/apps/com.acme.poison/notifications", Some(&token));
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["notifications"][0]["payload"],
        Value::Null,
        "{listed}"
    );
}
