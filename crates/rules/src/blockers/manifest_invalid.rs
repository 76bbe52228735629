use std::collections::BTreeSet;

use apptrust_manifest::{EntryForm, entry_span, merge_keys};

use crate::code::Code;
use crate::context::{Context, Egress};
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Reports what would make Forge refuse the manifest at deploy. First, everything Forge's
    /// own validation (`@forge/manifest`, the version named at the top of this reference) refuses without
    /// looking at the app's files: its JSON schema (a missing `app.id` or `app.runtime`, a
    /// retired runtime such as `nodejs18.x`, a misspelt or unknown key, a wrong type), an
    /// unsupported module type, a reference to an undefined function, endpoint or resource, a
    /// duplicated module or resource key, a malformed handler, an unknown scope. Then, among the
    /// parts that decide eligibility, with more precise advice: an egress address that Forge's URL check rejects (`http://`, no dot, spaces,
    /// a misplaced `*`, a blocked scheme such as `javascript:`, over 1000 characters); a
    /// `{remote: key}` naming no remote, or used outside `fetch.*`; an egress entry that is
    /// neither an address nor a mapping, or a mapping with neither `address` nor `remote`, or
    /// with unknown keys; `category` with any value but `analytics`; a non-boolean `inScopeEUD`
    /// (`no` and `'false'` are strings in YAML 1.2); a `<<` merge key anywhere; and a declared
    /// `${NAME}` with no value and no default.
    ///
    /// ## Why it matters
    /// A version that cannot be deployed never exists, so it can carry no badge. Catching these
    /// before `forge deploy` saves a round trip and explains the cause at its line. The six
    /// rules are still reported, so a blocked manifest shows what would decide the badge once
    /// it deploys. `apptrust check --eligibility-only` skips Forge's validation (not the checks
    /// on egress entries) for manifests written before Forge's current rules.
    ///
    /// ## Example
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       backend:
    ///         - address: http://api.example.com
    ///         - address: '*.posthog.com'
    ///           category: Analytics
    ///           inScopeEUD: no
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// permissions:
    ///   external:
    ///     fetch:
    ///       backend:
    ///         - address: https://api.example.com
    ///         - address: '*.posthog.com'
    ///           category: analytics
    ///           inScopeEUD: false
    /// ```
    ///
    /// ## References
    /// - [Manifest reference](https://developer.atlassian.com/platform/forge/manifest-reference/)
    /// - [Manifest reference: permissions](https://developer.atlassian.com/platform/forge/manifest-reference/permissions/)
    /// - [Environment variables in the manifest](https://developer.atlassian.com/platform/forge/environments-and-versions/)
    pub struct ManifestInvalid;
}

pub(crate) fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let remote_keys: BTreeSet<&str> = cx.manifest.remotes().iter().filter_map(|r| r.key).collect();
    for egress in &cx.egress {
        check_entry(cx, egress, &remote_keys, out);
    }
    for entry in merge_keys(cx.manifest.root()) {
        out.push(
            Finding::new(
                Code::ManifestInvalid,
                Some(entry.key.span),
                "`<<` merge keys are not supported by Forge's YAML parser: `<<` is read as an \
                 ordinary key, which the manifest schema rejects",
            )
            .via_alias(entry.key.via_alias)
            .with_fix("write the merged keys out in full instead of `<<: *anchor`"),
        );
    }
    check_variables(cx, out);
    for u in cx.unresolved {
        out.push(
            Finding::new(
                Code::ManifestInvalid,
                Some(u.span),
                format!(
                    "variable `{}` is declared without a default and has no value in the deploy \
                     environment",
                    u.name
                ),
            )
            .with_related(u.declared_at, "declared here")
            .with_fix(format!(
                "set `{}` when deploying (`--var {}=...` here), or give it a `default`",
                u.name, u.name
            )),
        );
    }
}

/// `environment.variables` must be a list of names or `{key, default}` mappings; Forge's CLI
/// fails on anything else before it can deploy.
fn check_variables(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(variables) = cx.manifest.root().at(&["environment", "variables"]) else {
        return;
    };
    let Some(items) = variables.as_seq() else {
        out.push(
            Finding::new(
                Code::ManifestInvalid,
                Some(variables.span),
                format!(
                    "`environment.variables` must be a list, not {}",
                    variables.kind()
                ),
            )
            .with_fix("write each variable as a list item: `- NAME` or `- key: NAME`"),
        );
        return;
    };
    for item in items {
        let named = item.as_str().is_some() || item.get("key").and_then(|k| k.as_str()).is_some();
        if !named {
            out.push(
                Finding::new(
                    Code::ManifestInvalid,
                    Some(item.span),
                    "a variable must be a name or a mapping with `key` (and optionally `default`)",
                )
                .via_alias(item.via_alias),
            );
        }
    }
}

