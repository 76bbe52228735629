use super::*;

fn file(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.to_string(),
        text: text.to_string(),
    }
}

fn builtin() -> Catalog {
    Catalog::load(&crate::builtin::files()).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn the_built_in_programs_load_with_the_spec_figures() {
    let catalog = builtin();
    let keys: Vec<&str> = catalog.programs.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "bug-bounty-participant",
            "cloud-fortified",
            "cloud-security-participant",
            "runs-on-atlassian"
        ]
    );
    let cf = catalog.program("cloudFortified").unwrap();
    assert_eq!(cf.grant, Grant::Approval);
    let first = cf.set("2026-01").unwrap();
    let availability = first
        .requirements
        .iter()
        .find(|r| r.id == "reliability.availability")
        .unwrap();
    let criterion = availability.criterion.as_ref().unwrap();
    assert_eq!(
        (criterion.threshold, criterion.window_days),
        (99.9, Some(28))
    );
    assert_eq!(availability.slow_after_ms, Some(3000));
    let fixes = first
        .requirements
        .iter()
        .find(|r| r.id == "security.vulnerability-fixes")
        .unwrap();
    assert_eq!(
        fixes.fix_within_days,
        Some(FixDeadlines {
            critical: 28,
            high: 42,
            medium: 56,
            low: 175
        })
    );
    assert_eq!(fixes.triage_days, Some(14));
    // The second set is derived from the first: one added, one changed, one dropped.
    let second = cf.set("cloud-fortified/2027-01").unwrap();
    assert_eq!(second.added, ["privacy.data-residency"]);
    assert_eq!(second.changed, ["reliability.availability"]);
    assert_eq!(second.dropped[0].id, "reliability.testing");
    assert_eq!(second.requirements.len(), first.requirements.len());
    assert!(
        second
            .requirements
            .iter()
            .all(|r| r.id != "reliability.testing")
    );
}

#[test]
fn sets_have_phases_on_a_given_day() {
    let catalog = builtin();
    let cf = catalog.program("cloud-fortified").unwrap();
    let (first, second) = (cf.set("2026-01").unwrap(), cf.set("2027-01").unwrap());
    assert_eq!(cf.phase(second, "2026-10-01"), SetPhase::Unpublished);
    assert_eq!(cf.phase(second, "2026-12-03"), SetPhase::InDiscussion);
    assert_eq!(cf.phase(second, "2026-12-20"), SetPhase::Announced);
    assert_eq!(cf.phase(second, "2027-03-01"), SetPhase::InGrace);
    assert_eq!(cf.phase(second, "2027-07-01"), SetPhase::Effective);
    assert_eq!(cf.phase(first, "2026-12-03"), SetPhase::Effective);
    assert_eq!(cf.phase(first, "2027-01-01"), SetPhase::Superseded);
    assert_eq!(cf.set_in_force("2026-12-03").unwrap().version, "2026-01");
    assert_eq!(cf.set_in_force("2027-01-01").unwrap().version, "2027-01");
    assert!(cf.set_in_force("2025-01-01").is_none());
}

const PROGRAM: &str =
    "key = \"cf\"\nbadge = \"cf\"\nname = \"CF\"\ngrant = \"approval\"\nstatus = \"active\"\n";

fn set(version: &str, effective: &str, body: &str) -> String {
    format!(
        "version = \"{version}\"\nannounced = \"2025-01-01\"\neffective = \"{effective}\"\n\
         grace_until = \"{effective}\"\n{body}"
    )
}

const ADD: &str = "[[add]]\nid = \"security.contact\"\nstream = \"security\"\ntitle = \"A contact\"\n\
                   frameworks = [\"forge\"]\nverification = \"partner-attests\"\n";

fn problems(files: &[SourceFile]) -> Vec<String> {
    Catalog::load(files)
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_good_minimal_program_loads() {
    let files = [
        file("cf/program.toml", PROGRAM),
        file(
            "cf/requirements/2026-01.toml",
            &set("2026-01", "2026-01-01", ADD),
        ),
    ];
    let catalog = Catalog::load(&files).unwrap();
    assert_eq!(catalog.programs[0].requirement_sets[0].id, "cf/2026-01");
}

#[test]
fn problems_name_their_file_and_line() {
    // A misspelt field, with its line.
    let found = problems(&[file("cf/program.toml", &PROGRAM.replace("grant", "grnat"))]);
    assert!(found[0].starts_with("cf/program.toml:4: "), "{found:?}");
    assert!(found[0].contains("grnat"), "{found:?}");
    // A day that does not exist, and dates out of order.
    let found = problems(&[
        file("cf/program.toml", PROGRAM),
        file(
            "cf/requirements/2026-01.toml",
            &set("2026-01", "2026-02-30", ADD)
                .replace("announced = \"2025-01-01\"", "announced = \"2027-01-01\""),
        ),
    ]);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("cf/requirements/2026-01.toml:3: `effective` is not a day")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("comes before `announced`")),
        "{found:?}"
    );
    // A key that is not its folder's name.
    let found = problems(&[file("other/program.toml", PROGRAM)]);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("other/program.toml:1: key `cf`")),
        "{found:?}"
    );
}

