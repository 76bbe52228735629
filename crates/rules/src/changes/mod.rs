//! Version change classification: which differences between two manifests make a new **major**
//! version that installed sites must consent to, which are **minor**, and whether Runs on
//! Atlassian eligibility is gained or lost.

mod digest;
mod facts;

use std::collections::BTreeMap;

use apptrust_manifest::Manifest;
use serde::Serialize;

pub use facts::ChangeFacts;

use crate::{CheckOptions, Code, Evaluation, Verdict, evaluate_document, load};
use facts::EgressKey;

/// Whether a change needs admin consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// Installed sites must consent: a new major version.
    Major,
    /// Rolls out without consent.
    Minor,
}

/// One difference between the versions.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Major or minor.
    pub impact: Impact,
    /// The part of the manifest: `egress`, `webtrigger`, `providers`, `remotes`, `scopes`, `llm`,
    /// `other`.
    pub area: &'static str,
    /// What changed.
    pub description: String,
    /// The line it is on, in the file `file` names.
    pub line: Option<u32>,
    /// Which manifest `line` is in: `new` for what was added or changed, `old` for what was
    /// removed.
    pub file: Which,
}

/// One of the two manifests being compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    /// The version deployed now.
    Old,
    /// The version about to be deployed.
    New,
}

/// How eligibility moved between the versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EligibilityChange {
    /// Not eligible before, eligible now.
    Gained,
    /// Eligible before, not now.
    Lost,
    /// No change.
    Unchanged,
}

/// The classification of a version change.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeReport {
    /// True when any change is major.
    pub major: bool,
    /// Every change, major first.
    pub changes: Vec<Change>,
    /// The old version's verdict.
    pub before: Verdict,
    /// The new version's verdict.
    pub after: Verdict,
    /// Rules firing before.
    pub rules_before: Vec<Code>,
    /// Rules firing after.
    pub rules_after: Vec<Code>,
    /// Deploy blockers before (why the old version is `blocked`).
    pub blockers_before: Vec<Code>,
    /// Deploy blockers after.
    pub blockers_after: Vec<Code>,
    /// Whether eligibility was gained or lost.
    pub eligibility: EligibilityChange,
}

/// A side that could not be read.
#[derive(Clone, Debug, PartialEq)]
pub struct Unreadable {
    /// `old` or `new`.
    pub side: &'static str,
    /// Why.
    pub evaluation: Box<Evaluation>,
}

/// One side of a comparison: the facts of a manifest and how the rules judged it. Small: the
/// document tree it came from is gone.
#[derive(Clone, Debug, PartialEq)]
pub struct Side {
    /// What classification compares.
    pub facts: ChangeFacts,
    /// The verdict.
    pub verdict: Verdict,
    /// The trust-signal rules that fire.
    pub rules: Vec<Code>,
    /// The deploy blockers.
    pub blockers: Vec<Code>,
}

/// Loads and evaluates one manifest and extracts its change facts in the same pass, so that the
/// tree is built once and dropped before the caller goes on. `Err` holds the evaluation of a
/// file that cannot be read as a manifest.
pub fn assess(
    bytes: &[u8],
    options: &CheckOptions,
) -> Result<(Evaluation, ChangeFacts), Box<Evaluation>> {
    let (root, unresolved) = load(bytes, options)
        .map_err(|f| Box::new(Evaluation::from_findings(vec![f], Vec::new(), None)))?;
    let evaluation = evaluate_document(&root, &unresolved, options);
    if evaluation.verdict == Verdict::Error {
        return Err(Box::new(evaluation));
    }
    match Manifest::new(&root) {
        Some(manifest) => {
            let facts = ChangeFacts::of(&manifest, &root, options);
            Ok((evaluation, facts))
        }
        // `evaluate_document` calls a document that is not a mapping an error, so this only
        // guards the types.
        None => Err(Box::new(evaluation)),
    }
}

/// The change facts of a manifest without evaluating it (for a stored version whose verdict is
/// already known). `None` when it cannot be read as a manifest.
pub fn facts_of(bytes: &[u8], options: &CheckOptions) -> Option<ChangeFacts> {
    let (root, _) = load(bytes, options).ok()?;
    let manifest = Manifest::new(&root)?;
    Some(ChangeFacts::of(&manifest, &root, options))
}

