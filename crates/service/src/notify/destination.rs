//! Where a webhook may be delivered: never, unless the operator allows it, to an address inside
//! the server's own network. Otherwise anyone who may register a webhook could make the server
//! send requests to its database, its cloud's metadata service or an admin port, and read the
//! answers' status codes in the delivery log.
//!
//! Meant to run on the addresses a host name resolves to at delivery time, with the delivery
//! connecting to exactly those addresses, so that a name resolving to a public address when it is
//! registered and to a private one later is still refused ([`PublicOnly`] is the resolver of
//! every delivery).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

/// Longest webhook address, in characters.
pub const MAX_URL_CHARS: usize = 2048;

/// Checks a webhook address when it is registered: `https` (plain `http` only where private
/// addresses are allowed: a test or a developer's machine), no user name or password, and no
/// loopback or private host written as such unless `allow_private`. Names are checked again at
/// every delivery, on the addresses they resolve to then.
pub fn check_url(text: &str, allow_private: bool) -> Result<url::Url, String> {
    if text.chars().count() > MAX_URL_CHARS {
        return Err(format!(
            "the webhook address is longer than {MAX_URL_CHARS} characters"
        ));
    }
    let url = url::Url::parse(text).map_err(|e| format!("`{text}` is not an address: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => {
            return Err(
                "webhook addresses must use https (plain http is allowed only with --allow-private-webhooks)"
                    .into(),
            );
        }
        other => return Err(format!("webhook addresses must use https, not `{other}`")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "the webhook address must not carry a user name or password: receivers check a \
             delivery by its signature"
                .into(),
        );
    }
    if url.fragment().is_some() {
        return Err("the webhook address must not have a #fragment".into());
    }
    if !allow_private {
        let private = match url.host() {
            Some(url::Host::Ipv4(ip)) => !is_public(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => !is_public(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name == "localhost" || name.ends_with(".localhost")
            }
            None => true,
        };
        if private {
            return Err(format!(
                "`{}` is a loopback or private address; webhooks go to the public internet \
                 unless the operator allows private ones (--allow-private-webhooks)",
                url.host_str().unwrap_or_default()
            ));
        }
    }
    Ok(url)
}

/// The resolver of webhook deliveries: it keeps only public addresses (unless private ones are
/// allowed), so a delivery connects to exactly the addresses that passed the check.
#[derive(Clone, Copy, Debug)]
pub struct PublicOnly {
    pub allow_private: bool,
}

impl ureq::Resolver for PublicOnly {
    fn resolve(&self, netloc: &str) -> std::io::Result<Vec<SocketAddr>> {
        let all: Vec<SocketAddr> = netloc.to_socket_addrs()?.collect();
        if self.allow_private {
            return Ok(all);
        }
        let public: Vec<SocketAddr> = all.iter().copied().filter(|a| is_public(a.ip())).collect();
        if public.is_empty() && !all.is_empty() {
            // The owner of the webhook reads the delivery log: it says that the address is not
            // public, never which internal addresses a name has. The server's log says that.
            tracing::warn!(
                target_address = netloc,
                resolved = %all.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>().join(", "),
                "webhook delivery refused: the name resolves only to private addresses"
            );
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the address is not on the public internet; refused (the operator can allow \
                 private addresses with --allow-private-webhooks)",
            ));
        }
        Ok(public)
    }
}

/// Whether `ip` is an address on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), unspecified, multicast, broadcast, documentation or otherwise reserved,
/// and not an IPv6 form of such an IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // 100.64.0.0/10, shared address space (carrier-grade NAT)
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24, IETF protocol assignments
        || (a == 192 && b == 0 && c == 0)
        // 192.88.99.0/24, the retired 6to4 relay anycast
        || (a == 192 && b == 88 && c == 99)
        // 198.18.0.0/15, benchmarking
        || (a == 198 && (b == 18 || b == 19))
        // 240.0.0.0/4, reserved
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // fc00::/7, unique local
        || (first & 0xfe00) == 0xfc00
        // fe80::/10, link-local; fec0::/10, the deprecated site-local
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // 2002::/16, 6to4: an IPv4 address inside, which may be internal
        || first == 0x2002
        // 2001:db8::/32, documentation
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // 64:ff9b::/96 and friends translate to IPv4 addresses we cannot see through
        || first == 0x0064
        // 2001::/32, Teredo: another tunnel to an IPv4 address
        || (first == 0x2001 && ip.segments()[1] == 0)
        // 100::/64, discard-only
        || (first == 0x0100 && ip.segments()[1..4].iter().all(|s| *s == 0))
        // 3fff::/20, documentation
        || (first & 0xfff0) == 0x3ff0
        // ::/96, IPv4-compatible (deprecated)
        || ip.segments()[..6].iter().all(|s| *s == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for text in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "64:ff9b::a00:1",
            "::127.0.0.1",
            "2001:0:4136:e378::1",
            "100::1",
            "3fff::1",
        ] {
            assert!(!is_public(text.parse().unwrap()), "{text}");
        }
    }

    #[test]
    fn webhook_addresses_must_be_public_https_without_credentials() {
        assert!(check_url("https://hooks.example.com/apptrust", false).is_ok());
        for (text, needle) in [
            ("http://hooks.example.com/", "https"),
            ("ftp://hooks.example.com/", "https"),
            ("https://user:pw@hooks.example.com/", "password"),
            ("https://127.0.0.1/", "private"),
            ("https://[::1]:8443/", "private"),
            ("https://169.254.169.254/latest", "private"),
            ("https://localhost/", "private"),
            ("https://a.localhost./", "private"),
            ("https://hooks.example.com/#x", "fragment"),
            ("not an address", "not an address"),
        ] {
            let error = check_url(text, false).unwrap_err();
            assert!(error.contains(needle), "{text}: {error}");
        }
        // Numeric forms of loopback that URL parsers turn into IPv4 addresses.
        for text in [
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:7f00:1]/",
        ] {
            let error = check_url(text, false).unwrap_err();
            assert!(error.contains("private"), "{text}: {error}");
        }
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert!(check_url(&long, false).unwrap_err().contains("longer"));
    }

    #[test]
    fn deliveries_resolve_only_to_public_addresses() {
        use ureq::Resolver;
        let strict = PublicOnly {
            allow_private: false,
        };
        let error = strict.resolve("127.0.0.1:80").unwrap_err();
        assert!(
            error.to_string().contains("not on the public internet"),
            "{error}"
        );
        assert!(!error.to_string().contains("127.0.0.1"), "{error}");
        let error = strict.resolve("localhost:80").unwrap_err();
        assert!(
            error.to_string().contains("not on the public internet"),
            "{error}"
        );
        assert_eq!(strict.resolve("93.184.215.14:443").unwrap().len(), 1);
        let relaxed = PublicOnly {
            allow_private: true,
        };
        assert_eq!(relaxed.resolve("127.0.0.1:80").unwrap().len(), 1);
    }

    #[test]
    fn internet_addresses_are_public() {
        for text in [
            "93.184.215.14",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(text.parse().unwrap()), "{text}");
        }
    }
}
