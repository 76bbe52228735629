use crate::address::Address;
use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;
use crate::host_lists::{describe_kind, functional_api};

documented! {
    /// ## What it does
    /// Warns about an egress entry marked `category: analytics` whose host is a known functional
    /// API (an AI or LLM endpoint, storage or a database, maps, productivity) that happens to sit
    /// under a host pattern approved for analytics, such as `generativelanguage.googleapis.com`
    /// under `*.googleapis.com`. The list of such hosts is a data file
    /// (`crates/rules/data/functional-api-hosts.txt`), versioned and updated in one place.
    ///
    /// ## Why it matters
    /// The analytics exemption is for hosts that receive nothing but analytics. Prompts sent to
    /// a language model, files written to storage or addresses sent to a maps API serve the
    /// app's features: labelling them analytics does not make them analytics, and earns a badge
    /// the app does not deserve. Atlassian's approved list names the wildcard, not the API.
    ///
    /// ## Example
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       backend:
    ///         - address: generativelanguage.googleapis.com
    ///           category: analytics
    ///           inScopeEUD: false
    /// ```
    ///
    /// ## Use instead
    /// Use Atlassian-hosted compute for the feature (Forge LLMs, Forge storage), or declare the
    /// host as the functional egress it is and accept that the version is not eligible:
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       backend:
    ///         - address: generativelanguage.googleapis.com
    /// ```
    ///
    /// ## References
    /// - [Analytics tools policy](https://developer.atlassian.com/platform/forge/analytics-tools-policy/)
    /// - [Runs on Atlassian](https://developer.atlassian.com/platform/forge/runs-on-atlassian/)
    pub struct AnalyticsHostIsFunctionalApi;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for egress in cx.egress.iter().filter(|e| e.analytics) {
        let Some(Ok(Address::Web { host, .. })) = &egress.address else {
            continue;
        };
        let Some(kind) = functional_api(host) else {
            continue;
        };
        out.push(
            Finding::new(
                Code::AnalyticsHostIsFunctionalApi,
                Some(egress.entry.node.span),
                format!(
                    "`{host}` is {}, not an analytics tool, though a pattern approved for \
                     analytics covers it",
                    describe_kind(kind).0
                ),
            )
            .via_alias(egress.entry.node.via_alias)
            .with_fix(
                "declare it without `category: analytics` (the version is then not eligible), \
                 or move the feature into Atlassian-hosted compute or storage",
            ),
        );
    }
}
