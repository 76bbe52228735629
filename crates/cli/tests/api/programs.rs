//! The trust programs as the API shows them: public, with their requirement sets, where each set
//! stands on the service's clock; and a programs folder with a problem stops start-up.

use std::process::Command;

use serde_json::json;

use crate::support::{Db, TempDir, TestApp, binary, repo_path};

#[test]
fn programs_and_their_requirement_sets_are_public_and_move_with_the_clock() {
    let app = TestApp::spawn_with(Db::Sqlite, &["--test-clock"]);
    let (status, list) = app.get("/api/v1/programs", None);
    assert_eq!(status, 200, "{list}");
    let programs = list["programs"].as_array().unwrap();
    assert_eq!(programs.len(), 4, "{list}");
    let cf = programs
        .iter()
        .find(|p| p["key"] == "cloud-fortified")
        .unwrap();
    assert_eq!(cf["badge"], "cloudFortified");
    assert_eq!(cf["grant"], "approval");

    let (status, detail) = app.get("/api/v1/programs/cloud-fortified", None);
    assert_eq!(status, 200, "{detail}");
    let sets = detail["requirementSets"].as_array().unwrap();
    // Whatever today is, the set in force is one whose phase says so.
    let in_force = sets
        .iter()
        .find(|s| s["version"] == cf["requirementSetInForce"])
        .unwrap();
    assert!(
        ["effective", "in-grace"].contains(&in_force["phase"].as_str().unwrap()),
        "{detail}"
    );
    assert_eq!(sets[1]["dropped"][0]["id"], "reliability.testing");
    let availability = sets[0]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "reliability.availability")
        .unwrap();
    assert_eq!(availability["criterion"]["threshold"], 99.9);
    assert_eq!(availability["criterion"]["windowDays"], 28);
    assert_eq!(availability["verification"], "staff-configures-and-tests");

    // Years on (the test clock only moves forward), the second set is in force and the first
    // superseded.
    let (status, body) = app.post(
        "/api/v1/test/clock",
        Some(&app.staff_token),
        json!({"now": "2126-01-01T00:00:00Z"}),
    );
    assert_eq!(status, 200, "{body}");
    let (_, detail) = app.get("/api/v1/programs/cloudFortified", None);
    assert_eq!(detail["program"]["requirementSetInForce"], "2027-01");
    assert_eq!(detail["requirementSets"][0]["phase"], "superseded");
    assert_eq!(detail["requirementSets"][1]["phase"], "effective");

    let (status, body) = app.get("/api/v1/programs/architected", None);
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cloud-fortified"),
        "{body}"
    );
}

#[test]
fn a_programs_folder_with_a_problem_stops_start_up() {
    let dir = TempDir::new("programs");
    let programs = dir.0.join("programs/cloud-fortified/requirements");
    std::fs::create_dir_all(&programs).unwrap();
    let source = repo_path("programs/cloud-fortified");
    std::fs::copy(
        source.join("program.toml"),
        dir.0.join("programs/cloud-fortified/program.toml"),
    )
    .unwrap();
    let text = std::fs::read_to_string(source.join("requirements/2026-01.toml"))
        .unwrap()
        .replace("effective = \"2026-01-01\"", "effective = \"2026-02-30\"");
    std::fs::write(programs.join("2026-01.toml"), text).unwrap();
    let config = dir.0.join("apptrust.toml");
    std::fs::write(
        &config,
        format!(
            "programs-dir = \"{}\"\ndatabase = \"{}\"\nlisten = \"127.0.0.1:0\"\n",
            dir.0.join("programs").display(),
            dir.0.join("db.sqlite").display()
        ),
    )
    .unwrap();
    let output = Command::new(binary())
        .args(["serve"])
        .env("APPTRUST_CONFIG", &config)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cloud-fortified/requirements/2026-01.toml:8: `effective` is not a day"),
        "{stderr}"
    );
}

