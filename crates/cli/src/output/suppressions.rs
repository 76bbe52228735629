//! How each output shows waived and baselined findings and waiver problems.
//!
//! Set-aside findings are always listed, never dropped: a reader of any format must be able to
//! see what was accepted, by whom (the reason) and until when, and must never mistake a
//! waived manifest for an eligible one. So the verdict lines and fields stay the engine's, and
//! the set-aside findings come in sections of their own.

use std::io::{self, Write};

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use apptrust_rules::{Finding, Severity, Verdict};
use apptrust_yaml::{Pos, Span};
use serde::Serialize;
use serde_json::{Value, json};

use crate::commands::check::Checked;
use crate::output::source_map::SourceMap;
use crate::suppress::{Note, NoteKind};

// ---- human -----------------------------------------------------------------------------------

/// After a file's open findings: its waiver problems as snippets, then the waived and
/// baselined sections.
pub fn write_human(
    out: &mut impl Write,
    renderer: &Renderer,
    checked: &Checked,
    map: Option<&SourceMap<'_>>,
) -> io::Result<()> {
    for note in &checked.suppressed.notes {
        writeln!(out, "{}\n", render_note(renderer, checked, map, note))?;
    }
    let findings = &checked.evaluation.findings;
    let suppressed = &checked.suppressed;
    if !suppressed.waived.is_empty() {
        writeln!(
            out,
            "waived ({}), not counted by --fail-on:",
            suppressed.waived.len()
        )?;
        for waived in &suppressed.waived {
            writeln!(
                out,
                "  {}",
                one_line(&checked.path, &findings[waived.finding])
            )?;
            let until = waived
                .until
                .map(|d| format!(", until {d}"))
                .unwrap_or_default();
            writeln!(
                out,
                "    reason: {} (waiver on line {}{until})",
                waived.reason, waived.line
            )?;
        }
        writeln!(out)?;
    }
    if !suppressed.baselined.is_empty() {
        writeln!(
            out,
            "baselined ({}), not counted by --fail-on:",
            suppressed.baselined.len()
        )?;
        for baselined in &suppressed.baselined {
            writeln!(
                out,
                "  {}",
                one_line(&checked.path, &findings[baselined.finding])
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// `path:line:column: CODE: message`, the form editors and terminals link.
fn one_line(path: &str, finding: &Finding) -> String {
    match finding.span {
        Some(span) => format!(
            "{path}:{}:{}: {}: {}",
            span.start.line, span.start.column, finding.code, finding.message
        ),
        None => format!("{path}: {}: {}", finding.code, finding.message),
    }
}

fn render_note(
    renderer: &Renderer,
    checked: &Checked,
    map: Option<&SourceMap<'_>>,
    note: &Note,
) -> String {
    let level = match note.kind.severity() {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level
        .primary_title(note.message.as_str())
        .id(note.kind.name());
    let group = match map {
        Some(map) => {
            let span = Span::new(
                Pos::new(note.line, note.column),
                Pos::new(note.line, note.end_column),
            );
            let (text, offset) = map.lines(note.line, note.line);
            let range = map.range(span);
            let len = text.len();
            let range = range.start.saturating_sub(offset).min(len)
                ..range.end.saturating_sub(offset).min(len);
            title.element(
                Snippet::source(text)
                    .line_start(note.line.max(1) as usize)
                    .path(checked.path.as_str())
                    .annotation(AnnotationKind::Primary.span(range)),
            )
        }
        None => title.element(Level::NOTE.message(format!("in {}", checked.path))),
    };
    renderer.render(&[group.element(Level::HELP.message(note.help.as_str()))])
}

/// A line under a file's verdict when findings were set aside, saying that the verdict stands
/// and what `--fail-on` counts instead.
pub fn verdict_note(checked: &Checked) -> Option<String> {
    let suppressed = &checked.suppressed;
    if !suppressed.sets_aside_anything() {
        return None;
    }
    Some(format!(
        "  note: {}; the verdict above stands (Atlassian reads no waivers or baselines), \
         --fail-on counts the open findings: {}",
        set_aside(suppressed.waived.len(), suppressed.baselined.len()),
        words(checked.open_verdict())
    ))
}

/// "2 findings waived, 1 baselined", leaving out a zero.
fn set_aside(waived: usize, baselined: usize) -> String {
    let noun = |n: usize| if n == 1 { "finding" } else { "findings" };
    match (waived, baselined) {
        (0, b) => format!("{b} {} baselined", noun(b)),
        (w, 0) => format!("{w} {} waived", noun(w)),
        (w, b) => format!("{w} {} waived, {b} baselined", noun(w)),
    }
}

fn words(verdict: Verdict) -> String {
    verdict.as_str().replace('-', " ")
}

/// A line under the summary with the run's totals of set-aside findings and waiver problems.
pub fn summary_note(results: &[Checked]) -> Option<String> {
    let total = |f: fn(&Checked) -> usize| results.iter().map(f).sum::<usize>();
    let waived = total(|c| c.suppressed.waived.len());
    let baselined = total(|c| c.suppressed.baselined.len());
    let problems = total(|c| c.suppressed.notes.len());
    let unmatched = total(|c| c.suppressed.baseline_unmatched);
    let mut parts = Vec::new();
    if waived + baselined > 0 {
        parts.push(format!(
            "{} (not counted by --fail-on)",
            set_aside(waived, baselined)
        ));
    }
    if problems > 0 {
        parts.push(format!(
            "{problems} waiver problem{}",
            if problems == 1 { "" } else { "s" }
        ));
    }
    if unmatched > 0 {
        parts.push(format!(
            "{unmatched} baseline entr{} matching no finding any more (fixed? rewrite the \
             baseline with --write-baseline)",
            if unmatched == 1 { "y" } else { "ies" }
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

// ---- json ------------------------------------------------------------------------------------

/// The fields a file's JSON gains; each is omitted when empty, so a run without waivers or a
/// baseline prints exactly what it printed before.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileJson<'a> {
    /// The verdict of the open findings alone (what `--fail-on` counts), when anything is set
    /// aside. Never the badge verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    open_verdict: Option<Verdict>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    waived: Vec<WaivedJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    baselined: Vec<BaselinedJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    waiver_notes: Vec<NoteJson<'a>>,
    #[serde(skip_serializing_if = "is_zero")]
    baseline_unmatched: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WaivedJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    waiver: WaiverJson<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WaiverJson<'a> {
    line: u32,
    reason: &'a str,
    until: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BaselinedJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    fingerprint: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NoteJson<'a> {
    code: NoteKind,
    severity: Severity,
    message: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    fix: &'a str,
    waiver_code: Option<&'a str>,
}

/// The suppression fields of one file.
pub fn file_json(checked: &Checked) -> FileJson<'_> {
    let findings = &checked.evaluation.findings;
    let suppressed = &checked.suppressed;
    FileJson {
        open_verdict: suppressed
            .sets_aside_anything()
            .then(|| checked.open_verdict()),
        waived: suppressed
            .waived
            .iter()
            .map(|w| WaivedJson {
                finding: &findings[w.finding],
                waiver: WaiverJson {
                    line: w.line,
                    reason: &w.reason,
                    until: w.until.map(|d| d.to_string()),
                },
            })
            .collect(),
        baselined: suppressed
            .baselined
            .iter()
            .map(|b| BaselinedJson {
                finding: &findings[b.finding],
                fingerprint: &b.fingerprint,
            })
            .collect(),
        waiver_notes: suppressed
            .notes
            .iter()
            .map(|n| NoteJson {
                code: n.kind,
                severity: n.kind.severity(),
                message: &n.message,
                line: n.line,
                column: n.column,
                end_line: n.line,
                end_column: n.end_column,
                fix: &n.help,
                waiver_code: n.code.as_deref(),
            })
            .collect(),
        baseline_unmatched: suppressed.baseline_unmatched,
    }
}

// ---- sarif -----------------------------------------------------------------------------------

/// Rule descriptors for waiver problems, appended after the engine's codes when a run has any
/// (their `ruleIndex` counts from `first_index`).
pub fn sarif_rules(results: &[Checked]) -> Vec<Value> {
    if results.iter().all(|c| c.suppressed.notes.is_empty()) {
        return Vec::new();
    }
    NoteKind::ALL
        .iter()
        .map(|kind| {
            let help = format!(
                "{} Waivers are comments of the form `# apptrust: allow CODE until=YYYY-MM-DD \
                 reason=\"...\"`; see \"Baselines and waivers\" in docs/ci.md.",
                kind.summary()
            );
            json!({
                "id": kind.name(),
                "name": kind.name(),
                "shortDescription": { "text": kind.summary() },
                "fullDescription": { "text": kind.summary() },
                "help": { "text": help, "markdown": help },
                "defaultConfiguration": { "level": level(kind.severity()) },
                "properties": { "tags": ["runs-on-atlassian", "waiver"] },
            })
        })
        .collect()
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A file's set-aside findings as results with SARIF 2.1.0 `suppressions` (§3.35): `inSource`
/// with the reason for waivers, `external` for the baseline. Then its waiver problems.
pub fn sarif_results(
    checked: &Checked,
    uri: &str,
    result: impl Fn(&Finding) -> Value,
    first_index: usize,
) -> Vec<Value> {
    let findings = &checked.evaluation.findings;
    let suppressed = &checked.suppressed;
    let mut out = Vec::new();
    for waived in &suppressed.waived {
        let mut value = result(&findings[waived.finding]);
        let mut suppression = json!({
            "kind": "inSource",
            "status": "accepted",
            "justification": waived.reason,
            "location": {
                "physicalLocation": {
                    "artifactLocation": { "uri": uri },
                    "region": { "startLine": waived.line },
                }
            },
        });
        if let Some(until) = waived.until {
            suppression["properties"] = json!({ "until": until.to_string() });
        }
        value["suppressions"] = json!([suppression]);
        out.push(value);
    }
    for baselined in &suppressed.baselined {
        let mut value = result(&findings[baselined.finding]);
        value["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": "listed in the apptrust baseline",
        }]);
        value["fingerprints"] = json!({ "apptrust/v1": baselined.fingerprint });
        out.push(value);
    }
    for note in &suppressed.notes {
        let index = NoteKind::ALL
            .iter()
            .position(|k| *k == note.kind)
            .unwrap_or(0);
        out.push(json!({
            "ruleId": note.kind.name(),
            "ruleIndex": first_index + index,
            "level": level(note.kind.severity()),
            "message": { "text": format!("{}. Fix: {}", note.message, note.help) },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri },
                    "region": {
                        "startLine": note.line,
                        "startColumn": note.column,
                        "endLine": note.line,
                        "endColumn": note.end_column,
                    },
                }
            }],
        }));
    }
    out
}
