//! Version change classification: which differences between two manifests make a new **major**
//! version that installed sites must consent to, which are **minor**, and whether Runs on
//! Atlassian eligibility is gained or lost.

use std::collections::{BTreeMap, BTreeSet};

use apptrust_manifest::{Manifest, Node};
use serde::Serialize;

use crate::{CheckOptions, Code, Evaluation, Verdict, evaluate_document, load};

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
pub struct Change {
    /// Major or minor.
    pub impact: Impact,
    /// The part of the manifest: `egress`, `webtrigger`, `providers`, `remotes`, `scopes`, `llm`,
    /// `other`.
    pub area: &'static str,
    /// What changed.
    pub description: String,
    /// The line in the new manifest (or the old one, for removals).
    pub line: Option<u32>,
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

/// Classifies the change from `old` to `new`.
pub fn classify(
    old: &[u8],
    new: &[u8],
    options: &CheckOptions,
) -> Result<ChangeReport, Unreadable> {
    let read = |bytes: &[u8], side| {
        let unreadable = |evaluation| Unreadable {
            side,
            evaluation: Box::new(evaluation),
        };
        let (root, unresolved) = load(bytes, options)
            .map_err(|f| unreadable(crate::Evaluation::from_findings(vec![f], Vec::new(), None)))?;
        let evaluation = evaluate_document(&root, &unresolved, options);
        if evaluation.verdict == Verdict::Error {
            return Err(unreadable(evaluation));
        }
        Ok((root, evaluation))
    };
    let (old_root, before) = read(old, "old")?;
    let (new_root, after) = read(new, "new")?;
    // `read` refuses documents that are not mappings, so these only guard the types.
    let Some(old_m) = Manifest::new(&old_root) else {
        return Err(Unreadable {
            side: "old",
            evaluation: Box::new(before),
        });
    };
    let Some(new_m) = Manifest::new(&new_root) else {
        return Err(Unreadable {
            side: "new",
            evaluation: Box::new(after),
        });
    };
    let mut changes = Vec::new();
    egress(&old_m, &new_m, &mut changes);
    webtriggers(&old_m, &new_m, &mut changes);
    providers(&old_m, &new_m, &mut changes);
    remotes(&old_m, &new_m, options, &mut changes);
    scopes(&old_m, &new_m, &mut changes);
    llm(&old_m, &new_m, &mut changes);
    if changes.is_empty() && old_root.to_json() != new_root.to_json() {
        changes.push(Change {
            impact: Impact::Minor,
            area: "other",
            description: "other manifest content changed".into(),
            line: None,
        });
    }
    changes.sort_by(|a, b| (a.impact, a.area, a.line).cmp(&(b.impact, b.area, b.line)));
    let eligibility = match (
        before.verdict == Verdict::Eligible,
        after.verdict == Verdict::Eligible,
    ) {
        (false, true) => EligibilityChange::Gained,
        (true, false) => EligibilityChange::Lost,
        _ => EligibilityChange::Unchanged,
    };
    Ok(ChangeReport {
        major: changes.iter().any(|c| c.impact == Impact::Major),
        changes,
        before: before.verdict,
        after: after.verdict,
        rules_before: before.rules,
        rules_after: after.rules,
        eligibility,
    })
}

fn push(
    out: &mut Vec<Change>,
    impact: Impact,
    area: &'static str,
    line: Option<u32>,
    text: String,
) {
    out.push(Change {
        impact,
        area,
        description: text,
        line,
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
        push(out, on_add, area, *at, format!("{noun} `{key}` added"));
    }
    for (key, at) in before.iter().filter(|(k, _)| !after.contains_key(*k)) {
        push(out, on_remove, area, *at, format!("{noun} `{key}` removed"));
    }
}

fn line(node: &Node) -> Option<u32> {
    Some(node.span.start.line)
}

struct EgressFacts<'a> {
    in_scope_eud: bool,
    node: &'a Node,
}

/// Egress keyed by list, target and category. A category change shows as the old entry removed
/// and the new one added, and two entries for one host in one list are both kept.
type EgressKey = (&'static str, String, Option<String>);

fn egress_map<'a>(m: &Manifest<'a>) -> BTreeMap<EgressKey, EgressFacts<'a>> {
    let mut map: BTreeMap<EgressKey, EgressFacts<'a>> = BTreeMap::new();
    for e in m.egress_entries() {
        let object = e.object();
        let target = match (e.address(), object.and_then(|o| o.remote)) {
            (Some(a), _) => a.to_string(),
            (None, Some(r)) => format!("remote:{}", r.display_scalar()),
            _ => continue,
        };
        let category = object.and_then(|o| o.category).map(Node::display_scalar);
        let in_scope_eud =
            object.and_then(|o| o.in_scope_eud).and_then(Node::as_bool) != Some(false);
        let key = (e.list.path(), target, category);
        // Of two identical declarations, the one that may carry End-User Data decides.
        let keep = map
            .get(&key)
            .is_none_or(|old| in_scope_eud && !old.in_scope_eud);
        if keep {
            map.insert(
                key,
                EgressFacts {
                    in_scope_eud,
                    node: e.node,
                },
            );
        }
    }
    map
}

fn describe(key: &EgressKey) -> String {
    let (list, target, category) = key;
    match category {
        Some(c) => format!("egress to `{target}` (category {c}) in `{list}`"),
        None => format!("egress to `{target}` in `{list}`"),
    }
}

