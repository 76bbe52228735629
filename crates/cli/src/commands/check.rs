//! `apptrust check`: evaluates manifests in parallel and reports in the chosen format.

use std::io::Write;

use apptrust_rules::{CheckOptions, Code, Evaluation, Finding, Verdict, evaluate};
use apptrust_yaml::{Limits, LoadError};
use rayon::prelude::*;

use crate::args::FailOn;
use crate::args::{CheckArgs, Format};
use crate::inputs::{self, Input};
use crate::output::{self, progress::Progress};
use crate::suppress::{self, Suppressed};
use crate::{EXIT_ERROR, variables};

/// The outcome for one file, with its text kept for snippets.
pub struct Checked {
    /// The name reports use.
    pub path: String,
    /// The text the spans refer to, when the file could be read as text.
    pub source: Option<String>,
    /// The evaluation.
    pub evaluation: Evaluation,
    /// Findings set aside by waivers and the baseline (the evaluation itself is untouched).
    pub suppressed: Suppressed,
}

/// Counts of verdicts over a run.
#[derive(Default, Clone, Copy, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub eligible: usize,
    pub not_eligible: usize,
    pub blocked: usize,
    pub error: usize,
}

impl Summary {
    pub fn of(results: &[Checked]) -> Self {
        let mut s = Summary::default();
        for r in results {
            match r.evaluation.verdict {
                Verdict::Eligible => s.eligible += 1,
                Verdict::NotEligible => s.not_eligible += 1,
                Verdict::Blocked => s.blocked += 1,
                Verdict::Error => s.error += 1,
            }
        }
        s
    }

    /// 2 when any file could not be evaluated; else 1 when a verdict reaches `fail_on`
    /// (by default any file not eligible or blocked); else 0.
    pub fn exit_code(&self, fail_on: FailOn) -> u8 {
        let failing = match fail_on {
            FailOn::NotEligible => self.not_eligible + self.blocked,
            FailOn::Blocked => self.blocked,
            FailOn::Never => 0,
        };
        if self.error > 0 {
            EXIT_ERROR
        } else if failing > 0 {
            1
        } else {
            0
        }
    }
}

pub fn run(args: &CheckArgs) -> Result<u8, String> {
    let options = CheckOptions {
        limits: Limits {
            max_bytes: args.max_file_size,
            ..Limits::default()
        },
        variables: variables::collect(&args.variables)?,
        eligibility_only: args.eligibility_only,
        ..CheckOptions::default()
    };
    let suppression = suppress::Settings::load(&args.suppress)?;
    let inputs = inputs::collect(&args.paths, &args.stdin_filename, args.max_file_size)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let progress = Progress::start(inputs.len(), args.quiet || args.no_progress);
    let mut results: Vec<Checked> = pool.install(|| {
        inputs
            .par_iter()
            .map(|input| {
                let checked = check_one(input, &options);
                progress.tick();
                checked
            })
            .collect()
    });
    progress.finish();
    let coverage = pool.install(|| suppress::apply(&mut results, &suppression, &options.limits))?;
    let summary = Summary::of(&results);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match args.format {
        Format::Human => output::human::write(&mut out, &results, &summary, args),
        Format::Json => output::json::write(&mut out, &results, &summary, coverage.as_ref()),
        Format::Sarif => output::sarif::write(&mut out, &results),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(format!("cannot write the report: {e}")),
    }
    // After the report, so that it is the last thing a CI log shows: a baseline whose entries
    // name none of the checked paths set nothing aside, and every finding reads as new.
    if let Some(message) = coverage.as_ref().and_then(suppress::Coverage::message) {
        eprintln!("{message}");
    }
    // Waived and baselined findings leave the verdict alone but are not counted by --fail-on.
    Ok(suppress::gate(&results).exit_code(args.fail_on))
}

/// Reads and evaluates one input. Never fails: problems become findings.
pub fn check_one(input: &Input, options: &CheckOptions) -> Checked {
    let path = input.display();
    let bytes = match input {
        Input::File(p) => read_bounded(p, options.limits.max_bytes),
        Input::Stdin { bytes, .. } => bytes
            .clone()
            .map_err(|m| Finding::new(Code::FileUnreadable, None, m)),
    };
    match bytes {
        Ok(bytes) => Checked {
            path,
            source: apptrust_yaml::source_text(&bytes).map(str::to_string),
            evaluation: evaluate(&bytes, options),
            suppressed: Suppressed::default(),
        },
        Err(finding) => Checked {
            path,
            source: None,
            evaluation: Evaluation::unreadable(finding),
            suppressed: Suppressed::default(),
        },
    }
}

/// Reads a file, refusing without reading it when it is over the size limit.
fn read_bounded(path: &std::path::Path, max_bytes: usize) -> Result<Vec<u8>, Finding> {
    let unreadable = |e: String| Finding::new(Code::FileUnreadable, None, e);
    let meta = std::fs::metadata(path)
        .map_err(|e| unreadable(format!("cannot read {}: {e}", path.display())))?;
    if meta.is_dir() {
        return Err(unreadable(format!("{} is a directory", path.display())));
    }
    let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    if len > max_bytes {
        let error = LoadError::TooLarge {
            bytes: len,
            limit: max_bytes,
        };
        return Err(
            Finding::new(Code::FileNotText, None, error.to_string()).with_fix(
                "check that this is the manifest you meant; raise --max-file-size if it is",
            ),
        );
    }
    // Devices and pipes report a length of 0, so the read itself is bounded too.
    read_at_most(path, max_bytes)
        .map_err(|e| unreadable(format!("cannot read {}: {e}", path.display())))
}

/// Reads at most `max_bytes + 1` bytes, enough for the loader to tell that a file is too large.
pub fn read_at_most(path: &std::path::Path, max_bytes: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let limit = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}
