//! What the conformance tests share: finding the inputs, asking Forge's parser (the npm `yaml`
//! package, through `tools/forge-node/parse-to-json.mjs`) what it reads, and comparing that with
//! our loader, so that every corpus is judged by the same rules.

use std::path::{Path, PathBuf};
use std::process::Command;

use apptrust_yaml::{Limits, load};
use serde_json::Value;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared corpora and specs, beside the repository unless `APPTRUST_SHARED` says otherwise.
pub fn shared() -> PathBuf {
    std::env::var_os("APPTRUST_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
}

/// How our reading of one file compares with Forge's.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Both read the same JSON value.
    Alike,
    /// Both refuse the file.
    BothRefuse,
    /// Anything else, described for a person.
    Differ(String),
}

/// Runs Forge's parser over `files` and returns one oracle line per file, in order.
///
/// The oracle runs live (not from a checked-in copy) so that the comparison is always against the
/// pinned `yaml` version in `tools/forge-node/package-lock.json` and cannot go stale.
pub fn forge_parse(files: &[PathBuf]) -> Vec<Value> {
    let oracle = repo().join("tools/forge-node");
    assert!(
        oracle.join("node_modules/yaml").is_dir(),
        "the Forge parser oracle is not installed: run `npm ci --prefix tools/forge-node`"
    );
    // A list file, because hundreds of paths can exceed the command-line limit.
    let list = std::env::temp_dir().join(format!(
        "apptrust-conformance-{}-{}.txt",
        std::process::id(),
        files.len()
    ));
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
    lines
}

/// Loads `path` with our loader and compares the result with Forge's (`oracle`, one line of
/// [`forge_parse`]).
pub fn compare(path: &Path, oracle: &Value) -> Outcome {
    let bytes = std::fs::read(path).expect("read");
    let ours = load(&bytes, &Limits::default());
    match (ours, oracle["ok"].as_bool() == Some(true)) {
        (Ok(node), true) if same(&node.to_json(), &oracle["value"]) => Outcome::Alike,
        (Ok(node), true) => Outcome::Differ(format!(
            "values differ\n  ours:  {}\n  forge: {}",
            node.to_json(),
            oracle["value"]
        )),
        (Err(_), false) => Outcome::BothRefuse,
        (Ok(_), false) => Outcome::Differ(format!("we accept, Forge refuses: {}", oracle["error"])),
        (Err(e), true) => Outcome::Differ(format!("Forge accepts, we refuse: {e}")),
    }
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
