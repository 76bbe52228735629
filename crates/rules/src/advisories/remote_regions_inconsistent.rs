use std::collections::BTreeSet;

use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;
use crate::residency::REGIONS;

documented! {
    /// ## What it does
    /// Warns when remotes with region maps (`baseUrl: {EU: ..., US: ...}`) do not all list the
    /// same regions, or when a region key is not one Forge knows (`EU, US, AU, DE, SG, CA, IN,
    /// KR, JP, GB, CH`, plus `default`).
    ///
    /// ## Why it matters
    /// Data residency follows the host product only if every remote can serve every region the
    /// app's customers are pinned to. A region missing from one remote sends that region's
    /// traffic to the default URL, outside its residency.
    ///
    /// ## Example
    /// ```yaml
    /// remotes:
    ///   - key: api
    ///     baseUrl: {default: https://api.example.com, EU: https://eu.api.example.com}
    ///   - key: files
    ///     baseUrl: {default: https://files.example.com}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// remotes:
    ///   - key: api
    ///     baseUrl: {default: https://api.example.com, EU: https://eu.api.example.com}
    ///   - key: files
    ///     baseUrl: {default: https://files.example.com, EU: https://eu.files.example.com}
    /// ```
    ///
    /// ## References
    /// - [Forge Remote data residency](https://developer.atlassian.com/platform/forge/remote/data-residency/)
    pub struct RemoteRegionsInconsistent;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let remotes = cx.manifest.remotes();
    let mapped: Vec<_> = remotes.iter().filter(|r| !r.regions().is_empty()).collect();
    let union: BTreeSet<&str> = mapped.iter().flat_map(|r| r.regions()).collect();
    for remote in &mapped {
        let name = remote.key.unwrap_or("(no key)");
        let span = remote.base_url.map_or(remote.node.span, |n| n.span);
        let listed: BTreeSet<&str> = remote.regions().into_iter().collect();
        let missing: Vec<&str> = union.difference(&listed).copied().collect();
        if !missing.is_empty() {
            out.push(
                Finding::new(
                    Code::RemoteRegionsInconsistent,
                    Some(span),
                    format!(
                        "remote `{name}` has no URL for {}, which other remotes serve",
                        missing.join(", ")
                    ),
                )
                .with_fix(format!(
                    "add {} to `{name}`'s `baseUrl` map",
                    missing.join(", ")
                )),
            );
        }
        for unknown in listed
            .iter()
            .filter(|k| **k != "default" && !REGIONS.contains(k))
        {
            out.push(
                Finding::new(
                    Code::RemoteRegionsInconsistent,
                    Some(span),
                    format!("remote `{name}` lists `{unknown}`, which is not a Forge region"),
                )
                .with_fix(format!("use one of {} or `default`", REGIONS.join(", "))),
            );
        }
    }
}
