//! `--format json`: the machine-readable contract (documented in docs/cli.md).

use std::io::{self, Write};

use apptrust_rules::{Code, EgressItem, Finding, Residency, Verdict};
use serde::Serialize;

use crate::commands::check::{Checked, Summary};
use crate::output::suppressions;
use crate::suppress::Coverage;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    engine: &'static str,
    analytics_policy: String,
    files: Vec<FileJson<'a>>,
    summary: SummaryJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryJson<'a> {
    #[serde(flatten)]
    counts: &'a Summary,
    /// With `--baseline`: its entries naming files this run did not check (which cannot match).
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_entries_for_other_files: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileJson<'a> {
    path: &'a str,
    verdict: Verdict,
    rules: &'a [Code],
    blockers: &'a [Code],
    /// Open findings only; waived and baselined ones are in `suppressed`'s lists.
    findings: Vec<&'a Finding>,
    egress: &'a [EgressItem],
    residency: &'a Option<Residency>,
    #[serde(flatten)]
    suppressed: suppressions::FileJson<'a>,
}

pub fn write(
    out: &mut impl Write,
    results: &[Checked],
    summary: &Summary,
    coverage: Option<&Coverage>,
) -> io::Result<()> {
    let report = Report {
        engine: apptrust_rules::ENGINE_VERSION,
        analytics_policy: apptrust_rules::AnalyticsPolicy::default().version,
        files: results
            .iter()
            .map(|r| FileJson {
                path: &r.path,
                verdict: r.evaluation.verdict,
                rules: &r.evaluation.rules,
                blockers: &r.evaluation.blockers,
                findings: r.open_findings().collect(),
                egress: &r.evaluation.egress,
                residency: &r.evaluation.residency,
                suppressed: suppressions::file_json(r),
            })
            .collect(),
        summary: SummaryJson {
            counts: summary,
            baseline_entries_for_other_files: coverage.map(|c| c.for_other_files),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::from)?;
    writeln!(out)
}
