//! Every real manifest of the corpus is evaluated without a panic, and the tally of verdicts and
//! rules is pinned (it is also published in docs/corpus.md).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use apptrust_rules::{CheckOptions, evaluate};

fn corpus_dir() -> PathBuf {
    std::env::var_os("APPTRUST_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("corpus/forge-manifests/files")
}

#[test]
fn whole_corpus_tally() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    assert_eq!(files.len(), 384, "the corpus has 384 manifests");
    let options = CheckOptions::default();
    let mut verdicts: BTreeMap<String, usize> = BTreeMap::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        let eval = std::panic::catch_unwind(|| evaluate(&bytes, &options))
            .unwrap_or_else(|_| panic!("panic on {}", path.display()));
        *verdicts
            .entry(eval.verdict.as_str().to_string())
            .or_default() += 1;
        let mut seen: Vec<_> = eval.findings.iter().map(|f| f.code).collect();
        seen.sort();
        seen.dedup();
        for code in seen {
            *codes
                .entry(format!("{:?} {}", code.kind(), code.name()))
                .or_default() += 1;
        }
    }
    let mut table = String::from("verdict | files\n");
    for (v, n) in &verdicts {
        writeln!(table, "{v} | {n}").unwrap();
    }
    table.push_str("\ncode (files where it appears) | files\n");
    for (c, n) in &codes {
        writeln!(table, "{c} | {n}").unwrap();
    }
    insta::assert_snapshot!("corpus_tally", table);
}
