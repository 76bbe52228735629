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

const BLOCKED_SCHEMES: [&str; 12] = [
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

/// Applies Forge's address check, in Forge's order.
pub fn check_address(address: &str) -> Result<Address, Refusal> {
    if address.chars().count() > 1000 {
        return Err(Refusal("the address is longer than 1000 characters".into()));
    }
    if address == "*" {
        return Ok(Address::Everything);
    }
    if let Some(scheme) = leading_scheme(address) {
        let lower = scheme.to_ascii_lowercase();
        if BLOCKED_SCHEMES.contains(&lower.as_str()) {
            return Err(Refusal(format!("the `{lower}:` scheme is not allowed")));
        }
        if !matches!(lower.as_str(), "http" | "https" | "wss") {
            return Ok(Address::CustomScheme(lower));
        }
    }
    if !address.contains('.') {
        return Err(Refusal(
            "the address has no dot, so it is not a public host name".into(),
        ));
    }
    if address.contains(char::is_whitespace) {
        return Err(Refusal("the address contains spaces".into()));
    }
    let (scheme, rest) = match address.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("https".to_string(), address),
    };
    if scheme != "https" && scheme != "wss" {
        return Err(Refusal(format!(
            "the `{scheme}://` scheme is not allowed; use `https://` (or `wss://`)"
        )));
    }
    let (authority, path) = split_authority(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.is_empty() {
        return Err(Refusal("the address has no host".into()));
    }
    if !host_port.chars().all(host_char) {
        return Err(Refusal(format!(
            "the host `{host_port}` has characters Forge does not accept"
        )));
    }
    let host = host_port.strip_prefix("*.").unwrap_or(host_port);
    if !host.chars().all(|c| c != '*') {
        return Err(Refusal(format!(
            "`{host_port}`: a wildcard is only allowed as a whole first label, as in `*.example.com`"
        )));
    }
    let host_only = strip_port(host_port).to_ascii_lowercase();
    Ok(Address::Web {
        scheme,
        host: host_only,
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

/// Forge's host pattern `^(\*\.)?[.a-zA-Z0-9_\-/:~#%?=&]+$`, with non-ASCII letters allowed because
/// the URL parser turns them into punycode before the pattern sees them.
fn host_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || ".-_/:~#%?=&*".contains(c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
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
    fn misplaced_wildcards_are_refused() {
        assert!(check_address("api.*.example.com").is_err());
        assert!(check_address("**.example.com").is_err());
    }
}
