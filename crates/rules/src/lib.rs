//! The Runs on Atlassian eligibility engine.
//!
//! [`evaluate`] takes a manifest's bytes and returns its [`Verdict`], the trust-signal rules and
//! deploy blockers that fire, every finding with its span and fix, the egress inventory and the
//! data residency report. [`changes::classify`] compares two versions. Nothing here does I/O: the
//! caller passes the bytes and the deploy-time variables in.

pub mod address;
pub mod advisories;
pub mod analytics_policy;
pub mod blockers;
pub mod changes;
pub mod code;
pub mod context;
pub mod decisions;
mod documented;
pub mod errors;
pub mod finding;
pub mod forge;
pub mod host_lists;
pub mod inventory;
mod platform_hosts;
pub mod reach;
pub mod residency;
pub mod rules;
pub mod verdict;

use std::collections::HashMap;

use apptrust_manifest::Manifest;
use apptrust_yaml::{Limits, Node, interpolate};
use serde::Serialize;

pub use analytics_policy::AnalyticsPolicy;
pub use code::{Code, Kind, Severity};
pub use decisions::Decisions;
pub use finding::Finding;
pub use inventory::EgressItem;
pub use residency::Residency;
pub use verdict::Verdict;

/// The rules engine's version. Stored with every evaluation so that a service can re-evaluate
/// versions judged by an older engine.
pub const ENGINE_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+rules.3");

/// Everything that shapes an evaluation besides the manifest itself.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Input bounds.
    pub limits: Limits,
    /// The interpretive switches.
    pub decisions: Decisions,
    /// The approved analytics tools.
    pub policy: AnalyticsPolicy,
    /// Deploy-time variable values, for `${NAME}` placeholders.
    pub variables: HashMap<String, String>,
    /// Judge eligibility alone: skip Forge's own manifest validation (its schema and reference
    /// checks), for manifests written before Forge's current rules. Off by default: a manifest
    /// Forge refuses can never be deployed, so it can never carry a badge.
    pub eligibility_only: bool,
}

/// The result of evaluating one manifest.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    /// The verdict.
    pub verdict: Verdict,
    /// The trust-signal rules that fire, in the spec's order.
    pub rules: Vec<Code>,
    /// The deploy blockers, in the spec's order.
    pub blockers: Vec<Code>,
    /// Every finding, in source order.
    pub findings: Vec<Finding>,
    /// Every declared egress destination.
    pub egress: Vec<EgressItem>,
    /// The data residency report; `None` when the file could not be evaluated.
    pub residency: Option<Residency>,
}

/// Evaluates one manifest from its bytes.
pub fn evaluate(bytes: &[u8], options: &CheckOptions) -> Evaluation {
    match load(bytes, options) {
        Ok((root, unresolved)) => evaluate_document(&root, &unresolved, options),
        Err(finding) => Evaluation::from_findings(vec![finding], Vec::new(), None),
    }
}

/// Loads and interpolates a manifest, or returns the finding that explains why it cannot be.
pub fn load(
    bytes: &[u8],
    options: &CheckOptions,
) -> Result<(Node, Vec<interpolate::Unresolved>), Finding> {
    let mut root =
        apptrust_yaml::load(bytes, &options.limits).map_err(|e| errors::from_load_error(&e))?;
    let lookup = |name: &str| options.variables.get(name).cloned();
    let unresolved = interpolate::interpolate(&mut root, &lookup, &options.limits)
        .map_err(|e| errors::from_load_error(&e))?;
    Ok((root, unresolved))
}

/// Evaluates an already loaded and interpolated document.
pub fn evaluate_document(
    root: &Node,
    unresolved: &[interpolate::Unresolved],
    options: &CheckOptions,
) -> Evaluation {
    let Some(manifest) = Manifest::new(root) else {
        let message = if root.is_null() {
            "the file is empty: a manifest is a mapping with `app`, `modules` and `permissions`"
                .to_string()
        } else {
            format!(
                "the document is {}, but a manifest must be a mapping",
                root.kind()
            )
        };
        let span = (!root.is_null()).then_some(root.span);
        return Evaluation::from_findings(
            vec![Finding::new(Code::NotAManifest, span, message)],
            Vec::new(),
            None,
        );
    };
    let cx = context::Context::new(manifest, &options.decisions, &options.policy, unresolved);
    let mut findings = Vec::new();
    rules::check_all(&cx, &mut findings);
    blockers::check_all(&cx, &mut findings);
    if !options.eligibility_only {
        forge_validation(root, &mut findings);
    }
    advisories::check_all(&cx, &mut findings);
    Evaluation::from_findings(
        findings,
        inventory::inventory(&cx),
        Some(residency::residency(&cx)),
    )
}

/// Adds Forge's validation problems, except where an eligibility check already explains a
/// problem at the same place: one finding per problem, in the words that know most about it.
///
/// "The same place" is the same span anywhere, and, within `permissions.external` only, a span
/// inside the other: there Forge reports a malformed egress entry as a whole (its alternatives
/// fail) where our check names the key inside it that is wrong. Elsewhere a problem about a whole
/// block (`modules` holds no module) is a different problem from one inside it (an unresolved
/// `${NAME}` in a handler), and both are reported.
fn forge_validation(root: &Node, findings: &mut Vec<Finding>) {
    let known: Vec<apptrust_yaml::Span> = findings
        .iter()
        .filter(|f| f.code == Code::ManifestInvalid)
        .filter_map(|f| f.span)
        .collect();
    let inside = |outer: &apptrust_yaml::Span, inner: &apptrust_yaml::Span| {
        outer.start <= inner.start && inner.end <= outer.end
    };
    for problem in forge::problems(root) {
        let egress = problem.pointer.starts_with("/permissions/external/");
        let covered = problem.finding.span.is_some_and(|span| {
            known
                .iter()
                .any(|k| *k == span || (egress && (inside(k, &span) || inside(&span, k))))
        });
        if !covered {
            findings.push(problem.finding);
        }
    }
}

impl Evaluation {
    /// The evaluation of a file that could not be read at all.
    pub fn unreadable(finding: Finding) -> Self {
        Evaluation::from_findings(vec![finding], Vec::new(), None)
    }

    pub(crate) fn from_findings(
        mut findings: Vec<Finding>,
        egress: Vec<EgressItem>,
        residency: Option<Residency>,
    ) -> Self {
        findings.sort_by_key(|a| (a.span, a.code));
        // A value reached through an alias is the anchored original, found once more: one
        // finding, with every place it is used as a related span. Findings keep the order in
        // which they were found within one place and code.
        let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
        let mut run_start = 0;
        for finding in findings {
            if merged
                .get(run_start)
                .is_some_and(|first| (first.span, first.code) != (finding.span, finding.code))
            {
                run_start = merged.len();
            }
            let twin = merged[run_start..]
                .iter_mut()
                .find(|kept| kept.message == finding.message && kept.fix == finding.fix);
            match twin {
                Some(kept) => {
                    for related in finding.related {
                        if !kept.related.contains(&related) {
                            kept.related.push(related);
                        }
                    }
                }
                None => merged.push(finding),
            }
        }
        let findings = merged;
        let codes_of = |kind: Kind| {
            let mut codes: Vec<Code> = findings
                .iter()
                .map(|f| f.code)
                .filter(|c| c.kind() == kind)
                .collect();
            codes.sort();
            codes.dedup();
            codes
        };
        Evaluation {
            verdict: Verdict::from_findings(&findings),
            rules: codes_of(Kind::Rule),
            blockers: codes_of(Kind::Blocker),
            findings,
            egress,
            residency,
        }
    }
}
