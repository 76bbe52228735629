//! Scalar resolution under the YAML 1.2 core schema, as the npm `yaml` package implements it.
//!
//! Only plain (unquoted) scalars are resolved; quoted and block scalars are always strings.

use crate::Value;

/// Resolves a plain scalar's text to a typed value.
pub(crate) fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(v) = resolve_number(text) {
        return v;
    }
    Value::Str(text.to_string())
}

/// Resolves a scalar carrying an explicit core-schema tag (`!!str`, `!!int`, ...). Only the
/// tag's own forms resolve: `!!int 1.5` or `!!float 1` fails the tag's test, which `yaml` reports
/// as a warning and reads as a string.
pub(crate) fn resolve_tagged(suffix: &str, text: &str) -> Value {
    let fits = match suffix {
        "null" => matches!(text, "" | "~" | "null" | "Null" | "NULL"),
        "bool" => matches!(text, "true" | "True" | "TRUE" | "false" | "False" | "FALSE"),
        "int" => is_core_int(text),
        "float" => is_core_float_form(text),
        _ => false,
    };
    if fits {
        resolve_plain(text)
    } else {
        Value::Str(text.to_string())
    }
}

/// The `int`, `intOct` and `intHex` tests: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`.
fn is_core_int(text: &str) -> bool {
    let all = |s: &str, f: fn(&u8) -> bool| !s.is_empty() && s.as_bytes().iter().all(f);
    if let Some(oct) = text.strip_prefix("0o") {
        return all(oct, |b| (b'0'..=b'7').contains(b));
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return all(hex, u8::is_ascii_hexdigit);
    }
    all(
        text.strip_prefix(['-', '+']).unwrap_or(text),
        u8::is_ascii_digit,
    )
}

/// The `floatNaN`, `floatExp` and `float` tests: what [`resolve_plain`] reads as a float.
fn is_core_float_form(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    matches!(unsigned, ".inf" | ".Inf" | ".INF")
        || (!unsigned.starts_with(['-', '+']) && is_core_float(unsigned))
}

fn resolve_number(text: &str) -> Option<Value> {
    let bytes = text.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    if let Some(digits) = text.strip_prefix("0x") {
        return radix(digits, 16);
    }
    if let Some(digits) = text.strip_prefix("0o") {
        return radix(digits, 8);
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let negative = text.starts_with('-');
    match unsigned {
        ".inf" | ".Inf" | ".INF" => {
            return Some(Value::Float(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }));
        }
        _ => {}
    }
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return Some(match text.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(text.parse::<f64>().ok()?),
        });
    }
    if is_core_float(unsigned) {
        return text.parse::<f64>().ok().map(Value::Float);
    }
    None
}

/// `(\.[0-9]+|[0-9]+\.[0-9]*)` optionally followed by `[eE][-+]?[0-9]+`; a mantissa without a dot
/// (`[0-9]+`) is a float only with an exponent.
fn is_core_float(s: &str) -> bool {
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            all_digits(int) && all_digits(frac) && (!int.is_empty() || !frac.is_empty())
        }
        None => exponent.is_some() && !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && all_digits(digits)
    });
    mantissa_ok && exponent_ok
}

fn radix(digits: &str, radix: u32) -> Option<Value> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    Some(match i64::from_str_radix(digits, radix) {
        Ok(i) => Value::Int(i),
        Err(_) => Value::Float(
            digits
                .chars()
                .filter_map(|c| c.to_digit(radix))
                .fold(0f64, |acc, d| acc * f64::from(radix) + f64::from(d)),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_str(text: &str) -> bool {
        matches!(resolve_plain(text), Value::Str(_))
    }

    #[test]
    fn yaml_1_1_booleans_are_strings() {
        for word in ["yes", "no", "on", "off", "Yes", "NO", "y", "n"] {
            assert!(is_str(word), "{word}");
        }
        assert_eq!(resolve_plain("true"), Value::Bool(true));
        assert_eq!(resolve_plain("FALSE"), Value::Bool(false));
    }

    #[test]
    fn numbers() {
        assert_eq!(resolve_plain("42"), Value::Int(42));
        assert_eq!(resolve_plain("-7"), Value::Int(-7));
        assert_eq!(resolve_plain("0x1F"), Value::Int(31));
        assert_eq!(resolve_plain("0o17"), Value::Int(15));
        assert_eq!(resolve_plain("1.5"), Value::Float(1.5));
        assert_eq!(resolve_plain("1."), Value::Float(1.0));
        assert_eq!(resolve_plain(".5"), Value::Float(0.5));
        assert_eq!(resolve_plain("1e3"), Value::Float(1000.0));
        assert_eq!(resolve_plain("-.inf"), Value::Float(f64::NEG_INFINITY));
        assert!(is_str("1_000"));
        assert!(is_str("0b101"));
        assert!(is_str("."));
        assert!(is_str("1.2.3"));
        assert!(is_str("22.x"));
        assert!(is_str("+"));
        assert!(is_str("0x"));
    }

    #[test]
    fn nulls() {
        for word in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(resolve_plain(word), Value::Null);
        }
        assert!(is_str("nULL"));
    }
}
