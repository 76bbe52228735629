//! Inline waivers: `# apptrust: allow CODE until=YYYY-MM-DD reason="..."` comments, matched to
//! the findings they accept.
//!
//! A trailing comment covers the findings that start on its own line; a comment on a line of
//! its own covers those that start on the next line. Nothing further: a waiver sits where a
//! reviewer reading the diff sees both it and the entry it accepts.

use std::collections::{HashMap, HashSet};

use apptrust_rules::{Code, Finding, Kind};

use super::comments::Comment;
use super::date::Date;
use super::directive::{self, SYNTAX};
use super::note::{Note, NoteKind};
use super::suppressible;

/// A finding accepted by a waiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waived {
    /// Index into the evaluation's findings.
    pub finding: usize,
    /// 1-based line of the waiver comment.
    pub line: u32,
    /// Why the finding is accepted.
    pub reason: String,
    /// The last day the waiver holds.
    pub until: Option<Date>,
}

/// What the waivers of one file did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings accepted, in finding order.
    pub waived: Vec<Waived>,
    /// Problems with the waivers, in line order.
    pub notes: Vec<Note>,
}

/// Applies the waiver comments of one file to its findings. `judged` is false when the rules
/// did not run (the file could not be read as a manifest): then no waiver can be called stale.
pub fn apply(findings: &[Finding], comments: &[Comment<'_>], today: Date, judged: bool) -> Outcome {
    let mut outcome = Outcome::default();
    // Findings by the line they start on: a file may hold thousands of each.
    let mut by_line: HashMap<u32, Vec<usize>> = HashMap::new();
    for (index, finding) in findings.iter().enumerate() {
        if let Some(span) = finding.span {
            by_line.entry(span.start.line).or_default().push(index);
        }
    }
    let mut waived = HashSet::new();
    for comment in comments {
        let Some(parsed) = directive::parse(comment.text) else {
            continue;
        };
        let note = |kind: NoteKind, code: Option<&str>, message: String, help: String| Note {
            kind,
            line: comment.line,
            column: comment.column,
            end_column: comment.end_column(),
            code: code.map(str::to_string),
            message,
            help,
        };
        let directive = match parsed {
            Ok(directive) => directive,
            Err(message) => {
                outcome.notes.push(note(
                    NoteKind::Malformed,
                    None,
                    format!("cannot read this waiver: {message}"),
                    format!("write `{SYNTAX}`"),
                ));
                continue;
            }
        };
        let Some(reason) = directive
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        else {
            outcome.notes.push(note(
                NoteKind::MissingReason,
                None,
                format!(
                    "this waiver of {} has no reason, so it is refused",
                    directive.codes.join(", ")
                ),
                "add reason=\"...\" saying why the finding is accepted (and until=YYYY-MM-DD \
                 for when it will be fixed)"
                    .to_string(),
            ));
            continue;
        };
        let target = if comment.own_line {
            comment.line.saturating_add(1)
        } else {
            comment.line
        };
        let place = if comment.own_line {
            format!("line {target} (the line below it)")
        } else {
            format!("line {target}")
        };
        let expired = directive.until.filter(|until| today > *until);
        for written in &directive.codes {
            let Some(code) = Code::from_name(written) else {
                outcome.notes.push(note(
                    NoteKind::UnknownCode,
                    Some(written),
                    format!("`{written}` is not an apptrust code, so this waiver allows nothing"),
                    "`apptrust rules` lists every code".to_string(),
                ));
                continue;
            };
            if !suppressible(code) {
                outcome.notes.push(note(
                    NoteKind::NotWaivable,
                    Some(code.name()),
                    not_waivable(code),
                    "fix the manifest; rule and advisory findings are the only ones a waiver \
                     accepts"
                        .to_string(),
                ));
                continue;
            }
            let matching: Vec<usize> = by_line
                .get(&target)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&i| findings[i].code == code)
                .collect();
            if let Some(until) = expired {
                let message = if matching.is_empty() {
                    format!(
                        "the waiver of {code} expired on {until} and matches no finding on \
                         {place}: remove it"
                    )
                } else {
                    format!(
                        "the waiver of {code} expired on {until} (reason: \"{reason}\"): \
                         its finding is reported again"
                    )
                };
                outcome.notes.push(note(
                    NoteKind::Expired,
                    Some(code.name()),
                    message,
                    "fix the finding, or set a new `until=` if the plan has changed".to_string(),
                ));
                continue;
            }
            if matching.is_empty() {
                if judged {
                    outcome.notes.push(note(
                        NoteKind::Unused,
                        Some(code.name()),
                        format!("this waiver of {code} matches no finding on {place}: remove it"),
                        "a trailing waiver covers findings that start on its line; a waiver on a \
                         line of its own covers the line below it"
                            .to_string(),
                    ));
                }
                continue;
            }
            for finding in matching {
                if waived.insert(finding) {
                    outcome.waived.push(Waived {
                        finding,
                        line: comment.line,
                        reason: reason.to_string(),
                        until: directive.until,
                    });
                }
            }
        }
    }
    outcome.waived.sort_by_key(|w| w.finding);
    outcome
}

