//! `apptrust programs check DIR`: checks a programs folder offline, as a pull request that edits
//! a requirement set would in CI, and says what it holds.

use apptrust_programs::catalog::{Catalog, Grant, ProgramDef, RequirementSet, read_folder};

use crate::args::{ProgramsCheckArgs, ProgramsCommand};
use crate::output::emitln;

pub fn run(command: &ProgramsCommand) -> Result<u8, String> {
    match command {
        ProgramsCommand::Check(args) => check(args),
    }
}

fn check(args: &ProgramsCheckArgs) -> Result<u8, String> {
    let files = read_folder(&args.dir)?;
    let shown = args.dir.display().to_string();
    let shown = shown.trim_end_matches('/');
    let catalog = match Catalog::load(&files) {
        Ok(catalog) => catalog,
        Err(problems) => {
            for problem in &problems {
                let line = if problem.line == 0 {
                    String::new()
                } else {
                    format!(":{}", problem.line)
                };
                emitln(&format!(
                    "{shown}/{}{line}: {}",
                    problem.file, problem.problem
                ))?;
            }
            emitln(&format!(
                "{} problem{} in {shown}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            ))?;
            return Ok(1);
        }
    };
    if args.json {
        emitln(&serde_json::to_string_pretty(&catalog).map_err(|e| e.to_string())?)?;
        return Ok(0);
    }
    let sets: usize = catalog
        .programs
        .iter()
        .map(|p| p.requirement_sets.len())
        .sum();
    emitln(&format!(
        "{shown}: {} programs, {sets} requirement sets, no problems",
        catalog.programs.len()
    ))?;
    for program in &catalog.programs {
        emitln(&format!("  {}", summary(program)))?;
        for set in &program.requirement_sets {
            emitln(&format!("    {}", set_summary(set)))?;
        }
    }
    Ok(0)
}

fn summary(program: &ProgramDef) -> String {
    let grant = match (program.grant, &program.derived_from) {
        (Grant::Derived, Some(from)) => format!("derived from {from}"),
        (Grant::Automatic, _) => "automatic".to_string(),
        (Grant::Approval, _) => "approval".to_string(),
        (Grant::Derived, None) => "derived".to_string(),
    };
    let status = apptrust_programs::spelled(&program.status);
    format!(
        "{} ({}, badge {}): {grant}, {status}",
        program.key, program.name, program.badge
    )
}

fn set_summary(set: &RequirementSet) -> String {
    format!(
        "{}: announced {}, effective {}, grace until {}; {} requirements (+{} ~{} -{})",
        set.version,
        set.announced,
        set.effective,
        set.grace_until,
        set.requirements.len(),
        set.added.len(),
        set.changed.len(),
        set.dropped.len()
    )
}
