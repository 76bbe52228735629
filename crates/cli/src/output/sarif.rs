//! `--format sarif`: SARIF 2.1.0 with rule metadata and regions, for GitHub code scanning.

use std::io::{self, Write};

use apptrust_rules::{Code, Finding, Severity};
use serde_json::{Value, json};

use crate::commands::check::Checked;
use crate::output::suppressions;

pub fn write(out: &mut impl Write, results: &[Checked]) -> io::Result<()> {
    let mut rules: Vec<Value> = Code::ALL.iter().map(|c| rule(*c)).collect();
    rules.extend(suppressions::sarif_rules(results));
    let mut sarif_results = Vec::new();
    for checked in results {
        for finding in checked.open_findings() {
            sarif_results.push(result(&checked.path, finding));
        }
        sarif_results.extend(suppressions::sarif_results(
            checked,
            &uri(&checked.path),
            |finding| result(&checked.path, finding),
            Code::ALL.len(),
        ));
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "apptrust",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "version": apptrust_rules::ENGINE_VERSION,
                    "informationUri": "https://developer.atlassian.com/platform/forge/runs-on-atlassian/",
                    "rules": rules,
                }
            },
            "results": sarif_results,
            "columnKind": "unicodeCodePoints",
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::from)?;
    writeln!(out)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule(code: Code) -> Value {
    let doc = code.doc_text();
    json!({
        "id": code.name(),
        "name": code.name(),
        "shortDescription": { "text": code.summary() },
        "fullDescription": { "text": code.summary() },
        "help": { "text": doc, "markdown": doc },
        "defaultConfiguration": { "level": level(code.severity()) },
        "properties": { "tags": ["runs-on-atlassian", format!("{:?}", code.kind()).to_lowercase()] },
    })
}

/// A report path as a SARIF URI reference: characters outside RFC 3986's unreserved and
/// path sets are percent-encoded (`my app/manifest.yml` becomes `my%20app/manifest.yml`).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let c = byte as char;
        if c.is_ascii_alphanumeric() || "-._~/!$&'()*+,;=:@".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn result(path: &str, finding: &Finding) -> Value {
    let path = &uri(path);
    let region = match finding.span {
        Some(span) => json!({
            "startLine": span.start.line,
            "startColumn": span.start.column,
            "endLine": span.end.line.max(span.start.line),
            "endColumn": if span.end > span.start { span.end.column } else { span.start.column + 1 },
        }),
        None => json!({ "startLine": 1 }),
    };
    let mut text = finding.message.clone();
    if let Some(fix) = &finding.fix {
        text.push_str(&format!(". Fix: {fix}"));
    }
    let related: Vec<Value> = finding
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "id": i,
                "message": { "text": r.message },
                "physicalLocation": {
                    "artifactLocation": { "uri": path },
                    "region": { "startLine": r.span.line, "startColumn": r.span.column },
                }
            })
        })
        .collect();
    let index = Code::ALL
        .iter()
        .position(|c| *c == finding.code)
        .unwrap_or(0);
    let mut value = json!({
        "ruleId": finding.code.name(),
        "ruleIndex": index,
        "level": level(finding.severity()),
        "message": { "text": text },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": path },
                "region": region,
            }
        }],
    });
    if !related.is_empty() {
        value["relatedLocations"] = Value::Array(related);
    }
    value
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(super::uri("my app/manifest.yml"), "my%20app/manifest.yml");
        assert_eq!(super::uri("<stdin>"), "%3Cstdin%3E");
        assert_eq!(super::uri("a/ü.yml"), "a/%C3%BC.yml");
    }
}
