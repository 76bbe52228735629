//! A dry run: how an app fares against a requirement set, typically one announced but not yet
//! in force, before it counts. Measured requirements are judged from the app's signals with the
//! set's own thresholds; the others from the app's last approved submission (a check passed or
//! waived carries over when the requirement did not change); what is new or changed and cannot
//! be measured needs evidence.

use apptrust_programs::catalog::{
    Catalog, Comparator, Criterion, Framework, RequirementSet, SetDelta, SetPhase, Verification,
};
use apptrust_programs::fortified::signals::{AVAILABILITY, INSTALLATION_CALLBACKS};
use apptrust_programs::fortified::{CheckState, DAY, Submission};
use apptrust_programs::spelled;
use apptrust_store::apps::App;
use apptrust_store::signals as rows;
use apptrust_store::{Connection, Store, StoreError, badges, submissions};

use crate::submissions::seconds;

/// How one requirement fares.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub requirement: String,
    pub title: String,
    pub verification: Verification,
    /// `added`, `changed` or `unchanged` against the set the app holds (or the one in force).
    pub change: &'static str,
    /// `meets`, `fails`, `unknown` (not enough measurements) or `needs-evidence`.
    pub outcome: &'static str,
    pub detail: String,
}

/// A whole dry run.
#[derive(Clone, Debug, PartialEq)]
pub struct DryRun {
    pub requirement_set: String,
    pub phase: SetPhase,
    /// The set compared against: the one the app's badge stands on, else the one in force.
    pub compared_with: Option<String>,
    pub delta: SetDelta,
    pub outcomes: Vec<Outcome>,
}

/// Runs `app` against `version` of `program` (the newest published set when `None`).
pub async fn dry_run(
    store: &Store,
    catalog: &Catalog,
    app: &App,
    program: &str,
    version: Option<&str>,
) -> Result<DryRun, StoreError> {
    let today = store.today();
    let definition = catalog
        .program(program)
        .ok_or_else(|| StoreError::NotFound(format!("no program `{program}`")))?;
    let published = |s: &&RequirementSet| s.announced.as_str() <= today.as_str();
    let set = match version {
        Some(v) => definition.set(v).filter(published).ok_or_else(|| {
            StoreError::NotFound(format!("`{program}` has no published set `{v}`"))
        })?,
        None => definition
            .requirement_sets
            .iter()
            .rev()
            .find(published)
            .ok_or_else(|| StoreError::NotFound(format!("`{program}` has no published set")))?,
    };
    let mut connection = store.reader().await?;
    let held = badges::load_in(&mut connection, app.id, &definition.badge)
        .await?
        .and_then(|b| b.version)
        .and_then(|v| definition.set(&v))
        .or_else(|| definition.set_in_force(&today));
    let delta = held.map(|h| SetDelta::between(h, set)).unwrap_or_default();
    let approved: Option<Submission> =
        submissions::latest_in(&mut connection, app.id, &definition.key, "approved")
            .await?
            .and_then(|row| serde_json::from_str(&row.document).ok());
    let framework = if app.framework == "connect" {
        Framework::Connect
    } else {
        Framework::Forge
    };
    let now = store.clock().now().unix_timestamp();
    let mut outcomes = Vec::new();
    for requirement in set
        .requirements
        .iter()
        .filter(|r| r.frameworks.contains(&framework))
    {
        let change = if delta.added.contains(&requirement.id) || held.is_none() {
            "added"
        } else if delta.changed.contains(&requirement.id) {
            "changed"
        } else {
            "unchanged"
        };
        let measured = match &requirement.criterion {
            Some(criterion) => measure(&mut connection, set, app.id, criterion, now).await?,
            None => None,
        };
        let (outcome, detail) =
            measured.unwrap_or_else(|| carried(approved.as_ref(), &requirement.id, change));
        outcomes.push(Outcome {
            requirement: requirement.id.clone(),
            title: requirement.title.clone(),
            verification: requirement.verification,
            change,
            outcome,
            detail,
        });
    }
    Ok(DryRun {
        requirement_set: set.id.clone(),
        phase: definition.phase(set, &today),
        compared_with: held.map(|h| h.id.clone()),
        delta,
        outcomes,
    })
}

/// A requirement that is not measured: what the last approval says about it.
fn carried(
    approved: Option<&Submission>,
    requirement: &str,
    change: &str,
) -> (&'static str, String) {
    let check = approved.and_then(|s| s.checks.get(requirement));
    match check.map(|c| c.state) {
        Some(CheckState::Passed | CheckState::Waived) if change == "unchanged" => (
            "meets",
            format!("{} at the last approval", spelled(&check.map(|c| c.state))),
        ),
        _ if change == "unchanged" => (
            "needs-evidence",
            "not passed at the last approval".to_string(),
        ),
        _ => (
            "needs-evidence",
            format!("{change} in this set: staff check it at the next review"),
        ),
    }
}

/// A measured requirement, judged from the app's signals with the set's threshold; `None` for a
/// metric apptrust does not measure (it is judged as the others are).
async fn measure(
    connection: &mut Connection,
    set: &RequirementSet,
    app_id: i64,
    criterion: &Criterion,
    now: i64,
) -> Result<Option<(&'static str, String)>, StoreError> {
    let value: Option<f64> = match criterion.metric.as_str() {
        AVAILABILITY | INSTALLATION_CALLBACKS => {
            let reading = crate::signals::read(connection, set, app_id, &criterion.metric, now)
                .await?
                .filter(|r| r.met.is_some());
            match reading {
                Some(r) => r.value,
                None => {
                    return Ok(Some((
                        "unknown",
                        "too few measurements in the window to judge".to_string(),
                    )));
                }
            }
        }
        "vulnerabilities.past-due" => {
            Some(vulnerabilities_past_due(connection, app_id, now).await? as f64)
        }
        "bug-bounty.active-days" => {
            let bounty = rows::bug_bounty_in(connection, app_id).await?;
            Some(match bounty {
                Some(b) if b.state == "active" && b.paid => {
                    seconds(&b.since).map_or(0.0, |since| ((now - since) / DAY) as f64)
                }
                _ => 0.0,
            })
        }
        _ => return Ok(None),
    };
    let Some(value) = value else {
        return Ok(Some(("unknown", "no measurements".to_string())));
    };
    let meets = match criterion.comparator {
        Comparator::AtLeast => value >= criterion.threshold,
        Comparator::AtMost => value <= criterion.threshold,
        Comparator::Equal => (value - criterion.threshold).abs() < f64::EPSILON,
    };
    let detail = format!(
        "{} is {value:.3}; the set asks {} {}",
        criterion.metric,
        spelled(&criterion.comparator),
        criterion.threshold
    );
    Ok(Some((if meets { "meets" } else { "fails" }, detail)))
}

/// How many of the app's vulnerabilities are unfixed past their due date.
async fn vulnerabilities_past_due(
    connection: &mut Connection,
    app_id: i64,
    now: i64,
) -> Result<i64, StoreError> {
    Ok(rows::vulnerabilities_in(connection, app_id)
        .await?
        .iter()
        .filter(|v| v.fixed_at.is_none() && seconds(&v.due_at).is_some_and(|d| d <= now))
        .count() as i64)
}
