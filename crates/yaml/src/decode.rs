//! Turns raw bytes into the text the parser reads, refusing what is not UTF-8 text.

use crate::{Limits, LoadError, Pos};

/// Checks size, strips a UTF-8 byte-order mark and validates the encoding.
pub(crate) fn decode<'a>(bytes: &'a [u8], limits: &Limits) -> Result<&'a str, LoadError> {
    if bytes.len() > limits.max_bytes {
        return Err(LoadError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(LoadError::Binary {
            at: Pos::new(1, 1),
            what: "a UTF-16 byte-order mark",
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            return Err(LoadError::NotUtf8 {
                at: position_of(bytes, e.valid_up_to()),
            });
        }
    };
    if let Some(nul) = text.find('\0') {
        return Err(LoadError::Binary {
            at: position_of(bytes, nul),
            what: "a NUL byte",
        });
    }
    Ok(text)
}

/// Line and column of a byte offset, counting columns in characters of the valid prefix.
fn position_of(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Pos::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_located() {
        let err = decode(b"a: 1\nb: \xFF\n", &Limits::default()).unwrap_err();
        assert_eq!(err, LoadError::NotUtf8 { at: Pos::new(2, 4) });
    }

    #[test]
    fn bom_is_skipped() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFa: 1", &Limits::default()).unwrap(),
            "a: 1"
        );
    }

    #[test]
    fn nul_means_binary() {
        assert!(matches!(
            decode(b"a: \0", &Limits::default()),
            Err(LoadError::Binary { .. })
        ));
    }

    #[test]
    fn size_limit_applies_before_anything_else() {
        let limits = Limits {
            max_bytes: 3,
            ..Limits::default()
        };
        assert!(matches!(
            decode(b"abcd", &limits),
            Err(LoadError::TooLarge { bytes: 4, limit: 3 })
        ));
    }
}
