//! `PermissionsValidator`'s checks besides scopes (those are in `references.rs`): the content
//! security policy sources under `permissions.content.scripts`.
//!
//! Not ported: the address checks of `permissions.external` (Forge parses each address with the
//! WHATWG URL parser and accepts it by its host and protocol) and of the remotes that
//! `external.fetch` entries name (they reuse that address check on the remote's `baseUrl`).

use apptrust_yaml::Node;

use super::Problem;
use super::references::push;

/// The keyword sources Forge accepts in `content.scripts`, besides hashes.
const SCRIPT_KEYWORDS: [&str; 4] = ["unsafe-eval", "unsafe-hashes", "unsafe-inline", "blob:"];

/// Runs the permission checks on the loaded manifest.
pub(crate) fn check(root: &Node, out: &mut Vec<Problem>) {
    scripts(root, out);
}

/// `invalidScripts`: each script source is a keyword Forge allows or a base64 hash
/// (`sha256-`, `sha384-`, `sha512-` with the hash's exact length).
fn scripts(root: &Node, out: &mut Vec<Problem>) {
    let Some(list) = root
        .at(&["permissions", "content", "scripts"])
        .and_then(Node::as_seq)
    else {
        return;
    };
    for (i, node) in list.iter().enumerate() {
        let source = node.display_scalar();
        if SCRIPT_KEYWORDS.contains(&source.as_str()) || is_hash(&source) {
            continue;
        }
        let fix = match source.trim_matches('\'') {
            s if s != source && (SCRIPT_KEYWORDS.contains(&s) || is_hash(s)) => {
                format!("write it without quotes: `{s}`")
            }
            _ => "use `unsafe-inline`, `unsafe-eval`, `unsafe-hashes`, `blob:`, or a script's hash as `sha256-` followed by its 44-character base64 digest".into(),
        };
        push(
            out,
            "permissions.invalidPermission",
            &source,
            &format!("/permissions/content/scripts/{i}"),
            Some(node.span),
            format!(
                "`{source}` is not a script source Forge accepts in `permissions.content.scripts`"
            ),
            Some(fix),
        );
    }
}

/// `isValidHash`: `sha256-`, `sha384-` or `sha512-`, then exactly 44, 64 or 88 base64
/// characters.
fn is_hash(source: &str) -> bool {
    let digest = |prefix: &str, len: usize| {
        source.strip_prefix(prefix).is_some_and(|d| {
            d.len() == len
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'+' | b'/'))
        })
    };
    digest("sha256-", 44) || digest("sha384-", 64) || digest("sha512-", 88)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes() {
        assert!(is_hash(&format!("sha256-{}", "a".repeat(44))));
        assert!(is_hash(&format!("sha512-{}=", "A/+".repeat(29))));
        assert!(!is_hash("sha256-abc"));
        assert!(!is_hash(&format!("sha1-{}", "a".repeat(28))));
        assert!(!is_hash(&format!("sha256-{}", "é".repeat(22))));
    }
}
