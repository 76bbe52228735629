//! Black-box tests of baselines (`--baseline`, `--write-baseline`) and inline waivers
//! (`# apptrust: allow CODE until=YYYY-MM-DD reason="..."`): what is set aside, what is refused,
//! what each output lists and what the exit status counts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The day waivers are judged on in these tests (through `APPTRUST_TODAY`).
const TODAY: &str = "2025-06-15";

/// The eligible fixture, a manifest Forge accepts, with three rule findings and one advisory
/// appended: `HAS_DEFINED_EGRESS` on lines 28, 29 and 31 and `EGRESS_STRING_ENTRY` on line 29.
fn manifest() -> String {
    let eligible =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eligible/manifest.yml");
    let mut text = std::fs::read_to_string(eligible).expect("fixture");
    assert_eq!(
        text.lines().count(),
        27,
        "the fixture changed: adjust the line numbers here"
    );
    text.push_str(concat!(
        "        - address: api.one.example\n",
        "        - api.two.example\n",
        "    images:\n",
        "      - address: img.example.com\n",
    ));
    text
}

/// Replaces the text of a 1-based line.
fn with_line(text: &str, line: usize, new: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines[line - 1] = new;
    lines.join("\n") + "\n"
}

/// A fresh folder for one test.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("apptrust-waivers-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apptrust"))
        .args(args)
        .current_dir(dir)
        .env("APPTRUST_TODAY", TODAY)
        .env_remove("NO_COLOR")
        .output()
        .expect("run apptrust")
}