/// Classifies the change from `old` to `new`, reading one file at a time.
pub fn classify(
    old: &[u8],
    new: &[u8],
    options: &CheckOptions,
) -> Result<ChangeReport, Unreadable> {
    let side = |bytes: &[u8], name: &'static str| {
        let (evaluation, facts) = assess(bytes, options).map_err(|evaluation| Unreadable {
            side: name,
            evaluation,
        })?;
        Ok(Side {
            facts,
            verdict: evaluation.verdict,
            rules: evaluation.rules,
            blockers: evaluation.blockers,
        })
    };
    let before = side(old, "old")?;
    let after = side(new, "new")?;
    Ok(compare(&before, &after))
}

/// Classifies the change between two assessed sides. Works on the facts alone: its time and
/// memory follow the declared egress, scopes, remotes and modules, not the size of the files.
pub fn compare(before: &Side, after: &Side) -> ChangeReport {
    let (old, new) = (&before.facts, &after.facts);
    let mut changes = Vec::new();
    egress(old, new, &mut changes);
    webtriggers(old, new, &mut changes);
    added_and_removed(
        &old.providers,
        &new.providers,
        "providers",
        "authentication provider",
        Impact::Major,
        Impact::Major,
        &mut changes,
    );
    remotes(old, new, &mut changes);
    added_and_removed(
        &old.scopes,
        &new.scopes,
        "scopes",
        "scope",
        Impact::Major,
        Impact::Minor,
        &mut changes,
    );
    llm(old, new, &mut changes);
    if changes.is_empty() && old.content != new.content {
        changes.push(Change {
            impact: Impact::Minor,
            area: "other",
            description: "other manifest content changed".into(),
            line: None,
            file: Which::New,
        });
    }
    changes.sort_by(|a, b| {
        (a.impact, a.area, a.file, a.line, &a.description).cmp(&(
            b.impact,
            b.area,
            b.file,
            b.line,
            &b.description,
        ))
    });
    let eligibility = match (
        before.verdict == Verdict::Eligible,
        after.verdict == Verdict::Eligible,
    ) {
        (false, true) => EligibilityChange::Gained,
        (true, false) => EligibilityChange::Lost,
        _ => EligibilityChange::Unchanged,
    };
    ChangeReport {
        major: changes.iter().any(|c| c.impact == Impact::Major),
        changes,
        before: before.verdict,
        after: after.verdict,
        rules_before: before.rules.clone(),
        rules_after: after.rules.clone(),
        blockers_before: before.blockers.clone(),
        blockers_after: after.blockers.clone(),
        eligibility,
    }
}

fn push(
    out: &mut Vec<Change>,
    impact: Impact,
    area: &'static str,
    (file, line): (Which, Option<u32>),
    text: String,
) {
    out.push(Change {
        impact,
        area,
        description: text,
        line,
        file,
    });
}

/// Reports every key of `after` missing from `before` as added, and the reverse as removed.
fn added_and_removed(
    before: &BTreeMap<String, Option<u32>>,
    after: &BTreeMap<String, Option<u32>>,
    area: &'static str,
    noun: &str,
    on_add: Impact,
    on_remove: Impact,
    out: &mut Vec<Change>,
) {
    for (key, at) in after.iter().filter(|(k, _)| !before.contains_key(*k)) {
        let text = format!("{noun} `{key}` added");
        push(out, on_add, area, (Which::New, *at), text);
    }
    for (key, at) in before.iter().filter(|(k, _)| !after.contains_key(*k)) {
        let text = format!("{noun} `{key}` removed");
        push(out, on_remove, area, (Which::Old, *at), text);
    }
}

fn describe(key: &EgressKey) -> String {
    let (list, target, category) = key;
    match category {
        Some(c) => format!("egress to `{target}` (category {c}) in `{list}`"),
        None => format!("egress to `{target}` in `{list}`"),
    }
}

