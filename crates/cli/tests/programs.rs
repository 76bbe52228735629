//! `apptrust programs check`: the repository's programs pass, and a broken requirement set is
//! refused with its file, line and problem, as a pull request's CI would see it.

#![allow(clippy::unwrap_used)] // Test code: a panic is a failed test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn apptrust(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_apptrust"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap() + &String::from_utf8(output.stderr).unwrap(),
    )
}

fn repository(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[test]
fn the_repository_programs_pass() {
    let dir = repository("programs");
    let (code, out) = apptrust(&["programs", "check", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("4 programs, 2 requirement sets, no problems"),
        "{out}"
    );
    let (code, out) = apptrust(&["programs", "check", "--json", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        json["programs"][1]["requirementSets"][1]["id"],
        "cloud-fortified/2027-01"
    );
}

#[test]
fn a_broken_requirement_set_is_refused_with_its_line() {
    let dir = std::env::temp_dir().join(format!("apptrust-programs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let source = repository("programs/cloud-fortified");
    std::fs::create_dir_all(dir.join("cloud-fortified/requirements")).unwrap();
    std::fs::copy(
        source.join("program.toml"),
        dir.join("cloud-fortified/program.toml"),
    )
    .unwrap();
    let first = std::fs::read_to_string(source.join("requirements/2026-01.toml")).unwrap();
    std::fs::write(
        dir.join("cloud-fortified/requirements/2026-01.toml"),
        &first,
    )
    .unwrap();
    let second = std::fs::read_to_string(source.join("requirements/2027-01.toml"))
        .unwrap()
        .replace("id = \"reliability.testing\"", "id = \"reliability.tests\"");
    std::fs::write(
        dir.join("cloud-fortified/requirements/2027-01.toml"),
        &second,
    )
    .unwrap();
    let line = second
        .lines()
        .position(|l| l.contains("reliability.tests"))
        .unwrap()
        + 1;

    let (code, out) = apptrust(&["programs", "check", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "cloud-fortified/requirements/2027-01.toml:{line}: drops `reliability.tests`"
        )),
        "{out}"
    );
    assert!(out.contains("1 problem in"), "{out}");
    // A folder that is not there is an error of the command.
    let (code, out) = apptrust(&["programs", "check", dir.join("nope").to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
