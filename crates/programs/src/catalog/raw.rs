//! The files as written: what `program.toml` and `requirements/<version>.toml` may hold. Unknown
//! fields are refused, so that a misspelt one is not silently ignored. Fields that later checks
//! point at keep their place in the file.

use serde::Deserialize;
use toml::Spanned;

/// `program.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProgramFile {
    pub key: Spanned<String>,
    pub badge: Spanned<String>,
    pub name: Spanned<String>,
    pub grant: super::Grant,
    pub derived_from: Option<Spanned<String>>,
    pub status: Spanned<super::ProgramStatus>,
    pub retiring_on: Option<Spanned<String>>,
    #[serde(default)]
    pub description: String,
}

/// `requirements/<version>.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RequirementSetFile {
    pub version: Spanned<String>,
    #[serde(default)]
    pub summary: String,
    pub announced: Spanned<String>,
    pub discussion_until: Option<Spanned<String>>,
    pub effective: Spanned<String>,
    pub grace_until: Spanned<String>,
    #[serde(default)]
    pub add: Vec<RequirementEntry>,
    #[serde(default)]
    pub change: Vec<RequirementEntry>,
    #[serde(default)]
    pub drop: Vec<DropEntry>,
}

/// A requirement added or changed by a set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RequirementEntry {
    pub id: Spanned<String>,
    pub stream: super::Stream,
    pub title: String,
    pub frameworks: Vec<super::Framework>,
    pub verification: super::Verification,
    pub soak_days: Option<u32>,
    pub criterion: Option<super::Criterion>,
    pub fix_within_days: Option<super::FixDeadlines>,
    pub triage_days: Option<u32>,
    pub slow_after_ms: Option<u32>,
}

/// A requirement a set drops.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DropEntry {
    pub id: Spanned<String>,
    pub reason: String,
}
