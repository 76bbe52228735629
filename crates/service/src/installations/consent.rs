//! Consent to a new major version: where an installation stands with the app's newest major,
//! what that major adds (the classification `apptrust diff` makes, between the version in force
//! and the one offered), and the admin's answer.

use apptrust_programs::AppVersion;
use apptrust_rules::changes::{self, Impact, Side};
use apptrust_store::evaluator::Evaluator;
use apptrust_store::installations::{Installation, ProductionVersion};
use apptrust_store::{Actor, Store, StoreError};
use serde::Serialize;

/// Where an installation stands with the app's newest production major.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsentState {
    /// It runs the newest major.
    None,
    /// A newer major waits for a site admin's consent.
    Pending,
    /// A site admin declined the newest major: the installation stays on its own.
    Declined,
}

/// An installation's versions: the one in force and, when newer, the one offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Versions {
    pub state: ConsentState,
    pub in_force: Option<ProductionVersion>,
    pub offered: Option<ProductionVersion>,
}

/// Reads an installation's versions.
pub async fn versions(store: &Store, installation: &Installation) -> Result<Versions, StoreError> {
    let in_force = store
        .production_version(installation.app_id, Some(installation.major))
        .await?;
    let offered = store
        .production_version(installation.app_id, None)
        .await?
        .filter(|latest| latest.version.major > installation.major);
    let state = match offered {
        None => ConsentState::None,
        Some(o) if installation.declined_major >= Some(o.version.major) => ConsentState::Declined,
        Some(_) => ConsentState::Pending,
    };
    Ok(Versions {
        state,
        in_force,
        offered,
    })
}

/// What the offered major changes against the version in force.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferedChanges {
    pub from: String,
    pub to: String,
    /// The classification, as `apptrust diff --format json` gives it (variable values hidden).
    pub report: serde_json::Value,
    /// One line per change, for people: `+ major  egress: ...`.
    pub text: Vec<String>,
}

/// Classifies the offered major against the version in force (each read with the variable
/// values it was deployed with). `None` when nothing newer is offered.
pub async fn offered_changes(
    store: &Store,
    evaluator: &Evaluator,
    versions: &Versions,
) -> Result<Option<OfferedChanges>, StoreError> {
    let (Some(in_force), Some(offered)) = (versions.in_force, versions.offered) else {
        return Ok(None);
    };
    let old = store.version_source(in_force.id).await?;
    let new = store.version_source(offered.id).await?;
    let size = old.manifest.len() + new.manifest.len();
    let (old_variables, new_variables) = (old.variables.clone(), new.variables.clone());
    let report = evaluator
        .run(size, move |options| {
            let side = |manifest: &str, variables: &apptrust_store::variables::Variables| {
                let options = variables.options(options);
                let (evaluation, facts) = changes::assess(manifest.as_bytes(), &options).ok()?;
                Some(Side {
                    facts,
                    verdict: evaluation.verdict,
                    rules: evaluation.rules,
                    blockers: evaluation.blockers,
                })
            };
            let before = side(&old.manifest, &old.variables)?;
            let after = side(&new.manifest, &new.variables)?;
            Some(changes::compare(&before, &after))
        })
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "versions {} and {} cannot both be read as manifests",
                in_force.version, offered.version
            ))
        })?;
    let text = report
        .changes
        .iter()
        .map(|c| {
            let impact = match c.impact {
                Impact::Major => "major",
                Impact::Minor => "minor",
            };
            format!("{impact}  {}: {}", c.area, c.description)
        })
        .collect::<Vec<_>>();
    let mut json = serde_json::to_value(&report)?;
    old_variables.hide_in(&mut json);
    new_variables.hide_in(&mut json);
    let mut text_json = serde_json::to_value(&text)?;
    old_variables.hide_in(&mut text_json);
    new_variables.hide_in(&mut text_json);
    Ok(Some(OfferedChanges {
        from: in_force.version.to_string(),
        to: offered.version.to_string(),
        report: json,
        text: serde_json::from_value(text_json)?,
    }))
}

/// A site admin's answer to the offered major.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Consent,
    Decline,
}

/// Consents to or declines the offered major, which the caller names (`major`) to show what
/// they read: a conflict when something else is offered now. Consenting moves the installation
/// to that major (its latest version is in force at once); declining keeps it where it is until
/// a newer major comes.
pub async fn answer(
    store: &Store,
    installation: &Installation,
    major: u32,
    answer: Answer,
    actor: &Actor,
) -> Result<Installation, StoreError> {
    let offered = versions(store, installation)
        .await?
        .offered
        .map(|o| o.version);
    let Some(offered) = offered.filter(|o| o.major == major) else {
        return Err(StoreError::Conflict(match offered {
            Some(o) => format!(
                "major {} is offered to installation {}, not {major}: read its changes and answer \
                 for it",
                o.major, installation.id
            ),
            None => format!(
                "no newer major waits for installation {}'s consent",
                installation.id
            ),
        }));
    };
    super::change(store, installation.id, None, actor, move |i| {
        let from = i.major;
        if i.major >= major {
            return Err(StoreError::Conflict(format!(
                "installation {} is on major {} already",
                i.id, i.major
            )));
        }
        let action = match answer {
            Answer::Consent => {
                i.major = major;
                i.declined_major = None;
                "installation.consent"
            }
            Answer::Decline => {
                i.declined_major = Some(major);
                "installation.decline"
            }
        };
        Ok((
            action,
            serde_json::json!({"from": from, "major": major, "version": offered_text(offered)}),
        ))
    })
    .await
}

fn offered_text(version: AppVersion) -> String {
    version.to_string()
}
