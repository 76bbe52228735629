//! The overall judgement of one file.

use serde::Serialize;

use crate::code::Kind;
use crate::finding::Finding;

/// The verdict for one manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No rule fires and nothing blocks the deploy: the version qualifies for Runs on Atlassian.
    Eligible,
    /// At least one trust-signal rule fires.
    NotEligible,
    /// Forge would refuse to deploy this version.
    Blocked,
    /// The file could not be evaluated.
    Error,
}

impl Verdict {
    /// Derives the verdict from the findings: an error beats a blocker beats a rule.
    pub fn from_findings(findings: &[Finding]) -> Verdict {
        let has = |kind| findings.iter().any(|f| f.code.kind() == kind);
        if has(Kind::Error) {
            Verdict::Error
        } else if has(Kind::Blocker) {
            Verdict::Blocked
        } else if has(Kind::Rule) {
            Verdict::NotEligible
        } else {
            Verdict::Eligible
        }
    }

    /// Reads a verdict as [`Verdict::as_str`] spells it.
    pub fn parse(text: &str) -> Option<Verdict> {
        [
            Verdict::Eligible,
            Verdict::NotEligible,
            Verdict::Blocked,
            Verdict::Error,
        ]
        .into_iter()
        .find(|v| v.as_str() == text)
    }

    /// The verdict as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Eligible => "eligible",
            Verdict::NotEligible => "not-eligible",
            Verdict::Blocked => "blocked",
            Verdict::Error => "error",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
