//! docs/rules.md is generated from the rule files' doc comments and must not drift from them.
//! Regenerate with `cargo run -- rules --reference > docs/rules.md`.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn rules_reference_is_up_to_date() {
    let out = Command::new(env!("CARGO_BIN_EXE_apptrust"))
        .args(["rules", "--reference"])
        .output()
        .expect("run apptrust");
    let generated = String::from_utf8(out.stdout).expect("utf8");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale: run `cargo run -- rules --reference > docs/rules.md`"
    );
}
