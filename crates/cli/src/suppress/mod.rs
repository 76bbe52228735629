//! Baselines and inline waivers: which findings of `apptrust check` are set aside as accepted.
//!
//! The rules engine's evaluation is never touched: the verdict, `rules` and `blockers` stay
//! what Atlassian would say, because a partner must not come to believe that a waived manifest
//! earns the badge. What changes is which findings are reported as *open* and what `--fail-on`
//! counts: the exit status is computed from the verdict the open findings alone would give
//! ([`gate`]). Set-aside findings are still listed, in a section of their own, by every output.
//!
//! Only rule and advisory findings can be set aside ([`suppressible`]). Deploy blockers
//! (`MANIFEST_INVALID`, `ANALYTICS_DOMAIN_NOT_APPROVED`) and read errors say that the version
//! cannot be deployed or read at all; accepting them would only hide a failure that the
//! deploy itself reports a minute later.
//!
//! Waivers are applied first, then the baseline: an inline waiver, with its reason and date,
//! says more than a fingerprint in a file.

pub mod baseline;
pub mod comments;
pub mod date;
pub mod directive;
pub mod fingerprint;
pub mod note;
pub mod waivers;

use std::collections::HashSet;
use std::path::PathBuf;

use apptrust_rules::{Code, Finding, Kind, Verdict};
use apptrust_yaml::Limits;
use rayon::prelude::*;

use crate::args::SuppressArgs;
use crate::commands::check::{Checked, Summary};
pub use baseline::Baseline;
pub use date::Date;
pub use note::{Note, NoteKind};
pub use waivers::Waived;

/// Whether findings of this code may be waived or baselined: rules and advisories, which are
/// judgements a partner may accept for a while, but not blockers and read errors, which are
/// facts about whether the version can be deployed or read at all.
pub fn suppressible(code: Code) -> bool {
    match code.kind() {
        Kind::Rule | Kind::Advisory => true,
        Kind::Blocker | Kind::Error => false,
    }
}

/// The suppression settings of one run.
pub struct Settings {
    /// The baseline given with `--baseline`.
    baseline: Option<Baseline>,
    /// Where `--write-baseline` writes.
    write_baseline: Option<PathBuf>,
    /// The day waivers are judged on.
    today: Date,
}

impl Settings {
    /// Reads the baseline (before any file is checked, so a bad one fails fast) and fixes
    /// today's date.
    pub fn load(args: &SuppressArgs) -> Result<Settings, String> {
        let baseline = args.baseline.as_deref().map(baseline::read).transpose()?;
        let today = match &args.today {
            Some(text) => {
                Date::parse(text).map_err(|e| format!("APPTRUST_TODAY / --today: {e}"))?
            }
            None => Date::today_utc(),
        };
        Ok(Settings {
            baseline,
            write_baseline: args.write_baseline.clone(),
            today,
        })
    }
}

/// A finding set aside by the baseline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baselined {
    /// Index into the evaluation's findings.
    pub finding: usize,
    /// Its fingerprint.
    pub fingerprint: String,
}

/// What waivers and the baseline did to one file's findings.
#[derive(Clone, Debug, Default)]
pub struct Suppressed {
    /// Findings accepted by inline waivers, in finding order.
    pub waived: Vec<Waived>,
    /// Findings accepted by the baseline, in finding order.
    pub baselined: Vec<Baselined>,
    /// Problems with waiver comments, in line order.
    pub notes: Vec<Note>,
    /// Baseline entries for this file that match no finding any more.
    pub baseline_unmatched: usize,
    /// Per finding: set aside. Empty when nothing is.
    hidden: Vec<bool>,
}

impl Suppressed {
    /// Whether anything was waived or baselined.
    pub fn sets_aside_anything(&self) -> bool {
        !self.waived.is_empty() || !self.baselined.is_empty()
    }
}

impl Checked {
    /// The findings reported as open: neither waived nor baselined.
    pub fn open_findings(&self) -> impl Iterator<Item = &Finding> {
        let hidden = &self.suppressed.hidden;
        self.evaluation
            .findings
            .iter()
            .enumerate()
            .filter(move |(i, _)| !hidden.get(*i).copied().unwrap_or(false))
            .map(|(_, f)| f)
    }

