//! From a JSON pointer into the manifest (as the schema validator reports it) back to the YAML
//! text it came from, and to a path a person reads (`modules.jira:issuePanel[0].resource`).

use std::collections::HashMap;

use apptrust_yaml::{Entry, Node, Span, Value};

/// What a pointer leads to: the node, and the mapping entry that holds it when there is one
/// (its key is the best place to point at for a whole mapping or list).
pub(crate) struct Located<'a> {
    pub node: &'a Node,
    pub entry: Option<&'a Entry>,
}

impl Located<'_> {
    /// Where to point for a problem with the value as a whole: a scalar itself, a mapping or a
    /// list by the key that introduces it.
    pub fn span(&self) -> Span {
        match (&self.node.value, self.entry) {
            (Value::Map(_) | Value::Seq(_), Some(entry)) => entry.key.span,
            _ => self.node.span,
        }
    }
}

/// Splits an RFC 6901 pointer into its segments.
pub(crate) fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Follows a pointer through the document. Map keys compare as JavaScript object keys do (their
/// string form); when a key repeats (only possible through an alias key), the last one wins.
pub(crate) fn find<'a>(root: &'a Node, pointer: &str) -> Option<Located<'a>> {
    let mut here = Located {
        node: root,
        entry: None,
    };
    for segment in segments(pointer) {
        here = match &here.node.value {
            Value::Map(entries) => {
                let entry = entries
                    .iter()
                    .rev()
                    .find(|e| e.key.display_scalar() == segment)?;
                Located {
                    node: &entry.value,
                    entry: Some(entry),
                }
            }
            Value::Seq(items) => Located {
                node: items.get(segment.parse::<usize>().ok()?)?,
                entry: None,
            },
            _ => return None,
        };
    }
    Some(here)
}

/// The key entries directly inside the mapping at `pointer`, by their string form (the last of
/// a repeated key winning): built once, so that an error naming thousands of unexpected keys
/// finds each in constant time.
pub(crate) fn keys_of<'a>(root: &'a Node, pointer: &str) -> HashMap<String, &'a Entry> {
    find(root, pointer)
        .and_then(|at| at.node.as_map())
        .map(|entries| {
            entries
                .iter()
                .map(|e| (e.key.display_scalar(), e))
                .collect()
        })
        .unwrap_or_default()
}

/// A pointer as a person reads it: `modules.jira:issuePanel[0].resource`; the root is "the
/// manifest".
pub(crate) fn readable(pointer: &str) -> String {
    let mut out = String::new();
    for segment in segments(pointer) {
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    if out.is_empty() {
        "the manifest".into()
    } else {
        format!("`{out}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_paths() {
        assert_eq!(readable(""), "the manifest");
        assert_eq!(
            readable("/modules/jira:issuePanel/0/resource"),
            "`modules.jira:issuePanel[0].resource`"
        );
        assert_eq!(readable("/a~1b/c~0d"), "`a/b.c~d`");
    }
}
