//! Version change classification, one rule at a time.

use apptrust_rules::CheckOptions;
use apptrust_rules::changes::{EligibilityChange, Impact, classify};

/// The fragments here are not whole manifests: they are judged on eligibility alone, as
/// classification is what these tests are about.
fn classify_texts(old: &str, new: &str) -> apptrust_rules::changes::ChangeReport {
    let options = CheckOptions {
        eligibility_only: true,
        ..CheckOptions::default()
    };
    classify(old.as_bytes(), new.as_bytes(), &options).expect("both readable")
}

fn impacts(old: &str, new: &str) -> Vec<(Impact, &'static str)> {
    classify_texts(old, new)
        .changes
        .iter()
        .map(|c| (c.impact, c.area))
        .collect()
}

const BASE: &str = "permissions:\n  scopes: [read:jira-work]\n";

#[test]
fn identical_manifests_have_no_change() {
    let report = classify_texts(BASE, BASE);
    assert!(report.changes.is_empty());
    assert!(!report.major);
    assert_eq!(report.eligibility, EligibilityChange::Unchanged);
}

#[test]
fn egress_changes() {
    let with =
        |entry: &str| format!("permissions:\n  external:\n    fetch:\n      backend:\n{entry}");
    let analytics =
        with("        - {address: a.posthog.com, category: analytics, inScopeEUD: false}\n");
    let in_scope =
        with("        - {address: a.posthog.com, category: analytics, inScopeEUD: true}\n");
    let plain = with("        - {address: a.posthog.com}\n");
    assert_eq!(impacts("{}", &analytics), vec![(Impact::Major, "egress")]);
    assert_eq!(impacts(&analytics, "{}"), vec![(Impact::Minor, "egress")]);
    assert_eq!(
        impacts(&analytics, &in_scope),
        vec![(Impact::Major, "egress")]
    );
    assert_eq!(
        impacts(&in_scope, &analytics),
        vec![(Impact::Minor, "egress")]
    );
    assert!(
        impacts(&analytics, &plain).contains(&(Impact::Major, "egress")),
        "category change"
    );
    let report = classify_texts(&analytics, &in_scope);
    assert_eq!(report.eligibility, EligibilityChange::Lost);
    let report = classify_texts(&in_scope, &analytics);
    assert_eq!(report.eligibility, EligibilityChange::Gained);
}

#[test]
fn webtrigger_changes() {
    let trigger = |response: &str| {
        format!("modules:\n  webtrigger:\n    - key: t\n      function: f\n{response}")
    };
    let stat = trigger("      response: {type: static}\n");
    let dynamic = trigger("");
    assert_eq!(impacts("{}", &dynamic), vec![(Impact::Major, "webtrigger")]);
    assert_eq!(impacts("{}", &stat), vec![(Impact::Minor, "webtrigger")]);
    assert_eq!(
        impacts(&stat, &dynamic),
        vec![(Impact::Major, "webtrigger")]
    );
    assert_eq!(
        impacts(&dynamic, &stat),
        vec![(Impact::Minor, "webtrigger")]
    );
}

#[test]
fn provider_remote_scope_and_llm_changes() {
    let provider =
        |key: &str| format!("providers:\n  auth:\n    - key: {key}\n      type: oauth2\n");
    assert_eq!(
        impacts("{}", &provider("g")),
        vec![(Impact::Major, "providers")]
    );
    assert_eq!(
        impacts(&provider("g"), "{}"),
        vec![(Impact::Major, "providers")]
    );
    assert_eq!(
        impacts(&provider("g"), &provider("h")),
        vec![(Impact::Major, "providers"), (Impact::Major, "providers")]
    );

    let remote = |url: &str, eud: bool| {
        format!("remotes:\n  - key: r\n    baseUrl: {url}\n    storage:\n      inScopeEUD: {eud}\n")
    };
    assert_eq!(
        impacts("{}", &remote("https://a.example.com", false)),
        vec![(Impact::Major, "remotes")]
    );
    assert_eq!(
        impacts(&remote("https://a.example.com", false), "{}"),
        vec![(Impact::Minor, "remotes")]
    );
    assert_eq!(
        impacts(
            &remote("https://a.example.com", false),
            &remote("https://b.example.com", false)
        ),
        vec![(Impact::Major, "remotes")]
    );
    assert_eq!(
        impacts(
            &remote("https://a.example.com", false),
            &remote("https://a.example.com", true)
        ),
        vec![(Impact::Major, "remotes")]
    );

    let scopes = "permissions:\n  scopes: [read:jira-work, write:jira-work]\n";
    assert_eq!(impacts(BASE, scopes), vec![(Impact::Major, "scopes")]);
    assert_eq!(impacts(scopes, BASE), vec![(Impact::Minor, "scopes")]);

    let llm = "modules:\n  llm:\n    - key: m\n";
    assert_eq!(impacts("{}", llm), vec![(Impact::Major, "llm")]);
    assert_eq!(
        impacts("{}", "app:\n  id: x\n"),
        vec![(Impact::Minor, "other")]
    );
}

