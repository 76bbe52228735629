//! `foldFlowLines` from `yaml` (`dist/stringify/foldFlowLines.js`): how a long scalar inside a
//! stringified collection key is broken onto several lines. Ported line by line, counting in
//! UTF-16 code units as JavaScript does, so that the breaks land where Forge's land.

/// Where a scalar may be broken.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// A plain or single-quoted scalar: only at a space between two non-spaces.
    Flow,
    /// A double-quoted scalar: anywhere, with a `\` escape when no space is at hand.
    Quoted,
}

/// `yaml`'s default `lineWidth`.
const LINE_WIDTH: isize = 80;
/// `yaml`'s default `minContentWidth`.
const MIN_CONTENT_WIDTH: isize = 20;

const SPACE: u16 = b' ' as u16;
const TAB: u16 = b'\t' as u16;
const NEWLINE: u16 = b'\n' as u16;
const BACKSLASH: u16 = b'\\' as u16;

/// Breaks `text` into lines of about [`LINE_WIDTH`] code units, each continuation starting with
/// `indent`. `indent_at_start` is how far the first line is already indented, if known.
pub(super) fn fold_flow_lines(
    text: &str,
    indent: &str,
    mode: Mode,
    indent_at_start: Option<usize>,
) -> String {
    let t: Vec<u16> = text.encode_utf16().collect();
    let len = signed(t.len());
    let indent_len = signed(crate::js::utf16_len(indent));
    let end_step = (1 + MIN_CONTENT_WIDTH).max(1 + LINE_WIDTH - indent_len);
    if len <= end_step {
        return text.to_string();
    }
    let at = |i: isize| usize::try_from(i).ok().and_then(|i| t.get(i).copied());
    let mut folds: Vec<isize> = Vec::new();
    let mut escaped_folds: Vec<isize> = Vec::new();
    let mut end = LINE_WIDTH - indent_len;
    if let Some(start) = indent_at_start {
        let start = signed(start);
        if start > LINE_WIDTH - 2.max(MIN_CONTENT_WIDTH) {
            folds.push(0);
        } else {
            end = LINE_WIDTH - start;
        }
    }
    let mut split: Option<isize> = None;
    let mut prev: Option<u16> = None;
    let mut i: isize = -1;
    let (mut esc_start, mut esc_end): (isize, isize) = (-1, -1);
    loop {
        i += 1;
        let Some(c) = at(i) else { break };
        let mut ch = Some(c);
        if mode == Mode::Quoted && c == BACKSLASH {
            esc_start = i;
            i += match at(i + 1) {
                Some(x) if x == u16::from(b'x') => 3,
                Some(u) if u == u16::from(b'u') => 5,
                Some(u) if u == u16::from(b'U') => 9,
                _ => 1,
            };
            esc_end = i;
        }
        if c == NEWLINE {
            end = i + indent_len + end_step;
            split = None;
        } else {
            if c == SPACE && prev.is_some_and(|p| !matches!(p, SPACE | NEWLINE | TAB)) {
                let next = at(i + 1);
                if next.is_some_and(|n| !matches!(n, SPACE | NEWLINE | TAB)) {
                    split = Some(i);
                }
            }
            if i >= end {
                if let Some(at_split) = split.filter(|&s| s != 0) {
                    folds.push(at_split);
                    end = at_split + end_step;
                    split = None;
                } else if mode == Mode::Quoted {
                    // Whitespace collected at the end may stretch past the line width.
                    while matches!(prev, Some(SPACE | TAB)) {
                        prev = ch;
                        i += 1;
                        ch = at(i);
                    }
                    // Leave room for the escaped newline, without breaking an escape.
                    let j = if i > esc_end + 1 {
                        i - 2
                    } else {
                        esc_start - 1
                    };
                    if escaped_folds.contains(&j) {
                        return text.to_string();
                    }
                    folds.push(j);
                    escaped_folds.push(j);
                    end = j + end_step;
                    split = None;
                }
            }
        }
        prev = ch;
    }
    if folds.is_empty() {
        return text.to_string();
    }
    let slice = |from: isize, to: isize| {
        let from = usize::try_from(from.clamp(0, len)).unwrap_or(0);
        let to = usize::try_from(to.clamp(0, len)).unwrap_or(0);
        String::from_utf16_lossy(t.get(from..to.max(from)).unwrap_or(&[]))
    };
    let mut out = slice(0, folds[0]);
    for (n, &fold) in folds.iter().enumerate() {
        let next = folds.get(n + 1).copied().filter(|&f| f != 0).unwrap_or(len);
        if fold == 0 {
            out = format!("\n{indent}{}", slice(0, next));
        } else {
            if mode == Mode::Quoted && escaped_folds.contains(&fold) {
                out.push_str(&slice(fold, fold + 1));
                out.push('\\');
            }
            out.push('\n');
            out.push_str(indent);
            out.push_str(&slice(fold + 1, next));
        }
    }
    out
}

fn signed(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept() {
        assert_eq!(fold_flow_lines("a b c", "  ", Mode::Flow, None), "a b c");
    }

    #[test]
    fn long_plain_text_breaks_at_spaces() {
        let text = format!("{} {} {}", "a".repeat(34), "b".repeat(49), "c".repeat(20));
        let folded = fold_flow_lines(&text, "        ", Mode::Flow, None);
        assert_eq!(
            folded,
            format!(
                "{}\n        {} {}",
                "a".repeat(34),
                "b".repeat(49),
                "c".repeat(20)
            )
        );
    }
}