    /// The verdict the open findings alone would give: what `--fail-on` counts. Never shown
    /// as the file's verdict.
    pub fn open_verdict(&self) -> Verdict {
        if !self.suppressed.sets_aside_anything() {
            return self.evaluation.verdict;
        }
        let open: Vec<Finding> = self.open_findings().cloned().collect();
        Verdict::from_findings(&open)
    }
}

/// Counts of open verdicts, for the exit status.
pub fn gate(results: &[Checked]) -> Summary {
    let mut summary = Summary::default();
    for checked in results {
        match checked.open_verdict() {
            Verdict::Eligible => summary.eligible += 1,
            Verdict::NotEligible => summary.not_eligible += 1,
            Verdict::Blocked => summary.blocked += 1,
            Verdict::Error => summary.error += 1,
        }
    }
    summary
}

/// How the entries of the `--baseline` file relate to the files a run checked.
///
/// Entries are matched by fingerprint, and a fingerprint includes the path as reported, so an
/// entry naming a file the run did not check can never match. A run that checks some of the
/// baselined files (one folder of a monorepo) leaves the others' entries aside, as it should;
/// a run none of whose paths the baseline names (`$PWD/manifest.yml` for a baseline written
/// with `manifest.yml`) would otherwise report every finding as new without a word why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Entries in the baseline.
    pub entries: usize,
    /// Entries whose `file` is none of the paths this run checked.
    pub for_other_files: usize,
    /// Those entries' files, sorted.
    pub other_files: Vec<String>,
    /// The paths this run checked, as reported.
    pub checked: Vec<String>,
}

/// How many names a message lists before "and N more".
const LISTED: usize = 3;

impl Coverage {
    /// Compares the baseline's files with the paths checked.
    fn of(baseline: &Baseline, results: &[Checked]) -> Coverage {
        let checked: Vec<String> = results.iter().map(|c| c.path.replace('\\', "/")).collect();
        let known: HashSet<&str> = checked.iter().map(String::as_str).collect();
        let mut other_files = Vec::new();
        let mut for_other_files = 0;
        for (file, entries) in baseline.files() {
            if !known.contains(file) {
                for_other_files += entries;
                other_files.push(file.to_string());
            }
        }
        other_files.sort_unstable();
        Coverage {
            entries: baseline.entries(),
            for_other_files,
            other_files,
            checked,
        }
    }

    /// Whether no entry names a checked file: the baseline cannot have set anything aside.
    pub fn misses_every_file(&self) -> bool {
        self.entries > 0 && self.for_other_files == self.entries
    }

    /// The line for standard error, if any: a warning when no entry names a checked file, a
    /// note when only some do.
    pub fn message(&self) -> Option<String> {
        if self.for_other_files == 0 {
            return None;
        }
        let counted = format!(
            "{} of {} baseline {} {} this run did not check ({})",
            self.for_other_files,
            self.entries,
            if self.entries == 1 {
                "entry"
            } else {
                "entries"
            },
            if self.for_other_files == 1 {
                "names a file"
            } else {
                "name files"
            },
            listed(&self.other_files)
        );
        Some(if self.misses_every_file() {
            format!(
                "apptrust: warning: {counted}, so none of them can match: paths must be given as \
                 when the baseline was written, from the same folder (this run checked {})",
                listed(&self.checked)
            )
        } else {
            format!("apptrust: note: {counted}; they apply when those files are checked")
        })
    }
}

