//! Why a file could not be read as a YAML document.

use crate::{Pos, Span};

/// A reason the loader refused a file. Every variant carries the place it is about, a message a
/// partner can act on, and where possible a hint.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    /// The file is larger than [`crate::Limits::max_bytes`].
    #[error("file is {bytes} bytes, more than the limit of {limit} bytes")]
    TooLarge { bytes: usize, limit: usize },
    /// The bytes are not UTF-8 text.
    #[error("file is not valid UTF-8 text (first invalid byte at {at})")]
    NotUtf8 { at: Pos },
    /// The file holds NUL bytes or a UTF-16/UTF-32 byte-order mark: it is binary, not a manifest.
    #[error("file looks binary, not like YAML text ({what} at {at})")]
    Binary { at: Pos, what: &'static str },
    /// The YAML syntax is broken.
    #[error("YAML syntax error at {at}: {message}")]
    Syntax { at: Pos, message: String },
    /// An alias names an anchor that is not defined before it.
    #[error("alias `*{name}` at {at} refers to no anchor defined before it")]
    UndefinedAlias { at: Pos, name: String },
    /// A mapping has the same key twice.
    #[error("duplicate key `{key}` at {second}; it is already defined at {first}")]
    DuplicateKey {
        key: String,
        first: Span,
        second: Span,
    },
    /// Nesting is deeper than [`crate::Limits::max_depth`].
    #[error("nesting deeper than {limit} levels at {at}")]
    TooDeep { at: Pos, limit: usize },
    /// Alias expansion went over budget (a "billion laughs" document, or one that is merely huge).
    #[error("excessive alias expansion at {at}: {reason}")]
    AliasBudget { at: Pos, reason: String },
    /// An alias used inside the very node its anchor names.
    #[error("alias at {at} refers to a node that contains it")]
    RecursiveAlias { at: Pos },
    /// `${NAME}` values would add more text than [`crate::Limits::max_copied_bytes`].
    #[error(
        "variable values would add more than {limit} bytes of text where their placeholders \
         stand (the last at {at})"
    )]
    VariableExpansion { at: Pos, limit: usize },
    /// The stream holds more than one document; Forge reads exactly one.
    #[error("the file holds more than one YAML document (the second starts at {at})")]
    MultipleDocuments { at: Pos },
}

impl LoadError {
    /// The primary place the error is about, if it has one.
    pub fn position(&self) -> Option<Pos> {
        match self {
            LoadError::TooLarge { .. } => None,
            LoadError::NotUtf8 { at }
            | LoadError::Binary { at, .. }
            | LoadError::Syntax { at, .. }
            | LoadError::UndefinedAlias { at, .. }
            | LoadError::TooDeep { at, .. }
            | LoadError::AliasBudget { at, .. }
            | LoadError::RecursiveAlias { at }
            | LoadError::MultipleDocuments { at }
            | LoadError::VariableExpansion { at, .. } => Some(*at),
            LoadError::DuplicateKey { second, .. } => Some(second.start),
        }
    }

    /// Other places worth showing, with a label for each.
    pub fn related(&self) -> Vec<(Span, String)> {
        match self {
            LoadError::DuplicateKey { key, first, .. } => {
                vec![(*first, format!("`{key}` first defined here"))]
            }
            _ => Vec::new(),
        }
    }

    /// A concrete way out, where there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            LoadError::UndefinedAlias { name, .. } => Some(format!(
                "a plain value that starts with `*` is read as an alias; if this is an address, \
                 quote it: '*{name}'"
            )),
            LoadError::DuplicateKey { key, .. } => Some(format!(
                "keep one `{key}` and merge the two values; Forge refuses duplicate keys"
            )),
            LoadError::NotUtf8 { .. } => Some("save the file as UTF-8".to_string()),
            LoadError::MultipleDocuments { .. } => Some(
                "remove the second `---` and everything after it, or merge the documents".into(),
            ),
            LoadError::Syntax { message, .. } if message.contains("tab") => {
                Some("indent with spaces; YAML does not allow tabs for indentation".into())
            }
            _ => None,
        }
    }

    /// True when the input was refused for its size or shape rather than for its syntax.
    pub fn is_resource_limit(&self) -> bool {
        matches!(
            self,
            LoadError::TooLarge { .. } | LoadError::TooDeep { .. } | LoadError::AliasBudget { .. }
        )
    }
}
