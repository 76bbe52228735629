//! Problems with waiver comments, reported beside the findings.
//!
//! They are not engine codes: the rules engine knows nothing about comments or the CLI's
//! suppressions, and `apptrust rules` lists what Atlassian's programs judge. They share the
//! codes' SCREAMING_SNAKE spelling so that every output can name them the same way.

use apptrust_rules::Severity;
use serde::Serialize;

/// What is wrong with a waiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoteKind {
    /// The comment starts with `apptrust:` but does not follow the grammar.
    Malformed,
    /// No reason, or a blank one: the waiver is refused.
    MissingReason,
    /// A deploy blocker or a read error: facts about the version, never waivable.
    NotWaivable,
    /// The code does not exist.
    UnknownCode,
    /// Nothing on the waiver's line has its code: a stale waiver.
    Unused,
    /// Past its `until=` date: the finding is reported again.
    Expired,
}

impl NoteKind {
    /// Every kind, in the order outputs list their descriptions.
    pub const ALL: [NoteKind; 6] = [
        NoteKind::Malformed,
        NoteKind::MissingReason,
        NoteKind::NotWaivable,
        NoteKind::UnknownCode,
        NoteKind::Unused,
        NoteKind::Expired,
    ];

    /// The name outputs show, e.g. `WAIVER_UNUSED`.
    pub fn name(self) -> &'static str {
        match self {
            NoteKind::Malformed => "WAIVER_MALFORMED",
            NoteKind::MissingReason => "WAIVER_MISSING_REASON",
            NoteKind::NotWaivable => "WAIVER_NOT_ALLOWED",
            NoteKind::UnknownCode => "WAIVER_UNKNOWN_CODE",
            NoteKind::Unused => "WAIVER_UNUSED",
            NoteKind::Expired => "WAIVER_EXPIRED",
        }
    }

    /// Refused waivers are errors (someone meant to waive something and nothing was waived);
    /// waivers that merely no longer apply are warnings.
    pub fn severity(self) -> Severity {
        match self {
            NoteKind::Malformed | NoteKind::MissingReason | NoteKind::NotWaivable => {
                Severity::Error
            }
            NoteKind::UnknownCode | NoteKind::Unused | NoteKind::Expired => Severity::Warning,
        }
    }

    /// One line for SARIF rule descriptions.
    pub fn summary(self) -> &'static str {
        match self {
            NoteKind::Malformed => "An `apptrust:` comment does not follow the waiver grammar.",
            NoteKind::MissingReason => "A waiver has no reason, so it is refused.",
            NoteKind::NotWaivable => {
                "A waiver names a deploy blocker or read error, which cannot be waived."
            }
            NoteKind::UnknownCode => "A waiver names a code apptrust does not have.",
            NoteKind::Unused => "A waiver matches no finding: it is stale.",
            NoteKind::Expired => "A waiver is past its `until=` date; its findings are reported.",
        }
    }
}

impl Serialize for NoteKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One problem with a waiver comment, at the comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// What is wrong.
    pub kind: NoteKind,
    /// 1-based line of the comment.
    pub line: u32,
    /// 1-based column of its `#`.
    pub column: u32,
    /// 1-based column just after the comment.
    pub end_column: u32,
    /// The code the note is about, as written, when it is about one.
    pub code: Option<String>,
    /// What is wrong, in terms of this comment.
    pub message: String,
    /// How to resolve it.
    pub help: String,
}
