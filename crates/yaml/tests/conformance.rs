//! Conformance: every corpus manifest and spec case reads to the same JSON value with our loader
//! as with Forge's parser (the npm `yaml` package, default options), or both refuse it.
//!
//! The oracle is `tools/forge-node/parse-to-json.mjs`; install it with
//! `npm ci --prefix tools/forge-node` (the test command `scripts/test` does).

use std::path::{Path, PathBuf};
use std::process::Command;

use apptrust_yaml::{Limits, load};
use serde_json::Value;

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

/// JSON equality where numbers compare as JavaScript numbers (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn loader_matches_forge_parser_on_corpus_and_cases() {
    let oracle = repo().join("tools/forge-node");
    assert!(
        oracle.join("node_modules/yaml").is_dir(),
        "the Forge parser oracle is not installed: run `npm ci --prefix tools/forge-node`"
    );
    let mut files = yaml_files(&shared().join("corpus/forge-manifests/files"));
    files.extend(yaml_files(&shared().join("spec/cases")));
    files.extend(yaml_files(&repo().join("crates/yaml/tests/conformance")));
    assert!(files.len() >= 400, "only {} files found", files.len());

    let list =
        std::env::temp_dir().join(format!("apptrust-conformance-{}.txt", std::process::id()));
    let text: String = files.iter().map(|p| format!("{}\n", p.display())).collect();
    std::fs::write(&list, text).expect("write file list");
    let output = Command::new("node")
        .arg(oracle.join("parse-to-json.mjs"))
        .arg("--list")
        .arg(&list)
        .output()
        .expect("run node (is Node.js installed?)");
    let _ = std::fs::remove_file(&list);
    assert!(
        output.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("oracle prints JSON lines"))
        .collect();
    assert_eq!(lines.len(), files.len(), "one oracle line per file");

    let mut mismatches = Vec::new();
    let (mut both_ok, mut both_refused) = (0, 0);
    for (path, oracle) in files.iter().zip(&lines) {
        let bytes = std::fs::read(path).expect("read");
        let ours = load(&bytes, &Limits::default());
        match (ours, oracle["ok"].as_bool() == Some(true)) {
            (Ok(node), true) => {
                if same(&node.to_json(), &oracle["value"]) {
                    both_ok += 1;
                } else {
                    mismatches.push(format!(
                        "{}: values differ\n  ours:  {}\n  forge: {}",
                        path.display(),
                        node.to_json(),
                        oracle["value"]
                    ));
                }
            }
            (Err(_), false) => both_refused += 1,
            (Ok(_), false) => mismatches.push(format!(
                "{}: we accept, Forge refuses: {}",
                path.display(),
                oracle["error"]
            )),
            (Err(e), true) => {
                mismatches.push(format!("{}: Forge accepts, we refuse: {e}", path.display()))
            }
        }
    }
    eprintln!(
        "conformance: {both_ok} read alike, {both_refused} refused by both, {} differ",
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
