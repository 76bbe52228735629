//! Host lists kept as data files beside the crate (`data/`), for fixes that must not mislead:
//! Atlassian's own API hosts, and functional APIs (AI, storage, maps) that sit under a pattern
//! approved for analytics.

use std::sync::OnceLock;

use crate::analytics_policy::covers;

const ATLASSIAN: &str = include_str!("../data/atlassian-hosts.txt");
const FUNCTIONAL: &str = include_str!("../data/functional-api-hosts.txt");

/// Lines that are not blank or comments.
fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// True when `host` is one of Atlassian's own API hosts.
pub fn is_atlassian(host: &str) -> bool {
    static TABLE: OnceLock<Vec<String>> = OnceLock::new();
    TABLE
        .get_or_init(|| entries(ATLASSIAN).map(str::to_ascii_lowercase).collect())
        .iter()
        .any(|pattern| covers(pattern, &host.to_ascii_lowercase()))
}

/// What kind of functional API `host` is (`ai`, `storage`, `maps`, `productivity`), if it is a
/// known one.
pub fn functional_api(host: &str) -> Option<&'static str> {
    static TABLE: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    let host = host.to_ascii_lowercase();
    TABLE
        .get_or_init(|| {
            entries(FUNCTIONAL)
                .filter_map(|l| l.split_once(' '))
                .map(|(kind, pattern)| (kind, pattern.trim().to_ascii_lowercase()))
                .collect()
        })
        .iter()
        .find(|(_, pattern)| covers(pattern, &host))
        .map(|(kind, _)| *kind)
}

/// How a fix names a kind of functional API.
pub fn describe_kind(kind: &str) -> &'static str {
    match kind {
        "ai" => "an AI or LLM API",
        "storage" => "a storage or database API",
        "maps" => "a maps API",
        _ => "a productivity API",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_read_as_intended() {
        assert!(is_atlassian("api.atlassian.com"));
        assert!(is_atlassian("acme.atlassian.net"));
        assert!(!is_atlassian("atlassian.example.com"));
        assert_eq!(
            functional_api("generativelanguage.googleapis.com"),
            Some("ai")
        );
        assert_eq!(functional_api("Maps.GoogleAPIs.com"), Some("maps"));
        assert_eq!(functional_api("www.googleapis.com"), None);
    }
}