/// "a.yml, b.yml, c.yml and 2 more", or "no file".
fn listed(names: &[String]) -> String {
    if names.is_empty() {
        return "no file".to_string();
    }
    let shown = names[..names.len().min(LISTED)].join(", ");
    match names.len().saturating_sub(LISTED) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

/// Applies waivers and the baseline to every result, and writes the baseline when asked.
/// Returns how the `--baseline` file's entries relate to the checked files, when one was given.
pub fn apply(
    results: &mut [Checked],
    settings: &Settings,
    limits: &Limits,
) -> Result<Option<Coverage>, String> {
    results
        .par_iter_mut()
        .for_each(|checked| checked.suppressed = one(checked, settings, limits));
    let coverage = settings
        .baseline
        .as_ref()
        .map(|baseline| Coverage::of(baseline, results));
    if let Some(path) = &settings.write_baseline {
        let mut entries: Vec<baseline::Entry> = results
            .iter()
            .flat_map(|checked| {
                checked.suppressed.baselined.iter().map(|b| {
                    let finding = &checked.evaluation.findings[b.finding];
                    baseline::Entry {
                        file: checked.path.replace('\\', "/"),
                        code: finding.code.name().to_string(),
                        fingerprint: b.fingerprint.clone(),
                        description: fingerprint::describe(&finding.message),
                    }
                })
            })
            .collect();
        baseline::write(path, &mut entries)?;
        let noun = if entries.len() == 1 {
            "finding"
        } else {
            "findings"
        };
        eprintln!(
            "apptrust: wrote {} {noun} to the baseline {}",
            entries.len(),
            path.display()
        );
    }
    Ok(coverage)
}

/// Waivers and baseline for one file.
fn one(checked: &Checked, settings: &Settings, limits: &Limits) -> Suppressed {
    let mut suppressed = Suppressed::default();
    let Some(source) = checked.source.as_deref() else {
        return suppressed;
    };
    let findings = &checked.evaluation.findings;
    let fingerprinting = settings.baseline.is_some() || settings.write_baseline.is_some();
    let has_waivers = source.contains("apptrust:");
    if !fingerprinting && !has_waivers {
        return suppressed;
    }
    let comments = comments::scan(source);
    if has_waivers {
        let judged = checked.evaluation.verdict != Verdict::Error;
        let outcome = waivers::apply(findings, &comments, settings.today, judged);
        suppressed.waived = outcome.waived;
        suppressed.notes = outcome.notes;
    }
    if fingerprinting {
        let mut printer = fingerprint::Fingerprinter::new(&checked.path, source, &comments, limits);
        let waived: HashSet<usize> = suppressed.waived.iter().map(|w| w.finding).collect();
        let mut current = HashSet::new();
        for (index, finding) in findings.iter().enumerate() {
            if !suppressible(finding.code) {
                continue;
            }
            let print = printer.fingerprint(finding);
            let waived = waived.contains(&index);
            let accepted = match &settings.baseline {
                Some(baseline) => baseline.contains(&print),
                None => true,
            };
            if accepted && !waived {
                suppressed.baselined.push(Baselined {
                    finding: index,
                    fingerprint: print.clone(),
                });
            }
            current.insert(print);
        }
        if let Some(baseline) = &settings.baseline {
            suppressed.baseline_unmatched = baseline
                .of_file(&checked.path.replace('\\', "/"))
                .iter()
                .filter(|print| !current.contains(*print))
                .count();
        }
    }
    if suppressed.sets_aside_anything() {
        let mut hidden = vec![false; findings.len()];
        for index in suppressed
            .waived
            .iter()
            .map(|w| w.finding)
            .chain(suppressed.baselined.iter().map(|b| b.finding))
        {
            hidden[index] = true;
        }
        suppressed.hidden = hidden;
    }
    suppressed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coverage(entries: usize, for_other_files: usize, other: &[&str]) -> Coverage {
        Coverage {
            entries,
            for_other_files,
            other_files: other.iter().map(|s| s.to_string()).collect(),
            checked: vec!["/ci/app/manifest.yml".into()],
        }
    }

    #[test]
    fn says_nothing_when_every_entry_names_a_checked_file() {
        assert_eq!(coverage(3, 0, &[]).message(), None);
        assert_eq!(coverage(0, 0, &[]).message(), None);
    }

    #[test]
    fn warns_when_no_entry_names_a_checked_file() {
        let message = coverage(1, 1, &["manifest.yml"])
            .message()
            .expect("message");
        assert!(message.starts_with("apptrust: warning: 1 of 1 baseline entry names a file this run did not check (manifest.yml), so none of them can match"), "{message}");
        assert!(
            message.ends_with("(this run checked /ci/app/manifest.yml)"),
            "{message}"
        );
        let names = ["a.yml", "b.yml", "c.yml", "d.yml", "e.yml"];
        let message = coverage(13, 13, &names).message().expect("message");
        assert!(
            message.contains("13 of 13 baseline entries name files this run did not check (a.yml, b.yml, c.yml and 2 more)"),
            "{message}"
        );
    }

    #[test]
    fn notes_entries_for_files_left_out() {
        let message = coverage(5, 1, &["b.yml"]).message().expect("message");
        assert_eq!(
            message,
            "apptrust: note: 1 of 5 baseline entries names a file this run did not check (b.yml); \
             they apply when those files are checked"
        );
    }
}
