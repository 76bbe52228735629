//! Reading the files and checking what a TOML parser cannot: names that match their folders,
//! dates that exist and come in order, versions that follow each other, requirements that are
//! added once and changed or dropped only when they exist. Every problem is reported with its
//! file and line, so that whoever edits a requirement set in a pull request sees them all at once.

use std::collections::BTreeMap;

use toml::Spanned;

use super::raw::{ProgramFile, RequirementEntry, RequirementSetFile};
use super::{
    Catalog, CatalogError, Dropped, Grant, ProgramDef, ProgramStatus, Requirement, RequirementSet,
    SourceFile,
};

/// Collects problems against one file.
struct Problems<'a> {
    file: &'a SourceFile,
    found: &'a mut Vec<CatalogError>,
}

impl Problems<'_> {
    fn at(&mut self, offset: usize, problem: impl Into<String>) {
        let bytes = self.file.text.as_bytes();
        let line = bytes[..offset.min(bytes.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        self.found.push(CatalogError {
            file: self.file.path.clone(),
            line,
            problem: problem.into(),
        });
    }

    fn on<T>(&mut self, spanned: &Spanned<T>, problem: impl Into<String>) {
        self.at(spanned.span().start, problem);
    }
}

/// One program folder's files: its `program.toml`, and its requirement-set files by version.
type Folder<'a> = (Option<&'a SourceFile>, Vec<(&'a str, &'a SourceFile)>);

