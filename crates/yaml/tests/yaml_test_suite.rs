//! Conformance, wider: every input of the official YAML test suite is read by our loader and by
//! Forge's parser (the npm `yaml` package, default options), and each case must stay in the
//! category recorded for it: read alike, refused by both, or a known difference listed with its
//! reason in `tests/yaml-test-suite/expected.txt`.
//!
//! The comparison is with Forge's parser, not with the suite's own `in.json`: a manifest means
//! what Forge reads, even where that departs from the YAML specification. The suite lives in
//! `$APPTRUST_SHARED/corpus/yaml-test-suite/data`; the oracle is installed as for
//! `conformance.rs`.

mod support;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use support::{Outcome, compare, forge_parse, repo, shared};

/// A case's category, as written in the expectations file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Category {
    Alike,
    Refused,
    Differs,
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Category::Alike => "alike",
            Category::Refused => "refused",
            Category::Differs => "differs",
        })
    }
}

/// One line of the expectations file.
struct Expected {
    category: Category,
    reason: String,
}

/// Every `in.yaml` under `dir`, named by its folder relative to `dir` (`2JQS`, `2G84/01`).
fn cases(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", folder.display()));
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|n| n == "in.yaml") {
                let name = folder
                    .strip_prefix(dir)
                    .expect("under the suite")
                    .to_string_lossy()
                    .replace('\\', "/");
                found.push((name, path));
            }
        }
    }
    found.sort();
    found
}

/// Reads `expected.txt`: `CASE refused [note]` or `CASE differs REASON`, `#` comments.
fn expectations(path: &Path) -> BTreeMap<String, Expected> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut expected = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (case, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim_start();
        let (category, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let reason = reason.trim().to_string();
        let category = match category {
            "refused" => Category::Refused,
            "differs" if !reason.is_empty() => Category::Differs,
            "differs" => panic!("expected.txt:{}: a difference needs a reason", number + 1),
            other => panic!("expected.txt:{}: unknown category `{other}`", number + 1),
        };
        let previous = expected.insert(case.to_string(), Expected { category, reason });
        assert!(previous.is_none(), "expected.txt: {case} is listed twice");
    }
    expected
}

#[test]
fn loader_matches_forge_parser_on_yaml_test_suite() {
    let suite = shared().join("corpus/yaml-test-suite/data");
    let cases = cases(&suite);
    assert!(
        cases.len() >= 400,
        "only {} suite inputs found",
        cases.len()
    );
    let expected = expectations(&repo().join("crates/yaml/tests/yaml-test-suite/expected.txt"));
    for case in expected.keys() {
        assert!(
            cases.iter().any(|(name, _)| name == case),
            "expected.txt lists {case}, which the suite does not have"
        );
    }

    let files: Vec<PathBuf> = cases.iter().map(|(_, path)| path.clone()).collect();
    let mut counts = [0usize; 3];
    let mut changed = Vec::new();
    for ((name, path), oracle) in cases.iter().zip(&forge_parse(&files)) {
        let outcome = compare(path, oracle);
        let actual = match &outcome {
            Outcome::Alike => Category::Alike,
            Outcome::BothRefuse => Category::Refused,
            Outcome::Differ(_) => Category::Differs,
        };
        counts[actual as usize] += 1;
        let (want, reason) = expected
            .get(name)
            .map_or((Category::Alike, ""), |e| (e.category, e.reason.as_str()));
        if actual != want {
            let detail = match outcome {
                Outcome::Differ(how) => format!("\n  {how}"),
                _ => String::new(),
            };
            let reason = if reason.is_empty() {
                String::new()
            } else {
                format!(" ({reason})")
            };
            changed.push(format!(
                "{name}: expected {want}{reason}, now {actual}{detail}"
            ));
        }
    }
    let count = |c: Category| counts[c as usize];
    eprintln!(
        "yaml-test-suite: {} inputs, {} read alike, {} refused by both, {} differ",
        cases.len(),
        count(Category::Alike),
        count(Category::Refused),
        count(Category::Differs)
    );
    assert!(
        changed.is_empty(),
        "{} suite cases changed category (update the loader, or expected.txt with a reason):\n{}",
        changed.len(),
        changed.join("\n")
    );
}
