//! A digest of a resolved document that is equal exactly when the documents' JSON values are
//! equal (`JSON.stringify(yaml.parse(text))` up to key order): comments, quoting, layout and key
//! order do not count; a value, a key or a number's kind does. It is computed in one walk
//! without building the JSON value, which for a hostile 2 MiB file would cost hundreds of
//! megabytes.

use apptrust_yaml::Value;
use sha2::{Digest, Sha256};

use apptrust_manifest::Node;

/// The SHA-256 digest of the document's canonical form.
pub(crate) fn content_digest(root: &Node) -> [u8; 32] {
    node_digest(root)
}

fn node_digest(node: &Node) -> [u8; 32] {
    let mut h = Sha256::new();
    match &node.value {
        Value::Null => h.update(b"n"),
        Value::Bool(b) => h.update(if *b { b"t" } else { b"f" }),
        Value::Int(i) => {
            h.update(b"i");
            h.update(i.to_le_bytes());
        }
        // Non-finite numbers become `null` in JSON.
        Value::Float(f) if !f.is_finite() => h.update(b"n"),
        Value::Float(f) => {
            // `0 === -0` in JavaScript, and in serde_json's comparison.
            let f = if *f == 0.0 { 0.0 } else { *f };
            h.update(b"d");
            h.update(f.to_le_bytes());
        }
        Value::Str(s) => {
            h.update(b"s");
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
        Value::Seq(items) => {
            h.update(b"[");
            h.update((items.len() as u64).to_le_bytes());
            for item in items {
                h.update(node_digest(item));
            }
        }
        Value::Map(entries) => {
            // JSON objects: keys are strings, the last of two equal keys wins, order is ignored.
            // Reversed then stably sorted, the first of each run of equal keys is the last one
            // written.
            let mut pairs: Vec<(String, [u8; 32])> = entries
                .iter()
                .rev()
                .map(|e| (e.key.display_scalar(), node_digest(&e.value)))
                .collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            pairs.dedup_by(|later, first| later.0 == first.0);
            h.update(b"{");
            h.update((pairs.len() as u64).to_le_bytes());
            for (key, value) in &pairs {
                h.update((key.len() as u64).to_le_bytes());
                h.update(key.as_bytes());
                h.update(value);
            }
        }
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::content_digest;

    fn digest(text: &str) -> [u8; 32] {
        let root = apptrust_yaml::load_str(text, &apptrust_yaml::Limits::default()).unwrap();
        content_digest(&root)
    }

    fn json_equal(a: &str, b: &str) -> bool {
        let limits = apptrust_yaml::Limits::default();
        apptrust_yaml::load_str(a, &limits).unwrap().to_json()
            == apptrust_yaml::load_str(b, &limits).unwrap().to_json()
    }

    #[test]
    fn equal_exactly_when_the_json_values_are_equal() {
        let pairs = [
            (
                "a: 1\nb: [x, y]\n",
                "{b: [x, y], a: 1}  # layout and order\n",
                true,
            ),
            ("a: 1\n", "a: '1'\n", false),
            ("a: 1\n", "a: 1.0\n", false),
            ("a: 0.0\n", "a: -0.0\n", true),
            ("a: [x, y]\n", "a: [y, x]\n", false),
            ("a: {b: 1}\n", "a: {b: 1, c: null}\n", false),
            ("k: &k a\n*k : 1\na: 2\n", "k: a\na: 2\n", true),
            ("a: .inf\n", "a: null\n", true),
            ("a: ''\n", "a:\n", false),
        ];
        for (a, b, equal) in pairs {
            assert_eq!(json_equal(a, b), equal, "JSON of {a:?} vs {b:?}");
            assert_eq!(digest(a) == digest(b), equal, "digest of {a:?} vs {b:?}");
        }
    }
}
