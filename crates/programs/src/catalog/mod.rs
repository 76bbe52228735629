//! The trust programs as data (`programs/` in the repository): each program, how its badge is
//! granted, and the versions of its requirement set with their dates. No program is hard-coded:
//! a marketplace's programs change (Cloud Fortified and Cloud Security Participant are giving
//! way to a new one), so they are files, loaded and checked at start and by
//! `apptrust programs check`. Pure: the caller reads the files; time is an input.

mod folder;
mod raw;
mod validate;

pub use folder::read_folder;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// One file of a program folder: its path relative to the folder's root (`cloud-fortified/
/// program.toml`, `cloud-fortified/requirements/2026-01.toml`) and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// Why the programs could not be loaded: the file, the line (1-based; 0 when the problem is not
/// at one line) and the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct CatalogError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

/// Every program, in the order of their keys.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Catalog {
    pub programs: Vec<ProgramDef>,
}

/// How a program's badge is granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grant {
    /// From each production deploy (Runs on Atlassian).
    Automatic,
    /// Through an approved submission (Cloud Fortified).
    Approval,
    /// From the state of another record, such as a bug bounty.
    Derived,
}

/// Where a program stands. Retirement moves badges to `RETIRED`, never `REMOVED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProgramStatus {
    Active,
    /// Badges stay; no new submissions.
    ClosedToNew,
    /// Ends on `retiring_on`.
    Retiring,
    Retired,
}

/// A program.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgramDef {
    /// The program's key in addresses and requirement-set ids (`cloud-fortified`).
    pub key: String,
    /// The key of its badge in the public read model and in search (`cloudFortified`).
    pub badge: String,
    pub name: String,
    pub description: String,
    pub grant: Grant,
    /// For a derived program: the kind of record it follows (`bug-bounty`).
    pub derived_from: Option<String>,
    pub status: ProgramStatus,
    /// For a retiring program: the day it ends (`YYYY-MM-DD`).
    pub retiring_on: Option<String>,
    /// Oldest first; only approval programs have any.
    pub requirement_sets: Vec<RequirementSet>,
}

/// One version of a program's requirement set.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequirementSet {
    /// `cloud-fortified/2026-01`.
    pub id: String,
    /// `2026-01`.
    pub version: String,
    pub summary: String,
    /// Days, `YYYY-MM-DD`: published; end of the discussion period; in force; end of the grace
    /// period for approved apps.
    pub announced: String,
    pub discussion_until: Option<String>,
    pub effective: String,
    pub grace_until: String,
    /// What this version changed against the previous one, by requirement id.
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub dropped: Vec<Dropped>,
    /// Every requirement in force with this version, by id.
    pub requirements: Vec<Requirement>,
}

/// A requirement a version dropped, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dropped {
    pub id: String,
    pub reason: String,
}

/// The stream a requirement belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stream {
    Eligibility,
    Security,
    Reliability,
    Incident,
    Support,
    Privacy,
}

impl Stream {
    /// As the files spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Eligibility => "eligibility",
            Stream::Security => "security",
            Stream::Reliability => "reliability",
            Stream::Incident => "incident",
            Stream::Support => "support",
            Stream::Privacy => "privacy",
        }
    }
}

/// The app frameworks a requirement applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framework {
    Connect,
    Forge,
}

/// How a requirement is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    PartnerAttests,
    StaffVerifiesStatus,
    /// Reliability's path: `configuring`, `access-granted`, `test-run`.
    StaffConfiguresAndTests,
    AutomatedSignal,
}

/// How a measured requirement is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparator {
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = "==")]
    Equal,
}

/// A measured requirement: `metric comparator threshold`, over `window_days` when rolling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Criterion {
    pub metric: String,
    pub comparator: Comparator,
    pub threshold: f64,
    #[serde(default, alias = "window_days")]
    pub window_days: Option<u32>,
}

/// Days from a vulnerability's report to its fix, by severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixDeadlines {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
}

/// A requirement.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    /// Stable across versions: `<stream>.<name>`.
    pub id: String,
    pub stream: Stream,
    pub title: String,
    pub frameworks: Vec<Framework>,
    pub verification: Verification,
    /// How long the check soaks before it can pass.
    pub soak_days: Option<u32>,
    pub criterion: Option<Criterion>,
    /// The Security Bug Fix Policy's deadlines, for the requirement that applies it.
    pub fix_within_days: Option<FixDeadlines>,
    /// Extra days bug-bounty findings get for triage.
    pub triage_days: Option<u32>,
    /// Health-check replies slower than this count as failures.
    pub slow_after_ms: Option<u32>,
}

