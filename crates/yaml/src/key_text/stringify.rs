//! `yaml`'s stringifier (`dist/stringify/*.js`, 2.9.1), reduced to what `stringifyKey` uses: flow
//! style everywhere, default options, no comments (the parser we build on drops them). Ported
//! function by function so that each can be checked against its original; lengths are JavaScript
//! lengths (UTF-16 code units).

use saphyr_parser::ScalarStyle;

use super::fold::{Mode, fold_flow_lines};
use super::{ScalarKind, Written, WrittenScalar};
use crate::js;

const INDENT_STEP: &str = "  ";
/// `lineWidth`: a flow collection longer than this is spread over several lines.
const LINE_WIDTH: usize = 80;
/// `doubleQuotedMinMultiLineLength`.
const DOUBLE_QUOTED_MIN_MULTI_LINE_LENGTH: usize = 40;

/// The parts of `yaml`'s stringify context that change while a key is printed.
#[derive(Clone, Default)]
struct Ctx {
    indent: String,
    implicit_key: bool,
    all_null_values: bool,
    indent_at_start: Option<usize>,
    actual_string: bool,
}

/// `stringifyKey`: the text of a collection key. The key's own anchor and tag are not printed
/// (`yaml` calls the collection's `toString` directly), those of nodes inside it are.
pub(super) fn key_text(key: &Written) -> String {
    let mut ctx = Ctx::default();
    match key {
        Written::Alias(name) => format!("*{name}"),
        Written::Seq { items, .. } => seq(items, &ctx),
        Written::Map { pairs, .. } => map(pairs, &ctx),
        Written::Scalar(_) => stringify(key, &mut ctx),
    }
}

/// `stringify`: properties, then the node.
fn stringify(node: &Written, ctx: &mut Ctx) -> String {
    let (props, as_scalar) = match node {
        Written::Alias(name) => {
            let space = if ctx.implicit_key { " " } else { "" };
            return format!("*{name}{space}");
        }
        Written::Scalar(s) => (&s.props, None),
        Written::Seq { props, .. } | Written::Map { props, .. } => (&props.text, props.as_scalar),
    };
    if !props.is_empty() {
        ctx.indent_at_start = Some(ctx.indent_at_start.unwrap_or(0) + js::utf16_len(props) + 1);
    }
    if let Some(text) = as_scalar {
        return format!("{props}\n{}{text}", ctx.indent);
    }
    let body = match node {
        Written::Scalar(s) => scalar(s, ctx),
        Written::Seq { items, .. } => seq(items, ctx),
        Written::Map { pairs, .. } => map(pairs, ctx),
        Written::Alias(_) => String::new(),
    };
    if props.is_empty() {
        body
    } else {
        format!("{props} {body}")
    }
}

/// `YAMLSeq.toString`.
fn seq(items: &[Written], ctx: &Ctx) -> String {
    let item_indent = format!("{}{INDENT_STEP}", ctx.indent);
    flow_collection(ctx, item_indent, ('[', ']'), items.len(), |i, item_ctx| {
        stringify(&items[i], item_ctx)
    })
}

/// `YAMLMap.toString`: a mapping whose values are all absent prints its keys alone.
fn map(pairs: &[(Written, Option<Written>)], ctx: &Ctx) -> String {
    let mut ctx = ctx.clone();
    if !ctx.all_null_values && pairs.iter().all(|(_, v)| v.is_none()) {
        ctx.all_null_values = true;
    }
    let item_indent = ctx.indent.clone();
    flow_collection(&ctx, item_indent, ('{', '}'), pairs.len(), |i, item_ctx| {
        let (key, value) = &pairs[i];
        pair(key, value.as_ref(), item_ctx)
    })
}

/// `stringifyFlowCollection`: `[ a, b ]` on one line, or one item per line when an item spans
/// lines or the whole would be wider than [`LINE_WIDTH`].
fn flow_collection(
    ctx: &Ctx,
    item_indent: String,
    (start, end): (char, char),
    count: usize,
    mut item: impl FnMut(usize, &mut Ctx) -> String,
) -> String {
    if count == 0 {
        return format!("{start}{end}");
    }
    // One context for all items, as in `yaml`: what an item's properties add to
    // `indent_at_start` carries over to the next item.
    let mut item_ctx = Ctx {
        indent: format!("{item_indent}{INDENT_STEP}"),
        ..ctx.clone()
    };
    let mut multi_line = false;
    let mut lines = Vec::with_capacity(count);
    for i in 0..count {
        let mut line = item(i, &mut item_ctx);
        multi_line |= line.contains('\n');
        if i + 1 < count {
            line.push(',');
        }
        lines.push(line);
    }
    if !multi_line {
        let width: usize = lines.iter().map(|l| js::utf16_len(l) + 2).sum::<usize>() + 2;
        multi_line = width > LINE_WIDTH;
    }
    if multi_line {
        let mut out = String::from(start);
        for line in &lines {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(INDENT_STEP);
                out.push_str(&ctx.indent);
                out.push_str(line);
            }
        }
        format!("{out}\n{}{end}", ctx.indent)
    } else {
        format!("{start} {} {end}", lines.join(" "))
    }
}

