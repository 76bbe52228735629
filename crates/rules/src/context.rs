//! What every rule sees: the manifest view plus the egress entries, classified once.

use apptrust_manifest::{EgressEntry, EntryForm, Manifest, Node};
use apptrust_yaml::interpolate::Unresolved;

use crate::address::{Address, Refusal, check_address};
use crate::analytics_policy::AnalyticsPolicy;
use crate::decisions::Decisions;

/// Shared input of all rules for one manifest.
pub struct Context<'a> {
    /// The manifest.
    pub manifest: Manifest<'a>,
    /// Every egress entry with its classification.
    pub egress: Vec<Egress<'a>>,
    /// The interpretive switches.
    pub decisions: &'a Decisions,
    /// The approved analytics tools.
    pub policy: &'a AnalyticsPolicy,
    /// Placeholders of declared variables that had neither a value nor a default.
    pub unresolved: &'a [Unresolved],
}

/// One egress entry and what the rules need to know about it.
pub struct Egress<'a> {
    /// The entry as written.
    pub entry: EgressEntry<'a>,
    /// Forge's reading of the address; `None` when the entry has no address text.
    pub address: Option<Result<Address, Refusal>>,
    /// `category: analytics`, exactly.
    pub analytics: bool,
    /// `inScopeEUD` when it is a boolean.
    pub in_scope_eud: Option<bool>,
    /// The entry is analytics egress that carries no in-scope End-User Data: it fires no rule.
    pub exempt: bool,
}

impl<'a> Egress<'a> {
    fn classify(entry: EgressEntry<'a>, decisions: &Decisions) -> Self {
        let address = entry.address().map(check_address);
        let (analytics, in_scope_eud) = match &entry.form {
            EntryForm::Object(o) => (
                o.category.and_then(Node::as_str) == Some("analytics"),
                o.in_scope_eud.and_then(Node::as_bool),
            ),
            _ => (false, None),
        };
        let has_address = matches!(&entry.form, EntryForm::Object(o) if o.address.is_some());
        let list_allows = entry.list.is_fetch() || decisions.analytics_exemption_in_all_lists;
        Egress {
            exempt: has_address && analytics && in_scope_eud == Some(false) && list_allows,
            entry,
            address,
            analytics,
            in_scope_eud,
        }
    }

    /// The `{remote: key}` this entry points at, if that is its form.
    pub fn remote(&self) -> Option<&'a Node> {
        self.entry.object().and_then(|o| o.remote)
    }
}

impl<'a> Context<'a> {
    /// Classifies the manifest's egress once for all rules.
    pub fn new(
        manifest: Manifest<'a>,
        decisions: &'a Decisions,
        policy: &'a AnalyticsPolicy,
        unresolved: &'a [Unresolved],
    ) -> Self {
        let egress = manifest
            .egress_entries()
            .into_iter()
            .map(|e| Egress::classify(e, decisions))
            .collect();
        Context {
            manifest,
            egress,
            decisions,
            policy,
            unresolved,
        }
    }
}
