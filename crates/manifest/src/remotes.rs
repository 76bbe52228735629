//! Forge Remote declarations (`remotes`).

use apptrust_yaml::{Entry, Node, Value};

/// One item of `remotes`.
#[derive(Clone, Debug)]
pub struct Remote<'a> {
    /// The whole item.
    pub node: &'a Node,
    /// `key`.
    pub key: Option<&'a str>,
    /// `baseUrl`: a URL string, or a map from region (`EU`, `US`, ..., `default`) to URL.
    pub base_url: Option<&'a Node>,
    /// `operations`: `storage`, `compute`, `fetch`, `other`.
    pub operations: Vec<&'a str>,
    /// `storage.inScopeEUD`.
    pub storage_in_scope_eud: Option<&'a Node>,
}

/// A token flag under an `auth` block: `appSystemToken` or `appUserToken`, with its `enabled` entry.
#[derive(Clone, Debug)]
pub struct TokenFlag<'a> {
    /// `appSystemToken` or `appUserToken`.
    pub token: &'a str,
    /// The `enabled: ...` entry.
    pub enabled: &'a Entry,
}

impl<'a> Remote<'a> {
    /// The region keys of a region map, in source order; empty for a single-URL `baseUrl`.
    pub fn regions(&self) -> Vec<&'a str> {
        self.base_url
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .filter_map(|e| e.key.as_str())
            .collect()
    }

    /// URLs of `baseUrl`: one for a plain string, one per region for a map.
    pub fn urls(&self) -> Vec<(Option<&'a str>, &'a Node)> {
        match self.base_url.map(|n| &n.value) {
            Some(Value::Str(_)) => self.base_url.into_iter().map(|n| (None, n)).collect(),
            Some(Value::Map(entries)) => {
                entries.iter().map(|e| (e.key.as_str(), &e.value)).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Token flags set under this remote's `auth` block.
    pub fn token_flags(&self) -> Vec<TokenFlag<'a>> {
        token_flags(self.node)
    }
}

/// Token flags under `auth` of any module or remote item.
pub fn token_flags(item: &Node) -> Vec<TokenFlag<'_>> {
    let Some(auth) = item.get("auth") else {
        return Vec::new();
    };
    ["appSystemToken", "appUserToken"]
        .into_iter()
        .filter_map(|token| {
            Some(TokenFlag {
                token,
                enabled: auth.get(token)?.entry("enabled")?,
            })
        })
        .collect()
}

pub(crate) fn remotes(section: Option<&Node>) -> Vec<Remote<'_>> {
    section
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .map(|node| Remote {
            node,
            key: node.get("key").and_then(Node::as_str),
            base_url: node.get("baseUrl"),
            operations: node
                .get("operations")
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::as_str)
                .collect(),
            storage_in_scope_eud: node.at(&["storage", "inScopeEUD"]),
        })
        .collect()
}
