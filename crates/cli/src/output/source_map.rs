//! Converts line/column spans (1-based, columns in characters) into byte ranges of the source.

use apptrust_yaml::{Pos, Span};

/// Byte offsets of the start of each line.
pub struct SourceMap<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> SourceMap<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceMap { text, line_starts }
    }

    /// The byte offset of a position, clamped to the text.
    pub fn offset(&self, pos: Pos) -> usize {
        let line = (pos.line.max(1) - 1) as usize;
        let Some(&start) = self.line_starts.get(line) else {
            return self.text.len();
        };
        let end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        let line_text = &self.text[start..end];
        let column = (pos.column.max(1) - 1) as usize;
        start
            + line_text
                .char_indices()
                .nth(column)
                .map_or(line_text.len(), |(i, _)| i)
    }

    /// The text of lines `first..=last` (1-based, clamped) and the byte offset where it starts.
    pub fn lines(&self, first: u32, last: u32) -> (&'a str, usize) {
        let start = self.line_start(first);
        let end = self
            .line_starts
            .get(last.max(first) as usize)
            .map_or(self.text.len(), |&next| next.saturating_sub(1).max(start));
        (&self.text[start..end.max(start)], start)
    }

    fn line_start(&self, line: u32) -> usize {
        let index = (line.max(1) - 1) as usize;
        self.line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The byte range of a span; a zero-width span widens to the character it points at, and a
    /// span ending after a line break is pulled back to the end of the previous line.
    pub fn range(&self, span: Span) -> std::ops::Range<usize> {
        let start = self.offset(span.start);
        let mut end = self.offset(span.end).max(start);
        while end > start && self.text[..end].ends_with(['\n', '\r', ' ']) {
            end -= 1;
        }
        if end == start {
            end = self.text[start..]
                .chars()
                .next()
                .filter(|c| *c != '\n')
                .map_or(start, |c| start + c.len_utf8());
        }
        start..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_characters() {
        let map = SourceMap::new("a: é\nbb: x\n");
        assert_eq!(map.offset(Pos::new(1, 4)), 3);
        assert_eq!(map.offset(Pos::new(2, 5)), 10);
        assert_eq!(map.range(Span::new(Pos::new(1, 4), Pos::new(1, 5))), 3..5);
        assert_eq!(map.range(Span::point(Pos::new(2, 1))), 6..7);
        assert_eq!(map.offset(Pos::new(9, 1)), 12);
    }
}
