//! `!!binary`: `yaml` decodes it with Node's `Buffer.from(text, 'base64')`, and Forge sees the
//! `Buffer` through `JSON.stringify` as `{"type": "Buffer", "data": [bytes]}`.

/// Decodes base64 as Node does: both the standard and the URL-safe alphabet, every other
/// character (whitespace included) skipped, decoding stops at the first `=`, and a lone trailing
/// character is dropped.
pub(super) fn decode_base64(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    let (mut bits, mut count) = (0u32, 0u32);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xFF).unwrap_or(0));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_as_node_does() {
        let cases: [(&str, &[u8]); 12] = [
            ("aGk=", b"hi"),
            ("aGk", b"hi"),
            ("aG k=\n", b"hi"),
            ("a$Gk=", b"hi"),
            ("aGk=aGk=", b"hi"),
            ("aG=k", b"h"),
            ("-_-_", &[251, 255, 191]),
            ("+/+/", &[251, 255, 191]),
            ("a", b""),
            ("abc", &[105, 183]),
            ("=abc", b""),
            ("ab\u{e9}cd", &[105, 183, 29]),
        ];
        for (text, want) in cases {
            assert_eq!(decode_base64(text), want, "{text}");
        }
    }
}
