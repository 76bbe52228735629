//! The packaging files (action.yml, .pre-commit-hooks.yaml, Dockerfile and the guide that shows
//! them, docs/ci.md) are not compiled, so nothing else would notice when they fall out of step
//! with the binary. They must parse, be internally consistent, and use only flags that
//! `apptrust check --help` lists.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use apptrust_yaml::{Limits, Node, Value};

fn read(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// Loads with the checker's own reader: YAML 1.2, duplicate keys refused.
fn load(path: &str) -> Node {
    apptrust_yaml::load_str(&read(path), &Limits::default())
        .unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"))
}

fn text<'a>(node: &'a Node, key: &str) -> &'a str {
    node.get(key).and_then(Node::as_str).unwrap_or("")
}

/// Every flag (`--long` and `-s`) on an option line of `apptrust check --help`.
fn check_flags() -> BTreeSet<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_apptrust"))
        .args(["check", "--help"])
        .output()
        .expect("run apptrust check --help");
    assert!(out.status.success(), "apptrust check --help failed");
    let help = String::from_utf8(out.stdout).expect("utf8");
    help.lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("-") && !line.starts_with("- "))
        .flat_map(|line| line.split([' ', ',']))
        .filter(|token| token.starts_with('-') && token.len() > 1)
        .map(str::to_owned)
        .collect()
}

/// The flags of every `apptrust check` invocation in `source`: what follows one of `markers` on
/// a logical line (continuations joined), up to the end of the shell command.
fn invocation_flags(source: &str, markers: &[&str]) -> Vec<String> {
    let joined = source.replace("\\\n", " ");
    let mut flags = Vec::new();
    for line in joined.lines() {
        for marker in markers {
            for (at, _) in line.match_indices(marker) {
                let rest = &line[at + marker.len()..];
                let end = rest
                    .find(['|', ';', '&', '>', ')', '#', '`'])
                    .unwrap_or(rest.len());
                for token in rest[..end].split_whitespace() {
                    let token = token.trim_matches(['"', '\'', ',', '[', ']']);
                    let is_flag = (token.starts_with("--") && token.len() > 2)
                        || (token.len() == 2 && token.starts_with('-') && token != "--");
                    if is_flag {
                        flags.push(token.split('=').next().unwrap_or(token).to_owned());
                    }
                }
            }
        }
    }
    flags
}

fn assert_known(flags: &[String], known: &BTreeSet<String>, file: &str) {
    for flag in flags {
        assert!(
            known.contains(flag),
            "{file} uses `apptrust check {flag}`, which `apptrust check --help` does not list"
        );
    }
}

/// All string scalars of a document, keys included.
fn strings(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::Str(s) => out.push(s.clone()),
        Value::Seq(items) => items.iter().for_each(|item| strings(item, out)),
        Value::Map(entries) => entries.iter().for_each(|e| {
            strings(&e.key, out);
            strings(&e.value, out);
        }),
        _ => {}
    }
}

