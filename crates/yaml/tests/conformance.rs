//! Conformance: every corpus manifest and spec case reads to the same JSON value with our loader
//! as with Forge's parser (the npm `yaml` package, default options), or both refuse it.
//!
//! The oracle is `tools/forge-node/parse-to-json.mjs`; install it with
//! `npm ci --prefix tools/forge-node` (the test command `scripts/test` does).

mod support;

use std::path::{Path, PathBuf};

use support::{Outcome, compare, forge_parse, repo, shared};

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn loader_matches_forge_parser_on_corpus_and_cases() {
    let mut files = yaml_files(&shared().join("corpus/forge-manifests/files"));
    files.extend(yaml_files(&shared().join("spec/cases")));
    files.extend(yaml_files(&repo().join("crates/yaml/tests/conformance")));
    assert!(files.len() >= 400, "only {} files found", files.len());

    let mut mismatches = Vec::new();
    let (mut both_ok, mut both_refused) = (0, 0);
    for (path, oracle) in files.iter().zip(&forge_parse(&files)) {
        match compare(path, oracle) {
            Outcome::Alike => both_ok += 1,
            Outcome::BothRefuse => both_refused += 1,
            Outcome::Differ(how) => mismatches.push(format!("{}: {how}", path.display())),
        }
    }
    eprintln!(
        "conformance: {both_ok} read alike, {both_refused} refused by both, {} differ",
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