#[test]
fn unreadable_side_is_reported() {
    let err = classify(b"a: 1\na: 2\n", BASE.as_bytes(), &CheckOptions::default()).unwrap_err();
    assert_eq!(err.side, "old");
    let err = classify(BASE.as_bytes(), b"- list\n", &CheckOptions::default()).unwrap_err();
    assert_eq!(err.side, "new");
}

#[test]
fn duplicate_hosts_and_region_urls() {
    let with =
        |entries: &str| format!("permissions:\n  external:\n    fetch:\n      backend:\n{entries}");
    let plain = with("        - {address: a.posthog.com}\n");
    let both = with(
        "        - {address: a.posthog.com}\n        - {address: a.posthog.com, category: analytics, inScopeEUD: false}\n",
    );
    assert_eq!(
        impacts(&plain, &both),
        vec![(Impact::Major, "egress")],
        "a second entry for the same host"
    );

    let regions = |eu: bool| {
        let eu = if eu {
            "      EU: https://eu.r.example.com\n"
        } else {
            ""
        };
        format!(
            "remotes:\n  - key: r\n    storage: {{inScopeEUD: true}}\n    baseUrl:\n      default: https://r.example.com\n{eu}"
        )
    };
    let single = "remotes:\n  - key: r\n    storage: {inScopeEUD: true}\n    baseUrl: https://r.example.com\n";
    assert_eq!(
        impacts(&regions(true), &regions(false)),
        vec![(Impact::Major, "remotes")],
        "region URL removed"
    );
    assert_eq!(
        impacts(single, &regions(false)),
        vec![(Impact::Minor, "other")],
        "same URL, other spelling"
    );
}

/// The reverse of a diff lists the same changes reversed: as many, in the same areas, each on
/// the other side where it is an addition or a removal. Checked over consecutive pairs of the
/// corpus (real manifests that differ in every way).
#[test]
fn the_reverse_diff_lists_the_same_changes_reversed() {
    use apptrust_rules::changes::Which;
    let dir = std::env::var_os("APPTRUST_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
        })
        .join("corpus/forge-manifests/files");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let options = CheckOptions::default();
    let mut compared = 0;
    for pair in files.windows(2) {
        let (a, b) = (
            std::fs::read(&pair[0]).unwrap(),
            std::fs::read(&pair[1]).unwrap(),
        );
        let (Ok(forward), Ok(reverse)) = (classify(&a, &b, &options), classify(&b, &a, &options))
        else {
            continue;
        };
        let areas = |report: &apptrust_rules::changes::ChangeReport| {
            let mut areas: Vec<_> = report.changes.iter().map(|c| c.area).collect();
            areas.sort_unstable();
            areas
        };
        assert_eq!(areas(&forward), areas(&reverse), "{pair:?}");
        let ending = |report: &apptrust_rules::changes::ChangeReport, end: &str, file| {
            report
                .changes
                .iter()
                .filter(|c| c.description.ends_with(end) && c.file == file)
                .count()
        };
        let moved = |report: &apptrust_rules::changes::ChangeReport| {
            report
                .changes
                .iter()
                .filter(|c| {
                    c.description.ends_with(" added") || c.description.ends_with(" removed")
                })
                .count()
        };
        assert_eq!(moved(&forward), moved(&reverse), "{pair:?}");
        // What one direction adds (a line in the new file), the other removes (a line in the
        // old file).
        assert_eq!(
            ending(&forward, " added", Which::New),
            ending(&reverse, " removed", Which::Old),
            "{pair:?}"
        );
        assert_eq!(
            ending(&forward, " removed", Which::Old),
            ending(&reverse, " added", Which::New),
            "{pair:?}"
        );
        // Change by change: each forward change has its reverse (the same text with the
        // direction turned round) in the reverse diff, and additions and removals point at the
        // same line of the same file.
        assert_eq!(
            reversed(&forward),
            directed(&reverse),
            "{pair:?}: changes are not each other's reverse"
        );
        assert_eq!(forward.before, reverse.after, "{pair:?}");
        assert_eq!(forward.after, reverse.before, "{pair:?}");
        assert_eq!(forward.rules_before, reverse.rules_after, "{pair:?}");
        assert_eq!(forward.blockers_before, reverse.blockers_after, "{pair:?}");
        use apptrust_rules::changes::EligibilityChange::{Gained, Lost, Unchanged};
        let expected = match forward.eligibility {
            Gained => Lost,
            Lost => Gained,
            Unchanged => Unchanged,
        };
        assert_eq!(reverse.eligibility, expected, "{pair:?}");
        compared += 1;
    }
    assert!(compared > 300, "only {compared} pairs compared");
}

