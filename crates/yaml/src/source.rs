//! Reads the source text at the places parser events point to, for the few facts the events leave
//! out: anchor and alias names, and whether a mapping value was written at all. Only collection
//! keys need these (see `key_text`), so nothing here runs for an ordinary manifest.

/// The text and a cursor that turns the parser's character offsets into byte offsets. Events come
/// in source order, so the cursor only moves forward and the whole file is walked at most once.
pub(crate) struct Source<'t> {
    text: &'t str,
    /// Whether the text is ASCII (character offsets are byte offsets); found out when first
    /// needed.
    ascii: Option<bool>,
    chars: usize,
    bytes: usize,
}

impl<'t> Source<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        Source {
            text,
            ascii: None,
            chars: 0,
            bytes: 0,
        }
    }

    /// The text from a character offset on.
    fn rest(&mut self, char_index: usize) -> &'t str {
        let ascii = *self.ascii.get_or_insert_with(|| self.text.is_ascii());
        let at = if ascii {
            char_index.min(self.text.len())
        } else {
            if char_index < self.chars {
                (self.chars, self.bytes) = (0, 0);
            }
            for c in self.text[self.bytes..].chars() {
                if self.chars >= char_index {
                    break;
                }
                self.chars += 1;
                self.bytes += c.len_utf8();
            }
            self.bytes
        };
        self.text.get(at..).unwrap_or("")
    }

    /// The name of the `&anchor` among the node properties (anchor and tag, in either order)
    /// that start at `char_index`.
    pub(crate) fn anchor_at(&mut self, char_index: usize) -> String {
        let mut rest = self.rest(char_index);
        for _ in 0..2 {
            if let Some(name) = rest.strip_prefix('&') {
                return name_at(name);
            }
            if !rest.starts_with('!') {
                break;
            }
            rest = rest
                .trim_start_matches(|c: char| !c.is_whitespace())
                .trim_start();
        }
        String::new()
    }

    /// The anchor name of the `*alias` at `char_index`.
    pub(crate) fn alias_at(&mut self, char_index: usize) -> String {
        let rest = self.rest(char_index);
        name_at(rest.strip_prefix('*').unwrap_or(rest))
    }

    /// Whether the empty mapping value the parser reports at `char_index` follows a `:`. Without
    /// one (`? key` alone, or `{ key }`) `yaml` has no value node at all, which prints
    /// differently. The parser puts the empty value at the `:` or after the whitespace that
    /// follows it.
    pub(crate) fn value_indicator_at(&mut self, char_index: usize) -> bool {
        let rest = self.rest(char_index);
        if rest.starts_with(':') {
            return true;
        }
        let before = &self.text[..self.text.len() - rest.len()];
        before
            .trim_end_matches([' ', '\t', '\r', '\n'])
            .ends_with(':')
    }
}

/// An anchor name: everything up to whitespace or a flow indicator.
fn name_at(text: &str) -> String {
    text.chars()
        .take_while(|&c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_indicators() {
        let mut s = Source::new("é: &a !t [*a, !t &b x]\n{k, v: }");
        assert_eq!(s.anchor_at(3), "a");
        assert_eq!(s.alias_at(10), "a");
        assert_eq!(s.anchor_at(14), "b");
        assert!(!s.value_indicator_at(25));
        assert!(s.value_indicator_at(28));
    }
}