fn egress(old: &ChangeFacts, new: &ChangeFacts, out: &mut Vec<Change>) {
    for (key, &(now_in_scope, at)) in &new.egress {
        let at = (Which::New, at);
        match old.egress.get(key) {
            None => push(
                out,
                Impact::Major,
                "egress",
                at,
                format!("{} added", describe(key)),
            ),
            Some(&(was_in_scope, _)) if !was_in_scope && now_in_scope => {
                let text = format!("{} may now carry in-scope End-User Data", describe(key));
                push(out, Impact::Major, "egress", at, text);
            }
            Some(&(was_in_scope, _)) if was_in_scope && !now_in_scope => {
                let text = format!("{} no longer carries in-scope End-User Data", describe(key));
                push(out, Impact::Minor, "egress", at, text);
            }
            Some(_) => {}
        }
    }
    for (key, &(_, at)) in &old.egress {
        if !new.egress.contains_key(key) {
            let text = format!("{} removed", describe(key));
            push(out, Impact::Minor, "egress", (Which::Old, at), text);
        }
    }
}

fn webtriggers(old: &ChangeFacts, new: &ChangeFacts, out: &mut Vec<Change>) {
    let kind = |dynamic: bool| if dynamic { "dynamic" } else { "static" };
    for (key, &(dynamic, at)) in &new.web_triggers {
        let (impact, text) = match old.web_triggers.get(key) {
            None if dynamic => (Impact::Major, format!("dynamic web trigger `{key}` added")),
            None => (Impact::Minor, format!("static web trigger `{key}` added")),
            Some(&(false, _)) if dynamic => (
                Impact::Major,
                format!("web trigger `{key}` changed from static to dynamic"),
            ),
            Some(&(true, _)) if !dynamic => (
                Impact::Minor,
                format!("web trigger `{key}` changed from dynamic to static"),
            ),
            Some(_) => continue,
        };
        push(out, impact, "webtrigger", (Which::New, at), text);
    }
    for (key, &(dynamic, at)) in &old.web_triggers {
        if !new.web_triggers.contains_key(key) {
            let text = format!("{} web trigger `{key}` removed", kind(dynamic));
            push(out, Impact::Minor, "webtrigger", (Which::Old, at), text);
        }
    }
}

fn remotes(old: &ChangeFacts, new: &ChangeFacts, out: &mut Vec<Change>) {
    for (key, now) in &new.remotes {
        let at = (Which::New, now.line);
        let Some(was) = old.remotes.get(key) else {
            push(
                out,
                Impact::Major,
                "remotes",
                at,
                format!("remote `{key}` added"),
            );
            continue;
        };
        for (region, url) in &now.urls {
            match was.urls.get(region) {
                Some(before) if before == url => {}
                Some(before) => {
                    let text = format!(
                        "remote `{key}` URL for {region} changed from `{before}` to `{url}`"
                    );
                    push(out, Impact::Major, "remotes", at, text);
                }
                None => {
                    let text = format!("remote `{key}` gained a URL for {region}: `{url}`");
                    push(out, Impact::Major, "remotes", at, text);
                }
            }
        }
        for (region, url) in was.urls.iter().filter(|(r, _)| !now.urls.contains_key(*r)) {
            let text = format!("remote `{key}` no longer has a URL for {region} (`{url}`)");
            push(out, Impact::Major, "remotes", (Which::Old, was.line), text);
        }
        if !was.stores_in_scope_eud && now.stores_in_scope_eud {
            let text = format!("remote `{key}` may now store in-scope End-User Data");
            push(out, Impact::Major, "remotes", at, text);
        }
        if was.stores_in_scope_eud && !now.stores_in_scope_eud {
            let text = format!("remote `{key}` no longer stores in-scope End-User Data");
            push(out, Impact::Minor, "remotes", at, text);
        }
    }
    for (key, was) in &old.remotes {
        if !new.remotes.contains_key(key) {
            push(
                out,
                Impact::Minor,
                "remotes",
                (Which::Old, was.line),
                format!("remote `{key}` removed"),
            );
        }
    }
}

fn llm(old: &ChangeFacts, new: &ChangeFacts, out: &mut Vec<Change>) {
    added_and_removed(
        &old.llm,
        &new.llm,
        "llm",
        "LLM module",
        Impact::Major,
        Impact::Minor,
        out,
    );
}
