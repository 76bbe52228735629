//! Finds YAML comments with a line scan, without parsing the document.
//!
//! The YAML loader drops comments, as Forge's parser does, so waivers are found here. A `#`
//! starts a comment only at the start of a line or after whitespace, and only outside quoted
//! scalars and block scalars (`|`, `>`): `url: https://x.example/#frag`, `reason: 'a # b'` and
//! the text of a `description: |` block hold no comment.
//!
//! Limitations of a line scan, accepted because waivers are written by people on ordinary
//! lines: a quoted scalar is recognised only where one can start (after `: `, `- `, `? `, `[`,
//! `{`, `,`, a tag or an anchor, or at the start of a line), and a block scalar's extent is
//! judged by indentation alone (an explicit indentation indicator is ignored). A `#` that a
//! real parser would read inside such an unusual scalar may be taken for a comment here, and
//! the other way round; the loader is never affected, only which waivers are seen.

/// One comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment<'a> {
    /// 1-based line of the `#`.
    pub line: u32,
    /// 1-based column of the `#`, in characters.
    pub column: u32,
    /// Byte offset of the `#` within its line.
    pub offset: usize,
    /// The text after the `#`, up to the end of the line (no line break).
    pub text: &'a str,
    /// True when nothing but whitespace precedes the `#` on its line.
    pub own_line: bool,
}

impl Comment<'_> {
    /// 1-based column just after the comment's last non-blank character.
    pub fn end_column(&self) -> u32 {
        let chars = self.text.trim_end().chars().count();
        self.column
            .saturating_add(u32::try_from(chars).unwrap_or(u32::MAX - self.column))
            .saturating_add(1)
    }
}

/// Every comment of `source`, in line order. Lines are split at `\n` (a trailing `\r` is not
/// part of a line), numbered as the loader numbers them.
pub fn scan(source: &str) -> Vec<Comment<'_>> {
    let mut comments = Vec::new();
    let mut quote: Option<char> = None;
    let mut block: Option<usize> = None;
    for (index, raw) in source.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(parent) = block {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            block = None;
        }
        let (comment, open) = scan_line(line, quote);
        quote = open;
        if let Some(offset) = comment {
            let prefix = &line[..offset];
            comments.push(Comment {
                line: number,
                column: u32::try_from(prefix.chars().count() + 1).unwrap_or(u32::MAX),
                offset,
                text: &line[offset + 1..],
                own_line: prefix.trim().is_empty(),
            });
        }
        if quote.is_none() {
            let content = &line[..comment.unwrap_or(line.len())];
            block = block_scalar_parent(content);
        }
    }
    comments
}

/// Scans one line, starting inside a quoted scalar when `quote` is set. Returns the byte offset
/// of the comment's `#`, if any, and the quote still open at the end of the line.
fn scan_line(line: &str, mut quote: Option<char>) -> (Option<usize>, Option<char>) {
    let mut chars = line.char_indices().peekable();
    // Whether a quoted scalar may start at the next character.
    let mut scalar_may_start = true;
    let mut previous: Option<char> = None;
    // The first character of the current whitespace-separated token.
    let mut token_start: Option<char> = None;
    while let Some((at, c)) = chars.next() {
        if let Some(q) = quote {
            if c == '\\' && q == '"' {
                chars.next();
            } else if c == q {
                if q == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') {
                    chars.next();
                } else {
                    quote = None;
                    scalar_may_start = false;
                }
            }
            previous = Some(c);
            continue;
        }
        let after_space = previous.is_none_or(char::is_whitespace);
        match c {
            '#' if after_space => return (Some(at), None),
            '\'' | '"' if scalar_may_start => {
                quote = Some(c);
                previous = Some(c);
                continue;
            }
            _ => {}
        }
        if c.is_whitespace() {
            // After an indicator (`:`, `-`, `?`) or a tag or anchor, whitespace opens a place
            // where a scalar may start; after a plain word it does not.
            scalar_may_start = match (previous, token_start) {
                (None, _) => true,
                (Some(p), _) if p.is_whitespace() => scalar_may_start,
                (Some(':' | '-' | '?' | '[' | '{' | ','), _) => true,
                (_, Some('!' | '&')) => true,
                _ => false,
            };
            token_start = None;
        } else {
            if token_start.is_none() {
                token_start = Some(c);
            }
            scalar_may_start = matches!(c, '[' | '{' | ',');
            if scalar_may_start {
                token_start = None;
            }
        }
        previous = Some(c);
    }
    (None, quote)
}

