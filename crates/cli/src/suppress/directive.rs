//! The waiver comment's grammar:
//!
//! ```text
//! # apptrust: allow CODE[,CODE...] [until=YYYY-MM-DD] reason="..."
//! ```
//!
//! Only comments whose text starts with `apptrust:` are directives; anything else is an
//! ordinary comment and never a problem. Attributes may come in any order. The reason is a
//! double-quoted string (`\"` and `\\` escape) because reasons have spaces and a YAML comment
//! offers no other delimiter; an unquoted reason is refused rather than cut at the first space.
//! Whether a reason is present, and whether each code exists and may be waived, is judged by
//! the caller: this module only reads what was written.

use super::date::Date;

/// A parsed `apptrust: allow` directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The codes as written (not yet looked up).
    pub codes: Vec<String>,
    /// The last day the waiver holds, when given.
    pub until: Option<Date>,
    /// The reason, when given (possibly blank).
    pub reason: Option<String>,
}

/// The prefix that marks a comment as meant for apptrust.
const MARKER: &str = "apptrust:";

/// The grammar, for error messages.
pub const SYNTAX: &str = "# apptrust: allow CODE until=YYYY-MM-DD reason=\"...\"";

/// Reads a comment's text (after the `#`). `None` for a comment that is not meant for apptrust;
/// `Some(Err(message))` for one that is but cannot be read.
pub fn parse(comment: &str) -> Option<Result<Directive, String>> {
    let rest = comment.trim_start().strip_prefix(MARKER)?;
    Some(parse_directive(rest.trim()))
}

fn parse_directive(text: &str) -> Result<Directive, String> {
    let (verb, mut rest) = split_word(text);
    if verb != "allow" {
        return Err(if verb.is_empty() {
            format!("an empty apptrust directive; write `{SYNTAX}`")
        } else {
            format!("unknown apptrust directive `{verb}`; the only one is `{SYNTAX}`")
        });
    }
    let attributes_at = first_attribute(rest);
    let codes: Vec<String> = rest[..attributes_at]
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    if codes.is_empty() {
        return Err(format!("name the code to allow: `{SYNTAX}`"));
    }
    rest = &rest[attributes_at..];
    let mut directive = Directive {
        codes,
        until: None,
        reason: None,
    };
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(directive);
        }
        let Some((key, value)) = rest.split_once('=') else {
            let (word, _) = split_word(rest);
            return Err(format!(
                "unexpected `{word}`: codes come first, then `until=` and `reason=`"
            ));
        };
        match key {
            "until" => {
                let (date, after) = split_word(value);
                if directive.until.is_some() {
                    return Err("`until=` is given twice".to_string());
                }
                directive.until = Some(Date::parse(date).map_err(|e| format!("until={e}"))?);
                rest = after;
            }
            "reason" => {
                if directive.reason.is_some() {
                    return Err("`reason=` is given twice".to_string());
                }
                let (reason, after) = quoted(value)?;
                directive.reason = Some(reason);
                rest = after;
            }
            other => {
                return Err(format!(
                    "unknown attribute `{other}=`; a waiver takes `until=` and `reason=`"
                ));
            }
        }
    }
}

/// Byte offset of the first whitespace-separated word holding a `=` (the end when none does).
fn first_attribute(text: &str) -> usize {
    let mut word_start = None;
    for (at, c) in text.char_indices().chain([(text.len(), ' ')]) {
        if !c.is_whitespace() {
            word_start.get_or_insert(at);
        } else if let Some(start) = word_start.take()
            && text[start..at].contains('=')
        {
            return start;
        }
    }
    text.len()
}

/// The first whitespace-separated word and the text after it.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

/// A double-quoted string at the start of `text` and the text after its closing quote.
fn quoted(text: &str) -> Result<(String, &str), String> {
    let Some(body) = text.strip_prefix('"') else {
        return Err("write the reason in double quotes: reason=\"...\"".to_string());
    };
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => {
                let after = &body[at + 1..];
                if !after.is_empty() && !after.starts_with(char::is_whitespace) {
                    return Err("put a space after the reason's closing quote".to_string());
                }
                return Ok((value, after));
            }
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => break,
            },
            _ => value.push(c),
        }
    }
    Err("the reason's closing quote is missing".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(comment: &str) -> Directive {
        match parse(comment) {
            Some(Ok(directive)) => directive,
            other => panic!("{comment}: {other:?}"),
        }
    }

    fn err(comment: &str) -> String {
        match parse(comment) {
            Some(Err(message)) => message,
            other => panic!("{comment}: {other:?}"),
        }
    }

    #[test]
    fn ordinary_comments_are_not_directives() {
        assert_eq!(parse(" just a note"), None);
        assert_eq!(parse(" apptrust allow HAS_REMOTES"), None);
        assert_eq!(parse(" see apptrust: allow"), None);
    }

    #[test]
    fn reads_codes_date_and_reason() {
        let d = ok(
            " apptrust: allow HAS_REMOTES until=2026-06-30 reason=\"moving to \\\"Forge\\\" # soon\"",
        );
        assert_eq!(d.codes, vec!["HAS_REMOTES"]);
        assert_eq!(d.until, Date::parse("2026-06-30").ok());
        assert_eq!(d.reason.as_deref(), Some("moving to \"Forge\" # soon"));

        let d = ok("apptrust: allow has_defined_egress, EGRESS_STRING_ENTRY reason=\"x\"");
        assert_eq!(d.codes, vec!["has_defined_egress", "EGRESS_STRING_ENTRY"]);
        assert_eq!(d.until, None);

        let d = ok(" apptrust: allow A,B reason=\"\" until=2025-01-01 ");
        assert_eq!(d.codes, vec!["A", "B"]);
        assert_eq!(d.reason.as_deref(), Some(""));

        let d = ok(" apptrust: allow HAS_REMOTES");
        assert_eq!(d.reason, None);
    }

    #[test]
    fn explains_what_cannot_be_read() {
        assert!(err(" apptrust:").contains("empty"));
        assert!(err(" apptrust: ignore X").contains("unknown apptrust directive `ignore`"));
        assert!(err(" apptrust: allow").contains("name the code"));
        assert!(err(" apptrust: allow reason=\"x\"").contains("name the code"));
        assert!(err(" apptrust: allow X reason=unquoted words").contains("double quotes"));
        assert!(err(" apptrust: allow X reason=\"open").contains("closing quote"));
        assert!(err(" apptrust: allow X reason=\"a\"b").contains("space after"));
        assert!(err(" apptrust: allow X until=2025-02-30 reason=\"a\"").contains("until="));
        assert!(err(" apptrust: allow X until=soon reason=\"a\"").contains("YYYY-MM-DD"));
        assert!(err(" apptrust: allow X expires=2025-01-01").contains("unknown attribute"));
        assert!(err(" apptrust: allow X reason=\"a\" reason=\"b\"").contains("twice"));
        assert!(err(" apptrust: allow X reason=\"a\" trailing").contains("unexpected `trailing`"));
    }
}
