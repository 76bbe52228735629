use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Warns about an egress entry with `category: analytics` but no `inScopeEUD`.
    ///
    /// ## Why it matters
    /// An omitted `inScopeEUD` means `true`: the entry is treated as analytics that carries
    /// in-scope End-User Data, which is not exempt. Partners often leave it out believing the
    /// category alone is enough.
    ///
    /// ## Example
    /// ```yaml
    ///         - address: '*.posthog.com'
    ///           category: analytics
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    ///         - address: '*.posthog.com'
    ///           category: analytics
    ///           inScopeEUD: false
    /// ```
    ///
    /// ## References
    /// - [Analytics tools policy for Forge apps](https://developer.atlassian.com/platform/forge/analytics-tools-policy/)
    pub struct AnalyticsInScopeEudOmitted;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for egress in &cx.egress {
        let omitted = egress
            .entry
            .object()
            .is_some_and(|o| o.in_scope_eud.is_none());
        if !egress.analytics || !omitted {
            continue;
        }
        let functional = match &egress.address {
            Some(Ok(crate::address::Address::Web { host, .. })) => {
                crate::host_lists::functional_api(host)
            }
            _ => None,
        };
        // Completing the exemption for an API the app's features use would earn a badge the
        // app does not deserve.
        let fix = if functional.is_some() {
            "remove `category: analytics`: this host is a functional API, not analytics"
        } else {
            "only if this host receives nothing but analytics and no in-scope End-User Data is \
             sent: add `inScopeEUD: false`"
        };
        out.push(
            Finding::new(
                Code::AnalyticsInScopeEudOmitted,
                Some(egress.entry.node.span),
                "analytics entry without `inScopeEUD` counts as carrying in-scope End-User Data",
            )
            .via_alias(egress.entry.node.via_alias)
            .with_fix(fix),
        );
    }
}
