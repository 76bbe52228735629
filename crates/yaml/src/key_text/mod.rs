//! Collection keys as Forge sees them.
//!
//! A JavaScript object can only have string keys, so when a mapping key is itself a sequence or
//! a mapping (`? [a, b] : c`, or an alias to one), Forge's parser writes the key back out as flow
//! YAML and uses that text: `[ a, b ]`, with anchors, quoting and line breaks exactly as its
//! stringifier produces them. The key's text therefore depends on how the key was written (quote
//! style, anchors, aliases, the source form of numbers), not only on its value, so while a
//! collection key is being read the composer records it here as a [`Written`] tree, and
//! [`stringify`] turns that into the text.

mod fold;
mod stringify;

use saphyr_parser::ScalarStyle;

/// A node inside a collection key, as much of its source form as the stringifier looks at.
pub(crate) enum Written {
    /// A scalar.
    Scalar(WrittenScalar),
    /// An alias, by anchor name: always printed as `*name`.
    Alias(String),
    /// A sequence with its properties (`&anchor !tag`, already in printed form).
    Seq { props: Props, items: Vec<Written> },
    /// A mapping; `None` is a value that was not written at all (`? a` with no `:`), which
    /// prints differently from an empty one (`a:`).
    Map {
        props: Props,
        pairs: Vec<(Written, Option<Written>)>,
    },
}

/// A collection's properties in printed form.
pub(crate) struct Props {
    /// `&anchor !tag`, or empty.
    pub text: String,
    /// What `yaml` prints instead of the collection when its tag names a scalar type
    /// (`!!str [a]` prints as `!!str` and `undefined` on the next line).
    pub as_scalar: Option<&'static str>,
}

/// A scalar inside a collection key.
pub(crate) struct WrittenScalar {
    /// Anchor and tag in printed form, or empty.
    pub props: String,
    /// How it was quoted.
    pub style: ScalarStyle,
    /// The scalar's text after unescaping and folding (`yaml`'s `source`).
    pub text: String,
    /// What it resolved to.
    pub kind: ScalarKind,
    /// Whether `yaml` prints it with its string tag, which quotes a string that would read back
    /// as another type (`!!str 12`); a collection tag on a scalar (`!!seq x`) bypasses that.
    pub actual_string: bool,
}

/// The resolved type of a scalar, which picks how it is printed.
#[derive(Clone, Copy)]
pub(crate) enum ScalarKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

/// A collection still being read.
enum Open {
    Seq {
        props: Props,
        items: Vec<Written>,
    },
    Map {
        props: Props,
        pairs: Vec<(Written, Option<Written>)>,
        key: Option<Written>,
    },
}

/// Builds the [`Written`] tree of a collection key from parser events. It starts at the key's
/// first collection and is done when that collection closes; collection keys nested inside it
/// are stringified as they close too, because the composer needs their text for the nested
/// mappings it keeps.
#[derive(Default)]
pub(crate) struct Recorder {
    open: Vec<Open>,
}

impl Recorder {
    /// Starts a sequence or mapping.
    pub(crate) fn open(&mut self, props: Props, map: bool) {
        self.open.push(if map {
            Open::Map {
                props,
                pairs: Vec::new(),
                key: None,
            }
        } else {
            Open::Seq {
                props,
                items: Vec::new(),
            }
        });
    }

    /// True when the next node is a mapping value; only such a node can be absent.
    pub(crate) fn expects_value(&self) -> bool {
        matches!(self.open.last(), Some(Open::Map { key: Some(_), .. }))
    }

    /// Adds a scalar or alias, or (with `None`) a mapping value that was not written.
    pub(crate) fn leaf(&mut self, node: Option<Written>) {
        match self.open.last_mut() {
            Some(Open::Seq { items, .. }) => items.extend(node),
            Some(Open::Map { pairs, key, .. }) => match key.take() {
                Some(k) => pairs.push((k, node)),
                None => *key = node,
            },
            None => {}
        }
    }

    /// Ends the innermost collection. Returns its text when it is a key: the recorded key
    /// itself, or a collection key nested inside it.
    pub(crate) fn close(&mut self) -> Option<String> {
        let node = match self.open.pop()? {
            Open::Seq { props, items } => Written::Seq { props, items },
            Open::Map { props, pairs, .. } => Written::Map { props, pairs },
        };
        let is_key = match self.open.last() {
            None => true,
            Some(Open::Map { key, .. }) => key.is_none(),
            Some(Open::Seq { .. }) => false,
        };
        let text = is_key.then(|| stringify::key_text(&node));
        if !self.open.is_empty() {
            self.leaf(Some(node));
        }
        text
    }

    /// True once the recorded key has closed.
    pub(crate) fn is_done(&self) -> bool {
        self.open.is_empty()
    }
}

