//! A manifest shown line by line with each finding under the line it starts on, its message
//! and its fix: the page's form of the checker's annotated diagnostics.

use apptrust_rules::{Finding, Severity};
use maud::{Markup, html};

/// Lines shown at most; a larger file is cut after them (its findings below are still listed).
const MAX_LINES: usize = 5000;

/// `source` with `findings` at their lines.
pub fn annotated(source: &str, findings: &[Finding]) -> Markup {
    let mut at_line: Vec<Vec<&Finding>> = Vec::new();
    let mut elsewhere = Vec::new();
    let lines: Vec<&str> = source.lines().collect();
    let shown = lines.len().min(MAX_LINES);
    at_line.resize_with(shown + 1, Vec::new);
    for finding in findings {
        match finding.span.map(|s| s.start.line as usize) {
            Some(line) if line >= 1 && line <= shown => at_line[line].push(finding),
            _ => elsewhere.push(finding),
        }
    }
    html! {
        @if !elsewhere.is_empty() {
            ul {
                @for f in &elsewhere { li { (note(f)) } }
            }
        }
        ol.source aria-label="The manifest, with findings under their lines" {
            @for (i, text) in lines.iter().take(shown).enumerate() {
                @let n = i + 1;
                @let hits = &at_line[n];
                li id={ "L" (n) } class=[(!hits.is_empty()).then_some("hit")] {
                    span.n aria-hidden="true" { (n) }
                    span.t { (text) }
                }
                @for f in hits {
                    li class={ "note" @if f.code.severity() == Severity::Warning { " advice" } } {
                        (note(f))
                    }
                }
            }
        }
        @if lines.len() > shown {
            p.muted { "The file has " (lines.len()) " lines; the first " (shown) " are shown." }
        }
    }
}

/// One finding: its code, where, what, and the fix.
fn note(f: &Finding) -> Markup {
    html! {
        strong { code { (f.code.name()) } }
        @if let Some(span) = f.span { " line " (span.start.line) ", column " (span.start.column) }
        ": " (f.message)
        @for related in &f.related {
            br; span.muted { "line " (related.span.line) ": " (related.message) }
        }
        @if let Some(fix) = &f.fix { br; "Fix: " (fix) }
    }
}
