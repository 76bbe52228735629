//! Property tests of the loader: it never panics on any input, and what it reads back from
//! generated YAML is what was written.

use apptrust_yaml::{Limits, Node, Value, load};
use proptest::prelude::*;
use serde_json::{Value as Json, json};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary bytes give a value or an error, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = load(&bytes, &Limits::default());
    }

    /// Text built from YAML's own punctuation stresses the parser harder than random bytes.
    #[test]
    fn yaml_punctuation_never_panics(text in "[-:?\\[\\]{},&*!|>'\"%@` \t\na-c#0-9\\\\.<]{0,200}") {
        if let Ok(root) = load(text.as_bytes(), &Limits::default()) {
            check_spans(&root, text.lines().count().max(1) as u32 + 1);
        }
    }

    /// Generated documents read back as the JSON value they were written from.
    #[test]
    fn generated_documents_round_trip(value in json_value()) {
        let text = format!("root: {}\n", to_flow(&value));
        let root = load(text.as_bytes(), &Limits::default()).expect("generated YAML loads");
        prop_assert_eq!(root.get("root").expect("root key").to_json(), value);
    }
}

/// Every span lies inside the document.
fn check_spans(node: &Node, lines: u32) {
    assert!(
        node.span.start.line >= 1 && node.span.start.line <= lines,
        "{:?}",
        node.span
    );
    assert!(node.span.start.column >= 1);
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| check_spans(n, lines)),
        Value::Map(entries) => entries.iter().for_each(|e| {
            check_spans(&e.key, lines);
            check_spans(&e.value, lines);
        }),
        _ => {}
    }
}

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i32>().prop_map(|i| json!(i)),
        "[a-zA-Z0-9 _.:/*-]{0,12}".prop_map(Json::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            proptest::collection::btree_map("[a-z]{1,6}", inner, 0..6)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

/// Writes a JSON value as flow YAML, quoting every string so the core schema cannot retype it.
fn to_flow(value: &Json) -> String {
    match value {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => format!("'{}'", s.replace('\'', "''")),
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(to_flow).collect::<Vec<_>>().join(", ")
        ),
        Json::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("'{k}': {}", to_flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
