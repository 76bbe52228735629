//! The YAML 1.1 types that `yaml` resolves even under the core schema when a node is tagged with
//! them explicitly (its `knownTags`): `!!binary`, `!!timestamp`, `!!set`, `!!omap` and `!!pairs`.
//! `yaml` builds a `Buffer`, a `Date`, a `Set` or a `Map` for them; Forge re-reads the parsed
//! manifest through `JSON.stringify` before validating it, so each becomes the JSON value it
//! prints as, which is what we build. A wrong tag on the wrong kind of node is only a warning in
//! `yaml`, and the node stays as it is.

mod binary;
mod timestamp;

use saphyr_parser::Tag;

use crate::{Entry, Node, Span, Value};

/// Why `yaml` refuses a `!!set` whose values are not all plain nulls.
pub(crate) const SET_VALUES: &str = "Set items must all have null values";

/// The known tag a collection carries, if any applies to its kind.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CollectionTag {
    Plain,
    /// `!!set` on a mapping: a `Set`, printed as `{}`.
    Set,
    /// `!!omap` on a sequence: a `Map`, printed as `{}`.
    Omap,
    /// `!!pairs` on a sequence: a list of one-entry objects.
    Pairs,
}

impl CollectionTag {
    /// Which known tag applies to a collection that `map` says is a mapping or a sequence.
    pub(crate) fn of(tag: Option<&Tag>, map: bool) -> Self {
        let Some(tag) = tag.filter(|t| t.is_yaml_core_schema()) else {
            return CollectionTag::Plain;
        };
        match (tag.suffix.as_str(), map) {
            ("set", true) => CollectionTag::Set,
            ("omap", false) => CollectionTag::Omap,
            ("pairs", false) => CollectionTag::Pairs,
            _ => CollectionTag::Plain,
        }
    }
}

/// The value of a scalar tagged `!!binary` or `!!timestamp`; `None` for other tags. An error is
/// the message `yaml` refuses the document with.
pub(crate) fn scalar(suffix: &str, text: &str, span: Span) -> Option<Result<Value, String>> {
    match suffix {
        "binary" => {
            let data = binary::decode_base64(text)
                .into_iter()
                .map(|b| leaf(Value::Int(i64::from(b)), span))
                .collect();
            Some(Ok(Value::Map(vec![
                entry("type", Value::Str("Buffer".into()), span),
                entry("data", Value::Seq(data), span),
            ])))
        }
        "timestamp" => Some(timestamp::timestamp(text).map(Value::Str)),
        _ => None,
    }
}

/// How many values [`scalar`] will build for a `!!binary` text, so that the node budget can be
/// charged before the bytes are expanded into nodes.
pub(crate) fn binary_nodes(text: &str) -> usize {
    // Four characters make three bytes; every byte is a node, plus the buffer object's five.
    text.len() / 4 * 3 + 2 + 5
}

/// Applies a collection's known tag to its finished value.
pub(crate) fn collection(tag: CollectionTag, value: Value, span: Span) -> Result<Value, String> {
    match (tag, value) {
        (CollectionTag::Set, Value::Map(entries)) => {
            if entries.iter().all(|e| e.value.is_null()) {
                Ok(Value::Map(Vec::new()))
            } else {
                Err(SET_VALUES.into())
            }
        }
        (CollectionTag::Omap, Value::Seq(items)) => {
            let mut keys: Vec<Node> = Vec::new();
            for item in items {
                let key = pair_of(item, span)?.key;
                if keys.iter().any(|k| same_value_zero(k, &key)) {
                    return Err(format!(
                        "Ordered maps must not include duplicate keys: {}",
                        key.display_scalar()
                    ));
                }
                keys.push(key);
            }
            Ok(Value::Map(Vec::new()))
        }
        (CollectionTag::Pairs, Value::Seq(items)) => {
            let maps = items
                .into_iter()
                .map(|item| {
                    let item_span = item.span;
                    let Entry { key, value } = pair_of(item, span)?;
                    // `Pair.toJSON` makes a one-key object, with the key as a JavaScript string.
                    let key = leaf(Value::Str(key.display_scalar()), key.span);
                    Ok(leaf(Value::Map(vec![Entry { key, value }]), item_span))
                })
                .collect::<Result<Vec<Node>, String>>()?;
            Ok(Value::Seq(maps))
        }
        (_, value) => Ok(value),
    }
}

/// `resolvePairs`: a one-entry mapping is its entry, an empty one a null key, anything else a key
/// without a value.
fn pair_of(item: Node, span: Span) -> Result<Entry, String> {
    match item.value {
        Value::Map(mut entries) if entries.len() <= 1 => Ok(entries.pop().unwrap_or(Entry {
            key: leaf(Value::Null, item.span),
            value: leaf(Value::Null, item.span),
        })),
        Value::Map(_) => Err("Each pair must have its own sequence indicator".into()),
        _ => Ok(Entry {
            value: leaf(Value::Null, span),
            key: item,
        }),
    }
}

/// JavaScript's `SameValueZero` on scalars (as `Map.has` compares keys); collections are
/// compared by reference, so never equal.
fn same_value_zero(a: &Node, b: &Node) -> bool {
    #[allow(clippy::cast_precision_loss)]
    let number = |v: &Value| match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    };
    match (&a.value, &b.value) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (x, y) => match (number(x), number(y)) {
            (Some(x), Some(y)) => x == y || (x.is_nan() && y.is_nan()),
            _ => false,
        },
    }
}

fn leaf(value: Value, span: Span) -> Node {
    Node {
        value,
        span,
        via_alias: None,
    }
}

fn entry(key: &str, value: Value, span: Span) -> Entry {
    Entry {
        key: leaf(Value::Str(key.into()), span),
        value: leaf(value, span),
    }
}
