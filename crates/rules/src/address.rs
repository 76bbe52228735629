//! Forge's egress address check, reproduced so that addresses Forge would refuse at deploy are
//! caught before it.

/// What Forge makes of an egress address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// Exactly `*`: every host.
    Everything,
    /// A custom URL scheme such as `zoommtg:` (links that open desktop apps).
    CustomScheme(String),
    /// A web address, after Forge's `https://` prefixing.
    Web {
        /// `https` or `wss`.
        scheme: String,
        /// The host as written, lower-cased, with a leading `*.` for wildcards, without port.
        host: String,
        /// The path, query and fragment (`""` when there is none or only `/`).
        path: String,
    },
}

/// Why Forge refuses an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

pub(crate) const BLOCKED_SCHEMES: [&str; 12] = [
    "javascript",
    "data",
    "vbscript",
    "view-source",
    "resource",
    "about",
    "chrome",
    "livescript",
    "mocha",
    "file",
    "mhtml",
    "smb",
];

/// Applies Forge's address check, in Forge's order. Prefix tests are case-sensitive, as Forge's
/// are; the URL step follows the WHATWG parser Forge uses (tabs and line breaks are dropped, `\`
/// counts as `/`, ports must be numbers up to 65535).
pub fn check_address(address: &str) -> Result<Address, Refusal> {
    if address.encode_utf16().count() > 1000 {
        return Err(Refusal("the address is longer than 1000 characters".into()));
    }
    if address == "*" {
        return Ok(Address::Everything);
    }
    if let Some(scheme) = leading_scheme(address) {
        if BLOCKED_SCHEMES.contains(&scheme) {
            return Err(Refusal(format!("the `{scheme}:` scheme is not allowed")));
        }
        if !address.starts_with("http") && !address.starts_with("wss") {
            return Ok(Address::CustomScheme(scheme.to_string()));
        }
    }
    if !address.contains('.') {
        return Err(Refusal(
            "the address has no dot, so it is not a public host name".into(),
        ));
    }
    if address.contains(' ') {
        return Err(Refusal("the address contains spaces".into()));
    }
    let cleaned: String = address
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    let (scheme, rest) = match cleaned.find("://") {
        Some(i) => (cleaned[..i].to_ascii_lowercase(), &cleaned[i + 3..]),
        None => ("https".to_string(), cleaned.as_str()),
    };
    if scheme != "https" && scheme != "wss" {
        return Err(Refusal(format!(
            "the `{scheme}://` scheme is not allowed; use `https://` (or `wss://`)"
        )));
    }
    let rest = rest.trim_start_matches('/');
    let (authority, path) = split_authority(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_port.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    if let Some(port) = port {
        let valid = port.is_empty()
            || (port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u32>().is_ok_and(|p| p <= 65535));
        if !valid {
            return Err(Refusal(format!("`{port}` is not a valid port")));
        }
    }
    let bare = host.strip_prefix("*.").unwrap_or(host);
    if bare.is_empty() || host.is_empty() {
        return Err(Refusal("the address has no host".into()));
    }
    if !host.chars().all(host_char) || bare.contains('*') {
        return Err(Refusal(format!(
            "the host `{host}` is not a valid host name (a wildcard is only allowed as a whole \
             first label, as in `*.example.com`)"
        )));
    }
    Ok(Address::Web {
        scheme,
        host: host.to_lowercase(),
        path: if path == "/" {
            String::new()
        } else {
            path.to_string()
        },
    })
}

/// The lower-cased host of an address without scheme, port and path (`*.` kept), for matching.
pub fn host_of(address: &str) -> Option<String> {
    match check_address(address) {
        Ok(Address::Web { host, .. }) => Some(host),
        _ => None,
    }
}

fn leading_scheme(address: &str) -> Option<&str> {
    let end = address.find(|c: char| !c.is_ascii_alphabetic())?;
    (end > 0 && address[end..].starts_with(':')).then(|| &address[..end])
}

fn split_authority(rest: &str) -> (&str, &str) {
    match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    }
}

/// Forge's host pattern `^(\*\.)?[.a-zA-Z0-9_\-/:~#%?=&]+$` after the URL parser has refused the
/// characters it forbids in a domain (`%` among them); non-ASCII letters are allowed because the
/// parser turns them into punycode before the pattern sees them.
fn host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ".-_~=&*".contains(c) || (!c.is_ascii() && c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(host: &str) -> Result<Address, Refusal> {
        Ok(Address::Web {
            scheme: "https".into(),
            host: host.into(),
            path: String::new(),
        })
    }

    #[test]
    fn forge_examples() {
        assert!(check_address("http://x.com").is_err());
        assert!(check_address("localhost").is_err());
        assert!(check_address("*example.com").is_err());
        assert!(check_address("a b.com").is_err());
        assert!(check_address("javascript:alert(1)").is_err());
        assert!(check_address("data:text/html,x").is_err());
        assert!(check_address(&"a.".repeat(501)).is_err());
        assert_eq!(check_address("*"), Ok(Address::Everything));
        assert_eq!(
            check_address("zoommtg:"),
            Ok(Address::CustomScheme("zoommtg".into()))
        );
        assert_eq!(check_address("api.example.com"), web("api.example.com"));
        assert_eq!(
            check_address("https://API.example.com:8443/"),
            web("api.example.com")
        );
        assert_eq!(check_address("*.example.com"), web("*.example.com"));
        assert!(matches!(
            check_address("wss://live.example.com/socket"),
            Ok(Address::Web { ref scheme, ref path, .. }) if scheme == "wss" && path == "/socket"
        ));
    }

    #[test]
    fn the_url_parser_details_forge_relies_on() {
        // `\` is `/` to the URL parser: the host is the part before it.
        assert_eq!(
            host_of("https://evil.example.com\\@eu.posthog.com").as_deref(),
            Some("evil.example.com")
        );
        for refused in [
            "example.com:abc",
            "example.com:99999",
            "a.com::80",
            "https:example.com",
            "wss:x.com",
            "httpbin:x",
            "a%zz.com",
            "*.",
        ] {
            assert!(
                check_address(refused).is_err(),
                "{refused} should be refused"
            );
        }
        for accepted in [
            "HTTP://example.com",
            "JavaScript:alert(1)",
            "exa\tmple.com",
            "a.com\t",
            "example.com:8443",
            "example.com:",
        ] {
            assert!(
                check_address(accepted).is_ok(),
                "{accepted} should be accepted"
            );
        }
        let emoji_path = format!("a.com/{}", "😀".repeat(600));
        assert!(
            check_address(&emoji_path).is_err(),
            "length counts UTF-16 units"
        );
    }

    #[test]
    fn misplaced_wildcards_are_refused() {
        assert!(check_address("api.*.example.com").is_err());
        assert!(check_address("**.example.com").is_err());
    }
}
