//! Every hand-written case of the spec gives the expected verdict, rules and blockers.

use std::path::PathBuf;

use apptrust_rules::{CheckOptions, evaluate};

fn cases_dir() -> PathBuf {
    let shared = std::env::var_os("APPTRUST_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    shared.join("spec/cases")
}

fn join(codes: &[apptrust_rules::Code]) -> String {
    codes.iter().map(|c| c.name()).collect::<Vec<_>>().join(",")
}

#[test]
fn expected_tsv_matches() {
    let dir = cases_dir();
    let table = std::fs::read_to_string(dir.join("expected.tsv"))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut failures = Vec::new();
    let mut count = 0;
    for line in table.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, verdict, rules, blockers) = (
            cols[0],
            cols[1],
            cols.get(2).copied().unwrap_or(""),
            cols.get(3).copied().unwrap_or(""),
        );
        let bytes = std::fs::read(dir.join(file)).expect("case file");
        let eval = evaluate(&bytes, &CheckOptions::default());
        let got = (
            eval.verdict.as_str().to_string(),
            join(&eval.rules),
            join(&eval.blockers),
        );
        let want = (verdict.to_string(), rules.to_string(), blockers.to_string());
        if got != want {
            failures.push(format!(
                "{file}: want {want:?}, got {got:?}\n  findings: {:#?}",
                eval.findings
            ));
        }
        count += 1;
    }
    assert!(count >= 20, "only {count} cases read");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
