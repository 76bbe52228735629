//! `apptrust diff OLD NEW`: version change classification.

use apptrust_rules::changes::{EligibilityChange, Impact, Which, classify};
use apptrust_rules::{CheckOptions, Code};

use crate::args::{DiffArgs, ReportFormat};
use crate::{EXIT_ERROR, variables};

pub fn run(args: &DiffArgs) -> Result<u8, String> {
    let options = CheckOptions {
        variables: variables::collect(&args.variables)?,
        eligibility_only: args.eligibility_only,
        ..CheckOptions::default()
    };
    let read = |p: &std::path::Path| {
        crate::commands::check::read_at_most(p, options.limits.max_bytes)
            .map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let (old, new) = (read(&args.old)?, read(&args.new)?);
    let report = match classify(&old, &new, &options) {
        Ok(report) => report,
        Err(unreadable) => {
            let path = if unreadable.side == "old" {
                &args.old
            } else {
                &args.new
            };
            for f in &unreadable.evaluation.findings {
                eprintln!("apptrust: {}: {}: {}", path.display(), f.code, f.message);
            }
            return Ok(EXIT_ERROR);
        }
    };
    if args.format == ReportFormat::Json {
        crate::output::emitln(
            &serde_json::to_string_pretty(&report)
                .map_err(|e| e.to_string())?
                .to_string(),
        )?;
    } else {
        if report.major {
            crate::output::emitln("major version: installed sites must consent to this change")?;
        } else if report.changes.is_empty() {
            crate::output::emitln("no change")?;
        } else {
            crate::output::emitln("minor version: rolls out without admin consent")?;
        }
        for change in &report.changes {
            let impact = match change.impact {
                Impact::Major => "major",
                Impact::Minor => "minor",
            };
            // Which file the line is in: the new one for additions and changes, the old one for
            // removals.
            let file = match change.file {
                Which::Old => "old",
                Which::New => "new",
            };
            let line = change
                .line
                .map(|l| format!("{file}:{l}"))
                .unwrap_or_default();
            crate::output::emitln(&format!(
                "  {impact}  {:10} {line:9} {}",
                change.area, change.description
            ))?;
        }
        let names = |rules: &[Code], blockers: &[Code]| {
            let codes: Vec<Code> = blockers.iter().chain(rules).copied().collect();
            if codes.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    codes
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        };
        let movement = match report.eligibility {
            EligibilityChange::Gained => "gained",
            EligibilityChange::Lost => "lost",
            EligibilityChange::Unchanged => "unchanged",
        };
        crate::output::emitln(&format!(
            "Runs on Atlassian eligibility {movement}: {}{} -> {}{}",
            report.before,
            names(&report.rules_before, &report.blockers_before),
            report.after,
            names(&report.rules_after, &report.blockers_after)
        ))?;
    }
    let fail = (args.fail_on_major && report.major)
        || (args.fail_on_lost && report.eligibility == EligibilityChange::Lost);
    Ok(u8::from(fail))
}
