//! Conversion to the JSON value JavaScript's `JSON.stringify(yaml.parse(text))` would give, used by
//! the conformance test and by `--format json` consumers that want the interpolated manifest.

use serde_json::{Map, Number, Value as Json};

use crate::{Node, Value};

/// The node as a JSON value, with JavaScript's rules: map keys become strings, non-finite numbers
/// become `null`.
pub fn to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number((*i).into()),
        Value::Float(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Str(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => {
            let mut map = Map::new();
            for e in entries {
                map.insert(e.key.display_scalar(), to_json(&e.value));
            }
            Json::Object(map)
        }
    }
}

/// A collection as flow YAML such as `[ a, b ]` or `{ x: 1 }`, close to how `yaml` prints one.
/// Used to show a collection as text in messages; collection keys carry `yaml`'s exact text
/// already (see `key_text`).
pub(crate) fn flow_text(node: &Node) -> String {
    match &node.value {
        Value::Seq(items) if items.is_empty() => "[]".into(),
        Value::Map(entries) if entries.is_empty() => "{}".into(),
        Value::Seq(items) => {
            let items: Vec<String> = items.iter().map(flow_text).collect();
            format!("[ {} ]", items.join(", "))
        }
        Value::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|e| format!("{}: {}", flow_text(&e.key), flow_text(&e.value)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
        Value::Null => "null".into(),
        _ => node.display_scalar(),
    }
}

impl Node {
    /// The node as JSON; see [`to_json`].
    pub fn to_json(&self) -> Json {
        to_json(self)
    }
}
