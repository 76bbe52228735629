//! Whole-document searches.

use apptrust_yaml::{Entry, Node, Value};

/// Every `<<` key in the document. Forge's parser does not support merge keys, so each one is an
/// ordinary key that the manifest schema rejects.
pub fn merge_keys(root: &Node) -> Vec<&Entry> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Seq(items) => stack.extend(items.iter().rev()),
            Value::Map(entries) => {
                for entry in entries.iter().rev() {
                    if entry.key.as_str() == Some("<<") {
                        found.push(entry);
                    }
                    stack.push(&entry.value);
                }
            }
            _ => {}
        }
    }
    found.sort_by_key(|e| (e.key.span, e.key.via_alias));
    found
}