/// The names that follow `prefix` in expressions (`inputs.paths`, `steps.check.outputs...`).
fn references(all: &[String], prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for s in all {
        for (at, _) in s.match_indices(prefix) {
            let before = s[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let name: String = s[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

fn keys(node: Option<&Node>) -> Vec<(String, &Node)> {
    node.and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .map(|e| (e.key.display_scalar(), &e.value))
        .collect()
}

#[test]
fn the_github_action_is_consistent_and_uses_real_flags() {
    let action = load("action.yml");
    assert_eq!(
        action.at(&["runs", "using"]).and_then(Node::as_str),
        Some("composite")
    );
    let inputs = keys(action.get("inputs"));
    let outputs = keys(action.get("outputs"));
    let steps = action
        .at(&["runs", "steps"])
        .and_then(Node::as_seq)
        .expect("runs.steps");

    for (name, input) in &inputs {
        assert!(
            !text(input, "description").is_empty(),
            "input {name} has no description"
        );
    }
    for (name, output) in &outputs {
        assert!(
            !text(output, "description").is_empty(),
            "output {name} has no description"
        );
        assert!(
            text(output, "value").contains("${{"),
            "output {name} has no value"
        );
    }

    let mut all = Vec::new();
    strings(&action, &mut all);
    let declared: BTreeSet<String> = inputs.iter().map(|(n, _)| n.clone()).collect();
    let used = references(&all, "inputs.");
    assert_eq!(
        used, declared,
        "inputs used in expressions and inputs declared differ"
    );

    let mut ids = BTreeSet::new();
    let mut script = String::new();
    for step in steps {
        if let Some(run) = step.get("run").and_then(Node::as_str) {
            // Inputs reach scripts through `env`: an expression spliced into a script's text
            // would let an input inject shell code.
            assert!(!run.contains("${{"), "an expression inside a run script");
            // A composite action's `run` steps must name their shell.
            assert_eq!(
                text(step, "shell"),
                "bash",
                "a run step without `shell: bash`"
            );
            script.push_str(run);
            script.push('\n');
        } else {
            assert!(
                text(step, "uses").contains('@'),
                "a `uses` step without a version"
            );
        }
        let mut own = Vec::new();
        strings(step, &mut own);
        for id in references(&own, "steps.") {
            assert!(
                ids.contains(&id),
                "step output `steps.{id}` used before that step"
            );
        }
        if let Some(id) = step.get("id").and_then(Node::as_str) {
            ids.insert(id.to_owned());
        }
    }
    let mut outputs_text = Vec::new();
    strings(action.get("outputs").expect("outputs"), &mut outputs_text);
    for id in references(&outputs_text, "steps.") {
        assert!(ids.contains(&id), "an output reads the unknown step `{id}`");
    }

    // The checker-only build, reproducible.
    assert!(script.contains("cargo install --locked --no-default-features --path crates/cli"));

    let known = check_flags();
    let mut flags = invocation_flags(&script, &["apptrust check", "\" check", "\"${check[@]}\""]);
    // The flags the action refuses in `args` (because it sets them) must exist too.
    let refused = script
        .lines()
        .find(|l| l.contains("--format|"))
        .expect("the args guard");
    flags.extend(
        refused
            .split(['|', ')'])
            .map(|t| t.trim().trim_end_matches("=*").to_owned()),
    );
    flags.retain(|f| f.starts_with('-'));
    // So do the ones its documentation names.
    let args_doc = text(
        action.at(&["inputs", "args"]).expect("args input"),
        "description",
    );
    flags.extend(
        args_doc
            .split(|c: char| c.is_whitespace() || matches!(c, '`' | ',' | '.' | ':' | '(' | ')'))
            .filter(|t| t.starts_with("--") && t.len() > 2)
            .map(|t| t.split('=').next().unwrap_or(t).to_owned()),
    );
    assert!(flags.len() > 6, "found too few flags: {flags:?}");
    assert_known(&flags, &known, "action.yml");

    let default_fail_on = action
        .at(&["inputs", "fail-on", "default"])
        .and_then(Node::as_str);
    assert_eq!(default_fail_on, Some("not-eligible"), "the CLI's default");

    // docs/ci.md documents every input and output in its tables.
    let guide = read("docs/ci.md");
    for (name, _) in inputs.iter().chain(&outputs) {
        assert!(
            guide.contains(&format!("\n| `{name}` |")),
            "docs/ci.md does not document the action's `{name}`"
        );
    }
}

#[test]
fn the_pre_commit_hooks_run_apptrust_check_with_real_flags() {
    let hooks = load(".pre-commit-hooks.yaml");
    let hooks = hooks.as_seq().expect("a list of hooks");
    assert!(!hooks.is_empty());
    let known = check_flags();
    let dockerfile = read("Dockerfile");
    for hook in hooks {
        let id = text(hook, "id");
        let entry = text(hook, "entry");
        assert!(
            entry.starts_with("apptrust check"),
            "hook {id} does not run apptrust check"
        );
        assert!(
            text(hook, "files").contains("manifest"),
            "hook {id} has no files pattern"
        );
        let mut flags = invocation_flags(entry, &["apptrust check"]);
        if let Some(args) = hook.get("args").and_then(Node::as_seq) {
            let args: Vec<&str> = args.iter().filter_map(Node::as_str).collect();
            flags.extend(invocation_flags(
                &format!("apptrust check {}", args.join(" ")),
                &["apptrust check"],
            ));
        }
        assert_known(&flags, &known, ".pre-commit-hooks.yaml");
        match text(hook, "language") {
            // Runs `docker run --entrypoint apptrust <image built from ./Dockerfile> check ...`.
            "docker" => assert!(dockerfile.contains("/usr/local/bin/apptrust")),
            "system" | "unsupported" => {}
            other => panic!(
                "hook {id}: language {other} (`rust` cannot install from a virtual workspace)"
            ),
        }
    }
}

#[test]
fn the_dockerfile_builds_the_checker_with_the_workspace_rust_version() {
    let dockerfile = read("Dockerfile");
    let workspace = read("Cargo.toml");
    let rust_version = workspace
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .expect("rust-version in Cargo.toml")
        .trim_matches('"');
    assert!(
        dockerfile.contains(&format!("ARG RUST_VERSION={rust_version}\n")),
        "the Dockerfile's RUST_VERSION is not the workspace's rust-version ({rust_version})"
    );
    assert!(
        dockerfile.contains("cargo build --release --locked -p apptrust --no-default-features")
    );
    assert!(dockerfile.contains("ENTRYPOINT [\"apptrust\"]"));
    assert!(
        dockerfile.contains("\nUSER "),
        "the image must not run as root"
    );
}

#[test]
fn the_ci_guide_uses_real_flags() {
    let guide = read("docs/ci.md");
    let flags = invocation_flags(&guide, &["apptrust check"]);
    assert!(
        flags.len() > 5,
        "found too few flags in docs/ci.md: {flags:?}"
    );
    assert_known(&flags, &check_flags(), "docs/ci.md");
}

#[test]
fn the_packaging_files_invent_no_repository_address() {
    // apptrust has no published repository address: examples take it from the user (a repository
    // variable, a local checkout) rather than show a placeholder that looks copy-pasteable.
    let placeholders = [
        "OWNER/",
        "github.com/OWNER",
        "COMMIT_SHA",
        "example.invalid",
        "your-org",
        "<this repository>",
    ];
    for file in [
        "docs/ci.md",
        "README.md",
        "action.yml",
        ".pre-commit-hooks.yaml",
        "Dockerfile",
    ] {
        let source = read(file);
        for placeholder in placeholders {
            if let Some(at) = source.find(placeholder) {
                let line = source[..at].matches('\n').count() + 1;
                panic!("{file}:{line} contains the placeholder address `{placeholder}`");
            }
        }
    }
}
