//! Classifying a deploy against the environment's latest version (the change report of
//! `apptrust diff`), before any lock is taken.

use apptrust_rules::changes::{self, ChangeReport, Side};
use apptrust_store::evaluator::Evaluator;
use apptrust_store::variables::Variables;
use apptrust_store::{Store, StoreError};

use super::DeployRequest;

/// The most changes stored with a version; the rest are counted. A hostile manifest can add
/// hundreds of thousands of egress entries at once.
pub const MAX_STORED_CHANGES: usize = 200;

/// A classification ready to be written: whether it is major, and the report as stored.
pub(super) struct Classified {
    pub major: bool,
    pub json: String,
    /// What changed in the egress and the remotes, for the sites the version applies to
    /// (variable values hidden).
    pub egress: Vec<String>,
}

impl Classified {
    /// Serialises the report (with at most [`MAX_STORED_CHANGES`] changes and a
    /// `changesOmitted` count), off the write lock.
    /// The values of `hidden` (both versions' variables) are replaced by their placeholders.
    fn new(mut report: ChangeReport, hidden: &[&Variables]) -> Result<Classified, StoreError> {
        let omitted = report.changes.len().saturating_sub(MAX_STORED_CHANGES);
        report.changes.truncate(MAX_STORED_CHANGES);
        let mut egress = serde_json::Value::from(
            report
                .changes
                .iter()
                .filter(|c| c.area == "egress" || c.area == "remotes")
                .map(|c| c.description.clone())
                .collect::<Vec<_>>(),
        );
        for variables in hidden {
            variables.hide_in(&mut egress);
        }
        let mut value = serde_json::to_value(&report)?;
        for variables in hidden {
            variables.hide_in(&mut value);
        }
        if let Some(map) = value.as_object_mut() {
            map.insert("changesOmitted".into(), omitted.into());
        }
        Ok(Classified {
            major: report.major,
            json: value.to_string(),
            egress: serde_json::from_value(egress)?,
        })
    }
}

/// What a deploy was compared with.
pub(super) struct Compared {
    /// The version compared with (none for a first deploy).
    pub id: Option<i64>,
    /// The major line of a backport: a version requested for an older major than the
    /// environment's latest is compared with, and numbered after, the latest of its own major.
    pub line: Option<u32>,
}

/// Classifies the deploy against the environment's latest version (or, for a backport, the
/// latest of the requested major). Returns what it compared with and the report; the report is
/// `None` when a side cannot be read (a stored manifest that an older engine accepted and this
/// one cannot read), which the caller treats as needing consent.
pub(super) async fn classify_ahead(
    store: &Store,
    request: &DeployRequest<'_>,
    evaluator: &Evaluator,
) -> Result<(Compared, Option<Classified>), StoreError> {
    let (app, environment) = (request.app, request.environment);
    let Some(mut previous) = store.version_to_compare(app.id, environment, None).await? else {
        return Ok((
            Compared {
                id: None,
                line: None,
            },
            None,
        ));
    };
    let mut line = None;
    if let Some(requested) = request.requested_version
        && requested.major < previous.version.major
    {
        previous = store
            .version_to_compare(app.id, environment, Some(requested.major))
            .await?
            .ok_or_else(|| {
                StoreError::Conflict(format!(
                    "`{environment}` of `{}` has no version of major {} to update; a version \
                     for an older major updates one deployed before",
                    app.key, requested.major
                ))
            })?;
        line = Some(requested.major);
    }
    let compared = Compared {
        id: Some(previous.id),
        line,
    };
    let (Some(new), Some(verdict)) = (request.assessed.side.clone(), previous.verdict) else {
        return Ok((compared, None));
    };
    // The previous version is read with the values it was deployed with.
    let variables = previous.variables;
    let deployed_with = request.variables.clone();
    let (manifest, rules, blockers) = (previous.manifest, previous.rules, previous.blockers);
    let report = evaluator
        .run(manifest.len(), move |options| {
            let options = variables.options(options);
            let facts = changes::facts_of(manifest.as_bytes(), &options)?;
            drop(manifest);
            let old = Side {
                facts,
                verdict,
                rules,
                blockers,
            };
            Some(Classified::new(
                changes::compare(&old, &new),
                &[&variables, &deployed_with],
            ))
        })
        .await?;
    Ok((compared, report.transpose()?))
}
