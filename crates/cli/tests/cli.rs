//! Black-box tests of the `apptrust` binary: exit codes, formats, inputs and hostile files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs the binary in the fixtures folder; kills it and fails if it runs for over a minute, so a
/// hang shows up as a failure instead of a stuck CI run.
fn run_with(args: &[&str], stdin: Option<&[u8]>, dir: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_apptrust"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apptrust");
    if let Some(bytes) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        let _ = pipe.write_all(bytes);
    }
    // A watchdog kills the child after a minute; the main thread keeps draining its pipes.
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            return true;
        }
        false
    });
    let output = child.wait_with_output().expect("output");
    let _ = done.send(());
    let killed = watchdog.join().unwrap_or(false);
    assert!(!killed, "apptrust {args:?} did not finish within a minute");
    output
}

fn run(args: &[&str]) -> Output {
    run_with(args, None, &fixtures())
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

#[test]
fn exit_codes_follow_the_contract() {
    assert_eq!(code(&run(&["check", "eligible/manifest.yml"])), 0);
    assert_eq!(code(&run(&["check", "mixed/not-eligible.yml"])), 1);
    assert_eq!(code(&run(&["check", "mixed/blocked.yml"])), 1);
    assert_eq!(code(&run(&["check", "mixed/duplicate.yml"])), 2);
    assert_eq!(
        code(&run(&[
            "check",
            "eligible/manifest.yml",
            "mixed/not-eligible.yml"
        ])),
        1
    );
    assert_eq!(
        code(&run(&[
            "check",
            "mixed/not-eligible.yml",
            "mixed/duplicate.yml"
        ])),
        2
    );
    assert_eq!(code(&run(&["check", "no-such-file.yml"])), 2);
    assert_eq!(code(&run(&["check", "--format", "nonsense"])), 2);
    assert_eq!(code(&run(&["explain", "NO_SUCH_RULE"])), 2);
    assert_eq!(code(&run(&["frobnicate"])), 2);
}

#[test]
fn human_output() {
    let out = run(&[
        "check",
        "--color",
        "never",
        "mixed/not-eligible.yml",
        "mixed/blocked.yml",
        "mixed/duplicate.yml",
        "mixed/unquoted.yml",
        "eligible/manifest.yml",
    ]);
    insta::assert_snapshot!("human", stdout(&out));
}

#[test]
fn quiet_output_lists_verdicts_only() {
    let out = run(&[
        "check",
        "-q",
        "--color",
        "never",
        "mixed/blocked.yml",
        "mixed/duplicate.yml",
        "mixed/not-eligible.yml",
        "mixed/unquoted.yml",
        "eligible/manifest.yml",
    ]);
    insta::assert_snapshot!("quiet", stdout(&out));
}

#[test]
fn colour_is_only_used_when_asked_or_on_a_terminal() {
    let plain = stdout(&run(&["check", "mixed/not-eligible.yml"]));
    assert!(!plain.contains('\x1b'), "piped output must not be coloured");
    let coloured = stdout(&run(&[
        "check",
        "--color",
        "always",
        "mixed/not-eligible.yml",
    ]));
    assert!(coloured.contains('\x1b'));
}

#[test]
fn json_output() {
    let out = run(&[
        "check",
        "--format",
        "json",
        "mixed/not-eligible.yml",
        "mixed/blocked.yml",
        "mixed/duplicate.yml",
        "eligible/manifest.yml",
    ]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(value["summary"]["eligible"], 1);
    assert_eq!(value["summary"]["notEligible"], 1);
    assert_eq!(value["summary"]["blocked"], 1);
    assert_eq!(value["summary"]["error"], 1);
    let files = value["files"].as_array().expect("files");
    assert_eq!(
        files[0]["rules"],
        serde_json::json!([
            "HAS_REMOTES",
            "HAS_DEFINED_EGRESS",
            "HAS_EGRESS_WEBTRIGGER_MODULE"
        ])
    );
    assert_eq!(
        files[1]["blockers"],
        serde_json::json!(["MANIFEST_INVALID", "ANALYTICS_DOMAIN_NOT_APPROVED"])
    );
    for file in files {
        for finding in file["findings"].as_array().expect("findings") {
            for key in [
                "code",
                "severity",
                "message",
                "line",
                "column",
                "endLine",
                "endColumn",
                "fix",
            ] {
                assert!(finding.get(key).is_some(), "finding lacks {key}: {finding}");
            }
        }
    }
    insta::assert_snapshot!("json", stdout(&out));
}

#[test]
fn sarif_output() {
    let out = run(&[
        "check",
        "--format",
        "sarif",
        "mixed/not-eligible.yml",
        "mixed/duplicate.yml",
    ]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(value["version"], "2.1.0");
    let run0 = &value["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    for result in run0["results"].as_array().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().expect("startLine") >= 1);
    }
    let mut text = stdout(&out);
    text = text.replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    insta::assert_snapshot!("sarif", text);
}

#[test]
fn directories_are_searched_for_manifests() {
    let out = run(&["check", "-q", "--color", "never", "."]);
    let text = stdout(&out);
    assert!(text.contains("eligible/manifest.yml: eligible"), "{text}");
    assert!(
        !text.contains("mixed/"),
        "only manifest.yml/manifest.yaml are picked up: {text}"
    );
    let empty = run(&["check", "mixed"]);
    assert_eq!(
        code(&empty),
        2,
        "a folder without manifests is a usage problem"
    );
}

#[test]
fn standard_input() {
    let text = std::fs::read(fixtures().join("mixed/not-eligible.yml")).expect("fixture");
    let out = run_with(
        &["check", "-q", "--stdin-filename", "piped.yml", "-"],
        Some(&text),
        &fixtures(),
    );
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("piped.yml: not eligible"));
}

#[test]
fn variables_come_from_flags_files_and_the_environment() {
    let missing = run(&["check", "-q", "--no-process-env", "needs-variable.yml"]);
    assert_eq!(code(&missing), 1, "{}", stdout(&missing));
    assert!(stdout(&missing).contains("blocked (MANIFEST_INVALID)"));

    let flag = run(&[
        "check",
        "-q",
        "--no-process-env",
        "--var",
        "ANALYTICS_HOST=eu.posthog.com",
        "needs-variable.yml",
    ]);
    assert_eq!(code(&flag), 0, "{}", stdout(&flag));
    // The old spelling still works for now, with a warning.
    let old = run(&[
        "check",
        "-q",
        "--no-process-env",
        "--env",
        "ANALYTICS_HOST=eu.posthog.com",
        "needs-variable.yml",
    ]);
    assert_eq!(code(&old), 0, "{}", stdout(&old));
    assert!(String::from_utf8_lossy(&old.stderr).contains("use `--var KEY=VALUE`"));

    let dir = std::env::temp_dir().join(format!("apptrust-cli-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let env_file = dir.join("deploy.env");
    std::fs::write(&env_file, "ANALYTICS_HOST=stats.example.com\n").expect("env file");
    let file = run(&[
        "check",
        "-q",
        "--no-process-env",
        "--var-file",
        env_file.to_str().expect("utf8"),
        "needs-variable.yml",
    ]);
    assert!(
        stdout(&file).contains("blocked (ANALYTICS_DOMAIN_NOT_APPROVED)"),
        "{}",
        stdout(&file)
    );

    let process = Command::new(env!("CARGO_BIN_EXE_apptrust"))
        .args(["check", "-q", "needs-variable.yml"])
        .current_dir(fixtures())
        .env("ANALYTICS_HOST", "x.mixpanel.com")
        .output()
        .expect("run");
    assert_eq!(code(&process), 0);
    let ignored = Command::new(env!("CARGO_BIN_EXE_apptrust"))
        .args(["check", "-q", "--no-process-env", "needs-variable.yml"])
        .current_dir(fixtures())
        .env("ANALYTICS_HOST", "x.mixpanel.com")
        .output()
        .expect("run");
    assert_eq!(code(&ignored), 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn explain_prints_the_rule_documentation() {
    let out = run(&["explain", "has_remotes"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    for section in [
        "# HAS_REMOTES",
        "## What it does",
        "## Why it matters",
        "## Example",
        "## Use instead",
        "## References",
    ] {
        assert!(text.contains(section), "missing {section}");
    }
}

#[test]
fn rules_lists_every_code() {
    let out = run(&["rules"]);
    insta::assert_snapshot!("rules", stdout(&out));
    let tools = stdout(&run(&["rules", "--analytics-tools"]));
    assert!(tools.contains("*.posthog.com"));
}

#[test]
fn diff_classifies_the_change() {
    let out = run(&["diff", "old.yml", "new.yml"]);
    assert_eq!(code(&out), 0);
    insta::assert_snapshot!("diff", stdout(&out));
    assert_eq!(
        code(&run(&["diff", "--fail-on-major", "old.yml", "new.yml"])),
        1
    );
    assert_eq!(
        code(&run(&["diff", "--fail-on-lost", "old.yml", "new.yml"])),
        1
    );
    let same = run(&["diff", "--fail-on-major", "old.yml", "old.yml"]);
    assert_eq!(code(&same), 0);
    assert!(stdout(&same).contains("no change"));
    let json: serde_json::Value =
        serde_json::from_slice(&run(&["diff", "-f", "json", "old.yml", "new.yml"]).stdout)
            .expect("json");
    assert_eq!(json["major"], true);
    assert_eq!(json["eligibility"], "lost");
    assert_eq!(code(&run(&["diff", "old.yml", "mixed/duplicate.yml"])), 2);
}

/// Member names in a JSON value that are not camelCase (they hold an underscore or a hyphen).
fn names_not_in_camel_case(value: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (name, member) in map {
                if name.contains(['_', '-']) {
                    out.push(format!("{path}.{name}"));
                }
                names_not_in_camel_case(member, &format!("{path}.{name}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                names_not_in_camel_case(item, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

/// One naming style in every JSON document the CLI prints: camelCase, as the service's API.
#[test]
fn every_json_output_names_its_members_in_camel_case() {
    let outputs = [
        run(&[
            "check",
            "-f",
            "json",
            "mixed/not-eligible.yml",
            "mixed/blocked.yml",
            "mixed/duplicate.yml",
            "eligible/manifest.yml",
            "old.yml",
            "new.yml",
        ]),
        run(&["diff", "-f", "json", "old.yml", "new.yml"]),
        run(&["diff", "-f", "json", "new.yml", "old.yml"]),
        run(&["rules", "-f", "json"]),
        run(&["rules", "--analytics-tools", "-f", "json"]),
    ];
    for out in &outputs {
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let mut wrong = Vec::new();
        names_not_in_camel_case(&value, "$", &mut wrong);
        assert!(wrong.is_empty(), "not camelCase: {wrong:?}");
    }
}

/// Hostile files each get an `error` verdict (or a real verdict), never a crash or a hang.
#[test]
fn hostile_inputs_are_refused_cleanly() {
    let dir = std::env::temp_dir().join(format!("apptrust-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        laughs.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
    }
    let deep_block: String = (0..1_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    let mut huge = String::from("permissions:\n  external:\n    images:\n");
    while huge.len() < 11 * 1024 * 1024 {
        huge.push_str("      - address: img.example.com\n");
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "billion-laughs.yml",
            laughs.into_bytes(),
            "YAML_RESOURCE_LIMIT",
        ),
        ("deep-flow.yml", "[".repeat(100_000).into_bytes(), "error"),
        (
            "deep-block.yml",
            deep_block.into_bytes(),
            "YAML_RESOURCE_LIMIT",
        ),
        ("huge.yml", huge.into_bytes(), "FILE_NOT_TEXT"),
        (
            "invalid-utf8.yml",
            b"app:\n  id: \xC3\x28\n".to_vec(),
            "FILE_NOT_TEXT",
        ),
        (
            "binary.yml",
            (0u8..=255).cycle().take(4096).collect(),
            "FILE_NOT_TEXT",
        ),
        ("empty.yml", Vec::new(), "NOT_A_MANIFEST"),
        ("list.yml", b"- a\n- b\n".to_vec(), "NOT_A_MANIFEST"),
        ("tabs.yml", b"a:\n\t- b\n".to_vec(), "YAML_SYNTAX"),
    ];
    for (name, bytes, expected) in &cases {
        std::fs::write(dir.join(name), bytes).expect("write");
        let out = run_with(&["check", "-q", "--color", "never", name], None, &dir);
        let text = stdout(&out);
        assert_eq!(code(&out), 2, "{name}: {text}");
        assert!(
            text.contains(expected),
            "{name}: expected {expected} in {text}"
        );
        assert!(
            out.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::write(dir.join("bom-crlf.yml"), b"\xEF\xBB\xBFpermissions:\r\n  external:\r\n    images:\r\n      - address: img.example.com\r\n").expect("write");
    let out = run_with(
        &[
            "check",
            "-q",
            "--color",
            "never",
            "--eligibility-only",
            "bom-crlf.yml",
        ],
        None,
        &dir,
    );
    assert!(
        stdout(&out).contains("bom-crlf.yml: not eligible (HAS_DEFINED_EGRESS)"),
        "{}",
        stdout(&out)
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Inputs under the size limit that make Forge's validation (or variables) work hard: each gets
/// its verdict within the watchdog, in time linear in its size. Before, 80,000 unknown scopes
/// took 96 s (a "did you mean" for each against 650 scopes) and 150,000 unknown top-level keys
/// over five minutes (a scan per key).
#[test]
fn hostile_manifests_are_validated_in_linear_time() {
    let dir = std::env::temp_dir().join(format!("apptrust-hostile-forge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let head = "app:\n  id: ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000\n  runtime:\n    name: nodejs22.x\n";
    let mut scopes = format!("{head}permissions:\n  scopes:\n");
    for i in 0..80_000 {
        scopes.push_str(&format!("    - read:jira-wrk-{i}\n"));
    }
    let mut keys = head.to_string();
    for i in 0..120_000 {
        keys.push_str(&format!("k{i}: 1\n"));
    }
    let mut refs = format!("{head}modules:\n  jira:issuePanel:\n");
    for i in 0..15_000 {
        refs.push_str(&format!(
            "    - key: p{i}\n      function: missing-{i}\n      title: t\n      icon: i.svg\n"
        ));
    }
    let mut expansion =
        String::from("environment:\n  variables:\n    - key: BIG\n      default: '");
    expansion.push_str(&"x".repeat(200_000));
    expansion.push_str("'\nitems:\n");
    for _ in 0..200 {
        expansion.push_str("  - '${BIG}'\n");
    }
    let cases = [
        ("scopes.yml", scopes, "blocked", 1),
        ("keys.yml", keys, "blocked", 1),
        ("refs.yml", refs, "blocked", 1),
        ("expansion.yml", expansion, "YAML_RESOURCE_LIMIT", 2),
    ];
    for (name, text, expected, status) in &cases {
        assert!(
            text.len() < 2 * 1024 * 1024,
            "{name} is within the size limit"
        );
        std::fs::write(dir.join(name), text).expect("write");
        let out = run_with(&["check", "-q", "--color", "never", name], None, &dir);
        let printed = stdout(&out);
        assert_eq!(code(&out), *status, "{name}: {printed}");
        assert!(printed.contains(expected), "{name}: {printed}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    for args in [
        &["rules", "--reference"][..],
        &["check", "--format", "sarif", "mixed/not-eligible.yml"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_apptrust"))
            .args(args)
            .current_dir(fixtures())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(code(&out), 101, "{args:?}");
    }
}

#[test]
fn devices_are_read_with_a_bound() {
    let out = run(&["check", "-q", "/dev/zero"]);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("FILE_NOT_TEXT"));
}

#[test]
fn commands_refuse_formats_they_do_not_implement() {
    let deploy: &[&str] = &[
        "deploy",
        "--server",
        "http://127.0.0.1:9",
        "--token",
        "apt_x",
        "--app",
        "a",
        "--env",
        "e",
        "--format",
        "sarif",
        "eligible/manifest.yml",
    ];
    for args in [
        &["diff", "--format", "sarif", "old.yml", "new.yml"][..],
        &["rules", "--format", "sarif"][..],
        deploy,
    ] {
        let out = run(args);
        assert_eq!(code(&out), 2, "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("possible values: human, json"),
            "{args:?}: {stderr}"
        );
        assert!(stdout(&out).is_empty(), "{args:?} printed something");
    }
}

#[test]
fn errors_name_what_is_missing_or_unreachable() {
    let apptrust = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_apptrust"));
        command.env_remove("APPTRUST_TOKEN").current_dir(fixtures());
        command
    };
    let out = apptrust()
        .args([
            "deploy",
            "--server",
            "http://127.0.0.1:9",
            "--app",
            "a",
            "--env",
            "e",
        ])
        .arg("eligible/manifest.yml")
        .output()
        .expect("run");
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("APPTRUST_TOKEN"));

    #[cfg(feature = "service")]
    database_errors_name_the_database(&apptrust);
}

#[cfg(feature = "service")]
fn database_errors_name_the_database(apptrust: &dyn Fn() -> Command) {
    // A PostgreSQL server that refuses the connection is named, with its address (the pool's
    // acquire timeout would only say "pool timed out").
    let out = apptrust()
        .args([
            "migrate",
            "--database",
            "postgres://someone:secret@127.0.0.1:9/db",
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 2, "{stderr}");
    assert!(
        stderr.contains("cannot connect to PostgreSQL at 127.0.0.1:9"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");

    let out = apptrust()
        .args(["migrate", "--database", "/nonexistent-folder/apptrust.db"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 2);
    assert!(
        stderr.contains("`/nonexistent-folder/apptrust.db`"),
        "{stderr}"
    );
}

#[test]
fn fail_on_chooses_which_verdicts_fail_the_run() {
    let cases = [
        ("not-eligible", "mixed/not-eligible.yml", 1),
        ("blocked", "mixed/not-eligible.yml", 0),
        ("blocked", "mixed/blocked.yml", 1),
        ("never", "mixed/blocked.yml", 0),
        ("never", "mixed/duplicate.yml", 2),
    ];
    for (fail_on, file, expected) in cases {
        let out = run(&["check", "-q", "--fail-on", fail_on, file]);
        assert_eq!(
            code(&out),
            expected,
            "--fail-on {fail_on} {file}: {}",
            stdout(&out)
        );
    }
    assert_eq!(
        code(&run(&["check", "-q", "mixed/blocked.yml"])),
        1,
        "the default"
    );
}