/// `stringifyPair` in flow context. A collection, alias or block-scalar key is explicit (`? k`).
fn pair(key: &Written, value: Option<&Written>, ctx: &Ctx) -> String {
    let explicit_key = match key {
        Written::Seq { .. } | Written::Map { .. } | Written::Alias(_) => true,
        Written::Scalar(s) => matches!(s.style, ScalarStyle::Literal | ScalarStyle::Folded),
    };
    let mut pair_ctx = Ctx {
        indent: format!("{}{INDENT_STEP}", ctx.indent),
        implicit_key: !explicit_key && !ctx.all_null_values,
        all_null_values: false,
        indent_at_start: ctx.indent_at_start,
        actual_string: false,
    };
    let key_str = stringify(key, &mut pair_ctx);
    let Some(value) = value.filter(|_| !ctx.all_null_values) else {
        return if key_str.is_empty() {
            "?".into()
        } else if explicit_key {
            format!("? {key_str}")
        } else {
            key_str
        };
    };
    let head = if explicit_key {
        format!("? {key_str}\n{}:", ctx.indent)
    } else {
        format!("{key_str}:")
    };
    pair_ctx.implicit_key = false;
    if !explicit_key && matches!(value, Written::Scalar(_)) {
        pair_ctx.indent_at_start = Some(js::utf16_len(&head) + 1);
    }
    let value_str = stringify(value, &mut pair_ctx);
    let is_collection = matches!(value, Written::Seq { .. } | Written::Map { .. });
    let gap = if !explicit_key && is_collection {
        match value_str.find('\n') {
            Some(newline) if !props_on_own_line(&value_str, newline) => {
                format!("\n{}", pair_ctx.indent)
            }
            _ => " ".into(),
        }
    } else if value_str.is_empty() || value_str.starts_with('\n') {
        String::new()
    } else {
        " ".into()
    };
    format!("{head}{gap}{value_str}")
}

/// `hasPropsLine` in `stringifyPair`: the value starts with properties that end before its first
/// line break.
fn props_on_own_line(value: &str, newline: usize) -> bool {
    let first = value.as_bytes().first().copied();
    if !matches!(first, Some(b'&' | b'!')) {
        return false;
    }
    let mut space = value.find(' ');
    if first == Some(b'&')
        && space.is_some_and(|s| s < newline && value.as_bytes().get(s + 1) == Some(&b'!'))
    {
        space = space.and_then(|s| value[s + 1..].find(' ').map(|n| n + s + 1));
    }
    space.is_none_or(|s| newline < s)
}

/// A scalar by its resolved type: null, booleans and numbers keep their source form where
/// `yaml`'s tags do; strings go through [`string`].
fn scalar(s: &WrittenScalar, ctx: &Ctx) -> String {
    match s.kind {
        ScalarKind::Null => {
            if matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
                s.text.clone()
            } else {
                "null".into()
            }
        }
        ScalarKind::Bool(b) => {
            let source_true = matches!(s.text.as_str(), "true" | "True" | "TRUE");
            let source_false = matches!(s.text.as_str(), "false" | "False" | "FALSE");
            if (b && source_true) || (!b && source_false) {
                s.text.clone()
            } else {
                b.to_string()
            }
        }
        ScalarKind::Int(i) => int(i, &s.text),
        ScalarKind::Float(f) => float(f, &s.text),
        ScalarKind::Str => {
            let ctx = Ctx {
                actual_string: s.actual_string,
                ..ctx.clone()
            };
            string(&s.text, s.style, &ctx)
        }
    }
}

/// The `int`, `intHex` and `intOct` tags' `stringify`.
fn int(i: i64, source: &str) -> String {
    if source.starts_with("0x") && i >= 0 {
        format!("0x{i:x}")
    } else if source.starts_with("0o") && i >= 0 {
        format!("0o{i:o}")
    } else if i == 0 && source.starts_with('-') {
        // parseInt("-0") is -0, which prints as "-0".
        "-0".into()
    } else {
        i.to_string()
    }
}

