//! Deploys of the largest, most expensive manifests a partner can send: many at once must stay
//! within bounded memory (large manifests are read one at a time), one partner cannot queue
//! many, and none holds the write lock while it is compared, so other partners' writes go
//! through meanwhile.

use serde_json::json;

use crate::support::{Db, TestApp};

crate::on_both_databases!(
    concurrent_worst_case_deploys_stay_within_bounded_memory,
    a_deploy_compared_again_does_not_hold_up_other_writes,
);

/// One partner cannot fill the large lane's queue: beyond `max-large-deploys-per-partner` its
/// large deploys are refused at once with 429, while another partner's go through.
#[test]
fn large_deploys_are_capped_per_partner() {
    let app = TestApp::spawn_configured(Db::Sqlite, "max-large-deploys-per-partner = 1\n");
    let acme = app.partner("acme");
    let globex = app.partner("globex");
    for n in 0..3 {
        app.app(&acme, &format!("com.acme.cap{n}"));
    }
    app.app(&globex, "com.globex.cap");
    let manifest = worst_case_manifest(400 * 1024, 1);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let mut handles: Vec<_> = (0..3)
            .map(|n| {
                let (app, acme, manifest) = (&app, &acme, &manifest);
                scope.spawn(move || {
                    let key = format!("com.acme.cap{n}");
                    app.deploy(acme, &key, "production", json!({"manifest": manifest}))
                        .0
                })
            })
            .collect();
        let (app, globex, manifest) = (&app, &globex, &manifest);
        handles.push(scope.spawn(move || {
            app.deploy(
                globex,
                "com.globex.cap",
                "production",
                json!({"manifest": manifest}),
            )
            .0
        }));
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses[3], 201, "another partner's deploy: {statuses:?}");
    assert!(statuses[..3].contains(&429), "{statuses:?}");
    assert!(statuses[..3].contains(&201), "{statuses:?}");
    // The places are given back once the deploys are answered.
    let (status, body) = app.deploy(
        &acme,
        "com.acme.cap0",
        "staging",
        json!({"manifest": manifest}),
    );
    assert_eq!(status, 201, "{body}");
}

/// The platform reports for every partner: its large deploys are not held to one partner's
/// share (`max-large-deploys-per-platform-account` instead).
#[test]
fn the_platform_account_has_places_of_its_own() {
    let app = TestApp::spawn_configured(Db::Sqlite, "max-large-deploys-per-partner = 1\n");
    let acme = app.partner("acme");
    let platform = crate::reporters::platform_token(&app);
    for n in 0..3 {
        app.app(&acme, &format!("com.acme.pipe{n}"));
    }
    let manifest = worst_case_manifest(400 * 1024, 1);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|n| {
                let (app, platform, manifest) = (&app, &platform, &manifest);
                scope.spawn(move || {
                    let key = format!("com.acme.pipe{n}");
                    app.deploy(platform, &key, "production", json!({"manifest": manifest}))
                        .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses, [201, 201, 201]);
}

/// An eligible manifest padded to about `bytes` with many one-line mappings, the shape that costs
/// the most memory per byte to read. They sit where Forge's schema accepts them, as declared
/// variables (`environment.variables: [{key: PAD, default: 'N'}, ...]`), so the version is stored.
pub fn worst_case_manifest(bytes: usize, n: u32) -> String {
    let head = crate::support::ELIGIBLE;
    let item = format!("{{key: PAD, default: '{n}'}}, ");
    let count = bytes.saturating_sub(head.len()) / item.len();
    format!(
        "{head}\nenvironment:\n  variables: [{}{{key: PAD, default: '{n}'}}]\n",
        item.repeat(count)
    )
}

/// The server's peak resident memory so far, in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

fn concurrent_worst_case_deploys_stay_within_bounded_memory(db: Db) {
    // A test build reads manifests slowly, so this uses 512 KiB files, read one at a time in
    // the large lane however many slots there are. Before, six of these took about a gigabyte.
    // One partner stands for many here: its cap on large deploys is lifted (tested below).
    let app = TestApp::spawn_configured(
        db,
        "evaluation-slots = 8\nmax-large-deploys-per-partner = 100\n",
    );
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
        peak < baseline + 150,
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

/// `apptrust deploy` tries again when the server is busy: its partner's only place is held by a
/// deploy whose body is still arriving, so the first try is refused with 429; once that deploy
/// goes away, a retry goes through.
#[test]
fn the_deploy_command_tries_again_when_the_server_is_busy() {
    use std::io::Write;
    let app = TestApp::spawn_configured(Db::Sqlite, "max-deploys-per-partner = 1\n");
    let token = app.partner("acme");
    app.app(&token, "com.acme.busy");
    // A deploy that takes the place and then trickles its body.
    let mut holder = std::net::TcpStream::connect(app.address()).unwrap();
    let head = format!(
        "POST /api/v1/apps/com.acme.busy/environments/staging/deployments HTTP/1.1\r\n\
         Host: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n{{\"manifest\": "
    );
    holder.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let cli = std::process::Command::new(crate::support::binary())
        .args([
            "deploy",
            "--server",
            &app.url,
            "--app",
            "com.acme.busy",
            "--env",
            "production",
        ])
        .arg(crate::support::repo_path("examples/eligible/manifest.yml"))
        .env("APPTRUST_TOKEN", &token)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first try is refused while the place is held; then the holder goes away.
    let mut cli = cli;
    let mut stderr = std::io::BufReader::new(cli.stderr.take().unwrap());
    let mut said = String::new();
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() > 0 {
        said.push_str(&line);
        if line.contains("the server is busy (429)") {
            break;
        }
        line.clear();
    }
    assert!(said.contains("the server is busy (429)"), "{said}");
    drop(holder);
    let output = cli.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
