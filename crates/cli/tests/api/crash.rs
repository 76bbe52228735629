//! A server killed with SIGKILL in the middle of a burst of deploys loses none that it
//! acknowledged: every 201 answer names a version that is there, intact, after a restart.

use std::sync::Mutex;

use serde_json::json;

use crate::support::{Db, ELIGIBLE, NOT_ELIGIBLE, TestApp, for_app};

crate::on_both_databases!(a_killed_server_loses_no_acknowledged_deploy);

fn a_killed_server_loses_no_acknowledged_deploy(db: Db) {
    let mut app = TestApp::spawn(db);
    let token = app.partner("acme");
    for n in 0..4 {
        app.app(&token, &format!("com.acme.crash{n}"));
    }
    let acknowledged = Mutex::new(Vec::new());
    let url = app.url.clone();
    std::thread::scope(|s| {
        for n in 0..4 {
            let (url, token, acknowledged) = (&url, &token, &acknowledged);
            s.spawn(move || {
                for i in 0.. {
                    let manifest = if i % 3 == 2 { NOT_ELIGIBLE } else { ELIGIBLE };
                    let endpoint = format!(
                        "{url}/api/v1/apps/com.acme.crash{n}/environments/production/deployments"
                    );
                    let result = ureq::post(&endpoint)
                        .set("Authorization", &format!("Bearer {token}"))
                        .send_json(
                            json!({"manifest": for_app(manifest, &format!("com.acme.crash{n}"))}),
                        );
                    match result {
                        Ok(response) if response.status() == 201 => {
                            let body: serde_json::Value = response.into_json().unwrap();
                            let verdict =
                                body["evaluation"]["verdict"].as_str().unwrap().to_string();
                            let version = body["version"].as_str().unwrap().to_string();
                            acknowledged.lock().unwrap().push((n, version, verdict));
                        }
                        Ok(response) => panic!("unexpected status {}", response.status()),
                        // The server died: connection refused or reset. Stop this client.
                        Err(ureq::Error::Transport(_)) => break,
                        Err(e) => panic!("unexpected error {e}"),
                    }
                }
            });
        }
        // Let the burst run, then kill the server without warning.
        let start = std::time::Instant::now();
        while acknowledged.lock().unwrap().len() < 40 && start.elapsed().as_secs() < 30 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        app.kill();
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(
        acknowledged.len() >= 40,
        "only {} deploys before the kill",
        acknowledged.len()
    );

    app.start();
    for (n, version, verdict) in &acknowledged {
        let (status, body) = app.get(
            &format!("/api/v1/apps/com.acme.crash{n}/environments/production/versions/{version}"),
            Some(&token),
        );
        assert_eq!(
            status, 200,
            "acknowledged deploy {version} of app {n} is missing: {body}"
        );
        assert_eq!(body["evaluation"]["verdict"], verdict.as_str());
    }
    // The store is consistent: every version has exactly one current evaluation, and the badge
    // follows the latest production version of each app.
    let orphans = app
        .db
        .sql("SELECT COUNT(*) FROM versions v WHERE (SELECT COUNT(*) FROM evaluations e WHERE e.version_id = v.id AND e.current = 1) <> 1")
        .unwrap();
    assert_eq!(orphans, "0");
    for n in 0..4 {
        let (_, list) = app.get(
            &format!("/api/v1/apps/com.acme.crash{n}/environments/production/versions?limit=1"),
            Some(&token),
        );
        let Some(latest) = list["versions"].get(0) else {
            continue;
        };
        let (_, trust) = app.get(&format!("/api/v1/apps/com.acme.crash{n}/trust"), None);
        assert_eq!(
            trust["programs"]["runsOnAtlassian"]["version"],
            latest["version"]
        );
    }
}