fn egress(old: &Manifest<'_>, new: &Manifest<'_>, out: &mut Vec<Change>) {
    let (before, after) = (egress_map(old), egress_map(new));
    for (key, now) in &after {
        let at = line(now.node);
        match before.get(key) {
            None => push(
                out,
                Impact::Major,
                "egress",
                at,
                format!("{} added", describe(key)),
            ),
            Some(was) if !was.in_scope_eud && now.in_scope_eud => {
                let text = format!("{} may now carry in-scope End-User Data", describe(key));
                push(out, Impact::Major, "egress", at, text);
            }
            Some(was) if was.in_scope_eud && !now.in_scope_eud => {
                let text = format!("{} no longer carries in-scope End-User Data", describe(key));
                push(out, Impact::Minor, "egress", at, text);
            }
            Some(_) => {}
        }
    }
    for (key, was) in &before {
        if !after.contains_key(key) {
            let text = format!("{} removed", describe(key));
            push(out, Impact::Minor, "egress", line(was.node), text);
        }
    }
}

fn keyed(items: &[Node]) -> BTreeMap<String, &Node> {
    items
        .iter()
        .filter_map(|n| Some((n.get("key")?.display_scalar(), n)))
        .collect()
}

fn webtriggers(old: &Manifest<'_>, new: &Manifest<'_>, out: &mut Vec<Change>) {
    let dynamic = |n: &Node| n.at(&["response", "type"]).and_then(Node::as_str) != Some("static");
    let before = keyed(old.module_entries("webtrigger"));
    for (key, now) in keyed(new.module_entries("webtrigger")) {
        let at = line(now);
        match before.get(&key) {
            None if dynamic(now) => push(
                out,
                Impact::Major,
                "webtrigger",
                at,
                format!("dynamic web trigger `{key}` added"),
            ),
            None => push(
                out,
                Impact::Minor,
                "webtrigger",
                at,
                format!("static web trigger `{key}` added"),
            ),
            Some(was) if !dynamic(was) && dynamic(now) => push(
                out,
                Impact::Major,
                "webtrigger",
                at,
                format!("web trigger `{key}` changed from static to dynamic"),
            ),
            Some(was) if dynamic(was) && !dynamic(now) => push(
                out,
                Impact::Minor,
                "webtrigger",
                at,
                format!("web trigger `{key}` changed from dynamic to static"),
            ),
            Some(_) => {}
        }
    }
}

fn providers(old: &Manifest<'_>, new: &Manifest<'_>, out: &mut Vec<Change>) {
    let keys = |m: &Manifest<'_>| -> BTreeMap<String, Option<u32>> {
        m.auth_providers()
            .and_then(|e| e.value.as_seq())
            .map(|items| {
                keyed(items)
                    .into_iter()
                    .map(|(k, n)| (k, line(n)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (before, after) = (keys(old), keys(new));
    let noun = "authentication provider";
    added_and_removed(
        &before,
        &after,
        "providers",
        noun,
        Impact::Major,
        Impact::Major,
        out,
    );
}

fn remotes(old: &Manifest<'_>, new: &Manifest<'_>, options: &CheckOptions, out: &mut Vec<Change>) {
    let storage = |r: &apptrust_manifest::Remote<'_>| {
        r.storage_in_scope_eud
            .and_then(Node::as_bool)
            .unwrap_or(options.decisions.remote_storage_omitted_means_in_scope)
    };
    let urls = |r: &apptrust_manifest::Remote<'_>| -> BTreeMap<String, String> {
        r.urls()
            .into_iter()
            .map(|(region, n)| (region.unwrap_or("default").to_string(), n.display_scalar()))
            .collect()
    };
    let old_remotes = old.remotes();
    let before: BTreeMap<&str, _> = old_remotes
        .iter()
        .filter_map(|r| Some((r.key?, r)))
        .collect();
    let new_remotes = new.remotes();
    let after: BTreeMap<&str, _> = new_remotes
        .iter()
        .filter_map(|r| Some((r.key?, r)))
        .collect();
    for (key, now) in &after {
        let at = line(now.node);
        let Some(was) = before.get(key) else {
            push(
                out,
                Impact::Major,
                "remotes",
                at,
                format!("remote `{key}` added"),
            );
            continue;
        };
        let (u0, u1) = (urls(was), urls(now));
        for (region, url) in &u1 {
            if u0.get(region) != Some(url) {
                let text = format!("remote `{key}` URL for {region} is now `{url}`");
                push(out, Impact::Major, "remotes", at, text);
            }
        }
        for region in u0.keys().filter(|r| !u1.contains_key(*r)) {
            let text = format!("remote `{key}` no longer has a URL for {region}");
            push(out, Impact::Major, "remotes", at, text);
        }
        if !storage(was) && storage(now) {
            push(
                out,
                Impact::Major,
                "remotes",
                at,
                format!("remote `{key}` may now store in-scope End-User Data"),
            );
        }
    }
    for (key, was) in &before {
        if !after.contains_key(key) {
            push(
                out,
                Impact::Minor,
                "remotes",
                line(was.node),
                format!("remote `{key}` removed"),
            );
        }
    }
}

fn scopes(old: &Manifest<'_>, new: &Manifest<'_>, out: &mut Vec<Change>) {
    let set = |m: &Manifest<'_>| -> BTreeMap<String, Option<u32>> {
        m.scopes()
            .into_iter()
            .map(|n| (n.display_scalar(), line(n)))
            .collect()
    };
    let (before, after) = (set(old), set(new));
    added_and_removed(
        &before,
        &after,
        "scopes",
        "scope",
        Impact::Major,
        Impact::Minor,
        out,
    );
}

fn llm(old: &Manifest<'_>, new: &Manifest<'_>, out: &mut Vec<Change>) {
    let before: BTreeSet<String> = keyed(old.module_entries("llm")).into_keys().collect();
    for (key, now) in keyed(new.module_entries("llm")) {
        if !before.contains(&key) {
            push(
                out,
                Impact::Major,
                "llm",
                line(now),
                format!("LLM module `{key}` added"),
            );
        }
    }
}