/// A set is public from its announcement on: one announced in a century is not shown yet.
#[test]
fn a_set_is_not_shown_before_its_announcement() {
    let dir = TempDir::new("unpublished");
    let root = dir.0.join("programs");
    for (path, text) in repository_programs() {
        let target = root.join(&path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
    std::fs::write(
        root.join("cloud-fortified/requirements/2120-01.toml"),
        "version = \"2120-01\"\nannounced = \"2119-06-01\"\neffective = \"2120-01-01\"\n\
         grace_until = \"2120-06-30\"\n[[drop]]\nid = \"security.contact\"\nreason = \"later\"\n",
    )
    .unwrap();
    let app = TestApp::spawn_configured(
        Db::Sqlite,
        &format!("programs-dir = \"{}\"\n", root.display()),
    );
    let (status, detail) = app.get("/api/v1/programs/cloud-fortified", None);
    assert_eq!(status, 200, "{detail}");
    let versions: Vec<&str> = detail["requirementSets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2026-01", "2027-01"], "{detail}");
}

/// The repository's programs folder, as (path, text).
fn repository_programs() -> Vec<(String, String)> {
    let root = repo_path("programs");
    let mut files = Vec::new();
    for program in std::fs::read_dir(&root).unwrap() {
        let program = program.unwrap().path();
        if !program.is_dir() {
            continue;
        }
        let name = program.file_name().unwrap().to_string_lossy().into_owned();
        files.push((
            format!("{name}/program.toml"),
            std::fs::read_to_string(program.join("program.toml")).unwrap(),
        ));
        if let Ok(sets) = std::fs::read_dir(program.join("requirements")) {
            for set in sets {
                let set = set.unwrap().path();
                let file = set.file_name().unwrap().to_string_lossy().into_owned();
                files.push((
                    format!("{name}/requirements/{file}"),
                    std::fs::read_to_string(&set).unwrap(),
                ));
            }
        }
    }
    files
}

/// Copies the repository's programs folder into `dir`.
fn copy_programs(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_programs(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A day `days` after today (UTC), as `YYYY-MM-DD`.
fn day_after(days: i64) -> String {
    let day = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    day.to_string()
}

/// The programs' own dates: a requirement set published later is a change notice to the apps
/// carrying the badge, and a retiring program's end moves its badges to RETIRED (not REMOVED),
/// cancelling their reviews.
#[test]
fn change_notices_reach_badge_holders_and_retirement_retires_badges() {
    let mut app = TestApp::spawn_with(Db::Sqlite, &["--test-clock"]);
    let acme = app.partner("acme");
    let key = "com.acme.veteran";
    app.app(&acme, key);
    crate::submissions::approve(&app, &acme, key);

    // The operator ships a third set, published in two days, and retires the program in 30.
    let dir = TempDir::new("programs");
    let programs = dir.0.join("programs");
    copy_programs(&repo_path("programs"), &programs);
    let cf = programs.join("cloud-fortified");
    let file = cf.join("program.toml");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "status = \"active\"",
        &format!("status = \"retiring\"\nretiring_on = \"{}\"", day_after(30)),
    );
    std::fs::write(&file, text).unwrap();
    std::fs::write(
        cf.join("requirements/2099-01.toml"),
        format!(
            "version = \"2099-01\"\nsummary = \"Support answers within 12 hours.\"\n\
             announced = \"{}\"\neffective = \"2099-01-01\"\ngrace_until = \"2099-06-30\"\n\n\
             [[drop]]\nid = \"support.marketplace-contact\"\nreason = \"Merged into support.critical-response.\"\n",
            day_after(2),
        ),
    )
    .unwrap();
    let config = dir.0.join("apptrust.toml");
    std::fs::write(
        &config,
        format!("programs-dir = {:?}\n", programs.display().to_string()),
    )
    .unwrap();
    app.kill();
    app.extra_args
        .extend(["--config".to_string(), config.display().to_string()]);
    app.start();

    crate::submissions::advance(&app, "P3D");
    let notifications = format!("/api/v1/apps/{key}/notifications?limit=200");
    let mut told = serde_json::Value::Null;
    crate::support::eventually("the change notice", || {
        told = app.get(&notifications, Some(&acme)).1;
        told.to_string().contains("requirements.changed")
    });
    let notice = told["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["event"] == "requirements.changed")
        .unwrap();
    assert_eq!(
        notice["payload"]["requirementSet"], "cloud-fortified/2099-01",
        "{notice}"
    );
    assert_eq!(notice["payload"]["phase"], "announced", "{notice}");
    assert_eq!(
        notice["payload"]["dropped"],
        json!(["support.marketplace-contact"])
    );
    // Old dates are not news: the first two sets' publications were not announced again.
    let notices = told.to_string().matches("requirements.changed").count();
    assert_eq!(
        notices, 2,
        "the event's name appears in `event` and in the payload: {told}"
    );

    crate::submissions::advance(&app, "P30D");
    let trust = format!("/api/v1/apps/{key}/trust");
    crate::support::eventually("retirement", || {
        app.get(&trust, None).1["programs"]["cloudFortified"]["status"] == "RETIRED"
    });
    let (_, document) = app.get(&trust, None);
    assert_eq!(
        document["badgeEvents"][0]["cause"], "retirement",
        "{document}"
    );
    assert!(
        document["programs"]["cloudFortified"]["nextReview"].is_null(),
        "{document}"
    );
    let (_, reviews) = app.get("/api/v1/reviews", Some(&app.staff_token));
    assert_eq!(reviews["reviews"][0]["state"], "cancelled", "{reviews}");
    // A retiring program takes no new submissions.
    app.app(&acme, "com.acme.latecomer");
    let (status, body) = app.post(
        "/api/v1/apps/com.acme.latecomer/submissions",
        Some(&acme),
        json!({"program": "cloud-fortified"}),
    );
    assert_eq!(status, 422, "{body}");
}
