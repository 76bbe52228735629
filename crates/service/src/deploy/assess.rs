//! Evaluating a manifest for a deploy, in the evaluator's lane and within its limits, before any
//! transaction starts: slow or hostile input never holds the write lock.

use std::sync::Arc;

use apptrust_rules::Verdict;
use apptrust_rules::changes::{self, Side};
use apptrust_store::StoreError;
use apptrust_store::evaluation::StoredEvaluation;
use apptrust_store::evaluator::Evaluator;
use apptrust_store::variables::Variables;

/// A manifest as a deploy needs it: its stored evaluation and, when it can be read, the side it
/// presents to the comparison with the previous version. The full evaluation (every finding,
/// the inventory) never leaves the evaluator's thread.
#[derive(Clone, Debug)]
pub struct Assessed {
    /// The evaluation as stored (findings capped).
    pub stored: StoredEvaluation,
    /// The verdict.
    pub verdict: Verdict,
    /// Facts, verdict and rules for the comparison; `None` when the manifest cannot be read.
    pub side: Option<Arc<Side>>,
}

/// Evaluates a manifest for a deploy in the evaluator, within its limits, with the deploy's
/// variable values. Values that would expand the manifest beyond
/// [`apptrust_store::variables::MAX_EXPANSION_BYTES`] are refused ([`StoreError::Invalid`]).
pub async fn assess(
    evaluator: &Evaluator,
    manifest: Arc<str>,
    variables: Arc<Variables>,
    now: String,
) -> Result<Assessed, StoreError> {
    if manifest.len() > evaluator.largest_readable() {
        // Refused by its size before anything is built: no need to queue for that.
        return judge(
            &manifest,
            &apptrust_rules::CheckOptions::default(),
            &Variables::none(),
            &now,
        );
    }
    evaluator
        .run(manifest.len(), move |options| {
            judge(&manifest, options, &variables, &now)
        })
        .await?
}

/// Evaluates a manifest and extracts its change facts, keeping only what a deploy needs.
fn judge(
    manifest: &str,
    options: &apptrust_rules::CheckOptions,
    variables: &Variables,
    now: &str,
) -> Result<Assessed, StoreError> {
    variables.check_expansion(manifest, options)?;
    let options = variables.options(options);
    let stored = |evaluation: &apptrust_rules::Evaluation| {
        let mut stored = StoredEvaluation::new(evaluation, now);
        variables.hide_in(&mut stored.findings);
        stored
    };
    Ok(match changes::assess(manifest.as_bytes(), &options) {
        Ok((evaluation, facts)) => Assessed {
            stored: stored(&evaluation),
            verdict: evaluation.verdict,
            side: Some(Arc::new(Side {
                facts,
                verdict: evaluation.verdict,
                rules: evaluation.rules,
                blockers: evaluation.blockers,
            })),
        },
        Err(evaluation) => Assessed {
            stored: stored(&evaluation),
            verdict: evaluation.verdict,
            side: None,
        },
    })
}