pub(super) fn load(files: &[SourceFile]) -> Result<Catalog, Vec<CatalogError>> {
    let mut found = Vec::new();
    let mut folders: BTreeMap<&str, Folder<'_>> = BTreeMap::new();
    for file in files {
        let parts: Vec<&str> = file.path.split('/').collect();
        match parts.as_slice() {
            [folder, "program.toml"] => folders.entry(folder).or_default().0 = Some(file),
            [folder, "requirements", name] if name.ends_with(".toml") => folders
                .entry(folder)
                .or_default()
                .1
                .push((name.trim_end_matches(".toml"), file)),
            _ if file.path.ends_with(".toml") => found.push(CatalogError {
                file: file.path.clone(),
                line: 0,
                problem: "not where a program file goes: use <program>/program.toml or \
                          <program>/requirements/<version>.toml"
                    .to_string(),
            }),
            // READMEs and the like.
            _ => {}
        }
    }
    let mut programs = Vec::new();
    for (folder, (program_file, mut set_files)) in folders {
        let Some(program_file) = program_file else {
            found.push(CatalogError {
                file: format!("{folder}/program.toml"),
                line: 0,
                problem: format!(
                    "missing: the folder `{folder}` has requirement sets but no program.toml"
                ),
            });
            continue;
        };
        set_files.sort_by_key(|(version, _)| *version);
        if let Some(program) = read_program(folder, program_file, &set_files, &mut found) {
            programs.push(program);
        }
    }
    let mut badges: BTreeMap<&str, &str> = BTreeMap::new();
    for program in &programs {
        if let Some(other) = badges.insert(&program.badge, &program.key) {
            found.push(CatalogError {
                file: format!("{}/program.toml", program.key),
                line: 0,
                problem: format!("badge `{}` is also the badge of `{other}`", program.badge),
            });
        }
    }
    if found.is_empty() {
        Ok(Catalog { programs })
    } else {
        Err(found)
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    file: &SourceFile,
    found: &mut Vec<CatalogError>,
) -> Option<T> {
    match toml::from_str::<T>(&file.text) {
        Ok(value) => Some(value),
        Err(error) => {
            let offset = error.span().map_or(0, |span| span.start);
            Problems { file, found }.at(offset, error.message().trim().to_string());
            None
        }
    }
}

fn read_program(
    folder: &str,
    file: &SourceFile,
    set_files: &[(&str, &SourceFile)],
    found: &mut Vec<CatalogError>,
) -> Option<ProgramDef> {
    let raw: ProgramFile = parse(file, found)?;
    let before = found.len();
    let mut problems = Problems { file, found };
    if raw.key.get_ref() != folder {
        problems.on(
            &raw.key,
            format!(
                "key `{}` is not the folder's name `{folder}`",
                raw.key.get_ref()
            ),
        );
    }
    if !is_kebab(raw.key.get_ref()) {
        problems.on(
            &raw.key,
            "a key is lowercase words joined by `-` (`cloud-fortified`)",
        );
    }
    if !is_camel(raw.badge.get_ref()) {
        problems.on(
            &raw.badge,
            "a badge key is camelCase letters (`cloudFortified`)",
        );
    }
    if raw.name.get_ref().trim().is_empty() {
        problems.on(&raw.name, "the name is empty");
    }
    match (&raw.grant, &raw.derived_from) {
        (Grant::Derived, None) => {
            problems.at(0, "a derived program says what it follows (`derived_from`)")
        }
        (Grant::Derived, Some(from)) if !is_kebab(from.get_ref()) => {
            problems.on(from, "`derived_from` is a record kind such as `bug-bounty`");
        }
        (Grant::Automatic | Grant::Approval, Some(from)) => {
            problems.on(from, "only a derived program has `derived_from`");
        }
        _ => {}
    }
    match (raw.status.get_ref(), &raw.retiring_on) {
        (ProgramStatus::Retiring, None) => {
            problems.on(
                &raw.status,
                "a retiring program says when it ends (`retiring_on`)",
            );
        }
        (ProgramStatus::Retiring, Some(day)) => check_day(&mut problems, day, "retiring_on"),
        (_, Some(day)) => problems.on(day, "only a retiring program has `retiring_on`"),
        _ => {}
    }
    match raw.grant {
        Grant::Approval if set_files.is_empty() => problems.at(
            0,
            format!(
                "an approval program needs at least one requirement set in {folder}/requirements/"
            ),
        ),
        Grant::Automatic | Grant::Derived if !set_files.is_empty() => {
            problems.at(0, "only an approval program has requirement sets")
        }
        _ => {}
    }
    let mut sets: Vec<RequirementSet> = Vec::new();
    for (version, set_file) in set_files {
        if let Some(set) = read_set(folder, version, set_file, sets.last(), found) {
            sets.push(set);
        }
    }
    (found.len() == before).then(|| ProgramDef {
        key: raw.key.into_inner(),
        badge: raw.badge.into_inner(),
        name: raw.name.into_inner(),
        description: raw.description,
        grant: raw.grant,
        derived_from: raw.derived_from.map(Spanned::into_inner),
        status: raw.status.into_inner(),
        retiring_on: raw.retiring_on.map(Spanned::into_inner),
        requirement_sets: sets,
    })
}

fn read_set(
    folder: &str,
    version: &str,
    file: &SourceFile,
    previous: Option<&RequirementSet>,
    found: &mut Vec<CatalogError>,
) -> Option<RequirementSet> {
    let raw: RequirementSetFile = parse(file, found)?;
    let before = found.len();
    let mut problems = Problems { file, found };
    if raw.version.get_ref() != version {
        problems.on(
            &raw.version,
            format!(
                "version `{}` is not the file's name `{version}`",
                raw.version.get_ref()
            ),
        );
    }
    if !is_month(raw.version.get_ref()) {
        problems.on(
            &raw.version,
            "a version is the year and month it takes effect, `YYYY-MM`",
        );
    }
    for (day, name) in [
        (&raw.announced, "announced"),
        (&raw.effective, "effective"),
        (&raw.grace_until, "grace_until"),
    ] {
        check_day(&mut problems, day, name);
    }
    if let Some(day) = &raw.discussion_until {
        check_day(&mut problems, day, "discussion_until");
    }
    let mut order: Vec<(&Spanned<String>, &str)> = vec![(&raw.announced, "announced")];
    order.extend(
        raw.discussion_until
            .as_ref()
            .map(|d| (d, "discussion_until")),
    );
    order.push((&raw.effective, "effective"));
    order.push((&raw.grace_until, "grace_until"));
    for pair in order.windows(2) {
        if pair[1].0.get_ref() < pair[0].0.get_ref() {
            problems.on(
                pair[1].0,
                format!("`{}` comes before `{}`", pair[1].1, pair[0].1),
            );
        }
    }
    if let Some(previous) = previous
        && raw.effective.get_ref() <= &previous.effective
    {
        problems.on(
            &raw.effective,
            format!(
                "takes effect on or before the previous version {} ({})",
                previous.version, previous.effective
            ),
        );
    }
    // The requirements in force: the previous version's, then this file's drops, changes, adds.
    let mut requirements: BTreeMap<String, Requirement> = previous
        .map(|p| {
            p.requirements
                .iter()
                .map(|r| (r.id.clone(), r.clone()))
                .collect()
        })
        .unwrap_or_default();
    if previous.is_none() && (!raw.change.is_empty() || !raw.drop.is_empty()) {
        let first = raw
            .change
            .first()
            .map(|c| &c.id)
            .or(raw.drop.first().map(|d| &d.id));
        if let Some(id) = first {
            problems.on(id, "the first version of a set can only add requirements");
        }
    }
    let mut dropped = Vec::new();
    for entry in &raw.drop {
        if requirements.remove(entry.id.get_ref()).is_none() {
            problems.on(
                &entry.id,
                format!(
                    "drops `{}`, which the previous version does not have",
                    entry.id.get_ref()
                ),
            );
        }
        if entry.reason.trim().is_empty() {
            problems.on(&entry.id, "a dropped requirement says why (`reason`)");
        }
        dropped.push(Dropped {
            id: entry.id.get_ref().clone(),
            reason: entry.reason.clone(),
        });
    }
    let mut changed = Vec::new();
    for entry in &raw.change {
        if !requirements.contains_key(entry.id.get_ref()) {
            problems.on(
                &entry.id,
                format!(
                    "changes `{}`, which the previous version does not have",
                    entry.id.get_ref()
                ),
            );
        }
        if let Some(requirement) = requirement(entry, &mut problems) {
            changed.push(requirement.id.clone());
            requirements.insert(requirement.id.clone(), requirement);
        }
    }
    let mut added = Vec::new();
    for entry in &raw.add {
        if requirements.contains_key(entry.id.get_ref()) || added.contains(entry.id.get_ref()) {
            problems.on(
                &entry.id,
                format!(
                    "adds `{}`, which is already there (use [[change]])",
                    entry.id.get_ref()
                ),
            );
        }
        if let Some(requirement) = requirement(entry, &mut problems) {
            added.push(requirement.id.clone());
            requirements.insert(requirement.id.clone(), requirement);
        }
    }
    if requirements.is_empty() {
        problems.on(&raw.version, "leaves no requirement in force");
    }
    (found.len() == before).then(|| RequirementSet {
        id: format!("{folder}/{version}"),
        version: version.to_string(),
        summary: raw.summary,
        announced: raw.announced.into_inner(),
        discussion_until: raw.discussion_until.map(Spanned::into_inner),
        effective: raw.effective.into_inner(),
        grace_until: raw.grace_until.into_inner(),
        added,
        changed,
        dropped,
        requirements: requirements.into_values().collect(),
    })
}

/// Checks one added or changed requirement.
fn requirement(entry: &RequirementEntry, problems: &mut Problems<'_>) -> Option<Requirement> {
    let before = problems.found.len();
    let id = entry.id.get_ref();
    match id.split_once('.') {
        Some((stream, name)) if stream == entry.stream.as_str() && is_kebab(name) => {}
        _ => problems.on(
            &entry.id,
            format!(
                "an id is `<stream>.<name>` with its stream first (`{}.<name>`)",
                entry.stream.as_str()
            ),
        ),
    }
    if entry.title.trim().is_empty() {
        problems.on(&entry.id, format!("`{id}` has an empty title"));
    }
    if entry.frameworks.is_empty() {
        problems.on(&entry.id, format!("`{id}` applies to no framework"));
    }
    if entry.soak_days.is_some_and(|d| d == 0 || d > 365) {
        problems.on(&entry.id, format!("`{id}`: soak_days is 1 to 365"));
    }
    if let Some(criterion) = &entry.criterion {
        if !criterion.threshold.is_finite() {
            problems.on(
                &entry.id,
                format!("`{id}`: the criterion's threshold is not a number"),
            );
        }
        if criterion.window_days.is_some_and(|d| d == 0 || d > 365) {
            problems.on(&entry.id, format!("`{id}`: window_days is 1 to 365"));
        }
        if criterion.metric.trim().is_empty() {
            problems.on(&entry.id, format!("`{id}`: the criterion names no metric"));
        }
    }
    if let Some(days) = &entry.fix_within_days
        && [days.critical, days.high, days.medium, days.low].contains(&0)
    {
        problems.on(
            &entry.id,
            format!("`{id}`: every fix deadline is at least a day"),
        );
    }
    if entry.triage_days.is_some() && entry.fix_within_days.is_none() {
        problems.on(
            &entry.id,
            format!("`{id}`: triage_days goes with fix_within_days"),
        );
    }
    (problems.found.len() == before).then(|| Requirement {
        id: id.clone(),
        stream: entry.stream,
        title: entry.title.clone(),
        frameworks: entry.frameworks.clone(),
        verification: entry.verification,
        soak_days: entry.soak_days,
        criterion: entry.criterion.clone(),
        fix_within_days: entry.fix_within_days,
        triage_days: entry.triage_days,
        slow_after_ms: entry.slow_after_ms,
    })
}

fn check_day(problems: &mut Problems<'_>, day: &Spanned<String>, name: &str) {
    if !is_day(day.get_ref()) {
        problems.on(
            day,
            format!("`{name}` is not a day in the calendar, `YYYY-MM-DD`"),
        );
    }
}

/// `YYYY-MM-DD`, a day that exists.
fn is_day(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let digits =
        |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// `YYYY-MM`.
fn is_month(text: &str) -> bool {
    is_day(&format!("{text}-01")) && text.len() == 7
}

fn is_kebab(text: &str) -> bool {
    !text.is_empty()
        && text.split('-').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn is_camel(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
}
