//! The loaded document: a tree of values, each with the span it was written at.

use crate::Span;

/// One value in the document and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The resolved value.
    pub value: Value,
    /// Where the value is written. For a value reached through an alias this is the anchored
    /// original, because that is the text a partner has to edit.
    pub span: Span,
    /// For a value reached through an alias: where the alias (`*name`) was used.
    pub via_alias: Option<Span>,
}

/// A resolved YAML value under the core schema.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false` (never `yes`, `no`, `on` or `off`: YAML 1.2).
    Bool(bool),
    /// A decimal, `0o` octal or `0x` hexadecimal integer that fits in 64 bits.
    Int(i64),
    /// Any other number, including integers too large for 64 bits (as JavaScript reads them).
    Float(f64),
    /// Text.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<Entry>),
}

/// One key/value pair of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key node.
    pub key: Node,
    /// The value node.
    pub value: Node,
}

impl Node {
    /// Looks up a string key in a mapping. `None` for other kinds of node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Looks up a string key in a mapping and returns the whole entry, key span included. When a
    /// key appears twice (possible only through an alias key, which Forge's parser never counts
    /// as a duplicate), the last one wins, as it does in the JavaScript object Forge builds.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .rev()
                .find(|e| matches!(&e.key.value, Value::Str(k) if k == key)),
            _ => None,
        }
    }

    /// Follows a path of string keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The text of a string node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a boolean node.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The items of a sequence node.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a mapping node.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// True for `null` (including an empty value).
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// What kind of value this is, for messages: "a string", "a mapping", ...
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }

    /// The value as JavaScript would print it with `String(value)`: used for map keys, which
    /// JavaScript objects can only hold as strings. Collection keys already hold the exact text
    /// Forge's parser gives them (see `key_text`); other collections print as plain flow YAML.
    pub fn display_scalar(&self) -> String {
        match &self.value {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => crate::js::number_to_string(*f),
            Value::Str(s) => s.clone(),
            Value::Seq(_) | Value::Map(_) => crate::json::flow_text(self),
        }
    }

    /// Number of nodes in this subtree, the node itself included.
    pub fn node_count(&self) -> usize {
        self.size().0
    }

    /// Number of nodes and bytes of text in this subtree.
    pub fn size(&self) -> (usize, usize) {
        let (mut count, mut bytes) = (0, 0);
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            count += 1;
            match &node.value {
                Value::Str(s) => bytes += s.len(),
                Value::Seq(items) => stack.extend(items),
                Value::Map(entries) => {
                    for e in entries {
                        stack.push(&e.key);
                        stack.push(&e.value);
                    }
                }
                _ => {}
            }
        }
        (count, bytes)
    }

    /// Calls `f` on every node of the subtree, parents before children.
    pub fn walk_mut(&mut self, f: &mut impl FnMut(&mut Node)) {
        let mut stack: Vec<&mut Node> = vec![self];
        while let Some(node) = stack.pop() {
            f(node);
            match &mut node.value {
                Value::Seq(items) => stack.extend(items.iter_mut()),
                Value::Map(entries) => {
                    for e in entries.iter_mut() {
                        stack.push(&mut e.key);
                        stack.push(&mut e.value);
                    }
                }
                _ => {}
            }
        }
    }
}
