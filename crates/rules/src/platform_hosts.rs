//! Hosts Forge already allows without a declaration, kept as data.

use std::sync::OnceLock;

const BUNDLED: &str = include_str!("../data/platform-allowed-hosts.txt");

fn table() -> &'static [(String, String)] {
    static TABLE: OnceLock<Vec<(String, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        BUNDLED
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once(' '))
            .map(|(list, host)| (list.to_string(), host.trim().to_ascii_lowercase()))
            .collect()
    })
}

/// True when Forge allows `host` (possibly a declared wildcard) in the list at `list_path` (e.g.
/// `images`) without a declaration.
pub fn platform_allows(list_path: &str, host: &str) -> bool {
    table()
        .iter()
        .any(|(l, pattern)| l == list_path && crate::analytics_policy::covers(pattern, host))
}
