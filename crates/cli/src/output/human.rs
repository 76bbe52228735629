//! Human output: rustc-style annotated snippets, a verdict line per file and a summary.

use std::io::{self, IsTerminal, Write};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use apptrust_rules::{Finding, Severity, Verdict};

use crate::args::{CheckArgs, ColorChoice};
use crate::commands::check::{Checked, Summary};
use crate::output::source_map::SourceMap;

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
            for finding in &checked.evaluation.findings {
                let text = render(&renderer, checked, finding);
                writeln!(out, "{text}\n")?;
            }
        }
        writeln!(out, "{}", verdict_line(checked, colour))?;
    }
    if results.len() > 1 || args.quiet {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(summary))
}

/// One finding as an annotated snippet.
pub fn render(renderer: &Renderer, checked: &Checked, finding: &Finding) -> String {
    let level = match finding.severity() {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level
        .primary_title(finding.message.as_str())
        .id(finding.code.name());
    let mut group: Group<'_> = match (&checked.source, finding.span) {
        (Some(source), Some(span)) => {
            let map = SourceMap::new(source);
            let mut snippet = Snippet::source(source.as_str())
                .line_start(1)
                .path(checked.path.as_str())
                .annotation(AnnotationKind::Primary.span(map.range(span)));
            for related in &finding.related {
                let at = apptrust_yaml::Span::new(
                    apptrust_yaml::Pos::new(related.span.line, related.span.column),
                    apptrust_yaml::Pos::new(related.span.end_line, related.span.end_column),
                );
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(map.range(at))
                        .label(related.message.as_str()),
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