/// Whether a scalar with this tag is printed by `yaml`'s string tag (see
/// [`WrittenScalar::actual_string`]).
pub(crate) fn actual_string(tag: Option<&saphyr_parser::Tag>) -> bool {
    !tag.is_some_and(|t| t.is_yaml_core_schema() && matches!(t.suffix.as_str(), "seq" | "map"))
}

/// The printed form of a scalar's properties: `&anchor`, then the tag in `yaml`'s short form.
pub(crate) fn props(anchor: Option<&str>, tag: Option<&saphyr_parser::Tag>) -> String {
    join_props(anchor, tag.map(tag_text))
}

/// The printed form of a collection's properties. The non-specific tag `!` on a collection
/// becomes the collection's own tag in `yaml`, so it prints as `!!map` or `!!seq`; a scalar
/// type's tag makes `yaml` print the collection as that type would print `undefined`.
pub(crate) fn collection_props(
    anchor: Option<&str>,
    tag: Option<&saphyr_parser::Tag>,
    map: bool,
) -> Props {
    let as_scalar = tag
        .filter(|t| t.is_yaml_core_schema())
        .and_then(|t| match t.suffix.as_str() {
            "str" => Some("undefined"),
            "null" => Some("null"),
            "bool" => Some("false"),
            "int" | "float" => Some(".nan"),
            _ => None,
        });
    let tag = tag.map(|t| match tag_text(t) {
        bang if bang == "!" && map => "!!map".to_string(),
        bang if bang == "!" => "!!seq".to_string(),
        text => text,
    });
    Props {
        text: join_props(anchor, tag),
        as_scalar,
    }
}

fn join_props(anchor: Option<&str>, tag: Option<String>) -> String {
    let mut out = String::new();
    if let Some(name) = anchor {
        out.push('&');
        out.push_str(name);
    }
    if let Some(tag) = tag {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&tag);
    }
    out
}

/// `Directives.tagString`: `!!name` for the YAML namespace (with `yaml`'s escapes), a local tag
/// as written, anything else verbatim.
fn tag_text(tag: &saphyr_parser::Tag) -> String {
    let full = format!("{}{}", tag.handle, tag.suffix);
    if let Some(name) = full.strip_prefix("tag:yaml.org,2002:") {
        let mut out = String::from("!!");
        for c in name.chars() {
            match c {
                '!' => out.push_str("%21"),
                ',' => out.push_str("%2C"),
                '[' => out.push_str("%5B"),
                ']' => out.push_str("%5D"),
                '{' => out.push_str("%7B"),
                '}' => out.push_str("%7D"),
                c => out.push(c),
            }
        }
        out
    } else if full.starts_with('!') {
        full
    } else {
        format!("!<{full}>")
    }
}

#[cfg(test)]
mod tests {
    use crate::{Limits, Node, Value, load_str};

    fn keys(text: &str) -> Vec<String> {
        let root = load_str(text, &Limits::default()).unwrap();
        root.as_map()
            .unwrap()
            .iter()
            .map(|e| e.key.as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn collection_keys_become_forge_text() {
        assert_eq!(keys("? [a, b]\n: c\n"), ["[ a, b ]"]);
        assert_eq!(
            keys("&k [ &i a, 'b', \"c\" ]: v\n"),
            ["[ &i a, 'b', \"c\" ]"]
        );
        assert_eq!(keys("a: &x [1]\n*x : 2\n"), ["a", "*x"]);
        assert_eq!(keys("? []: x\n"), ["{\n  ? []\n  : x\n}"]);
        // The suite's case 4FJ6: a collection key nested in one, laid out over lines.
        let root = load_str("[\n  [ a, [ [[b,c]]: d, e]]: 23\n]\n", &Limits::default()).unwrap();
        let key = &root.as_seq().unwrap()[0].as_map().unwrap()[0].key;
        assert_eq!(
            key.as_str(),
            Some(
                "[\n  a,\n  [\n      {\n          ? [ [ b, c ] ]\n          : d\n        },\n      e\n    ]\n]"
            )
        );
    }

    #[test]
    fn equal_collection_keys_are_not_duplicates() {
        let root = load_str("? [a]\n: 1\n? [a]\n: 2\n", &Limits::default()).unwrap();
        assert_eq!(root.get("[ a ]").unwrap().value, Value::Int(2));
        assert_eq!(root.as_map().unwrap().len(), 2);
    }

    #[test]
    fn an_anchored_key_keeps_its_collection_for_aliases() {
        let root = load_str("? &k {[x]: 1}\n: 1\nv: *k\n", &Limits::default()).unwrap();
        let v: &Node = root.get("v").unwrap();
        assert_eq!(v.get("[ x ]").unwrap().value, Value::Int(1));
    }

    #[test]
    fn deep_keys_stay_within_the_stack() {
        let text = format!("? {}x\n: 1\n", "- ".repeat(500));
        let key = &keys(&text)[0];
        // Too wide for one line, so each level gets its own, indented further.
        assert!(key.starts_with("[\n  [\n      [") && key.ends_with("\n    ]\n]"));
        assert!(key.contains('x'));
    }
}