fn not_waivable(code: Code) -> String {
    let why = match code.kind() {
        Kind::Blocker => {
            "it is a deploy blocker, and Forge would refuse to deploy this version whatever a \
             comment says"
        }
        Kind::Error => "it is a read error, and the file cannot be evaluated at all",
        Kind::Rule | Kind::Advisory => "it is not waivable",
    };
    format!("{code} cannot be waived: {why}")
}

#[cfg(test)]
mod tests {
    use apptrust_rules::{CheckOptions, evaluate};

    use super::*;
    use crate::suppress::comments;

    fn run(source: &str, today: &str) -> (Vec<Finding>, Outcome) {
        let evaluation = evaluate(source.as_bytes(), &CheckOptions::default());
        let comments = comments::scan(source);
        let today = Date::parse(today).expect("date");
        let outcome = apply(&evaluation.findings, &comments, today, true);
        (evaluation.findings, outcome)
    }

    fn kinds(outcome: &Outcome) -> Vec<NoteKind> {
        outcome.notes.iter().map(|n| n.kind).collect()
    }

    #[test]
    fn trailing_and_own_line_waivers_cover_their_lines() {
        let source = "\
permissions:
  external:
    images:
      - address: a.example # apptrust: allow HAS_DEFINED_EGRESS reason=\"logos\"
      # apptrust: allow HAS_DEFINED_EGRESS until=2030-01-01 reason=\"avatars\"
      - address: b.example
      - address: c.example
";
        let (findings, outcome) = run(source, "2025-01-01");
        assert_eq!(kinds(&outcome), vec![]);
        let lines: Vec<u32> = outcome
            .waived
            .iter()
            .map(|w| findings[w.finding].span.expect("span").start.line)
            .collect();
        assert_eq!(lines, vec![4, 6]);
        assert_eq!(outcome.waived[1].reason, "avatars");
        assert_eq!(outcome.waived[1].until, Date::parse("2030-01-01").ok());
    }

    #[test]
    fn refused_stale_and_expired_waivers_are_noted() {
        let source = "\
permissions:
  external:
    images:
      - address: a.example # apptrust: allow HAS_DEFINED_EGRESS
      - address: b.example # apptrust: allow HAS_REMOTES reason=\"x\"
      - address: c.example # apptrust: allow NO_SUCH_CODE reason=\"x\"
      - address: d.example # apptrust: allow MANIFEST_INVALID reason=\"x\"
      - address: e.example # apptrust: allow HAS_DEFINED_EGRESS until=2024-12-31 reason=\"x\"
      - address: f.example # apptrust: allow HAS_DEFINED_EGRESS until=2025-01-01 reason=\"x\"
      - address: g.example # apptrust: allw HAS_DEFINED_EGRESS
";
        let (_, outcome) = run(source, "2025-01-01");
        assert_eq!(
            kinds(&outcome),
            vec![
                NoteKind::MissingReason,
                NoteKind::Unused,
                NoteKind::UnknownCode,
                NoteKind::NotWaivable,
                NoteKind::Expired,
                NoteKind::Malformed,
            ]
        );
        assert_eq!(outcome.waived.len(), 1, "the waiver holds on its last day");
        assert!(outcome.notes[3].message.contains("deploy blocker"));
        assert!(outcome.notes[4].message.contains("reported again"));
    }

    #[test]
    fn unjudged_files_have_no_stale_waivers() {
        let source = "a: [ # apptrust: allow HAS_REMOTES reason=\"x\"\n";
        let evaluation = evaluate(source.as_bytes(), &CheckOptions::default());
        let comments = comments::scan(source);
        let today = Date::parse("2025-01-01").expect("date");
        let outcome = apply(&evaluation.findings, &comments, today, false);
        assert!(outcome.notes.is_empty());
    }
}
