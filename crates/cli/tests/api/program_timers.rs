//! Program timers shared by two instances on one PostgreSQL database: with many annual reviews
//! and demoted escalations coming due at the same moment on both, every timer fires exactly
//! once, whichever instance claims it; each move is announced once, and both instances did part
//! of the work.

use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::submissions::approve;
use crate::support::{Db, TempDir, TestApp, into_parts};

/// Approved apps, each with an annual review (a `notify` and an `open` timer). More than the
/// runner's batch of 100, so that one instance cannot claim every timer due at once.
const APPS: usize = 120;
/// Every this many apps also has an escalation demoted (a `suspend` timer).
const ESCALATE_EVERY: usize = 15;
/// How long to wait for a step's timers to fire.
const WAIT: Duration = Duration::from_secs(30);

// Several instances share one store only on PostgreSQL; on SQLite it is one process's file.
#[test]
fn two_postgres_instances_fire_each_program_timer_exactly_once() {
    // The runners look for due timers every 50 ms, so both are looking when the clocks move.
    let config = TempDir::new("config");
    let path = config.0.join("apptrust.toml");
    std::fs::write(&path, "timer-interval-ms = 50\n").unwrap();
    let path = path.display().to_string();
    let app = TestApp::spawn_with(Db::Postgres, &["--test-clock", "--config", &path]);
    let staff = app.staff_token.clone();
    let acme = app.partner("acme");

    let keys: Vec<String> = (0..APPS).map(|n| format!("com.acme.timed{n:03}")).collect();
    std::thread::scope(|scope| {
        for chunk in keys.chunks(APPS.div_ceil(8)) {
            let (app, acme) = (&app, &acme);
            scope.spawn(move || {
                for key in chunk {
                    app.app(acme, key);
                    approve(app, acme, key);
                }
            });
        }
    });
    let escalated: Vec<&str> = keys
        .iter()
        .step_by(ESCALATE_EVERY)
        .map(String::as_str)
        .collect();
    let escalations: Vec<i64> = escalated
        .iter()
        .map(|key| {
            let (status, raised) = app.post(
                &format!("/api/v1/apps/{key}/escalations"),
                Some(&staff),
                json!({"program": "cloud-fortified", "reason": "Critical tickets unanswered."}),
            );
            assert_eq!(status, 201, "{raised}");
            raised["id"].as_i64().unwrap()
        })
        .collect();

    // The second instance, on the same database and its own test clock.
    let second = Second::start(&app);
    let both = [app.url.as_str(), second.url.as_str()];

    // One review per app, on the approval month's calendar.
    let (status, page) = app.get("/api/v1/reviews?limit=200", Some(&staff));
    assert_eq!(status, 200, "{page}");
    let reviews: Vec<Value> = page["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let (status, review) = app.get(&format!("/api/v1/reviews/{}", r["id"]), Some(&staff));
            assert_eq!(status, 200, "{review}");
            review
        })
        .collect();
    let mut reviewed: Vec<&str> = reviews.iter().map(|r| r["app"].as_str().unwrap()).collect();
    reviewed.sort_unstable();
    assert_eq!(reviewed, keys, "one review per app");
    assert!(reviews.iter().all(|r| r["state"] == "scheduled"));
    let last_notice = reviews.iter().map(|r| at(&r["noticeAt"])).max().unwrap();
    let starts: Vec<OffsetDateTime> = reviews.iter().map(|r| at(&r["startsAt"])).collect();
    let (first_start, last_start) = (*starts.iter().min().unwrap(), *starts.iter().max().unwrap());

    // A week before the notices, staff demote the escalations (half through each instance):
    // the badges are suspended at the end of the week's notice, with the reviews' notices.
    set_clocks(&both, &staff, last_notice - time::Duration::days(7));
    let mut suspends = Vec::new();
    for (n, id) in escalations.iter().enumerate() {
        let (status, demoted) = call(
            both[n % 2],
            "POST",
            &format!("/api/v1/escalations/{id}/actions"),
            &staff,
            Some(json!({"action": "demote", "reason": "Repeated."})),
        );
        assert_eq!(status, 200, "{demoted}");
        assert_eq!(demoted["state"], "demotion-notice", "{demoted}");
        suspends.push(at(&demoted["suspendsAt"]));
    }
    let notice_step =
        last_notice.max(suspends.into_iter().max().unwrap()) + time::Duration::minutes(1);
    assert!(
        notice_step < first_start,
        "the notices come before any review week"
    );
    let before = [timers_fired(both[0]), timers_fired(both[1])];
    let counting = Instant::now();

    // Every notice and every suspension due at once on both instances.
    set_clocks(&both, &staff, notice_step);
    wait_until(
        "every review noticed and every escalation suspended",
        || {
            review_states(&app).iter().all(|s| s == "noticed")
                && escalations.iter().all(|id| {
                    app.get(&format!("/api/v1/escalations/{id}"), Some(&staff))
                        .1["state"]
                        == "suspended"
                })
        },
    );

    // Every review week's start due at once on both (the other instance's clock moved first).
    set_clocks(
        &[both[1], both[0]],
        &staff,
        last_start + time::Duration::minutes(1),
    );
    wait_until("every review in review", || {
        review_states(&app).iter().all(|s| s == "in-review")
    });
    settle(&app);
    let after = [timers_fired(both[0]), timers_fired(both[1])];
    let counted = counting.elapsed();

    // Each move was announced exactly once.
    for key in &keys {
        let (status, page) = app.get(
            &format!("/api/v1/apps/{key}/notifications?limit=200"),
            Some(&acme),
        );
        assert_eq!(status, 200, "{page}");
        let told = page["notifications"].as_array().unwrap();
        assert!(page["next"].is_null(), "one page holds them all: {page}");
        let count = |event: &str, action: Option<&str>| {
            told.iter()
                .filter(|n| {
                    n["event"] == event
                        && action.is_none_or(|a| n["payload"]["action"].as_str() == Some(a))
                })
                .count()
        };
        let demoted = usize::from(escalated.contains(&key.as_str()));
        let seen = [
            count("review.moved", Some("notify")),
            count("review.moved", Some("open")),
            count("escalation.moved", Some("suspend")),
            count("badge.lost", None),
        ];
        assert_eq!(
            seen,
            [1, 1, demoted, demoted],
            "{key}: notify, open, suspend, badge.lost: {page}"
        );
    }

    // Each timer was claimed once, fired once, and never failed.
    let (notify_and_open, suspend) = (2 * APPS, escalations.len());
    let timers = app
        .db
        .sql(
            "SELECT kind, COUNT(*), COUNT(fired_at), \
             SUM(CASE WHEN attempts = 1 THEN 1 ELSE 0 END), COUNT(last_error) \
             FROM timers WHERE kind IN ('review', 'escalation') GROUP BY kind ORDER BY kind",
        )
        .unwrap();
    assert_eq!(
        timers,
        format!(
            "escalation|{suspend}|{suspend}|{suspend}|0\nreview|{notify_and_open}|{notify_and_open}|{notify_and_open}|0"
        ),
        "kind|timers|fired|claimed once|failed"
    );

    // Both instances fired some of them, and nothing fired twice. Their counters also count
    // the re-evaluation timer, which comes due again a second after each firing (and at once
    // when a clock moves): beyond the program timers, no more than one a second and one per
    // clock move. So whatever one instance fired beyond all the program timers was that, and
    // the other fired at least `program - mine` of them.
    let fired = [after[0] - before[0], after[1] - before[1]];
    let program = u64::try_from(notify_and_open + suspend).unwrap();
    let beyond = (fired[0] + fired[1]).checked_sub(program);
    // Whole seconds rounded up, four clock moves, two to spare.
    let recurring = counted.as_secs() + 1 + 4 + 2;
    assert!(
        beyond.is_some_and(|n| n <= recurring),
        "the instances fired {fired:?} timers in {counted:?}, for {program} program timers and \
         at most {recurring} re-evaluation rounds"
    );
    for (n, other) in [(0, 1), (1, 0)] {
        assert!(
            fired[other] < program,
            "instance {n} fired none of the {program} program timers (fired: {fired:?})"
        );
    }

    for url in both {
        for path in ["/healthz", "/readyz"] {
            let (status, body) = into_parts(ureq::get(&format!("{url}{path}")).call());
            assert_eq!(status, 200, "{url}{path}: {body}");
        }
    }
    drop(second);
}

