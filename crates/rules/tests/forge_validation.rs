//! Conformance with Forge's own manifest validation (`@forge/manifest`, the pinned version in
//! `tools/forge-node/package.json`, run by `tools/forge-node/validate.mjs`) over every corpus
//! manifest, spec case, example and the fixtures in `tests/forge/`:
//!
//! - the same decision, valid or invalid, for every file;
//! - the same places for schema problems: every path Forge reports has one of ours at it or
//!   above it (we may report a failed alternative where it starts), and every one of ours has one
//!   of Forge's at it or below it (we invent none);
//! - for files the schema accepts, the same reference problems (check and subject).
//!
//! Problems Forge finds by reading the app's source tree (handler files, resource folders,
//! locale files) are outside a manifest checker's reach and are left out on both sides.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use apptrust_rules::{CheckOptions, forge, load};
use serde_json::Value as Json;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared() -> PathBuf {
    std::env::var_os("APPTRUST_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    files
}

fn all_files() -> Vec<PathBuf> {
    let mut files = yaml_files(&shared().join("corpus/forge-manifests/files"));
    files.extend(yaml_files(&shared().join("spec/cases")));
    for example in ["eligible", "not-eligible", "blocked"] {
        files.push(repo().join("examples").join(example).join("manifest.yml"));
    }
    files.extend(yaml_files(&repo().join("crates/rules/tests/forge")));
    files
}

/// Forge's verdict per file, from the oracle script.
fn forge_verdicts(files: &[PathBuf]) -> Vec<Json> {
    let script = repo().join("tools/forge-node/validate.mjs");
    let output = Command::new("node")
        .arg(&script)
        .args(files)
        .output()
        .expect("node runs (install Node.js and `npm ci --prefix tools/forge-node`)");
    assert!(
        output.status.success(),
        "validate.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Json> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), files.len(), "one answer per file");
    lines
}

/// Our verdict on one file, in the oracle's terms.
struct Ours {
    valid: bool,
    schema: Vec<String>,
    checks: Vec<(String, String)>,
}

fn ours(path: &Path) -> Ours {
    let bytes = std::fs::read(path).expect("read");
    let Ok((root, unresolved)) = load(&bytes, &CheckOptions::default()) else {
        return Ours {
            valid: false,
            schema: Vec::new(),
            checks: Vec::new(),
        };
    };
    let problems = forge::problems(&root);
    let mut schema: Vec<String> = problems
        .iter()
        .filter(|p| p.check == "schema")
        .map(|p| p.pointer.clone())
        .collect();
    schema.sort();
    schema.dedup();
    let mut checks: Vec<(String, String)> = problems
        .iter()
        .filter(|p| p.check != "schema")
        .map(|p| (p.check.to_owned(), p.subject.clone()))
        .collect();
    checks.sort();
    Ours {
        valid: problems.is_empty() && unresolved.is_empty(),
        schema,
        checks,
    }
}

/// `a` is `b` or one of its ancestors, as JSON pointers.
fn at_or_above(a: &str, b: &str) -> bool {
    b == a || b.starts_with(&format!("{a}/"))
}

#[test]
fn validation_matches_forge_on_every_file() {
    let files = all_files();
    assert!(files.len() >= 400, "only {} files", files.len());
    let answers = forge_verdicts(&files);
    let known = known_differences();
    let mut differing_files = BTreeSet::new();
    let mut differences = Vec::new();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    for (path, forge) in files.iter().zip(&answers) {
        let name = path.display();
        let before = differences.len();
        compare_one(path, forge, &mut differences, &mut tally);
        if differences.len() > before {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            if known.contains_key(&file) {
                differences.truncate(before);
            }
            differing_files.insert(file);
        }
        let _ = name;
    }
    for (file, reason) in &known {
        if !differing_files.contains(file) {
            differences.push(format!("{file} is listed as a known difference ({reason}) but now agrees: remove it from tests/forge/known-differences.txt"));
        }
    }
    eprintln!(
        "forge validation: {} files, Forge finds {} valid and {} invalid; {} known differences, {} unexplained",
        files.len(),
        tally.get("valid").unwrap_or(&0),
        tally.get("invalid").unwrap_or(&0),
        known.len(),
        differences.len()
    );
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

fn known_differences() -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(repo().join("crates/rules/tests/forge/known-differences.txt"))
            .expect("known-differences.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t'))
        .map(|(f, r)| (f.to_owned(), r.to_owned()))
        .collect()
}

fn compare_one(
    path: &Path,
    forge: &Json,
    differences: &mut Vec<String>,
    tally: &mut BTreeMap<&'static str, usize>,
) {
    {
        let name = path.display();
        let ours = ours(path);
        let forge_valid = forge["valid"].as_bool().unwrap_or(false);
        *tally
            .entry(if forge_valid { "valid" } else { "invalid" })
            .or_default() += 1;
        if ours.valid != forge_valid {
            differences.push(format!(
                "{name}: Forge says {}, we say {} (Forge: {forge})",
                if forge_valid { "valid" } else { "invalid" },
                if ours.valid { "valid" } else { "invalid" },
            ));
            return;
        }
        if forge.get("parse_error").is_some() {
            return;
        }
        let theirs: Vec<String> = forge["schema"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        for path in &theirs {
            if !ours.schema.iter().any(|o| at_or_above(o, path)) {
                differences.push(format!(
                    "{name}: Forge reports {path}, we report nothing there (ours: {:?})",
                    ours.schema
                ));
            }
        }
        for path in &ours.schema {
            if !theirs.iter().any(|t| at_or_above(path, t)) {
                differences.push(format!(
                    "{name}: we report {path}, Forge does not (Forge: {theirs:?})"
                ));
            }
        }
        if theirs.is_empty() {
            let their_checks: Vec<(String, String)> = forge["checks"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|c| {
                            (
                                c[0].as_str().unwrap_or("").to_owned(),
                                c[1].as_str().unwrap_or("").to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            if their_checks != ours.checks {
                differences.push(format!(
                    "{name}: Forge's checks {their_checks:?}, ours {:?}",
                    ours.checks
                ));
            }
            if let Some(other) = forge["other"].as_array().filter(|o| !o.is_empty()) {
                differences.push(format!(
                    "{name}: Forge checks apptrust does not port: {other:?}"
                ));
            }
        }
    }
}
