use apptrust_manifest::{Node, entry_span};

use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Fires for a `modules.webtrigger` entry whose `response.type` is not `static`. A missing
    /// `response` means a dynamic response.
    ///
    /// ## Why it matters
    /// A dynamic web trigger lets any caller on the internet receive whatever the app's function
    /// returns, which can include customer data. A static trigger can only answer with outputs
    /// declared in the manifest.
    ///
    /// ## Example
    /// ```yaml
    /// modules:
    ///   webtrigger:
    ///     - key: inbound-hook
    ///       function: hook
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// modules:
    ///   webtrigger:
    ///     - key: inbound-hook
    ///       function: hook
    ///       response:
    ///         type: static
    ///         outputs:
    ///           - key: accepted
    ///             statusCode: 202
    /// ```
    ///
    /// ## References
    /// - [Web trigger](https://developer.atlassian.com/platform/forge/manifest-reference/modules/web-trigger/)
    pub struct HasEgressWebtriggerModule;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for module in cx.manifest.module_entries("webtrigger") {
        let key = module
            .get("key")
            .map_or_else(|| "(no key)".to_string(), Node::display_scalar);
        let kind = module.at(&["response", "type"]);
        if kind.and_then(Node::as_str) == Some("static") {
            continue;
        }
        let (span, what) = match module.get("response").and_then(|r| r.entry("type")) {
            Some(entry) => (
                entry_span(entry),
                format!("a `{}` response", entry.value.display_scalar()),
            ),
            None => (
                module.get("key").map_or(module.span, |k| k.span),
                "no `response` block, so its response is dynamic".to_string(),
            ),
        };
        out.push(
            Finding::new(
                Code::HasEgressWebtriggerModule,
                Some(span),
                format!("web trigger `{key}` has {what}: callers can receive data from the app"),
            )
            .via_alias(module.via_alias)
            .with_fix("set `response.type: static` with `outputs` listing each fixed response"),
        );
    }
}
