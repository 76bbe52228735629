//! A typed, spanned view of a Forge manifest: the parts that decide where an app's data can go.
//!
//! The view is lenient on purpose. Most real manifests fail today's full schema for reasons that
//! have nothing to do with eligibility (an old runtime name, a missing `app.runtime`), so the view
//! never requires schema validity: it reads what is there, tells what shape it found, and leaves
//! the judgement to the rules engine.

mod egress;
mod modules;
mod remotes;
mod walk;

pub use apptrust_yaml::{Entry, Node, Span, Value};
pub use egress::{EgressEntry, EgressList, EgressObject, EntryForm};
pub use modules::ModuleGroup;
pub use remotes::{Remote, TokenFlag, token_flags};
pub use walk::merge_keys;

/// The manifest's root mapping and accessors for the sections that matter to trust programs.
#[derive(Clone, Copy, Debug)]
pub struct Manifest<'a> {
    root: &'a Node,
}

impl<'a> Manifest<'a> {
    /// Wraps a loaded document. `None` when the root is not a mapping, which no Forge manifest is.
    pub fn new(root: &'a Node) -> Option<Self> {
        root.as_map().map(|_| Manifest { root })
    }

    /// The whole document.
    pub fn root(&self) -> &'a Node {
        self.root
    }

    /// `permissions.external`.
    pub fn external(&self) -> Option<&'a Node> {
        self.root.at(&["permissions", "external"])
    }

    /// Every entry of every egress list, in list order then source order.
    pub fn egress_entries(&self) -> Vec<EgressEntry<'a>> {
        egress::entries(self.external())
    }

    /// `permissions.external.configurable.enabled`, as an entry so both key and value can be shown.
    pub fn configurable_egress(&self) -> Option<&'a Entry> {
        self.external()?.get("configurable")?.entry("enabled")
    }

    /// The `remotes` list.
    pub fn remotes(&self) -> Vec<Remote<'a>> {
        remotes::remotes(self.root.get("remotes"))
    }

    /// Every module type under `modules`, in source order.
    pub fn modules(&self) -> Vec<ModuleGroup<'a>> {
        modules::groups(self.root.get("modules"))
    }

    /// The entries of one module type, e.g. `webtrigger`.
    pub fn module_entries(&self, kind: &str) -> &'a [Node] {
        self.root
            .at(&["modules", kind])
            .and_then(Node::as_seq)
            .unwrap_or(&[])
    }

    /// The `connectModules` section: module type to module list.
    pub fn connect_modules(&self) -> Vec<ModuleGroup<'a>> {
        modules::groups(self.root.get("connectModules"))
    }

    /// `app.connect`.
    pub fn app_connect(&self) -> Option<&'a Node> {
        self.root.at(&["app", "connect"])
    }

    /// `providers.auth`.
    pub fn auth_providers(&self) -> Option<&'a Entry> {
        self.root.get("providers")?.entry("auth")
    }

    /// `permissions.scopes`, given either as a list or (in older manifests) as a map of scopes.
    pub fn scopes(&self) -> Vec<&'a Node> {
        match self.root.at(&["permissions", "scopes"]).map(|n| &n.value) {
            Some(Value::Seq(items)) => items.iter().collect(),
            Some(Value::Map(entries)) => entries.iter().map(|e| &e.key).collect(),
            _ => Vec::new(),
        }
    }
}

/// The span from a mapping entry's key to the end of its value: what an editor should select to
/// show "this setting".
pub fn entry_span(entry: &Entry) -> Span {
    Span::new(
        entry.key.span.start,
        entry.value.span.end.max(entry.key.span.end),
    )
}
