//! Atlassian's list of pre-approved analytics tools, kept as versioned data.

use crate::address::host_of;

/// The approved analytics hosts and the date the list took effect.
#[derive(Clone, Debug)]
pub struct AnalyticsPolicy {
    /// The list's version (the date it was published).
    pub version: String,
    /// The date deploys started being blocked by it.
    pub effective: String,
    /// Host patterns: `host` or `*.base`.
    pub patterns: Vec<String>,
}

const BUNDLED: &str = include_str!("../data/analytics-tools.txt");

impl Default for AnalyticsPolicy {
    fn default() -> Self {
        AnalyticsPolicy::parse(BUNDLED)
    }
}

impl AnalyticsPolicy {
    /// Reads the list format: `#` comments (with `# version:` and `# effective:` headers), one
    /// pattern per line.
    pub fn parse(text: &str) -> Self {
        let mut policy = AnalyticsPolicy {
            version: String::new(),
            effective: String::new(),
            patterns: Vec::new(),
        };
        for line in text.lines().map(str::trim) {
            if let Some(v) = line.strip_prefix("# version:") {
                policy.version = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("# effective:") {
                policy.effective = v.trim().to_string();
            } else if !line.is_empty() && !line.starts_with('#') {
                policy.patterns.push(line.to_ascii_lowercase());
            }
        }
        policy
    }

    /// The approved pattern that covers this address, if any. The address may itself be a
    /// wildcard (`*.eu.posthog.com`), which is approved only inside an approved wildcard.
    pub fn approving_pattern(&self, address: &str) -> Option<&str> {
        let host = host_of(address)?;
        self.patterns
            .iter()
            .find(|p| covers(p, &host))
            .map(String::as_str)
    }
}

/// Whether a list pattern (`host` or `*.base`) covers a declared host (`host` or `*.sub`).
pub(crate) fn covers(pattern: &str, host: &str) -> bool {
    match (pattern.strip_prefix("*."), host.strip_prefix("*.")) {
        (None, None) => pattern == host,
        (None, Some(_)) => false,
        (Some(base), None) => host.strip_suffix(base).is_some_and(|h| h.ends_with('.')),
        (Some(base), Some(declared)) => {
            declared == base
                || declared
                    .strip_suffix(base)
                    .is_some_and(|h| h.ends_with('.'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_follows_the_spec() {
        let p = AnalyticsPolicy::default();
        assert_eq!(p.version, "2025-08-28");
        assert_eq!(p.approving_pattern("eu.posthog.com"), Some("*.posthog.com"));
        assert_eq!(
            p.approving_pattern("https://EU.PostHog.com:443/x"),
            Some("*.posthog.com")
        );
        assert_eq!(p.approving_pattern("posthog.com"), None);
        assert_eq!(p.approving_pattern("*.posthog.com"), Some("*.posthog.com"));
        assert_eq!(
            p.approving_pattern("*.eu.posthog.com"),
            Some("*.posthog.com")
        );
        assert_eq!(p.approving_pattern("in.accoil.com"), Some("in.accoil.com"));
        assert_eq!(p.approving_pattern("x.in.accoil.com"), None);
        assert_eq!(p.approving_pattern("*.in.accoil.com"), None);
        assert_eq!(
            p.approving_pattern("statsigapi.net"),
            Some("statsigapi.net")
        );
        assert_eq!(p.approving_pattern("evilposthog.com"), None);
        assert_eq!(p.approving_pattern("*"), None);
        assert_eq!(p.approving_pattern("stats.example-vendor.com"), None);
    }
}
