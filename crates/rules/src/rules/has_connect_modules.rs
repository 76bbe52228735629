use apptrust_manifest::entry_span;

use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Fires when `connectModules` declares at least one module, or when `modules` has a
    /// `connect-jira:*` or `connect-confluence:*` key with entries. `app.connect.key` alone does
    /// not fire it (a decision: switch `connect_key_alone_fires`).
    ///
    /// ## Why it matters
    /// Connect modules are served by the partner's own Connect app server, outside Atlassian, so
    /// the app cannot be certified as running on Atlassian while it has any.
    ///
    /// ## Example
    /// ```yaml
    /// connectModules:
    ///   jira:adminPages:
    ///     - key: legacy-admin
    ///       url: /admin
    /// ```
    ///
    /// ## Use instead
    /// Rebuild each Connect module as its Forge counterpart and delete `connectModules`.
    /// ```yaml
    /// modules:
    ///   jira:adminPage:
    ///     - key: admin
    ///       resource: main
    ///       title: Admin
    /// ```
    ///
    /// ## References
    /// - [Connect on Forge](https://developer.atlassian.com/platform/adopting-forge-from-connect/)
    pub struct HasConnectModules;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for group in cx.manifest.connect_modules() {
        if group.is_non_empty() {
            out.push(finding(group.key, group.kind, "connectModules"));
        }
    }
    for group in cx.manifest.modules() {
        let connect = group.kind.starts_with("connect-jira:")
            || group.kind.starts_with("connect-confluence:");
        if connect && group.is_non_empty() {
            out.push(finding(group.key, group.kind, "modules"));
        }
    }
    if cx.decisions.connect_key_alone_fires
        && let Some(entry) = cx.manifest.app_connect().and_then(|c| c.entry("key"))
    {
        out.push(Finding::new(
            Code::HasConnectModules,
            Some(entry_span(entry)),
            "`app.connect.key` ties the app to a Connect app",
        ));
    }
}

fn finding(key: &apptrust_manifest::Node, kind: &str, section: &str) -> Finding {
    Finding::new(
        Code::HasConnectModules,
        Some(key.span),
        format!(
            "`{section}` declares Connect modules of type `{kind}`, served from outside Atlassian"
        ),
    )
    .via_alias(key.via_alias)
    .with_fix(format!(
        "rebuild the `{kind}` modules as Forge modules and delete them from `{section}`"
    ))
}
