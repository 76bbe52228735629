//! The parts of a manifest that version classification compares, extracted once so that the
//! document tree can be dropped straight after. A facts value is a small fraction of the tree it
//! came from (its size follows the egress, scopes, remotes and modules declared, not the whole
//! file), which keeps the memory a comparison needs bounded by what matters to it.

use std::collections::BTreeMap;

use apptrust_manifest::{Manifest, Node, Remote};

use super::digest::content_digest;
use crate::CheckOptions;

/// Egress keyed by list, target and category. A category change shows as the old entry removed
/// and the new one added, and two entries for one host in one list are both kept.
pub(crate) type EgressKey = (&'static str, String, Option<String>);

/// What version classification needs to know about one manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeFacts {
    /// Declared egress: whether it may carry in-scope End-User Data, and its line.
    pub(crate) egress: BTreeMap<EgressKey, (bool, Option<u32>)>,
    /// Web triggers by key: whether the response is dynamic, and the line.
    pub(crate) web_triggers: BTreeMap<String, (bool, Option<u32>)>,
    /// Authentication providers by key, with their lines.
    pub(crate) providers: BTreeMap<String, Option<u32>>,
    /// Remotes by key.
    pub(crate) remotes: BTreeMap<String, RemoteFacts>,
    /// Scopes, with their lines.
    pub(crate) scopes: BTreeMap<String, Option<u32>>,
    /// LLM modules by key, with their lines.
    pub(crate) llm: BTreeMap<String, Option<u32>>,
    /// A digest of the whole resolved document: tells "something else changed" apart from "no
    /// change" without keeping either tree.
    pub(crate) content: [u8; 32],
    /// `app.id`, when it is a string: which Forge app the manifest belongs to.
    pub(crate) app_id: Option<String>,
}

/// One remote's URLs by region and whether it may store in-scope End-User Data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RemoteFacts {
    pub(crate) urls: BTreeMap<String, String>,
    pub(crate) stores_in_scope_eud: bool,
    pub(crate) line: Option<u32>,
}

impl ChangeFacts {
    /// Extracts the facts of a loaded manifest.
    pub fn of(manifest: &Manifest<'_>, root: &Node, options: &CheckOptions) -> ChangeFacts {
        ChangeFacts {
            egress: egress(manifest),
            web_triggers: keyed(manifest.module_entries("webtrigger"))
                .map(|(key, node)| {
                    let dynamic =
                        node.at(&["response", "type"]).and_then(Node::as_str) != Some("static");
                    (key, (dynamic, line(node)))
                })
                .collect(),
            providers: manifest
                .auth_providers()
                .and_then(|e| e.value.as_seq())
                .map(|items| keyed(items).map(|(k, n)| (k, line(n))).collect())
                .unwrap_or_default(),
            remotes: manifest
                .remotes()
                .iter()
                .filter_map(|r| Some((r.key?.to_string(), remote(r, options))))
                .collect(),
            scopes: manifest
                .scopes()
                .into_iter()
                .map(|n| (n.display_scalar(), line(n)))
                .collect(),
            llm: keyed(manifest.module_entries("llm"))
                .map(|(k, n)| (k, line(n)))
                .collect(),
            content: content_digest(root),
            app_id: root
                .at(&["app", "id"])
                .and_then(Node::as_str)
                .map(str::to_string),
        }
    }

    /// The manifest's `app.id`, when it is a string.
    pub fn app_id(&self) -> Option<&str> {
        self.app_id.as_deref()
    }
}

fn line(node: &Node) -> Option<u32> {
    Some(node.span.start.line)
}

/// Items with a `key`, by their key (the last one wins, as in the object Forge builds).
fn keyed(items: &[Node]) -> impl Iterator<Item = (String, &Node)> {
    items
        .iter()
        .filter_map(|n| Some((n.get("key")?.display_scalar(), n)))
}

fn egress(m: &Manifest<'_>) -> BTreeMap<EgressKey, (bool, Option<u32>)> {
    let mut map: BTreeMap<EgressKey, (bool, Option<u32>)> = BTreeMap::new();
    for e in m.egress_entries() {
        let object = e.object();
        let target = match (e.address(), object.and_then(|o| o.remote)) {
            (Some(a), _) => a.to_string(),
            (None, Some(r)) => format!("remote:{}", r.display_scalar()),
            _ => continue,
        };
        let category = object.and_then(|o| o.category).map(Node::display_scalar);
        let in_scope_eud =
            object.and_then(|o| o.in_scope_eud).and_then(Node::as_bool) != Some(false);
        let key = (e.list.path(), target, category);
        // Of two identical declarations, the one that may carry End-User Data decides.
        let keep = map
            .get(&key)
            .is_none_or(|(old_in_scope, _)| in_scope_eud && !old_in_scope);
        if keep {
            map.insert(key, (in_scope_eud, line(e.node)));
        }
    }
    map
}

fn remote(r: &Remote<'_>, options: &CheckOptions) -> RemoteFacts {
    RemoteFacts {
        urls: r
            .urls()
            .into_iter()
            .map(|(region, n)| (region.unwrap_or("default").to_string(), n.display_scalar()))
            .collect(),
        stores_in_scope_eud: r
            .storage_in_scope_eud
            .and_then(Node::as_bool)
            .unwrap_or(options.decisions.remote_storage_omitted_means_in_scope),
        line: line(r.node),
    }
}