/// One change with its direction taken out: the area, the text with the directed phrase replaced
/// by a neutral one, whether it goes forward, and, for additions and removals, the line and the
/// file (the file an addition is in is the file the reverse removal is in).
type Directed = (
    &'static str,
    String,
    Option<bool>,
    Option<(Option<u32>, &'static str)>,
);

fn directed(report: &apptrust_rules::changes::ChangeReport) -> Vec<Directed> {
    let mut out: Vec<Directed> = report.changes.iter().map(direction_of).collect();
    out.sort();
    out
}

fn reversed(report: &apptrust_rules::changes::ChangeReport) -> Vec<Directed> {
    let mut out: Vec<Directed> = report
        .changes
        .iter()
        .map(|c| {
            let (area, text, forward, place) = direction_of(c);
            (area, text, forward.map(|f| !f), place)
        })
        .collect();
    out.sort();
    out
}

fn direction_of(change: &apptrust_rules::changes::Change) -> Directed {
    use apptrust_rules::changes::Which;
    let file_name = |which: Which| match which {
        Which::Old => "old-of-forward",
        Which::New => "new-of-forward",
    };
    // What one direction adds is in the new file; the reverse removes it from its old file,
    // which is the same file. So an addition's place is named by its file as the new side.
    let text = &change.description;
    let pairs = [
        (" added", " removed"),
        (" may now carry ", " no longer carries "),
        (" gained a URL for ", " no longer has a URL for "),
        (" may now store ", " no longer stores "),
    ];
    for (gain, loss) in pairs {
        for (phrase, forward) in [(gain, true), (loss, false)] {
            if let Some(at) = text.find(phrase) {
                let neutral = format!(
                    "{}<{gain}|{loss}>{}",
                    &text[..at],
                    &text[at + phrase.len()..]
                )
                .replace([':', '(', ')'], "");
                let place = (phrase.trim() == "added" || phrase.trim() == "removed").then(|| {
                    // The addition's file in one direction is the removal's in the other.
                    let side = match (forward, change.file) {
                        (true, Which::New) | (false, Which::Old) => "the-file-that-has-it",
                        _ => file_name(change.file),
                    };
                    (change.line, side)
                });
                return (change.area, neutral, Some(forward), place);
            }
        }
    }
    if let Some(at) = text.find(" changed from ") {
        let rest = &text[at + " changed from ".len()..];
        if let Some((from, to)) = rest.split_once(" to ") {
            let (low, high) = if from <= to { (from, to) } else { (to, from) };
            let neutral = format!("{} changed between {low} and {high}", &text[..at]);
            return (change.area, neutral, Some(from <= to), None);
        }
    }
    (change.area, text.clone(), None, None)
}
