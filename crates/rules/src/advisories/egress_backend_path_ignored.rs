use apptrust_manifest::EgressList;

use crate::address::Address;
use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Warns about a `fetch.backend` address with a path.
    ///
    /// ## Why it matters
    /// Backend egress is allowed per host: the path is ignored, so `api.example.com/v1/safe`
    /// allows every path on that host. Writing the path suggests a restriction that does not
    /// exist.
    ///
    /// ## Example
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       backend:
    ///         - https://api.example.com/v1/reports
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       backend:
    ///         - address: https://api.example.com
    /// ```
    ///
    /// ## References
    /// - [External permissions](https://developer.atlassian.com/platform/forge/manifest-reference/permissions/#external-permissions)
    pub struct EgressBackendPathIgnored;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for egress in &cx.egress {
        if egress.entry.list != EgressList::FetchBackend {
            continue;
        }
        let Some(Ok(Address::Web { host, path, scheme })) = &egress.address else {
            continue;
        };
        // Forge warns about the URL's pathname only; a query or fragment alone is not a path.
        let pathname = path.split(['?', '#']).next().unwrap_or_default();
        if pathname.is_empty() || pathname == "/" {
            continue;
        }
        out.push(
            Finding::new(
                Code::EgressBackendPathIgnored,
                Some(
                    egress
                        .entry
                        .address_node()
                        .map_or(egress.entry.node.span, |n| n.span),
                ),
                format!("the path `{path}` is ignored: every path on `{host}` is allowed"),
            )
            .via_alias(egress.entry.node.via_alias)
            .with_fix(format!("write the address as `{scheme}://{host}`")),
        );
    }
}