/// A second `apptrust serve` on the same database, stopped when dropped (also when the test
/// fails).
struct Second {
    url: String,
    child: Child,
}

impl Second {
    fn start(app: &TestApp) -> Second {
        let (url, child) = app.second_instance();
        Second { url, child }
    }
}

impl Drop for Second {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request to the instance at `base`.
fn call(base: &str, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let request = ureq::request(method, &format!("{base}{path}"))
        .timeout(Duration::from_secs(30))
        .set("Authorization", &format!("Bearer {token}"));
    into_parts(match body {
        Some(body) => request.send_json(body),
        None => request.call(),
    })
}

/// Sets the test clock of each instance to `to`, in this order, one right after the other.
fn set_clocks(urls: &[&str], staff: &str, to: OffsetDateTime) {
    let to = to.format(&Rfc3339).unwrap();
    for url in urls {
        let (status, body) = call(
            url,
            "POST",
            "/api/v1/test/clock",
            staff,
            Some(json!({ "now": to })),
        );
        assert_eq!(status, 200, "{url}: {body}");
    }
}

fn at(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}

fn review_states(app: &TestApp) -> Vec<String> {
    let (status, page) = app.get("/api/v1/reviews?limit=200", Some(&app.staff_token));
    assert_eq!(status, 200, "{page}");
    page["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap().to_string())
        .collect()
}

/// `apptrust_timers_total{outcome="fired"}` of the instance at `base`.
fn timers_fired(base: &str) -> u64 {
    let text = ureq::get(&format!("{base}/metrics"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("apptrust_timers_total{outcome=\"fired\"} "))
        .map_or(0, |n| n.parse().unwrap())
}

/// Polls `check` until it returns true or [`WAIT`] passes.
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < WAIT, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the announcements of program moves stay the same for a second and a half: a
/// timer firing late (or again) would still show.
fn settle(app: &TestApp) {
    let count = || {
        app.db
            .sql(
                "SELECT COUNT(*) FROM notifications \
                 WHERE event IN ('review.moved', 'escalation.moved', 'badge.lost')",
            )
            .unwrap()
    };
    let mut last = count();
    let mut since = Instant::now();
    let started = Instant::now();
    while since.elapsed() < Duration::from_millis(1500) {
        assert!(started.elapsed() < WAIT, "the announcements never settled");
        std::thread::sleep(Duration::from_millis(250));
        let now = count();
        if now != last {
            (last, since) = (now, Instant::now());
        }
    }
}
