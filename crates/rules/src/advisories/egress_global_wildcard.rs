use crate::address::Address;
use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Warns about a bare `*` in an egress list.
    ///
    /// ## Why it matters
    /// `*` allows every host on the internet. Admins reviewing the app see "any site", and the
    /// version can never be eligible while it is there. It is often added only to let links open
    /// in a popup, which `navigation` or a specific host covers.
    ///
    /// ## Example
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       client:
    ///         - address: '*'
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       client:
    ///         - address: api.example-vendor.com
    /// ```
    ///
    /// ## References
    /// - [External permissions](https://developer.atlassian.com/platform/forge/manifest-reference/permissions/#external-permissions)
    pub struct EgressGlobalWildcard;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for egress in cx
        .egress
        .iter()
        .filter(|e| matches!(e.address, Some(Ok(Address::Everything))))
    {
        out.push(
            Finding::new(
                Code::EgressGlobalWildcard,
                Some(egress.entry.node.span),
                format!(
                    "`*` in `{}` allows every host on the internet",
                    egress.entry.list.path()
                ),
            )
            .via_alias(egress.entry.node.via_alias)
            .with_fix("list the specific hosts the app needs"),
        );
    }
}
