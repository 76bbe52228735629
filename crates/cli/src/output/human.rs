//! Human output: rustc-style annotated snippets, a verdict line per file and a summary.

use std::io::{self, IsTerminal, Write};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use apptrust_rules::{Finding, Severity, Verdict};
use apptrust_yaml::{Pos, Span};

use crate::args::{CheckArgs, ColorChoice};
use crate::commands::check::{Checked, Summary};
use crate::output::source_map::SourceMap;
use crate::output::suppressions;

/// Whether to colour output on standard output.
pub fn use_colour(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
        }
    }
}

pub fn write(
    out: &mut impl Write,
    results: &[Checked],
    summary: &Summary,
    args: &CheckArgs,
) -> io::Result<()> {
    let colour = use_colour(args.color);
    let renderer = if colour {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    for checked in results {
        if !args.quiet {
            let map = checked.source.as_deref().map(SourceMap::new);
            for finding in checked.open_findings() {
                let text = render(&renderer, checked, map.as_ref(), finding);
                writeln!(out, "{text}\n")?;
            }
            suppressions::write_human(out, &renderer, checked, map.as_ref())?;
        }
        writeln!(out, "{}", verdict_line(checked, colour))?;
        if let Some(note) = suppressions::verdict_note(checked) {
            writeln!(out, "{note}")?;
        }
    }
    if results.len() > 1 || args.quiet {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(summary))?;
    match suppressions::summary_note(results) {
        Some(note) => writeln!(out, "{note}"),
        None => Ok(()),
    }
}

/// One finding as an annotated snippet. Only the lines the finding touches are handed to the
/// renderer, so a file with many findings renders in time proportional to its size.
pub fn render(
    renderer: &Renderer,
    checked: &Checked,
    map: Option<&SourceMap<'_>>,
    finding: &Finding,
) -> String {
    let level = match finding.severity() {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level
        .primary_title(finding.message.as_str())
        .id(finding.code.name());
    let mut group: Group<'_> = match (map, finding.span) {
        (Some(map), Some(span)) => {
            let related: Vec<(Span, &str)> = finding
                .related
                .iter()
                .map(|r| {
                    let at = Span::new(
                        Pos::new(r.span.line, r.span.column),
                        Pos::new(r.span.end_line, r.span.end_column),
                    );
                    (at, r.message.as_str())
                })
                .collect();
            let first = related
                .iter()
                .map(|(s, _)| s.start.line)
                .fold(span.start.line, u32::min);
            let last = related
                .iter()
                .map(|(s, _)| s.end.line)
                .fold(span.end.line, u32::max);
            let (text, offset) = map.lines(first, last);
            let len = text.len();
            let shift = |r: std::ops::Range<usize>| {
                r.start.saturating_sub(offset).min(len)..r.end.saturating_sub(offset).min(len)
            };
            let mut snippet = Snippet::source(text)
                .line_start(first.max(1) as usize)
                .path(checked.path.as_str())
                .annotation(AnnotationKind::Primary.span(shift(map.range(span))));
            for (at, message) in related {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(shift(map.range(at)))
                        .label(message),
                );
            }
            title.element(snippet)
        }
        _ => title.element(Level::NOTE.message(format!("in {}", checked.path))),
    };
    if let Some(fix) = &finding.fix {
        group = group.element(Level::HELP.message(fix.as_str()));
    }
    renderer.render(&[group])
}

fn verdict_line(checked: &Checked, colour: bool) -> String {
    let eval = &checked.evaluation;
    let (word, style) = match eval.verdict {
        Verdict::Eligible => ("eligible", "\x1b[1;32m"),
        Verdict::NotEligible => ("not eligible", "\x1b[1;31m"),
        Verdict::Blocked => ("blocked", "\x1b[1;35m"),
        Verdict::Error => ("error", "\x1b[1;31m"),
    };
    let word = if colour {
        format!("{style}{word}\x1b[0m")
    } else {
        word.to_string()
    };
    let codes: Vec<&str> = eval
        .blockers
        .iter()
        .chain(&eval.rules)
        .map(|c| c.name())
        .collect();
    let errors: Vec<&str> = eval
        .findings
        .iter()
        .filter(|f| f.code.kind() == apptrust_rules::Kind::Error)
        .map(|f| f.code.name())
        .collect();
    let reasons = if eval.verdict == Verdict::Error {
        errors
    } else {
        codes
    };
    if reasons.is_empty() {
        format!("{}: {word}", checked.path)
    } else {
        format!("{}: {word} ({})", checked.path, reasons.join(", "))
    }
}

fn summary_line(s: &Summary) -> String {
    let total = s.eligible + s.not_eligible + s.blocked + s.error;
    let noun = if total == 1 { "manifest" } else { "manifests" };
    format!(
        "Checked {total} {noun}: {} eligible, {} not eligible, {} blocked, {} error{}",
        s.eligible,
        s.not_eligible,
        s.blocked,
        s.error,
        if s.error == 1 { "" } else { "s" }
    )
}