#[test]
fn versions_build_on_each_other() {
    let base = [
        file("cf/program.toml", PROGRAM),
        file(
            "cf/requirements/2026-01.toml",
            &set("2026-01", "2026-01-01", ADD),
        ),
    ];
    let with = |text: String| {
        let mut files = base.to_vec();
        files.push(file("cf/requirements/2027-01.toml", &text));
        problems(&files)
    };
    // Adding what exists, changing or dropping what does not, and going back in time.
    let found = with(set("2027-01", "2027-01-01", ADD));
    assert!(
        found.iter().any(|p| p.contains("already there")),
        "{found:?}"
    );
    let found = with(set(
        "2027-01",
        "2027-01-01",
        &ADD.replace("[[add]]", "[[change]]")
            .replace("security.contact", "security.other"),
    ));
    assert!(
        found.iter().any(|p| p.contains("changes `security.other`")),
        "{found:?}"
    );
    let found = with(set(
        "2027-01",
        "2027-01-01",
        "[[drop]]\nid = \"security.nope\"\nreason = \"x\"\n",
    ));
    assert!(
        found.iter().any(|p| p.contains("drops `security.nope`")),
        "{found:?}"
    );
    let found = with(set(
        "2027-01",
        "2025-06-01",
        "[[drop]]\nid = \"security.contact\"\nreason = \"gone\"\n",
    ));
    assert!(
        found
            .iter()
            .any(|p| p.contains("takes effect on or before")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("leaves no requirement")),
        "{found:?}"
    );
    // The first version only adds; an id names its stream.
    let found = problems(&[
        file("cf/program.toml", PROGRAM),
        file(
            "cf/requirements/2026-01.toml",
            &set(
                "2026-01",
                "2026-01-01",
                &ADD.replace("security.contact", "support.contact"),
            ),
        ),
    ]);
    assert!(
        found.iter().any(|p| p.contains("`security.<name>`")),
        "{found:?}"
    );
}

#[test]
fn grants_and_statuses_are_consistent() {
    let derived = PROGRAM.replace("approval", "derived");
    let found = problems(&[file("cf/program.toml", &derived)]);
    assert!(
        found.iter().any(|p| p.contains("derived_from")),
        "{found:?}"
    );
    let found = problems(&[file("cf/program.toml", PROGRAM)]);
    assert!(
        found
            .iter()
            .any(|p| p.contains("at least one requirement set")),
        "{found:?}"
    );
    let retiring = PROGRAM.replace("active", "retiring");
    let found = problems(&[file("cf/program.toml", &retiring)]);
    assert!(found.iter().any(|p| p.contains("retiring_on")), "{found:?}");
    let found = problems(&[file("cf/stray.toml", "x = 1")]);
    assert!(
        found
            .iter()
            .any(|p| p.contains("not where a program file goes")),
        "{found:?}"
    );
}

#[test]
fn days_are_digits_only() {
    let files = [
        file("cf/program.toml", PROGRAM),
        file(
            "cf/requirements/2026-01.toml",
            &set("2026-01", "2026-+1-01", ADD),
        ),
    ];
    let found = problems(&files);
    assert!(
        found.iter().any(|p| p.contains("`effective` is not a day")),
        "{found:?}"
    );
}

#[test]
fn a_review_moves_an_app_to_a_new_set_only_once_its_grace_has_ended() {
    let catalog = builtin();
    let cf = catalog.program("cloud-fortified").unwrap();
    let held = "cloud-fortified/2026-01";
    // 2027-01 is in force from 1 January 2027 with grace until 30 June 2027.
    let set = |day: &str| cf.set_for_review(held, day).map(|s| s.id.clone());
    assert_eq!(set("2026-12-25").as_deref(), Some(held));
    assert_eq!(set("2027-03-25").as_deref(), Some(held), "still in grace");
    assert_eq!(
        set("2027-06-30").as_deref(),
        Some("cloud-fortified/2027-01")
    );
    // Never back to an older set.
    assert_eq!(
        cf.set_for_review("cloud-fortified/2027-01", "2026-12-25")
            .map(|s| s.id.as_str()),
        Some("cloud-fortified/2027-01")
    );
}

#[test]
fn the_delta_between_two_sets_names_what_was_added_changed_and_dropped() {
    let catalog = builtin();
    let cf = catalog.program("cloud-fortified").unwrap();
    let delta = SetDelta::between(cf.set("2026-01").unwrap(), cf.set("2027-01").unwrap());
    assert_eq!(delta.added, ["privacy.data-residency"]);
    assert_eq!(delta.changed, ["reliability.availability"]);
    assert_eq!(delta.dropped, ["reliability.testing"]);
    let same = SetDelta::between(cf.set("2026-01").unwrap(), cf.set("2026-01").unwrap());
    assert!(same.is_empty());
}
