//! Fingerprints: names for findings that survive edits elsewhere in the manifest.
//!
//! A baseline must keep matching a finding when lines are inserted or removed above it, so no
//! line or column goes in. What does go in, hashed together:
//!
//! - the file path as reported (forward slashes): the same text in two files is two findings;
//! - the code;
//! - the **anchor**: the key path of the node the finding points at, found in the loaded
//!   document (`remotes[api].baseUrl`, `permissions.external.fetch.backend[]`). Sequence items
//!   are named by their Forge `key` when they have one and left unnumbered otherwise, so adding
//!   an egress entry above another does not rename it;
//! - the **subject**: the source text under the finding's span, with comments removed and
//!   whitespace collapsed, so re-indenting or adding a waiver comment keeps the fingerprint
//!   while changing the address or the remote it is about makes a new finding. (A finding
//!   without a span, which no rule or advisory has today, uses its message with line numbers
//!   removed instead.)
//! - the **occurrence**: how many earlier findings of the file share all of the above, so two
//!   identical entries in one list get different fingerprints.
//!
//! The message is deliberately left out: rewording a message in a newer apptrust must not
//! resurrect every baselined finding. The hash is SHA-256 (already built for the rules engine),
//! cut to 64 bits: ample to tell apart the findings of one repository, and short enough to read
//! in a diff.

use std::collections::HashMap;

use apptrust_rules::Finding;
use apptrust_yaml::{Limits, Node, Pos, Span, Value};
use sha2::{Digest, Sha256};

use super::comments::Comment;
use crate::output::source_map::SourceMap;

/// Part of every hashed text: a future format with other inputs starts from another prefix.
const FORMAT: &str = "apptrust-fingerprint-v1";

/// Computes the fingerprints of one file's findings, in the order they are reported.
pub struct Fingerprinter<'a> {
    path: String,
    source: &'a str,
    map: SourceMap<'a>,
    root: Option<Node>,
    /// Byte offset of the comment's `#` within its line, by line.
    comments: HashMap<u32, usize>,
    seen: HashMap<String, usize>,
}

impl<'a> Fingerprinter<'a> {
    /// Prepares a file: loads it once more for the key paths (the evaluation's tree is gone by
    /// now; loading is only paid for when a baseline is used).
    pub fn new(path: &str, source: &'a str, comments: &[Comment<'_>], limits: &Limits) -> Self {
        Fingerprinter {
            path: path.replace('\\', "/"),
            source,
            map: SourceMap::new(source),
            root: apptrust_yaml::load_str(source, limits).ok(),
            comments: comments.iter().map(|c| (c.line, c.offset)).collect(),
            seen: HashMap::new(),
        }
    }

    /// The next finding's fingerprint: 16 lowercase hexadecimal digits. Call in report order.
    pub fn fingerprint(&mut self, finding: &Finding) -> String {
        let (anchor, subject) = match finding.span {
            Some(span) => (
                self.root
                    .as_ref()
                    .map(|root| anchor(root, span))
                    .unwrap_or_default(),
                self.subject(span),
            ),
            None => (String::new(), describe(&finding.message)),
        };
        let key = [
            FORMAT,
            self.path.as_str(),
            finding.code.name(),
            &anchor,
            &subject,
        ]
        .join("\0");
        let occurrence = self.seen.entry(key.clone()).or_insert(0);
        let hashed = format!("{key}\0{occurrence}");
        *occurrence += 1;
        let digest = Sha256::digest(hashed.as_bytes());
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The text under a span, without comments, whitespace collapsed.
    fn subject(&self, span: Span) -> String {
        let range = self.map.range(span);
        let mut words = Vec::new();
        let mut at = range.start;
        let lines = span.start.line.max(1)..;
        for (line, segment) in lines.zip(self.source[range.clone()].split('\n')) {
            let line_start = self.map.lines(line, line).1;
            let mut text = segment;
            if let Some(&hash) = self.comments.get(&line) {
                let cut = (line_start + hash).saturating_sub(at);
                if cut < text.len() {
                    text = &text[..cut];
                }
            }
            words.extend(text.split_whitespace());
            at += segment.len() + 1;
        }
        words.join(" ")
    }
}

/// The key path from the root to the outermost node written exactly at `span`, or else to the
/// innermost one holding its start.
fn anchor(root: &Node, span: Span) -> String {
    let mut path = String::new();
    let mut node = root;
    while node.span != span {
        match &node.value {
            Value::Map(entries) => {
                let Some(entry) = entries
                    .iter()
                    .find(|e| holds(e.key.span, span.start) || holds(e.value.span, span.start))
                else {
                    break;
                };
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&entry.key.display_scalar());
                if !holds(entry.value.span, span.start) {
                    break;
                }
                node = &entry.value;
            }
            Value::Seq(items) => {
                let Some(item) = items.iter().find(|i| holds(i.span, span.start)) else {
                    break;
                };
                path.push('[');
                if let Some(key) = item.get("key").and_then(Node::as_str) {
                    path.push_str(key);
                }
                path.push(']');
                node = item;
            }
            _ => break,
        }
    }
    path
}

