//! Source positions. Lines and columns are 1-based and columns count Unicode scalar values, as
//! editors and SARIF viewers expect.

use std::fmt;

/// One place in the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl Pos {
    /// Builds a position from 1-based line and column numbers.
    pub fn new(line: u32, column: u32) -> Self {
        Pos { line, column }
    }

    pub(crate) fn from_marker(m: &saphyr_parser::Marker) -> Self {
        Pos {
            line: u32::try_from(m.line()).unwrap_or(u32::MAX),
            column: u32::try_from(m.col()).unwrap_or(u32::MAX - 1) + 1,
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A range of source text: `start` inclusive, `end` exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First character of the range.
    pub start: Pos,
    /// Position just after the last character of the range.
    pub end: Pos,
}

impl Span {
    /// Builds a span from its two ends.
    pub fn new(start: Pos, end: Pos) -> Self {
        Span { start, end }
    }

    /// A zero-width span at one position.
    pub fn point(at: Pos) -> Self {
        Span { start: at, end: at }
    }

    pub(crate) fn from_saphyr(s: &saphyr_parser::Span) -> Self {
        Span {
            start: Pos::from_marker(&s.start),
            end: Pos::from_marker(&s.end),
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.start)
    }
}
