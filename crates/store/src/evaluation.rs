//! How an evaluation is stored and returned: the verdict, the codes that fired and every finding
//! with its place, plus the rules-engine version, so that stale ones can be found and redone.

use apptrust_rules::{Code, Evaluation, Finding};
use serde::Serialize;

/// The most findings stored per evaluation. A hostile manifest can produce tens of thousands
/// (one per egress entry); storing them all would make every read of the version huge.
pub const MAX_STORED_FINDINGS: usize = 200;

/// An evaluation as stored and as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvaluation {
    pub verdict: String,
    pub rules: Vec<String>,
    pub blockers: Vec<String>,
    /// The findings in source order, at most [`MAX_STORED_FINDINGS`]; left out of list answers.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub findings: serde_json::Value,
    /// How many findings beyond the maximum were not stored.
    pub findings_omitted: i64,
    pub engine_version: String,
    pub evaluated_at: String,
}

impl StoredEvaluation {
    /// The stored form of a fresh evaluation.
    pub fn new(evaluation: &Evaluation, evaluated_at: &str) -> StoredEvaluation {
        StoredEvaluation {
            verdict: evaluation.verdict.as_str().to_string(),
            rules: names(&evaluation.rules),
            blockers: names(&evaluation.blockers),
            findings: serde_json::Value::Array(
                evaluation
                    .findings
                    .iter()
                    .take(MAX_STORED_FINDINGS)
                    .map(finding)
                    .collect(),
            ),
            findings_omitted: i64::try_from(
                evaluation
                    .findings
                    .len()
                    .saturating_sub(MAX_STORED_FINDINGS),
            )
            .unwrap_or(i64::MAX),
            engine_version: apptrust_rules::ENGINE_VERSION.to_string(),
            evaluated_at: evaluated_at.to_string(),
        }
    }

    /// The rules that fired, as codes; names this engine no longer knows are dropped.
    pub fn rule_codes(&self) -> Vec<Code> {
        self.rules
            .iter()
            .filter_map(|n| Code::from_name(n))
            .collect()
    }
}

fn names(codes: &[Code]) -> Vec<String> {
    codes.iter().map(|c| c.name().to_string()).collect()
}

/// One finding in the JSON shape `apptrust check --format json` uses for places.
fn finding(f: &Finding) -> serde_json::Value {
    let mut value = serde_json::json!({
        "code": f.code.name(),
        "kind": f.code.kind(),
        "severity": f.code.severity(),
        "message": f.message,
        "fix": f.fix,
    });
    if let (Some(span), Some(map)) = (f.span, value.as_object_mut()) {
        map.insert("line".into(), span.start.line.into());
        map.insert("column".into(), span.start.column.into());
        map.insert("endLine".into(), span.end.line.into());
        map.insert("endColumn".into(), span.end.column.into());
    }
    value
}

/// Stores a new evaluation of a version, marked current; the caller has retired the previous
/// current one.
pub async fn insert_in(
    connection: &mut crate::Connection,
    version_id: i64,
    stored: &StoredEvaluation,
) -> Result<(), crate::StoreError> {
    sqlx::query::<sqlx::Any>(
        "INSERT INTO evaluations (version_id, engine_version, verdict, rules, blockers, findings, \
           findings_omitted, evaluated_at, current) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)",
    )
    .bind(version_id)
    .bind(&stored.engine_version)
    .bind(&stored.verdict)
    .bind(serde_json::to_string(&stored.rules)?)
    .bind(serde_json::to_string(&stored.blockers)?)
    .bind(stored.findings.to_string())
    .bind(stored.findings_omitted)
    .bind(&stored.evaluated_at)
    .execute(connection)
    .await?;
    Ok(())
}
