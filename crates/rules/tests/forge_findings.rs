//! What a partner reads for each kind of Forge validation problem: the message, the place and
//! the fix, for every fixture in `tests/forge/` (the conformance test checks the same files
//! against Forge itself).

use std::fmt::Write;
use std::path::PathBuf;

use apptrust_rules::{CheckOptions, Code, evaluate};

fn fixtures() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/forge");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/forge")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn forge_problems_read_well() {
    let mut report = String::new();
    for path in fixtures() {
        let bytes = std::fs::read(&path).expect("read");
        let evaluation = evaluate(&bytes, &CheckOptions::default());
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let _ = writeln!(report, "== {name}: {}", evaluation.verdict.as_str());
        for f in evaluation
            .findings
            .iter()
            .filter(|f| f.code == Code::ManifestInvalid)
        {
            let at = f.span.map_or("-".into(), |s| {
                format!("{}:{}", s.start.line, s.start.column)
            });
            let _ = writeln!(report, "{at} {}", f.message);
            if let Some(fix) = &f.fix {
                let _ = writeln!(report, "    fix: {fix}");
            }
            for r in &f.related {
                let _ = writeln!(
                    report,
                    "    related {}:{} {}",
                    r.span.line, r.span.column, r.message
                );
            }
        }
    }
    insta::assert_snapshot!(report);
}

#[test]
fn eligibility_only_skips_forge_validation() {
    let bytes = b"app: {}\n";
    let full = evaluate(bytes, &CheckOptions::default());
    assert_eq!(full.verdict.as_str(), "blocked");
    let only = evaluate(
        bytes,
        &CheckOptions {
            eligibility_only: true,
            ..CheckOptions::default()
        },
    );
    assert_eq!(only.verdict.as_str(), "eligible");
}
