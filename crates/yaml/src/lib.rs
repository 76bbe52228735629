//! A YAML loader that reads a Forge `manifest.yml` exactly as Forge does, and remembers where every
//! value came from.
//!
//! Forge parses manifests with the npm `yaml` 2.x package and its default options: the YAML 1.2 core
//! schema, duplicate keys as errors, aliases expanded under a budget, no merge keys. This crate
//! reproduces that reading (the conformance test compares it with the real parser over hundreds of
//! real manifests) and keeps the line and column of every node, so that every finding the rules
//! engine reports can point at the text the partner wrote.
//!
//! Hostile input is bounded: see [`Limits`]. Loading never panics, never recurses on input depth and
//! never allocates more than a fixed multiple of the limits.

mod compose;
mod decode;
mod directives;
mod error;
pub mod interpolate;
mod js;
pub mod json;
mod key_text;
mod known_tags;
mod limits;
mod node;
mod schema;
mod source;
mod span;

pub use error::LoadError;
pub use limits::Limits;
pub use node::{Entry, Node, Value};
pub use span::{Pos, Span};

/// Loads one manifest from raw bytes: decodes UTF-8 (a BOM is skipped), parses, resolves scalars
/// with the core schema and expands aliases. Returns the root node; an empty document is `Null`.
pub fn load(bytes: &[u8], limits: &Limits) -> Result<Node, LoadError> {
    let text = decode::decode(bytes, limits)?;
    compose::compose(text, limits)
}

/// Loads one manifest from text that is already known to be UTF-8.
pub fn load_str(text: &str, limits: &Limits) -> Result<Node, LoadError> {
    let text = decode::decode(text.as_bytes(), limits)?;
    compose::compose(text, limits)
}

/// Returns the text that Forge's parser sees: the input without a leading byte-order mark.
/// Positions in [`Span`]s refer to this text.
pub fn source_text(bytes: &[u8]) -> Option<&str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).ok()
}