/// `stringifyNumber`, `floatExp.stringify` and the hexadecimal form of integers too large for
/// 64 bits, with `minFractionDigits` taken from the source (`1.50` stays `1.50`).
fn float(f: f64, source: &str) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            ".nan"
        } else if f < 0.0 {
            "-.inf"
        } else {
            ".inf"
        }
        .into();
    }
    let unsigned = source.trim_start_matches(['-', '+']);
    if source.starts_with("0x") && f >= 0.0 {
        return format!("0x{:x}", js_integer(f));
    }
    if source.starts_with("0o") && f >= 0.0 {
        return format!("0o{:o}", js_integer(f));
    }
    if unsigned.contains(['e', 'E']) {
        return js::number_to_exponential(f);
    }
    let mut n = if f == 0.0 && f.is_sign_negative() {
        "-0".to_string()
    } else {
        js::number_to_string(f)
    };
    let min_fraction_digits = match source.find('.') {
        Some(dot) if source.ends_with('0') => source.len() - dot - 1,
        _ => 0,
    };
    if min_fraction_digits > 0
        && n.trim_start_matches('-')
            .starts_with(|c: char| c.is_ascii_digit())
        && !n.contains('e')
    {
        let dot = n.find('.').unwrap_or_else(|| {
            n.push('.');
            n.len() - 1
        });
        let have = n.len() - dot - 1;
        for _ in have..min_fraction_digits {
            n.push('0');
        }
    }
    n
}

/// An integral double as an integer, for radix printing (exact below 2^128).
fn js_integer(f: f64) -> u128 {
    // Saturating conversion; only integers too large for 64 bits get here.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = f as u128;
    n
}

/// `stringifyString`: keeps the source quoting where it can; control characters force double
/// quotes; block scalars cannot appear in flow and are quoted.
fn string(value: &str, style: ScalarStyle, ctx: &Ctx) -> String {
    let forced_double = value.chars().any(|c| {
        let c = u32::from(c);
        c <= 0x08 || (0x0b..=0x1f).contains(&c) || (0x7f..=0x9f).contains(&c)
    });
    match style {
        _ if forced_double => double_quoted(value, ctx),
        ScalarStyle::DoubleQuoted => double_quoted(value, ctx),
        ScalarStyle::SingleQuoted => single_quoted(value, ctx),
        ScalarStyle::Plain => plain(value, ctx),
        ScalarStyle::Literal | ScalarStyle::Folded => quoted(value, ctx),
    }
}

/// `quotedString`: single quotes when the text holds double quotes only, else double quotes.
fn quoted(value: &str, ctx: &Ctx) -> String {
    if value.contains('"') && !value.contains('\'') {
        single_quoted(value, ctx)
    } else {
        double_quoted(value, ctx)
    }
}

/// `containsDocumentMarker`: a line starting with `%`, `---` or `...` (JavaScript's `^` with the
/// `m` flag also matches after `\r`, U+2028 and U+2029).
fn contains_document_marker(value: &str) -> bool {
    let marker = |s: &str| s.starts_with('%') || s.starts_with("---") || s.starts_with("...");
    marker(value)
        || value
            .match_indices(['\n', '\r', '\u{2028}', '\u{2029}'])
            .any(|(i, m)| marker(&value[i + m.len()..]))
}

fn indent_for(value: &str, ctx: &Ctx) -> String {
    if !ctx.indent.is_empty() {
        ctx.indent.clone()
    } else if contains_document_marker(value) {
        INDENT_STEP.into()
    } else {
        String::new()
    }
}