/// When a line (comment removed) ends with a block scalar header (`key: |`, `- >-`), the
/// indentation its content must exceed; `None` otherwise.
fn block_scalar_parent(content: &str) -> Option<usize> {
    let trimmed = content.trim_end();
    let header = trimmed.rsplit(char::is_whitespace).next()?;
    let mut rest = header.chars();
    if !matches!(rest.next(), Some('|' | '>')) || !rest.all(|c| matches!(c, '+' | '-' | '1'..='9'))
    {
        return None;
    }
    let before = trimmed[..trimmed.len() - header.len()].trim_end();
    let starts_value = before.is_empty()
        || before.ends_with(':')
        || before.ends_with(" -")
        || before == "-"
        || before
            .rsplit(char::is_whitespace)
            .next()
            .is_some_and(|t| t.starts_with('!') || t.starts_with('&'));
    if !starts_value {
        return None;
    }
    // The parent is the key the scalar belongs to, or the `-` of a sequence item holding it.
    let indent = content.len() - content.trim_start_matches(' ').len();
    let mut column = indent;
    let mut body = &content[indent..];
    let mut last_dash = None;
    while let Some(after) = body.strip_prefix('-').filter(|a| a.starts_with(' ')) {
        last_dash = Some(column);
        let skipped = after.len() - after.trim_start_matches(' ').len();
        column += 1 + skipped;
        body = &after[skipped..];
    }
    if body.trim_end() == header {
        last_dash.or(Some(indent))
    } else {
        Some(column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<(u32, u32, &str, bool)> {
        scan(source)
            .into_iter()
            .map(|c| (c.line, c.column, c.text, c.own_line))
            .collect()
    }

    #[test]
    fn finds_own_line_and_trailing_comments() {
        let source = "# top\napp:\n  id: x # trailing\n    # indented\n";
        assert_eq!(
            texts(source),
            vec![
                (1, 1, " top", true),
                (3, 9, " trailing", false),
                (4, 5, " indented", true),
            ]
        );
    }

    #[test]
    fn a_hash_inside_a_word_or_a_quoted_scalar_is_not_a_comment() {
        let source = concat!(
            "url: https://x.example/#frag\n",
            "a: 'it''s # not' # yes\n",
            "b: \"say \\\" # no\" # yes\n",
            "c: [ 'x # no', \"y\" ] # yes\n",
            "d: it's # yes, the apostrophe is inside a plain scalar\n",
            "e: !tag '# no'\n",
            "f: &anchor \"# no\"\n",
            "key:'x' # yes\n",
        );
        let found: Vec<u32> = scan(source).iter().map(|c| c.line).collect();
        assert_eq!(found, vec![2, 3, 4, 5, 8]);
        assert_eq!(scan(source)[0].text, " yes");
    }

    #[test]
    fn quoted_scalars_may_span_lines() {
        let source = "a: \"first\n  # inside\n  last\" # after\nb: 1 # b\n";
        let found: Vec<u32> = scan(source).iter().map(|c| c.line).collect();
        assert_eq!(found, vec![3, 4]);
    }

    #[test]
    fn block_scalars_hold_no_comments() {
        let source = concat!(
            "description: | # header comment\n",
            "  # text, not a comment\n",
            "\n",
            "  more text # still text\n",
            "next: 1 # comment\n",
            "items:\n",
            "  - >-\n",
            "   # text of the item\n",
            "  - key: |\n",
            "      # text\n",
            "    other: 2 # comment\n",
        );
        let found: Vec<u32> = scan(source).iter().map(|c| c.line).collect();
        assert_eq!(found, vec![1, 5, 11]);
    }

    #[test]
    fn crlf_and_unicode_columns() {
        let comments = scan("é: x # c\r\nb: y\r\n");
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0].column, 6);
        assert_eq!(comments[0].text, " c");
        assert_eq!(comments[0].end_column(), 9);
    }
}
