use crate::address::Address;
use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Fires for an egress entry with `category: analytics` whose host is not on Atlassian's list
    /// of pre-approved analytics tools (`apptrust rules --analytics-tools` prints it). Hosts are
    /// compared without scheme, port and path, lower-cased; `*.base` on the list covers any host
    /// under `base` and any declared wildcard under it.
    ///
    /// ## Why it matters
    /// Since 28 August 2025 Forge blocks the deployment of a version whose analytics egress points
    /// outside the list. Self-hosted analytics cannot be told apart from functional egress, so they
    /// are not accepted.
    ///
    /// ## Example
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       backend:
    ///         - address: stats.example-vendor.com
    ///           category: analytics
    ///           inScopeEUD: false
    /// ```
    ///
    /// ## Use instead
    /// Send analytics to an approved tool, or drop `category: analytics` (the entry then counts as
    /// ordinary egress and the app is not eligible).
    /// ```yaml
    ///         - address: '*.posthog.com'
    ///           category: analytics
    ///           inScopeEUD: false
    /// ```
    ///
    /// ## References
    /// - [Analytics tools policy for Forge apps](https://developer.atlassian.com/platform/forge/analytics-tools-policy/)
    pub struct AnalyticsDomainNotApproved;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for egress in &cx.egress {
        if !egress.analytics {
            continue;
        }
        let Some(address) = egress.entry.address() else {
            continue;
        };
        if matches!(egress.address, Some(Err(_))) {
            continue;
        }
        if cx.policy.approving_pattern(address).is_some() {
            continue;
        }
        let why = match egress.address {
            Some(Ok(Address::Everything)) => "`*` is not an analytics tool",
            Some(Ok(Address::CustomScheme(_))) => "a custom scheme is not an analytics tool",
            _ => "its host is not on the approved analytics tools list",
        };
        out.push(
            Finding::new(
                Code::AnalyticsDomainNotApproved,
                Some(
                    egress
                        .entry
                        .address_node()
                        .map_or(egress.entry.node.span, |n| n.span),
                ),
                format!(
                    "analytics egress to `{address}` would block the deploy: {why} (version {})",
                    cx.policy.version
                ),
            )
            .via_alias(egress.entry.node.via_alias)
            .with_fix(
                "send analytics to an approved tool, or remove `category: analytics` if this is \
                 functional egress",
            ),
        );
    }
}
