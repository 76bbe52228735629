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

fn functional_table() -> &'static [(&'static str, String)] {
    static TABLE: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        entries(FUNCTIONAL)
            .filter_map(|l| l.split_once(' '))
            .map(|(kind, pattern)| (kind, pattern.trim().to_ascii_lowercase()))
            .collect()
    })
}

/// What kind of functional API `host` is (`ai`, `storage`, `maps`, ...), if it is a known one,
/// or a declared wildcard that covers one.
pub fn functional_api(host: &str) -> Option<&'static str> {
    let host = host.to_ascii_lowercase();
    functional_table()
        .iter()
        .filter(|(kind, _)| *kind != "broad")
        .find(|(_, pattern)| covers(pattern, &host) || covers(&host, pattern))
        .map(|(kind, _)| *kind)
}

/// True when `pattern` (an approved analytics pattern) also covers functional APIs, so that
/// being approved through it says nothing about a host being analytics.
pub fn is_broad(pattern: &str) -> bool {
    functional_table()
        .iter()
        .any(|(kind, listed)| *kind == "broad" && listed.eq_ignore_ascii_case(pattern))
}

/// How a fix names a kind of functional API, and where such work belongs instead.
pub fn describe_kind(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "ai" => ("an AI or LLM API", "Forge LLMs"),
        "storage" => ("a storage or database API", "Forge storage or Forge SQL"),
        "maps" => ("a maps API", "the app's own resources"),
        "identity" => ("a sign-in or identity API", "Atlassian's own identity"),
        "messaging" => ("a messaging API", "Atlassian-hosted compute"),
        "assets" => ("a font or asset host", "the app's bundled resources"),
        _ => ("a productivity API", "Atlassian-hosted compute"),
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
        assert_eq!(
            functional_api("*.googleapis.com"),
            Some("ai"),
            "a wildcard covering them"
        );
        assert!(is_broad("*.googleapis.com"));
        assert!(!is_broad("*.posthog.com"));
        for (kind, _) in functional_table() {
            assert!(
                [
                    "ai",
                    "storage",
                    "maps",
                    "identity",
                    "messaging",
                    "assets",
                    "productivity",
                    "broad"
                ]
                .contains(kind),
                "unknown kind `{kind}` in functional-api-hosts.txt"
            );
        }
    }
}
