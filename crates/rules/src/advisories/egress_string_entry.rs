use apptrust_manifest::EntryForm;

use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Notes an egress entry written in the deprecated plain-string form.
    ///
    /// ## Why it matters
    /// Only the object form can carry `category` and `inScopeEUD`, so a string entry can never
    /// be exempt analytics egress, and newer Forge tooling prefers the object form.
    ///
    /// ## Example
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       backend:
    ///         - api.example-vendor.com
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       backend:
    ///         - address: api.example-vendor.com
    /// ```
    ///
    /// ## References
    /// - [External permissions](https://developer.atlassian.com/platform/forge/manifest-reference/permissions/#external-permissions)
    pub struct EgressStringEntry;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for egress in &cx.egress {
        let EntryForm::Text(address) = egress.entry.form else {
            continue;
        };
        out.push(
            Finding::new(
                Code::EgressStringEntry,
                Some(egress.entry.node.span),
                format!("`{address}` uses the deprecated string form"),
            )
            .via_alias(egress.entry.node.via_alias)
            .with_fix(format!("write it as `- address: '{address}'`")),
        );
    }
}