/// Where a requirement set stands on `today` (`YYYY-MM-DD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetPhase {
    /// Published and open for discussion.
    InDiscussion,
    /// Published, discussion over, not yet in force.
    Announced,
    /// In force; approved apps may still be on the previous set until `grace_until`.
    InGrace,
    /// In force.
    Effective,
    /// A later set is in force (approved apps move to it at their next review or its grace
    /// end, whichever is later).
    Superseded,
    /// Not published yet.
    Unpublished,
}

/// What changed between two requirement sets, by requirement id: what a review checks instead
/// of starting over.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetDelta {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub dropped: Vec<String>,
}

impl SetDelta {
    /// From `from` to `to`, comparing the requirements themselves (so changes made over
    /// several versions in between are all counted).
    pub fn between(from: &RequirementSet, to: &RequirementSet) -> SetDelta {
        let find = |set: &RequirementSet, id: &str| -> Option<Requirement> {
            set.requirements.iter().find(|r| r.id == id).cloned()
        };
        let mut delta = SetDelta::default();
        for requirement in &to.requirements {
            match find(from, &requirement.id) {
                None => delta.added.push(requirement.id.clone()),
                Some(old) if &old != requirement => delta.changed.push(requirement.id.clone()),
                Some(_) => {}
            }
        }
        delta.dropped = from
            .requirements
            .iter()
            .filter(|r| find(to, &r.id).is_none())
            .map(|r| r.id.clone())
            .collect();
        delta
    }

    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.dropped.is_empty()
    }
}

impl Catalog {
    /// Reads and checks every file of a programs folder. All problems are reported, each with
    /// its file and line.
    pub fn load(files: &[SourceFile]) -> Result<Catalog, Vec<CatalogError>> {
        validate::load(files)
    }

    /// A program by its key (`cloud-fortified`) or its badge key (`cloudFortified`).
    pub fn program(&self, key: &str) -> Option<&ProgramDef> {
        self.programs
            .iter()
            .find(|p| p.key == key || p.badge == key)
    }
}

impl ProgramDef {
    /// Whether the program has ended on `today`: retired, or retiring and past its end.
    pub fn is_over(&self, today: &str) -> bool {
        match self.status {
            ProgramStatus::Retired => true,
            ProgramStatus::Retiring => self.retiring_on.as_deref().is_some_and(|end| end <= today),
            ProgramStatus::Active | ProgramStatus::ClosedToNew => false,
        }
    }

    /// The newest set in force on `today`, if any.
    pub fn set_in_force(&self, today: &str) -> Option<&RequirementSet> {
        self.requirement_sets
            .iter()
            .rev()
            .find(|s| s.effective.as_str() <= today)
    }

    /// A set by its version (`2027-01`) or its id (`cloud-fortified/2027-01`).
    pub fn set(&self, version: &str) -> Option<&RequirementSet> {
        self.requirement_sets
            .iter()
            .find(|s| s.version == version || s.id == version)
    }

    /// The set an approved app on `current` is measured against at a review starting on
    /// `review_day` (`YYYY-MM-DD`): the newest set in force whose grace has ended by then, since
    /// apps move to a new set at their next review or at its grace end, whichever is later. An
    /// app never moves back to an older set.
    pub fn set_for_review(&self, current: &str, review_day: &str) -> Option<&RequirementSet> {
        let current = self.set(current);
        let due =
            self.requirement_sets.iter().rev().find(|s| {
                s.effective.as_str() <= review_day && s.grace_until.as_str() <= review_day
            });
        match (current, due) {
            (Some(current), Some(due)) if due.effective > current.effective => Some(due),
            (Some(current), _) => Some(current),
            (None, due) => due,
        }
    }

    /// Where `set` stands on `today`.
    pub fn phase(&self, set: &RequirementSet, today: &str) -> SetPhase {
        if today < set.announced.as_str() {
            return SetPhase::Unpublished;
        }
        if today < set.effective.as_str() {
            return match &set.discussion_until {
                Some(until) if today <= until.as_str() => SetPhase::InDiscussion,
                _ => SetPhase::Announced,
            };
        }
        let later_in_force = self
            .requirement_sets
            .iter()
            .any(|s| s.effective > set.effective && s.effective.as_str() <= today);
        if later_in_force {
            SetPhase::Superseded
        } else if today <= set.grace_until.as_str() && set.grace_until != set.effective {
            SetPhase::InGrace
        } else {
            SetPhase::Effective
        }
    }
}
