//! Deploys of the largest, most expensive manifests a partner can send: many at once must stay
//! within the evaluation memory budget, and must not hold the write lock while they are
//! compared, so other partners' writes go through meanwhile.

use serde_json::json;

use crate::support::{Db, TestApp};

crate::on_both_databases!(
    concurrent_worst_case_deploys_stay_within_the_memory_budget,
    a_deploy_compared_again_does_not_hold_up_other_writes,
);

/// An eligible manifest padded to about `bytes` with `x: [{a: N}, ...]`: the shape that costs
/// the most memory per byte to read.
pub fn worst_case_manifest(bytes: usize, n: u32) -> String {
    let head = crate::support::ELIGIBLE;
    let item = format!("{{a: {n}}}, ");
    let count = bytes.saturating_sub(head.len()) / item.len();
    format!("{head}\nx: [{}{{a: {n}}}]\n", item.repeat(count))
}

/// The server's peak resident memory so far, in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

fn concurrent_worst_case_deploys_stay_within_the_memory_budget(db: Db) {
    // A test build reads manifests slowly, so this uses 512 KiB files and a 64 MiB budget: one
    // file at a time. Before the budget, eight of these took about a gigabyte.
    let app = TestApp::spawn_configured(db, "evaluation-memory-mib = 64\nevaluation-slots = 2\n");
    let token = app.partner("acme");
    let other = app.partner("globex");
    const DEPLOYS: usize = 6;
    let previous = worst_case_manifest(512 * 1024, 1);
    for n in 0..DEPLOYS {
        let key = format!("com.acme.big{n}");
        app.app(&token, &key);
        let (status, body) = app.deploy(&token, &key, "production", json!({"manifest": previous}));
        assert_eq!(status, 201, "{body}");
    }
    let baseline = peak_rss_mib(app.pid());
    let next = worst_case_manifest(512 * 1024, 2);
    std::thread::scope(|scope| {
        for n in 0..DEPLOYS {
            let (app, token, next) = (&app, &token, &next);
            scope.spawn(move || {
                let key = format!("com.acme.big{n}");
                let (status, body) =
                    app.deploy(token, &key, "production", json!({"manifest": next}));
                assert_eq!(status, 201, "{body}");
                assert_eq!(
                    body["version"], "1.1.0",
                    "compared with the previous version"
                );
                assert_eq!(
                    body["change"]["changes"][0]["area"], "other",
                    "{}",
                    body["change"]
                );
            });
        }
        // Meanwhile, another partner's writes go through.
        for n in 0..10 {
            app.app(&other, &format!("com.globex.small{n}"));
        }
    });
    let peak = peak_rss_mib(app.pid());
    assert!(
        peak < baseline + 200,
        "peak memory rose from {baseline} MiB to {peak} MiB under {DEPLOYS} concurrent deploys"
    );
}

/// Two large deploys to one environment: the second must be compared with the version the first
/// recorded. That comparison takes a while; it used to run inside the write transaction, so every
/// other partner's write waited for it. Now another partner's write, sent as the first deploy
/// returns, completes while the second is still being compared.
fn a_deploy_compared_again_does_not_hold_up_other_writes(db: Db) {
    let app = TestApp::spawn(db);
    let token = app.partner("acme");
    let other = app.partner("globex");
    app.app(&token, "com.acme.race");
    let (status, body) = app.deploy(
        &token,
        "com.acme.race",
        "staging",
        json!({"manifest": worst_case_manifest(256 * 1024, 1)}),
    );
    assert_eq!(status, 201, "{body}");
    let (first, second) = (
        worst_case_manifest(512 * 1024, 2),
        worst_case_manifest(512 * 1024, 3),
    );
    let (write_done, second_done) = std::thread::scope(|scope| {
        let a = scope.spawn(|| {
            app.deploy(
                &token,
                "com.acme.race",
                "staging",
                json!({"manifest": first}),
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        let b = scope.spawn(|| {
            let answer = app.deploy(
                &token,
                "com.acme.race",
                "staging",
                json!({"manifest": second}),
            );
            (answer, std::time::Instant::now())
        });
        let (status, body) = a.join().unwrap();
        assert_eq!(status, 201, "{body}");
        app.app(&other, "com.globex.meanwhile");
        let write_done = std::time::Instant::now();
        let ((status, body), second_done) = b.join().unwrap();
        assert_eq!(status, 201, "{body}");
        assert_eq!(
            body["version"], "1.2.0",
            "compared with the version the first recorded"
        );
        (write_done, second_done)
    });
    assert!(
        write_done < second_done,
        "the other partner's write waited for the second deploy's comparison"
    );
}
