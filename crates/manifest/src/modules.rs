//! Module sections (`modules`, `connectModules`): a map from module type to a list of modules.

use apptrust_yaml::{Node, Value};

/// All modules of one type.
#[derive(Clone, Copy, Debug)]
pub struct ModuleGroup<'a> {
    /// The module type, e.g. `jira:issuePanel`, `webtrigger`, `connect-jira:adminPages`.
    pub kind: &'a str,
    /// The key node, for spans.
    pub key: &'a Node,
    /// The value: normally a list of modules.
    pub value: &'a Node,
}

impl<'a> ModuleGroup<'a> {
    /// The modules of this type (empty when the value is not a list).
    pub fn items(&self) -> &'a [Node] {
        self.value.as_seq().unwrap_or(&[])
    }

    /// True when the group declares at least one module: a non-empty list, or any other non-null
    /// value (a single module written as a mapping).
    pub fn is_non_empty(&self) -> bool {
        match &self.value.value {
            Value::Seq(items) => !items.is_empty(),
            Value::Map(entries) => !entries.is_empty(),
            Value::Null => false,
            _ => true,
        }
    }
}

pub(crate) fn groups(section: Option<&Node>) -> Vec<ModuleGroup<'_>> {
    section
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|entry| {
            Some(ModuleGroup {
                kind: entry.key.as_str()?,
                key: &entry.key,
                value: &entry.value,
            })
        })
        .collect()
}