fn check_entry(
    cx: &Context<'_>,
    egress: &Egress<'_>,
    remote_keys: &BTreeSet<&str>,
    out: &mut Vec<Finding>,
) {
    let node = egress.entry.node;
    let list = egress.entry.list.path();
    let mut push = |span, message: String, fix: Option<String>| {
        let mut f =
            Finding::new(Code::ManifestInvalid, Some(span), message).via_alias(node.via_alias);
        f.fix = fix;
        out.push(f);
    };
    // An address with an unresolved placeholder is reported once, as the missing variable.
    let unresolved = egress
        .entry
        .address_node()
        .is_some_and(|n| cx.unresolved.iter().any(|u| u.span == n.span));
    if let (Some(Err(refusal)), false) = (&egress.address, unresolved) {
        let address = egress.entry.address().unwrap_or_default();
        push(
            egress.entry.address_node().map_or(node.span, |n| n.span),
            format!(
                "Forge refuses the address `{address}` in `{list}`: {}",
                refusal.0
            ),
            address_fix(address),
        );
    }
    let object = match &egress.entry.form {
        EntryForm::Object(o) => o,
        EntryForm::Text(_) => return,
        EntryForm::Other => {
            push(
                node.span,
                format!(
                    "an entry of `{list}` must be an address or a mapping, not {}",
                    node.kind()
                ),
                Some("write the address as a quoted string or as `address: ...`".into()),
            );
            return;
        }
    };
    match (object.address, object.remote) {
        (None, None) => push(
            node.span,
            format!("an entry of `{list}` needs `address` or `remote`"),
            None,
        ),
        (Some(address), Some(_)) => push(
            address.span,
            format!("an entry of `{list}` has both `address` and `remote`"),
            Some("split it into two entries".into()),
        ),
        (Some(address), None) if address.as_str().is_none() => push(
            address.span,
            format!("`address` must be a string, not {}", address.kind()),
            Some("quote the address".into()),
        ),
        (None, Some(remote)) => {
            let key = remote.display_scalar();
            if !egress.entry.list.is_fetch() {
                push(
                    remote.span,
                    format!(
                        "`{list}` cannot reference a remote; only `fetch.backend` and `fetch.client` can"
                    ),
                    Some("move this entry to `fetch.backend` or `fetch.client`".into()),
                );
            } else if !remote_keys.contains(key.as_str()) {
                push(
                    remote.span,
                    format!("no remote has the key `{key}`"),
                    Some(format!("declare `{key}` under `remotes` or fix the key")),
                );
            }
        }
        _ => {}
    }
    if let Some(category) = object.category
        && category.as_str() != Some("analytics")
    {
        push(
            category.span,
            format!(
                "`category` can only be `analytics`, not `{}`",
                category.display_scalar()
            ),
            Some("write `category: analytics` (lower case), or delete `category`".into()),
        );
    }
    if let Some(flag) = object.in_scope_eud
        && flag.as_bool().is_none()
    {
        let written = flag.display_scalar();
        let meant = match written.to_ascii_lowercase().as_str() {
            "no" | "off" | "n" | "false" => "false",
            _ => "true",
        };
        push(
            flag.span,
            format!(
                "`inScopeEUD` must be `true` or `false`; `{written}` is {}",
                flag.kind()
            ),
            Some(format!("write `inScopeEUD: {meant}` without quotes")),
        );
    }
    for unknown in &object.unknown {
        if unknown.key.as_str() == Some("<<") {
            continue;
        }
        push(
            entry_span(unknown),
            format!(
                "egress entries accept only `address`, `category`, `inScopeEUD` or `remote`, not \
                 `{}`",
                unknown.key.display_scalar()
            ),
            Some("delete this key".into()),
        );
    }
}

fn address_fix(address: &str) -> Option<String> {
    if let Some(rest) = address.strip_prefix("http://") {
        return Some(format!("use `https://{rest}`"));
    }
    if address.starts_with('*') && !address.starts_with("*.") && address.len() > 1 {
        return Some(format!(
            "a wildcard must be a whole label: `*.{}`",
            &address[1..]
        ));
    }
    if !address.contains('.') {
        return Some("use the host's public, fully qualified name".into());
    }
    None
}