fn holds(span: Span, pos: Pos) -> bool {
    span.start <= pos && (pos < span.end || pos == span.start)
}

/// A finding's message for people reading a baseline: line numbers removed, so that the file
/// does not change when lines move.
pub fn describe(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("line ") {
        out.push_str(&rest[..at + 5]);
        rest = &rest[at + 5..];
        let digits = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == ':')
                .len();
        if digits > 0 {
            out.push('…');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use apptrust_rules::{CheckOptions, Kind, evaluate};

    use super::*;
    use crate::suppress::comments;

    /// (code, fingerprint) of every rule and advisory finding of a manifest.
    fn prints(path: &str, source: &str) -> Vec<(String, String)> {
        let evaluation = evaluate(source.as_bytes(), &CheckOptions::default());
        let comments = comments::scan(source);
        let mut printer = Fingerprinter::new(path, source, &comments, &Limits::default());
        evaluation
            .findings
            .iter()
            .filter(|f| matches!(f.code.kind(), Kind::Rule | Kind::Advisory))
            .map(|f| (f.code.name().to_string(), printer.fingerprint(f)))
            .collect()
    }

    const MANIFEST: &str = "\
permissions:
  external:
    fetch:
      backend:
        - address: api.one.example
        - address: api.two.example
      client:
        - address: api.one.example
remotes:
  - key: api
    baseUrl: https://api.one.example
";

    #[test]
    fn different_findings_of_one_code_differ() {
        let all = prints("manifest.yml", MANIFEST);
        let egress: Vec<&String> = all
            .iter()
            .filter(|(code, _)| code == "HAS_DEFINED_EGRESS")
            .map(|(_, fp)| fp)
            .collect();
        assert_eq!(egress.len(), 3, "{all:?}");
        assert_ne!(egress[0], egress[1]);
        assert_ne!(egress[0], egress[2], "same address in another list");
        assert!(egress.iter().all(|fp| fp.len() == 16));
    }

    #[test]
    fn identical_entries_get_different_fingerprints() {
        let twice = "permissions:\n  external:\n    images:\n      - address: a.example\n      - address: a.example\n";
        let all = prints("manifest.yml", twice);
        assert_eq!(all.len(), 2, "{all:?}");
        assert_ne!(all[0].1, all[1].1);
    }

    #[test]
    fn moving_lines_keeps_fingerprints() {
        let before = prints("manifest.yml", MANIFEST);
        let moved = format!(
            "# a comment\napp:\n  id: x\n{}",
            MANIFEST
                .replace("        - address: api.one.example\n        - address: api.two", "        - address: new.example\n        - address: api.one.example # apptrust: allow HAS_DEFINED_EGRESS reason=\"x\"\n\n        - address: api.two")
                .replace("  - key: api\n", "  - key: other\n    baseUrl: https://other.example\n  - key: api\n")
        );
        let after = prints("manifest.yml", &moved);
        for old in &before {
            assert!(after.contains(old), "{old:?} lost: {after:?}");
        }
        assert!(after.len() > before.len());
    }

    #[test]
    fn the_path_and_the_subject_count() {
        let here = prints("a/manifest.yml", MANIFEST);
        let there = prints("b/manifest.yml", MANIFEST);
        assert!(here.iter().all(|fp| !there.contains(fp)));
        assert_eq!(prints("a\\manifest.yml", MANIFEST), here);
        let changed = prints("a/manifest.yml", &MANIFEST.replace("api.two", "api.three"));
        assert_eq!(
            here.iter().filter(|fp| !changed.contains(fp)).count(),
            1,
            "only the edited entry is new"
        );
    }

    #[test]
    fn anchors_name_keys_and_keyed_items() {
        let root = apptrust_yaml::load_str(MANIFEST, &Limits::default()).expect("yaml");
        let remote_key = root
            .at(&["remotes"])
            .and_then(Node::as_seq)
            .and_then(|s| s[0].get("key"))
            .expect("key");
        assert_eq!(anchor(&root, remote_key.span), "remotes[api].key");
        let backend = root
            .at(&["permissions", "external", "fetch", "backend"])
            .and_then(Node::as_seq)
            .expect("backend");
        assert_eq!(
            anchor(&root, backend[1].span),
            "permissions.external.fetch.backend[]"
        );
    }

    #[test]
    fn descriptions_drop_line_numbers() {
        assert_eq!(
            describe("first defined at line 12, used on line 3:4"),
            "first defined at line …, used on line …"
        );
        assert_eq!(describe("no numbers"), "no numbers");
    }
}
