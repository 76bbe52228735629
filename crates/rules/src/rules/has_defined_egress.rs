use apptrust_manifest::{EgressList, EntryForm, entry_span};

use crate::address::Address;
use crate::code::Code;
use crate::context::{Context, Egress};
use crate::documented::documented;
use crate::finding::Finding;
use crate::host_lists;
use crate::platform_hosts::platform_allows;

documented! {
    /// ## What it does
    /// Fires for every entry of `permissions.external` (`fetch.backend`, `fetch.client`, `fonts`,
    /// `frames`, `images`, `media`, `navigation`, `scripts`, `styles`) that is not exempt
    /// analytics egress, and for `permissions.external.configurable.enabled: true`
    /// (customer-managed egress). An entry is exempt when it is an object with `address`,
    /// `category: analytics` (exactly) and `inScopeEUD: false` (explicitly; omitted means `true`).
    /// Plain strings are never exempt, not even Atlassian hosts; a bare `*` fires; `{remote: key}`
    /// entries are charged to `HAS_REMOTES` instead. Empty lists fire nothing.
    ///
    /// ## Why it matters
    /// Runs on Atlassian promises that customer data does not leave Atlassian. The only egress it
    /// tolerates is analytics that carries no in-scope End-User Data and that admins can switch
    /// off. Declaring a host that the platform already allows still counts, because the
    /// declaration is what the badge is judged on.
    ///
    /// ## Example
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       backend:
    ///         - api.example-vendor.com
    ///         - address: '*.amplitude.com'
    ///           category: analytics
    /// ```
    ///
    /// ## Use instead
    /// Move functional calls into the app (Forge storage, Forge LLMs, product APIs) and declare
    /// analytics as exempt egress to an approved tool:
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       backend:
    ///         - address: '*.amplitude.com'
    ///           category: analytics
    ///           inScopeEUD: false
    /// ```
    ///
    /// ## References
    /// - [Runs on Atlassian](https://developer.atlassian.com/platform/forge/runs-on-atlassian/)
    /// - [External permissions](https://developer.atlassian.com/platform/forge/manifest-reference/permissions/#external-permissions)
    /// - [Analytics tools policy](https://developer.atlassian.com/platform/forge/analytics-tools-policy/)
    pub struct HasDefinedEgress;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for egress in &cx.egress {
        if egress.exempt || egress.remote().is_some() {
            continue;
        }
        let Some(address) = egress.entry.address() else {
            continue;
        };
        let list = egress.entry.list.path();
        let reason = reason(egress);
        out.push(
            Finding::new(
                Code::HasDefinedEgress,
                Some(egress.entry.node.span),
                format!("`{list}` allows egress to `{address}`{reason}"),
            )
            .via_alias(egress.entry.node.via_alias)
            .with_fix(fix(cx, egress, address)),
        );
    }
    if let Some(entry) = cx.manifest.configurable_egress()
        && entry.value.as_bool() == Some(true)
    {
        out.push(
            Finding::new(
                Code::HasDefinedEgress,
                Some(entry_span(entry)),
                "customer-managed egress is enabled: admins can open egress to any host",
            )
            .with_fix("set `configurable.enabled: false` or remove the `configurable` block"),
        );
    }
}

fn reason(egress: &Egress<'_>) -> &'static str {
    match (&egress.entry.form, egress.analytics, egress.in_scope_eud) {
        (EntryForm::Text(_), _, _) => " (a plain address is never exempt)",
        (_, true, Some(true)) => " (analytics marked as carrying in-scope End-User Data)",
        (_, true, None) => {
            " (analytics without `inScopeEUD: false` counts as carrying End-User Data)"
        }
        (_, true, Some(false)) => " (the analytics exemption is switched off for this list)",
        _ => "",
    }
}

fn fix(cx: &Context<'_>, egress: &Egress<'_>, address: &str) -> String {
    let list = egress.entry.list;
    let host = match &egress.address {
        Some(Ok(Address::Web { host, .. })) => Some(host.as_str()),
        _ => None,
    };
    if host.is_some_and(|h| platform_allows(list.path(), h)) {
        return "delete this entry: the platform already allows this host".into();
    }
    if matches!(egress.address, Some(Ok(Address::Everything))) {
        return "list the hosts the app really needs instead of `*`, or remove the entry".into();
    }
    if list == EgressList::Fonts || list == EgressList::Styles {
        return "bundle the asset with the app's resources and delete this entry".into();
    }
    if host.is_some_and(host_lists::is_atlassian) {
        match list {
            EgressList::FetchBackend => {
                return "call Atlassian's APIs through `@forge/api` (`requestJira`, \
                     `requestConfluence`, `requestBitbucket`, `api.asApp()` or `asUser()`), \
                     which needs no egress entry, and delete this entry"
                    .into();
            }
            EgressList::FetchClient => {
                return "call Atlassian's APIs from the page through `@forge/bridge` \
                     (`requestJira`, `requestConfluence`), which needs no egress entry, and \
                     delete this entry"
                    .into();
            }
            _ => {}
        }
    }
    if let Some(kind) = host.and_then(host_lists::functional_api) {
        // Never suggest the analytics exemption for an API the app's features use.
        let (what, instead) = host_lists::describe_kind(kind);
        return format!(
            "`{address}` is {what}, not an analytics tool: what the app sends there is never \
             analytics. Use {instead} instead, and delete this entry"
        );
    }
    let approving = cx.policy.approving_pattern(address);
    if let (false, Some(pattern)) = (egress.analytics, approving)
        && host_lists::is_broad(pattern)
    {
        return format!(
            "`{pattern}` is approved for analytics but also serves functional APIs: claim the \
             analytics exemption only for a host that receives nothing but analytics without \
             in-scope End-User Data; otherwise move this call into Atlassian-hosted compute or \
             storage and delete this entry"
        );
    }
    match (egress.analytics, egress.in_scope_eud, approving.is_some()) {
        (true, Some(true), _) => "only if this host receives nothing but analytics, and the \
             payload carries no in-scope End-User Data: set `inScopeEUD: false`; otherwise strip \
             End-User Data before sending it"
            .into(),
        (true, None, _) => "only if this host receives nothing but analytics without in-scope \
             End-User Data: add `inScopeEUD: false`"
            .into(),
        (false, _, true) => format!(
            "only if this host receives nothing but analytics (never an API the app's features \
             use) without in-scope End-User Data: add `category: analytics` and \
             `inScopeEUD: false`: {}",
            object_form(address)
        ),
        _ => "move this call into Atlassian-hosted compute or storage and delete this entry".into(),
    }
}

fn object_form(address: &str) -> String {
    format!("{{address: '{address}', category: analytics, inScopeEUD: false}}")
}
