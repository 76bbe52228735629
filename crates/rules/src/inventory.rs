//! The egress inventory (requirement 3 of the program): every host the app may reach, by list and
//! category, and which of them an admin's "block analytics egress" control switches off.

use apptrust_yaml::Node;
use serde::Serialize;

use crate::address::Address;
use crate::context::Context;

/// One declared egress destination.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EgressItem {
    /// The list, e.g. `fetch.backend`.
    pub list: &'static str,
    /// The address as written (after interpolation), when the entry has one.
    pub address: Option<String>,
    /// The remote key, for `{remote: key}` entries.
    pub remote: Option<String>,
    /// The host, lower-cased, without scheme, port and path; `*` for everything.
    pub host: Option<String>,
    /// `category`, when given.
    pub category: Option<String>,
    /// Whether the entry may carry in-scope End-User Data (an omitted `inScopeEUD` means yes).
    pub in_scope_eud: bool,
    /// Exempt analytics egress: fires no rule.
    pub exempt: bool,
    /// An admin's analytics-egress control switches this destination off.
    pub admin_can_block: bool,
    /// Where it is declared.
    pub line: u32,
    /// Where it is declared.
    pub column: u32,
}

/// Builds the inventory from the classified entries.
pub fn inventory(cx: &Context<'_>) -> Vec<EgressItem> {
    cx.egress
        .iter()
        .map(|e| {
            let object = e.entry.object();
            EgressItem {
                list: e.entry.list.path(),
                address: e.entry.address().map(str::to_string),
                remote: e.remote().map(Node::display_scalar),
                host: match &e.address {
                    Some(Ok(Address::Web { host, .. })) => Some(host.clone()),
                    Some(Ok(Address::Everything)) => Some("*".into()),
                    Some(Ok(Address::CustomScheme(s))) => Some(format!("{s}:")),
                    _ => None,
                },
                category: object.and_then(|o| o.category).map(Node::display_scalar),
                in_scope_eud: e.in_scope_eud != Some(false),
                exempt: e.exempt,
                admin_can_block: e.analytics,
                line: e.entry.node.span.start.line,
                column: e.entry.node.span.start.column,
            }
        })
        .collect()
}
