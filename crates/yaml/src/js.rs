//! How JavaScript prints numbers and strings. Forge's parser runs in JavaScript, so wherever it
//! turns a value into text (an object key, a stringified collection key, `JSON.stringify`) we
//! have to produce the same characters.

/// `String(n)` (and `JSON.stringify(n)` for finite `n`): the shortest digits that read back as
/// `n`, laid out as ECMAScript's `Number::toString` does, with an exponent only beyond 1e21 or
/// below 1e-6.
pub(crate) fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n == 0.0 {
        return "0".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let (digits, exponent) = shortest_digits(n.abs());
    // ECMAScript's `n`: the value is 0.digits × 10^point.
    let point = exponent + 1;
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let body = if k <= point && point <= 21 {
        format!(
            "{digits}{}",
            "0".repeat(usize::try_from(point - k).unwrap_or(0))
        )
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(usize::try_from(point).unwrap_or(0));
        format!("{int}.{frac}")
    } else if -6 < point && point <= 0 {
        format!(
            "0.{}{digits}",
            "0".repeat(usize::try_from(-point).unwrap_or(0))
        )
    } else {
        return format!("{sign}{}", exponential(&digits, exponent));
    };
    format!("{sign}{body}")
}

/// `n.toExponential()` without an argument: as many digits as `n` needs, then `e+X` or `e-X`.
pub(crate) fn number_to_exponential(n: f64) -> String {
    if !n.is_finite() {
        return number_to_string(n);
    }
    if n == 0.0 {
        return "0e+0".into();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let (digits, exponent) = shortest_digits(n.abs());
    format!("{sign}{}", exponential(&digits, exponent))
}

/// `d.ddde+X` from significant digits and the power of ten of the first one.
fn exponential(digits: &str, exponent: i64) -> String {
    let sign = if exponent < 0 { '-' } else { '+' };
    let (first, rest) = digits.split_at(1);
    let dot = if rest.is_empty() { "" } else { "." };
    format!("{first}{dot}{rest}e{sign}{}", exponent.abs())
}

/// The shortest significant digits that read back as `n` (positive, finite) and the power of ten
/// of the first digit. Rust's `{:e}` finds the same shortest digits JavaScript does.
fn shortest_digits(n: f64) -> (String, i64) {
    let text = format!("{n:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// `JSON.stringify(s)` for a string: quotes, backslash escapes for `"` and `\`, the short escapes
/// for control characters that have one and `\u00XX` for the others.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string's `length` in JavaScript: UTF-16 code units, which is what `yaml` measures line
/// widths in.
pub(crate) fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-7.0, "-7"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (2.5e300, "2.5e+300"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
            (0.000123, "0.000123"),
            (123.456, "123.456"),
        ];
        for (n, want) in cases {
            assert_eq!(number_to_string(n), want, "{n}");
        }
    }

    #[test]
    fn exponential_form() {
        assert_eq!(number_to_exponential(1000.0), "1e+3");
        assert_eq!(number_to_exponential(2500.0), "2.5e+3");
        assert_eq!(number_to_exponential(0.00015), "1.5e-4");
        assert_eq!(number_to_exponential(-1.0), "-1e+0");
        assert_eq!(number_to_exponential(0.0), "0e+0");
    }

    #[test]
    fn json_strings() {
        assert_eq!(
            json_string("a\"b\\c\n\u{1}\u{7f}"),
            "\"a\\\"b\\\\c\\n\\u0001\u{7f}\""
        );
        assert_eq!(utf16_len("a😀"), 3);
    }
}