/// `doubleQuotedString`: JSON escapes with YAML's short forms, line breaks kept as real breaks in
/// long text, then folded.
fn double_quoted(value: &str, ctx: &Ctx) -> String {
    let json: Vec<u16> = js::json_string(value).encode_utf16().collect();
    let indent = indent_for(value, ctx);
    // Compares code units, so that a surrogate pair never stops the scan.
    let is = |i: usize, c: u8| json.get(i) == Some(&u16::from(c));
    let text = |from: usize, to: usize| {
        let to = to.min(json.len());
        String::from_utf16_lossy(json.get(from.min(to)..to).unwrap_or(&[]))
    };
    let mut out = String::new();
    let mut start = 0;
    let mut i = 0;
    while i < json.len() {
        let mut backslash = is(i, b'\\');
        if is(i, b' ') && is(i + 1, b'\\') && is(i + 2, b'n') {
            // A space before a line break is escaped so that folding keeps it.
            out.push_str(&text(start, i));
            out.push_str("\\ ");
            i += 1;
            start = i;
            backslash = true;
        }
        if backslash {
            if is(i + 1, b'u') {
                out.push_str(&text(start, i));
                let code = text(i + 2, i + 6);
                match code.as_str() {
                    "0000" => out.push_str("\\0"),
                    "0007" => out.push_str("\\a"),
                    "000b" => out.push_str("\\v"),
                    "001b" => out.push_str("\\e"),
                    "0085" => out.push_str("\\N"),
                    "00a0" => out.push_str("\\_"),
                    "2028" => out.push_str("\\L"),
                    "2029" => out.push_str("\\P"),
                    _ if code.starts_with("00") => {
                        out.push_str("\\x");
                        out.push_str(&code[2..]);
                    }
                    _ => out.push_str(&text(i, i + 6)),
                }
                i += 5;
                start = i + 1;
            } else if is(i + 1, b'n') {
                if ctx.implicit_key
                    || is(i + 2, b'"')
                    || json.len() < DOUBLE_QUOTED_MIN_MULTI_LINE_LENGTH
                {
                    i += 1;
                } else {
                    // Folding eats the first line break.
                    out.push_str(&text(start, i));
                    out.push_str("\n\n");
                    while is(i + 2, b'\\') && is(i + 3, b'n') && !is(i + 4, b'"') {
                        out.push('\n');
                        i += 2;
                    }
                    out.push_str(&indent);
                    if is(i + 2, b' ') {
                        out.push('\\');
                    }
                    i += 1;
                    start = i + 1;
                }
            } else {
                i += 1;
            }
        }
        i += 1;
    }
    let out = if start > 0 {
        out + &text(start, json.len())
    } else {
        text(0, json.len())
    };
    if ctx.implicit_key {
        out
    } else {
        fold_flow_lines(&out, &indent, Mode::Quoted, ctx.indent_at_start)
    }
}

/// `singleQuotedString`.
fn single_quoted(value: &str, ctx: &Ctx) -> String {
    let space_at_break = value
        .as_bytes()
        .windows(2)
        .any(|w| matches!(w, [b' ' | b'\t', b'\n'] | [b'\n', b' ' | b'\t']));
    if (ctx.implicit_key && value.contains('\n')) || space_at_break {
        return double_quoted(value, ctx);
    }
    let indent = indent_for(value, ctx);
    let res = format!(
        "'{}'",
        repeat_line_breaks(&value.replace('\'', "''"), &indent)
    );
    if ctx.implicit_key {
        res
    } else {
        fold_flow_lines(&res, &indent, Mode::Flow, ctx.indent_at_start)
    }
}

/// `value.replace(/\n+/g, "$&\n" + indent)`: every run of line breaks gets one more, then the
/// indentation.
fn repeat_line_breaks(value: &str, indent: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '\n' && chars.peek() != Some(&'\n') {
            out.push('\n');
            out.push_str(indent);
        }
    }
    out
}

/// `plainString` in flow context: plain when the text cannot be misread, else quoted.
fn plain(value: &str, ctx: &Ctx) -> String {
    if (ctx.implicit_key && value.contains('\n'))
        || value.contains(['[', ']', '{', '}', ','])
        || plain_is_ambiguous(value)
    {
        return quoted(value, ctx);
    }
    if contains_document_marker(value)
        && (ctx.indent.is_empty() || (ctx.implicit_key && ctx.indent == INDENT_STEP))
    {
        return quoted(value, ctx);
    }
    let text = repeat_line_breaks(value, &ctx.indent);
    // `actualString`: a string that would read back as another type (`!!str 12`, `! ~`) is
    // quoted.
    if ctx.actual_string && !matches!(crate::schema::resolve_plain(&text), crate::Value::Str(_)) {
        return quoted(value, ctx);
    }
    if ctx.implicit_key {
        text
    } else {
        fold_flow_lines(&text, &ctx.indent, Mode::Flow, ctx.indent_at_start)
    }
}

/// The test in `plainString`:
/// `/^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/`.
fn plain_is_ambiguous(value: &str) -> bool {
    let b = value.as_bytes();
    let starts_badly = b
        .first()
        .is_some_and(|c| b"\n\t ,[]{}#&*!|>'\"%@`".contains(c));
    let indicator = matches!(b, [b'?' | b'-'] | [b'?' | b'-', b' ' | b'\t', ..]);
    let inner = b.windows(2).any(|w| {
        matches!(
            w,
            [b'\n' | b':', b' ' | b'\t'] | [b' ' | b'\t', b'\n'] | [b'\n' | b'\t' | b' ', b'#']
        )
    });
    let ends_badly = b.last().is_some_and(|c| b"\n\t :".contains(c));
    starts_badly || indicator || inner || ends_badly
}
