use apptrust_manifest::{Node, entry_span, token_flags};

use crate::code::Code;
use crate::context::Context;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Fires when `providers.auth` declares an external authentication provider, or when a
    /// remote, a legacy `remote` module or an `endpoint` module with `remote:` sets
    /// `auth.appSystemToken.enabled: true` or `auth.appUserToken.enabled: true`. The meaning of
    /// the token flags is unpublished; treating them as exposure is a decision (switch
    /// `remote_tokens_expose_credentials`).
    ///
    /// ## Why it matters
    /// An external OAuth provider keeps tokens for a third-party service, and a token flag hands
    /// an Atlassian API token to a server outside Atlassian. Either way, credentials that reach
    /// customer data leave the platform.
    ///
    /// ## Example
    /// ```yaml
    /// providers:
    ///   auth:
    ///     - key: google
    ///       type: oauth2
    /// remotes:
    ///   - key: backend
    ///     auth:
    ///       appSystemToken:
    ///         enabled: true
    /// ```
    ///
    /// ## Use instead
    /// Call product APIs from Forge functions with `asApp()` or `asUser()`, so no token leaves
    /// Atlassian, and remove `providers.auth`.
    /// ```yaml
    /// modules:
    ///   function:
    ///     - key: resolver
    ///       handler: index.handler
    /// ```
    ///
    /// ## References
    /// - [External authentication](https://developer.atlassian.com/platform/forge/use-an-external-oauth-2.0-api-with-fetch/)
    /// - [Forge Remote authentication](https://developer.atlassian.com/platform/forge/remote/essentials/)
    pub struct HasExposedCredentials;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if let Some(auth) = cx.manifest.auth_providers() {
        let providers = auth.value.as_seq().unwrap_or(&[]);
        for provider in providers {
            let key = provider
                .get("key")
                .map_or_else(|| "(no key)".to_string(), Node::display_scalar);
            out.push(
                Finding::new(
                    Code::HasExposedCredentials,
                    Some(provider.get("key").map_or(provider.span, |k| k.span)),
                    format!(
                        "external authentication provider `{key}` holds third-party credentials"
                    ),
                )
                .via_alias(provider.via_alias)
                .with_fix(format!("remove provider `{key}` from `providers.auth`")),
            );
        }
        let non_empty_map = auth.value.as_map().is_some_and(|m| !m.is_empty());
        if non_empty_map {
            out.push(Finding::new(
                Code::HasExposedCredentials,
                Some(entry_span(auth)),
                "`providers.auth` declares external authentication",
            ));
        }
    }
    if !cx.decisions.remote_tokens_expose_credentials {
        return;
    }
    let remotes = cx.manifest.remotes();
    let remote_items = remotes.iter().map(|r| (r.node, "remote"));
    let legacy = cx
        .manifest
        .module_entries("remote")
        .iter()
        .map(|n| (n, "legacy remote module"));
    let endpoints = cx
        .manifest
        .module_entries("endpoint")
        .iter()
        .filter(|n| n.get("remote").is_some())
        .map(|n| (n, "remote endpoint"));
    for (item, what) in remote_items.chain(legacy).chain(endpoints) {
        let key = item
            .get("key")
            .map_or_else(|| "(no key)".to_string(), Node::display_scalar);
        for flag in token_flags(item) {
            if flag.enabled.value.as_bool() == Some(true) {
                out.push(
                    Finding::new(
                        Code::HasExposedCredentials,
                        Some(entry_span(flag.enabled)),
                        format!("{what} `{key}` receives an Atlassian `{}`", flag.token),
                    )
                    .via_alias(flag.enabled.value.via_alias)
                    .with_fix(format!(
                        "set `{}.enabled: false` and make product calls from Forge functions",
                        flag.token
                    )),
                );
            }
        }
    }
}
