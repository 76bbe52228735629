//! A manifest shown line by line with each finding under the line it starts on, its message
//! and its fix: the page's form of the checker's annotated diagnostics. Findings come from the
//! checker (`apptrust_rules::Finding`) or from a stored evaluation (the API's `Finding`).

use apptrust_rules::{Finding, Severity};
use maud::{Markup, html};

/// Lines shown at most; a larger file is cut after them (its findings below are still listed).
const MAX_LINES: usize = 5000;

/// One finding as the annotated view shows it.
pub struct Note {
    pub code: String,
    /// 1-based; `None` for whole-file findings.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub related: Vec<String>,
    pub fix: Option<String>,
    /// Advice that does not change the verdict (drawn apart).
    pub advice: bool,
}

impl From<&Finding> for Note {
    fn from(f: &Finding) -> Note {
        Note {
            code: f.code.name().to_string(),
            line: f.span.map(|s| s.start.line as usize),
            column: f.span.map(|s| s.start.column as usize),
            message: f.message.clone(),
            related: f
                .related
                .iter()
                .map(|r| format!("line {}: {}", r.span.line, r.message))
                .collect(),
            fix: f.fix.clone(),
            advice: f.code.severity() == Severity::Warning,
        }
    }
}

impl From<&apptrust_api::versions::Finding> for Note {
    fn from(f: &apptrust_api::versions::Finding) -> Note {
        Note {
            code: f.code.clone(),
            line: f.line.map(|l| l as usize),
            column: f.column.map(|c| c as usize),
            message: f.message.clone(),
            related: Vec::new(),
            fix: f.fix.clone(),
            advice: f.severity == "warning",
        }
    }
}

/// `source` with `notes` at their lines. Each line is one list item holding its number, its
/// text and its findings, so that a screen reader reads a finding with the line it is on.
pub fn annotated(source: &str, notes: &[Note]) -> Markup {
    let lines: Vec<&str> = source.lines().take(MAX_LINES).collect();
    let total = lines.len() + source.lines().skip(MAX_LINES).count();
    let shown = lines.len();
    let mut at_line: Vec<Vec<&Note>> = Vec::new();
    at_line.resize_with(shown + 1, Vec::new);
    let mut elsewhere = Vec::new();
    for note in notes {
        match note.line {
            Some(line) if line >= 1 && line <= shown => at_line[line].push(note),
            _ => elsewhere.push(note),
        }
    }
    html! {
        @if !elsewhere.is_empty() {
            ul {
                @for n in &elsewhere { li { (describe(n)) } }
            }
        }
        ol.source aria-label="The manifest, with findings under their lines" {
            @for (i, text) in lines.iter().enumerate() {
                @let n = i + 1;
                @let hits = &at_line[n];
                li id={ "L" (n) } class=[(!hits.is_empty()).then_some("hit")] {
                    span.n { (n) }
                    span.t { (text) }
                    @for note in hits {
                        div class={ "note" @if note.advice { " advice" } } { (describe(note)) }
                    }
                }
            }
        }
        @if total > shown {
            p.muted { "The file has " (total) " lines; the first " (shown) " are shown." }
        }
    }
}

/// One finding: its code, where, what, and the fix.
fn describe(n: &Note) -> Markup {
    html! {
        strong { code { (n.code) } }
        @if let Some(line) = n.line {
            " line " (line)
            @if let Some(column) = n.column { ", column " (column) }
        }
        ": " (n.message)
        @for related in &n.related { br; span.muted { (related) } }
        @if let Some(fix) = &n.fix { br; "Fix: " (fix) }
    }
}
