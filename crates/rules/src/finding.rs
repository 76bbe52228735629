//! One problem found in a manifest, with where it is and how to fix it.

use apptrust_yaml::Span;
use serde::Serialize;

use crate::code::{Code, Severity};

/// A finding: the code it is about, a message, the place, related places and a fix.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The rule, blocker, advisory or error.
    pub code: Code,
    /// What is wrong, in terms of this manifest.
    pub message: String,
    /// The text the finding is about; `None` for whole-file problems.
    pub span: Option<Span>,
    /// Other places worth showing (e.g. where an alias was used, where a key was first defined).
    pub related: Vec<Related>,
    /// A concrete edit that resolves it, where one exists.
    pub fix: Option<String>,
}

/// A secondary place of a finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Related {
    /// The place.
    #[serde(flatten)]
    pub span: SpanJson,
    /// What it is.
    pub message: String,
}

/// A span as the JSON contract spells it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpanJson {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl From<Span> for SpanJson {
    fn from(s: Span) -> Self {
        SpanJson {
            line: s.start.line,
            column: s.start.column,
            end_line: s.end.line,
            end_column: s.end.column,
        }
    }
}

impl Finding {
    /// A finding at a span with no fix yet.
    pub fn new(code: Code, span: Option<Span>, message: impl Into<String>) -> Self {
        Finding {
            code,
            message: message.into(),
            span,
            related: Vec::new(),
            fix: None,
        }
    }

    /// Adds a fix.
    #[must_use]
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// Adds a related place.
    #[must_use]
    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Related {
            span: span.into(),
            message: message.into(),
        });
        self
    }

    /// Adds the alias use as a related place when the node came through an alias.
    #[must_use]
    pub fn via_alias(self, via: Option<Span>) -> Self {
        match via {
            Some(span) => self.with_related(span, "used here through an alias"),
            None => self,
        }
    }

    /// The finding's severity.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}

/// The JSON form of a finding (the contract of `--format json`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FindingJson<'a> {
    code: Code,
    severity: Severity,
    message: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    fix: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    related: &'a [Related],
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let span = self.span.map(SpanJson::from);
        FindingJson {
            code: self.code,
            severity: self.severity(),
            message: &self.message,
            line: span.map(|s| s.line),
            column: span.map(|s| s.column),
            end_line: span.map(|s| s.end_line),
            end_column: span.map(|s| s.end_column),
            fix: self.fix.as_deref(),
            related: &self.related,
        }
        .serialize(s)
    }
}
