use apptrust_manifest::{Node, entry_span};

use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Fires when the app declares a Forge Remote: an entry under `remotes` (whatever its
    /// `operations`, region URLs or storage flags), a legacy `modules.remote`, an `endpoint`
    /// module with `remote:`, a `migration:dataResidency` module, or `app.connect.remote`.
    /// Forge container endpoints (`endpoint` with `service:`) do not fire it.
    ///
    /// ## Why it matters
    /// A remote is a server the partner runs outside Atlassian. Runs on Atlassian certifies that
    /// compute and storage are Atlassian-hosted, so declaring any remote, even one that is never
    /// called, makes the version ineligible.
    ///
    /// ## Example
    /// ```yaml
    /// remotes:
    ///   - key: backend
    ///     baseUrl: https://backend.example-vendor.com
    /// modules:
    ///   endpoint:
    ///     - key: remote-resolver
    ///       remote: backend
    /// ```
    ///
    /// ## Use instead
    /// Move the work into Forge functions or Forge containers, keep data in Forge storage (KVS,
    /// entities, SQL, Object Store), and delete the remote and every reference to it.
    /// ```yaml
    /// modules:
    ///   function:
    ///     - key: resolver
    ///       handler: index.handler
    /// ```
    ///
    /// ## References
    /// - [Forge Remote](https://developer.atlassian.com/platform/forge/remote/)
    /// - [Runs on Atlassian](https://developer.atlassian.com/platform/forge/runs-on-atlassian/)
    pub struct HasRemotes;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for remote in cx.manifest.remotes() {
        let name = remote.key.unwrap_or("(no key)");
        let target = remote
            .urls()
            .first()
            .and_then(|(_, n)| n.as_str())
            .map(|u| format!(" at {u}"))
            .unwrap_or_default();
        let operations = if remote.operations.is_empty() {
            String::new()
        } else {
            format!(" for {}", remote.operations.join(", "))
        };
        let span = remote.node.get("key").map_or(remote.node.span, |k| k.span);
        out.push(
            Finding::new(
                Code::HasRemotes,
                Some(span),
                format!("remote `{name}`{target} runs outside Atlassian{operations}"),
            )
            .via_alias(remote.node.via_alias)
            .with_fix(format!(
                "move this work into Forge functions or containers and Forge storage, then delete \
                 remote `{name}` and every reference to it"
            )),
        );
    }
    for module in cx.manifest.module_entries("remote") {
        out.push(module_finding(
            module,
            "legacy `remote` module",
            "a Forge function",
        ));
    }
    for module in cx.manifest.module_entries("endpoint") {
        if let Some(entry) = module.entry("remote") {
            let name = entry.value.display_scalar();
            out.push(
                Finding::new(
                    Code::HasRemotes,
                    Some(entry_span(entry)),
                    format!("endpoint module sends invocations to remote `{name}`"),
                )
                .via_alias(entry.value.via_alias)
                .with_fix(
                    "point the endpoint at a Forge container `service:` or replace it with a \
                     Forge function",
                ),
            );
        }
    }
    for module in cx.manifest.module_entries("migration:dataResidency") {
        out.push(module_finding(
            module,
            "`migration:dataResidency` module (data held on a remote)",
            "Forge storage, which follows the host product's residency without migration",
        ));
    }
    if let Some(entry) = cx.manifest.app_connect().and_then(|c| c.entry("remote")) {
        out.push(
            Finding::new(
                Code::HasRemotes,
                Some(entry_span(entry)),
                format!(
                    "`app.connect.remote` makes Connect remote `{}` part of the app",
                    entry.value.display_scalar()
                ),
            )
            .with_fix("finish the migration off Connect and remove `app.connect.remote`"),
        );
    }
}

fn module_finding(module: &Node, what: &str, instead: &str) -> Finding {
    let key = module
        .get("key")
        .map_or_else(|| "(no key)".to_string(), Node::display_scalar);
    let span = module.get("key").map_or(module.span, |k| k.span);
    Finding::new(Code::HasRemotes, Some(span), format!("{what} `{key}`"))
        .via_alias(module.via_alias)
        .with_fix(format!("replace it with {instead}"))
}