/// `apptrust check` without colour, with `args` after it.
fn check(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["check", "--color", "never"];
    all.extend_from_slice(args);
    run(dir, &all)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The codes of a JSON file entry's list (`findings`, `waived`, `baselined`, `waiverNotes`).
fn codes(file: &serde_json::Value, list: &str) -> Vec<String> {
    file[list]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["code"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn baseline_round_trip() {
    let dir = folder("round-trip");
    std::fs::write(dir.join("manifest.yml"), manifest()).expect("write");
    assert_eq!(code(&check(&dir, &["-q", "manifest.yml"])), 1);

    let written = check(
        &dir,
        &["-q", "--write-baseline", "baseline.json", "manifest.yml"],
    );
    assert_eq!(code(&written), 0, "{}", stdout(&written));
    assert!(stderr(&written).contains("wrote 4 findings to the baseline baseline.json"));
    let text = std::fs::read_to_string(dir.join("baseline.json")).expect("baseline");
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(value["version"], 1);
    let entries = value["findings"].as_array().expect("findings");
    assert_eq!(entries.len(), 4);
    for entry in entries {
        for key in ["file", "code", "fingerprint", "description"] {
            assert!(entry[key].is_string(), "{key} in {entry}");
        }
        assert_eq!(entry["file"], "manifest.yml");
    }
    let order: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap_or(""),
                e["description"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "sorted by code, then description");
    assert_eq!(text.lines().count(), 4 + 5, "one entry per line:\n{text}");

    // Writing again gives the same bytes: the file is stable.
    check(
        &dir,
        &["-q", "--write-baseline", "again.json", "manifest.yml"],
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("again.json")).expect("again"),
        text
    );

    let out = check(&dir, &["--baseline", "baseline.json", "manifest.yml"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let human = stdout(&out);
    assert!(
        human.contains("baselined (4), not counted by --fail-on:"),
        "{human}"
    );
    assert!(
        human.contains("manifest.yml: not eligible (HAS_DEFINED_EGRESS)"),
        "the verdict stands: {human}"
    );
    assert!(
        human.contains("--fail-on counts the open findings: eligible"),
        "{human}"
    );
    assert!(!human.contains("error[HAS_DEFINED_EGRESS]"), "{human}");

    let report = json(&check(
        &dir,
        &["-f", "json", "--baseline", "baseline.json", "manifest.yml"],
    ));
    let file = &report["files"][0];
    assert_eq!(file["verdict"], "not-eligible");
    assert_eq!(file["rules"], serde_json::json!(["HAS_DEFINED_EGRESS"]));
    assert_eq!(file["openVerdict"], "eligible");
    assert_eq!(codes(file, "findings"), Vec::<String>::new());
    assert_eq!(codes(file, "baselined").len(), 4);
    assert_eq!(
        file["baselined"][0]["fingerprint"].as_str().map(str::len),
        Some(16)
    );
    assert_eq!(
        report["summary"]["notEligible"], 1,
        "the summary counts verdicts"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn moved_lines_keep_their_baseline_and_new_findings_are_reported() {
    let dir = folder("moved");
    let original = manifest();
    std::fs::write(dir.join("manifest.yml"), &original).expect("write");
    check(
        &dir,
        &["-q", "--write-baseline", "baseline.json", "manifest.yml"],
    );

    // Lines inserted above every finding, a blank line and a comment between them, and the
    // two backend entries swapped.
    let moved = format!(
        "# The panel app.\n# Owner: team-x\n\n{}",
        original.replace(
            "        - address: api.one.example\n        - api.two.example\n",
            "        - api.two.example\n\n        # the reporting API\n        - address: api.one.example\n",
        )
    );
    std::fs::write(dir.join("manifest.yml"), &moved).expect("write");
    let out = check(
        &dir,
        &["-f", "json", "--baseline", "baseline.json", "manifest.yml"],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let report = json(&out);
    assert_eq!(codes(&report["files"][0], "findings"), Vec::<String>::new());
    assert_eq!(codes(&report["files"][0], "baselined").len(), 4);

    // A new entry is a new finding; the old ones stay baselined.
    let grown = moved.replace(
        "      - address: img.example.com\n",
        "      - address: img.example.com\n      - address: cdn.example.net\n",
    );
    std::fs::write(dir.join("manifest.yml"), &grown).expect("write");
    let out = check(&dir, &["--baseline", "baseline.json", "manifest.yml"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let human = stdout(&out);
    assert!(
        human.contains("error[HAS_DEFINED_EGRESS]: `images` allows egress to `cdn.example.net`"),
        "{human}"
    );
    assert_eq!(
        human.matches("error[HAS_DEFINED_EGRESS]").count(),
        1,
        "{human}"
    );
    assert!(human.contains("baselined (4)"), "{human}");

    // Fixing a baselined finding leaves its entry unmatched, which the summary mentions.
    let fixed = original.replace("      - address: img.example.com\n", "");
    let fixed = fixed.replace("    images:\n", "");
    std::fs::write(dir.join("manifest.yml"), fixed).expect("write");
    let out = check(&dir, &["--baseline", "baseline.json", "manifest.yml"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("1 baseline entry matching no finding any more"),
        "{}",
        stdout(&out)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_baseline_naming_none_of_the_checked_paths_is_warned_about() {
    let dir = folder("other-paths");
    std::fs::write(dir.join("manifest.yml"), manifest()).expect("write");
    // Written with the default path, so its entries name `manifest.yml`.
    let written = check(&dir, &["-q", "--write-baseline", "baseline.json"]);
    assert_eq!(code(&written), 0, "{}", stderr(&written));
    let absolute = dir.join("manifest.yml");
    let absolute = absolute.to_str().expect("UTF-8 temp dir");

    let warning = "apptrust: warning: 4 of 4 baseline entries name files this run did not check \
                   (manifest.yml), so none of them can match: paths must be given as when the \
                   baseline was written";
    for format in ["human", "json", "sarif"] {
        let out = check(
            &dir,
            &["-f", format, "--baseline", "baseline.json", absolute],
        );
        assert_eq!(
            code(&out),
            1,
            "{format}: every finding is open, the exit status as before"
        );
        let err = stderr(&out);
        assert!(err.contains(warning), "{format}: {err}");
        assert!(
            err.contains(&format!(
                "(this run checked {})",
                absolute.replace('\\', "/")
            )),
            "{format}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{format}: {err}");
        if format != "human" {
            json(&out); // standard output is still one clean document
        }
    }

    let report = json(&check(
        &dir,
        &["-f", "json", "--baseline", "baseline.json", absolute],
    ));
    assert_eq!(report["summary"]["baselineEntriesForOtherFiles"], 4);
    assert_eq!(
        report["summary"]["notEligible"], 1,
        "the counts are the same"
    );
    let file = &report["files"][0];
    assert_eq!(codes(file, "findings").len(), 4);
    assert!(file.get("baselined").is_none());
    assert!(file.get("baselineUnmatched").is_none());

    // The paths as written: nothing to say, and the member says 0.
    let out = check(
        &dir,
        &["-f", "json", "--baseline", "baseline.json", "manifest.yml"],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(stderr(&out), "");
    assert_eq!(json(&out)["summary"]["baselineEntriesForOtherFiles"], 0);
    // Without --baseline the member is absent.
    let out = check(&dir, &["-f", "json", "manifest.yml"]);
    assert!(
        json(&out)["summary"]
            .get("baselineEntriesForOtherFiles")
            .is_none()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn checking_some_of_the_baselined_files_gets_a_note() {
    let dir = folder("subset");
    std::fs::create_dir_all(dir.join("panel")).expect("mkdir");
    std::fs::write(dir.join("manifest.yml"), manifest()).expect("write");
    std::fs::write(dir.join("panel/manifest.yml"), manifest()).expect("write");
    let written = check(&dir, &["-q", "--write-baseline", "baseline.json", "."]);
    assert!(
        stderr(&written).contains("wrote 8 findings"),
        "{}",
        stderr(&written)
    );

    for format in ["human", "json", "sarif"] {
        let out = check(
            &dir,
            &["-f", format, "--baseline", "baseline.json", "manifest.yml"],
        );
        assert_eq!(code(&out), 0, "{format}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(
            err.contains(
                "apptrust: note: 4 of 8 baseline entries name files this run did not check \
                 (panel/manifest.yml); they apply when those files are checked"
            ),
            "{format}: {err}"
        );
        assert!(!err.contains("warning"), "{format}: {err}");
    }
    let report = json(&check(
        &dir,
        &["-f", "json", "--baseline", "baseline.json", "manifest.yml"],
    ));
    assert_eq!(report["summary"]["baselineEntriesForOtherFiles"], 4);
    assert_eq!(codes(&report["files"][0], "baselined").len(), 4);

    // Both files: every entry names a checked file.
    let out = check(&dir, &["-q", "--baseline", "baseline.json", "."]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(stderr(&out), "");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_baselines_are_errors() {
    let dir = folder("bad-baselines");
    std::fs::write(dir.join("manifest.yml"), manifest()).expect("write");
    let fingerprint = "0123456789abcdef";
    let cases = [
        (
            "missing.json",
            None,
            "cannot read the baseline missing.json",
        ),
        ("empty.json", Some(String::new()), "is not valid JSON"),
        ("list.json", Some("[]".to_string()), "no \"version\""),
        (
            "future.json",
            Some("{\"version\": 2, \"findings\": []}".to_string()),
            "format version 2",
        ),
        (
            "blocker.json",
            Some(format!(
                "{{\"version\": 1, \"findings\": [{{\"file\": \"manifest.yml\", \"code\": \"MANIFEST_INVALID\", \"fingerprint\": \"{fingerprint}\"}}]}}"
            )),
            "MANIFEST_INVALID, which cannot be baselined",
        ),
    ];
    for (name, content, expected) in cases {
        if let Some(content) = content {
            std::fs::write(dir.join(name), content).expect("write");
        }
        let out = check(&dir, &["--baseline", name, "manifest.yml"]);
        assert_eq!(code(&out), 2, "{name}");
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
        assert!(
            stdout(&out).is_empty(),
            "{name}: nothing is reported with a bad baseline"
        );
    }
    let both = check(
        &dir,
        &[
            "--baseline",
            "a.json",
            "--write-baseline",
            "b.json",
            "manifest.yml",
        ],
    );
    assert_eq!(code(&both), 2);
    let bad_day = check(&dir, &["--today", "2025-02-30", "manifest.yml"]);
    assert_eq!(code(&bad_day), 2);
    assert!(
        stderr(&bad_day).contains("2025-02-30"),
        "{}",
        stderr(&bad_day)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn waivers_with_a_reason_set_findings_aside() {
    let dir = folder("with-reason");
    let text = with_line(
        &manifest(),
        28,
        "        - address: api.one.example # apptrust: allow HAS_DEFINED_EGRESS until=2025-12-31 reason=\"reporting API, moving to Forge SQL\"",
    );
    // Own-line waiver above the string entry, for both of its findings.
    let text = text.replace(
        "        - api.two.example\n",
        "        # apptrust: allow HAS_DEFINED_EGRESS, egress_string_entry reason=\"legacy\"\n        - api.two.example\n",
    );
    let text = text.replace(
        "      - address: img.example.com\n",
        "      - address: img.example.com # apptrust: allow HAS_DEFINED_EGRESS reason=\"logos\"\n",
    );
    std::fs::write(dir.join("manifest.yml"), &text).expect("write");
    let out = check(&dir, &["manifest.yml"]);
    assert_eq!(
        code(&out),
        0,
        "every rule finding is waived: {}",
        stdout(&out)
    );
    let human = stdout(&out);
    assert!(
        human.contains("manifest.yml: not eligible (HAS_DEFINED_EGRESS)"),
        "{human}"
    );
    assert!(
        human.contains("waived (4), not counted by --fail-on:"),
        "{human}"
    );
    assert!(
        human.contains(
            "reason: reporting API, moving to Forge SQL (waiver on line 28, until 2025-12-31)"
        ),
        "{human}"
    );
    assert!(!human.contains("WAIVER_"), "{human}");
    insta::assert_snapshot!("human", human);

    let report = json(&check(&dir, &["-f", "json", "manifest.yml"]));
    let file = &report["files"][0];
    assert_eq!(file["verdict"], "not-eligible");
    assert_eq!(file["openVerdict"], "eligible");
    assert_eq!(codes(file, "waived").len(), 4);
    assert_eq!(
        file["waived"][0]["waiver"],
        serde_json::json!({"line": 28, "reason": "reporting API, moving to Forge SQL", "until": "2025-12-31"})
    );
    assert_eq!(
        file["waived"][1]["waiver"]["until"],
        serde_json::Value::Null
    );
    assert!(file.get("waiverNotes").is_none());
    assert!(file.get("baselined").is_none());

    // Waived findings are not written to a baseline, so that their expiry still counts.
    let written = check(
        &dir,
        &["-q", "--write-baseline", "baseline.json", "manifest.yml"],
    );
    assert!(
        stderr(&written).contains("wrote 0 findings"),
        "{}",
        stderr(&written)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn refused_and_stale_waivers_are_reported() {
    let dir = folder("refused");
    let text = manifest();
    let text = with_line(
        &text,
        28,
        "        - address: api.one.example # apptrust: allow HAS_DEFINED_EGRESS",
    );
    let text = with_line(
        &text,
        29,
        "        - api.two.example # apptrust: allow NO_SUCH_RULE, EGRESS_STRING_ENTRY reason=\"x\"",
    );
    let text = with_line(
        &text,
        31,
        "      - address: img.example.com # apptrust: allow HAS_REMOTES reason=\"stale\"",
    );
    let text = with_line(
        &text,
        2,
        "  id: ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000001 # apptrust: allw HAS_REMOTES",
    );
    std::fs::write(dir.join("manifest.yml"), &text).expect("write");
    let out = check(&dir, &["-f", "json", "manifest.yml"]);
    assert_eq!(code(&out), 1);
    let file = &json(&out)["files"][0];
    assert_eq!(
        codes(file, "waiverNotes"),
        [
            "WAIVER_MALFORMED",
            "WAIVER_MISSING_REASON",
            "WAIVER_UNKNOWN_CODE",
            "WAIVER_UNUSED"
        ]
    );
    let severities: Vec<&str> = file["waiverNotes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n["severity"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(severities, ["error", "error", "warning", "warning"]);
    assert_eq!(file["waiverNotes"][1]["line"], 28);
    assert_eq!(file["waiverNotes"][2]["waiverCode"], "NO_SUCH_RULE");
    assert_eq!(
        codes(file, "waived"),
        ["EGRESS_STRING_ENTRY"],
        "the known code still applies"
    );
    assert_eq!(codes(file, "findings"), ["HAS_DEFINED_EGRESS"; 3]);

    let human = stdout(&check(&dir, &["manifest.yml"]));
    assert!(human.contains("error[WAIVER_MISSING_REASON]: this waiver of HAS_DEFINED_EGRESS has no reason, so it is refused"), "{human}");
    assert!(
        human.contains("warning[WAIVER_UNKNOWN_CODE]: `NO_SUCH_RULE` is not an apptrust code"),
        "{human}"
    );
    assert!(human.contains("warning[WAIVER_UNUSED]: this waiver of HAS_REMOTES matches no finding on line 31: remove it"), "{human}");
    assert!(
        human.contains(
            "error[WAIVER_MALFORMED]: cannot read this waiver: unknown apptrust directive `allw`"
        ),
        "{human}"
    );
    assert!(human.contains("4 waiver problems"), "{human}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn expired_waivers_report_their_findings_again() {
    let dir = folder("expired");
    let text = with_line(
        &manifest(),
        31,
        "      - address: img.example.com # apptrust: allow HAS_DEFINED_EGRESS until=2025-06-14 reason=\"logos\"",
    );
    let text = text.replace(
        "        - address: api.one.example\n        - api.two.example\n",
        "",
    );
    std::fs::write(dir.join("manifest.yml"), &text).expect("write");

    let on_time = Command::new(env!("CARGO_BIN_EXE_apptrust"))
        .args(["check", "-q", "--today", "2025-06-14", "manifest.yml"])
        .current_dir(&dir)
        .env_remove("APPTRUST_TODAY")
        .output()
        .expect("run");
    assert_eq!(
        code(&on_time),
        0,
        "the waiver holds on its last day: {}",
        stdout(&on_time)
    );

    let out = check(&dir, &["manifest.yml"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let human = stdout(&out);
    assert!(
        human.contains("error[HAS_DEFINED_EGRESS]: `images` allows egress to `img.example.com`"),
        "{human}"
    );
    assert!(human.contains("warning[WAIVER_EXPIRED]: the waiver of HAS_DEFINED_EGRESS expired on 2025-06-14 (reason: \"logos\"): its finding is reported again"), "{human}");
    assert!(!human.contains("waived ("), "{human}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn blockers_and_errors_cannot_be_waived_or_baselined() {
    let dir = folder("not-waivable");
    let text = with_line(
        &manifest(),
        28,
        "        - address: http://api.one.example # apptrust: allow MANIFEST_INVALID, HAS_DEFINED_EGRESS reason=\"we know\"",
    );
    std::fs::write(dir.join("manifest.yml"), &text).expect("write");
    let out = check(
        &dir,
        &["-f", "json", "--fail-on", "blocked", "manifest.yml"],
    );
    assert_eq!(code(&out), 1, "a blocker still fails --fail-on blocked");
    let file = &json(&out)["files"][0];
    assert_eq!(file["verdict"], "blocked");
    assert_eq!(codes(file, "waiverNotes"), ["WAIVER_NOT_ALLOWED"]);
    assert!(
        file["waiverNotes"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("MANIFEST_INVALID cannot be waived: it is a deploy blocker")
    );
    assert!(codes(file, "findings").contains(&"MANIFEST_INVALID".to_string()));
    assert_eq!(codes(file, "waived"), ["HAS_DEFINED_EGRESS"]);
    assert_eq!(file["openVerdict"], "blocked");

    // A baseline never takes a blocker in.
    let written = check(
        &dir,
        &["-q", "--write-baseline", "baseline.json", "manifest.yml"],
    );
    assert_eq!(code(&written), 1, "{}", stdout(&written));
    let baseline = std::fs::read_to_string(dir.join("baseline.json")).expect("baseline");
    assert!(!baseline.contains("MANIFEST_INVALID"), "{baseline}");

    // A file that cannot be read is an error whatever its comments say.
    std::fs::write(
        dir.join("broken.yml"),
        "a: [ # apptrust: allow YAML_SYNTAX reason=\"x\"\n",
    )
    .expect("write");
    let out = check(&dir, &["-f", "json", "broken.yml"]);
    assert_eq!(code(&out), 2);
    let file = &json(&out)["files"][0];
    assert_eq!(codes(file, "waiverNotes"), ["WAIVER_NOT_ALLOWED"]);
    assert!(
        file["waiverNotes"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("read error")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_format_lists_what_is_set_aside() {
    let dir = folder("formats");
    let original = manifest();
    std::fs::write(dir.join("manifest.yml"), &original).expect("write");
    check(
        &dir,
        &["-q", "--write-baseline", "baseline.json", "manifest.yml"],
    );
    let text = with_line(
        &original,
        31,
        "      - address: img.example.com # apptrust: allow HAS_DEFINED_EGRESS until=2026-01-31 reason=\"logos\"",
    );
    let text = text.replace(
        "  scopes:\n",
        "  scopes: # apptrust: allow HAS_REMOTES reason=\"old\"\n",
    );
    std::fs::write(dir.join("manifest.yml"), &text).expect("write");
    let args = |format: &'static str| {
        [
            "check",
            "--color",
            "never",
            "-f",
            format,
            "--baseline",
            "baseline.json",
            "manifest.yml",
        ]
    };

    let human = stdout(&run(&dir, &args("human")));
    assert!(human.contains("waived (1)"), "{human}");
    assert!(
        human.contains("reason: logos (waiver on line 31, until 2026-01-31)"),
        "{human}"
    );
    assert!(human.contains("baselined (3)"), "{human}");
    assert!(human.contains("warning[WAIVER_UNUSED]"), "{human}");
    assert!(
        human
            .contains("1 finding waived, 3 baselined (not counted by --fail-on); 1 waiver problem"),
        "{human}"
    );

    let file = &json(&run(&dir, &args("json")))["files"][0];
    assert_eq!(codes(file, "waived"), ["HAS_DEFINED_EGRESS"]);
    assert_eq!(codes(file, "baselined").len(), 3);
    assert_eq!(codes(file, "waiverNotes"), ["WAIVER_UNUSED"]);

    let sarif = json(&run(&dir, &args("sarif")));
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run0["results"].as_array().expect("results");
    let kinds: Vec<(String, String)> = results
        .iter()
        .map(|r| {
            let kind = r["suppressions"][0]["kind"]
                .as_str()
                .unwrap_or("open")
                .to_string();
            (r["ruleId"].as_str().unwrap_or("").to_string(), kind)
        })
        .collect();
    assert_eq!(
        kinds.iter().filter(|(_, k)| k == "inSource").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|(_, k)| k == "external").count(),
        3,
        "{kinds:?}"
    );
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"], "{result}");
    }
    let waived = results
        .iter()
        .find(|r| r["suppressions"][0]["kind"] == "inSource")
        .expect("waived result");
    assert_eq!(waived["suppressions"][0]["justification"], "logos");
    assert_eq!(waived["suppressions"][0]["status"], "accepted");
    assert_eq!(
        waived["suppressions"][0]["properties"]["until"],
        "2026-01-31"
    );
    let note = results
        .iter()
        .find(|r| r["ruleId"] == "WAIVER_UNUSED")
        .expect("note result");
    assert_eq!(note["level"], "warning");
    assert_eq!(
        note["locations"][0]["physicalLocation"]["region"]["startLine"],
        20
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn exit_status_counts_open_findings_only() {
    let dir = folder("exit");
    let waived = |line: usize, text: &str, code: &str| {
        with_line(
            text,
            line,
            &format!(
                "{} # apptrust: allow {code} reason=\"r\"",
                text.lines().nth(line - 1).unwrap_or("")
            ),
        )
    };
    let all = manifest();
    let all = waived(28, &all, "HAS_DEFINED_EGRESS");
    let all = waived(29, &all, "HAS_DEFINED_EGRESS");
    let rules_only = waived(31, &all, "HAS_DEFINED_EGRESS");
    std::fs::write(dir.join("rules-waived.yml"), &rules_only).expect("write");
    std::fs::write(dir.join("one-open.yml"), &all).expect("write");
    std::fs::write(dir.join("broken.yml"), "a: [\n").expect("write");
    let cases = [
        ("not-eligible", "rules-waived.yml", 0),
        ("not-eligible", "one-open.yml", 1),
        ("blocked", "one-open.yml", 0),
        ("never", "one-open.yml", 0),
        ("never", "broken.yml", 2),
    ];
    for (fail_on, file, expected) in cases {
        let out = check(&dir, &["-q", "--fail-on", fail_on, file]);
        assert_eq!(
            code(&out),
            expected,
            "--fail-on {fail_on} {file}: {}",
            stdout(&out)
        );
    }
    // What is left open in rules-waived.yml is an advisory, which never fails a run.
    let out = check(&dir, &["-f", "json", "rules-waived.yml"]);
    let file = &json(&out)["files"][0];
    assert_eq!(codes(file, "findings"), ["EGRESS_STRING_ENTRY"]);
    assert_eq!(file["verdict"], "not-eligible");
    assert_eq!(file["openVerdict"], "eligible");
    let _ = std::fs::remove_dir_all(dir);
}
