//! What an installed version may reach, and the decision for one outbound URL: the allow-list
//! that an egress proxy enforces, built from the same address rules as the checker.
//!
//! Matching follows Forge's egress filtering, which compares the scheme and the host name only
//! (decisions, documented in `docs/admin.md`):
//!
//! - an entry written without a scheme means `https` (Forge prefixes `https://`), and a URL is
//!   covered only by entries of its own scheme (`https` or `wss`); `http` and other web schemes
//!   are never covered;
//! - host names are compared in their ASCII form (IDNA: `bücher.example` is
//!   `xn--bcher-kva.example`), without case and without a trailing dot;
//! - `*.example.com` covers every host that ends in `.example.com`, never `example.com` itself;
//! - `*` covers every `https` and `wss` URL; a custom scheme entry (`zoommtg:`) covers URLs of
//!   that scheme;
//! - ports and paths play no part (Forge ignores an entry's path for backend egress, and its
//!   port), but a URL whose port or host cannot be read is refused;
//! - a URL that two parsers could read differently is refused rather than guessed at: one with
//!   a backslash, a tab or line break, a user name or password, surrounding spaces, an empty
//!   host label or more than one trailing dot; so is any blocked scheme (`javascript:`,
//!   `file:`, ...), however it is written;
//! - a decision is asked for one list: `fetch.backend` (the egress proxy's, the default), whose
//!   remotes' base URLs (every region's) are reachable too, or one of the browser's lists
//!   (`fetch.client`, `images`, ...). A host declared only for images never lets the backend
//!   reach it.
//!
//! Analytics entries (those an admin's "analytics egress" switch controls) are kept in the list
//! with their flag, so that a refusal can say that the switch, not the manifest, refused it.

use serde::Serialize;

use crate::address::{Address, BLOCKED_SCHEMES, check_address};
use crate::inventory::EgressItem;

/// The longest URL a decision reads; longer ones are refused unread.
pub const MAX_URL_BYTES: usize = 8 * 1024;

/// How an entry matches.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pattern {
    /// `*`: every `https` and `wss` URL.
    Everything,
    /// A custom scheme, lower-cased, without the colon.
    Scheme(String),
    /// A web address: its scheme and ASCII host; `wildcard` for `*.host`.
    Host {
        scheme: String,
        host: String,
        wildcard: bool,
    },
    /// An address Forge would refuse or whose host has no ASCII form: covers nothing.
    Nothing,
}

/// One destination the version may reach.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReachEntry {
    /// The egress list (`fetch.backend`, `images`, ...), or `remotes` for a remote's base URL.
    pub list: String,
    /// The address as declared (a remote's URL for remotes).
    pub address: String,
    /// The remote's key, for a remote's URL.
    pub remote: Option<String>,
    /// The region of a remote's URL (`default` for a single URL).
    pub region: Option<String>,
    /// `category`, when declared.
    pub category: Option<String>,
    /// Whether it may carry in-scope End-User Data.
    pub in_scope_eud: bool,
    /// Analytics egress: the site admins' analytics switch controls it.
    pub analytics: bool,
    #[serde(skip)]
    pattern: Pattern,
}

/// The allow-list of one version.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Reach {
    /// The entries, in the manifest's order (egress lists first, then remotes).
    pub entries: Vec<ReachEntry>,
}

/// The list a decision is asked for by default: the backend's, which the egress proxy
/// enforces (its remotes' URLs included).
pub const BACKEND: &str = "fetch.backend";
/// The list name of remotes' base URLs in a [`Reach`].
pub const REMOTES: &str = "remotes";

/// The lists a decision may be asked for.
pub fn lists() -> impl Iterator<Item = &'static str> {
    apptrust_manifest::EgressList::ALL
        .into_iter()
        .map(|l| l.path())
}

/// Whether a decision may be asked for list `name`.
pub fn is_list(name: &str) -> bool {
    lists().any(|l| l == name)
}

/// The answer for one URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Allowed by the entry at this index of [`Reach::entries`].
    Allowed(usize),
    /// Refused, saying why.
    Denied(String),
}

/// A remote's URL, as [`Reach::new`] takes it.
#[derive(Clone, Debug)]
pub struct RemoteUrl {
    pub remote: String,
    pub region: String,
    pub url: String,
    pub in_scope_eud: bool,
}

impl Reach {
    /// Builds the allow-list from a version's egress inventory and its remotes' URLs.
    /// `{remote: key}` entries of the inventory are covered by the remote's own URLs.
    pub fn new(inventory: &[EgressItem], remotes: &[RemoteUrl]) -> Reach {
        let mut entries: Vec<ReachEntry> = inventory
            .iter()
            .filter_map(|item| {
                let address = item.address.as_ref()?;
                Some(ReachEntry {
                    list: item.list.to_string(),
                    address: address.clone(),
                    remote: None,
                    region: None,
                    category: item.category.clone(),
                    in_scope_eud: item.in_scope_eud,
                    analytics: item.admin_can_block,
                    pattern: pattern_of(address),
                })
            })
            .collect();
        entries.extend(remotes.iter().map(|r| ReachEntry {
            list: REMOTES.into(),
            address: r.url.clone(),
            remote: Some(r.remote.clone()),
            region: Some(r.region.clone()),
            category: None,
            in_scope_eud: r.in_scope_eud,
            analytics: false,
            pattern: pattern_of(&r.url),
        }));
        Reach { entries }
    }

    /// The entries in force: all of them, or all but analytics when analytics egress is off.
    pub fn in_force(&self, analytics_allowed: bool) -> impl Iterator<Item = &ReachEntry> {
        self.entries
            .iter()
            .filter(move |e| analytics_allowed || !e.analytics)
    }

    /// Whether `url` may be reached through list `list` (see [`LISTS`]), and by which entry
    /// (the first that covers it). With analytics egress off, analytics entries cover nothing;
    /// a URL only they would cover is refused saying so.
    pub fn decide(&self, url: &str, analytics_allowed: bool, list: &str) -> Decision {
        let target = match Target::parse(url) {
            Ok(target) => target,
            Err(why) => return Decision::Denied(why),
        };
        let mut switched_off = None;
        for (index, entry) in self.entries.iter().enumerate() {
            let in_list = entry.list == list || (list == BACKEND && entry.list == REMOTES);
            if !in_list || !target.covered_by(&entry.pattern) {
                continue;
            }
            if entry.analytics && !analytics_allowed {
                switched_off.get_or_insert(index);
                continue;
            }
            return Decision::Allowed(index);
        }
        Decision::Denied(match switched_off {
            Some(index) => format!(
                "the site's admins switched analytics egress off, and `{}` is declared only as \
                 analytics egress (`{}` in `{}`)",
                target.describe(),
                self.entries[index].address,
                self.entries[index].list
            ),
            None => format!(
                "no `{list}` entry of the installed version covers `{}`",
                target.describe()
            ),
        })
    }
}

/// A URL as matching sees it.
#[derive(Debug)]
enum Target {
    /// A custom scheme (lower-cased).
    Scheme(String),
    /// A web URL: scheme and ASCII host without a trailing dot.
    Web { scheme: String, host: String },
}

impl Target {
    fn parse(url: &str) -> Result<Target, String> {
        if url.len() > MAX_URL_BYTES {
            return Err(format!(
                "the URL is longer than {MAX_URL_BYTES} bytes and is not read"
            ));
        }
        if url.trim() != url || url.chars().any(|c| matches!(c, '\\' | '\t' | '\n' | '\r')) {
            return Err(
                "the URL holds a backslash, a tab, a line break or surrounding spaces, which \
                 parsers read differently; send it as the request will use it"
                    .into(),
            );
        }
        let scheme_end = url.find(':').filter(|&end| {
            end > 0
                && url[..end]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        });
        let Some(end) = scheme_end else {
            return Err("the URL has no scheme; send it whole, as in `https://host/path`".into());
        };
        let scheme = url[..end].to_ascii_lowercase();
        if BLOCKED_SCHEMES.contains(&scheme.as_str()) {
            return Err(format!("`{scheme}:` URLs are never allowed"));
        }
        if !matches!(scheme.as_str(), "http" | "https" | "ws" | "wss") {
            return Ok(Target::Scheme(scheme));
        }
        let parsed = url::Url::parse(url).map_err(|e| format!("the URL cannot be read: {e}"))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(
                "the URL carries a user name or password, which parsers read differently".into(),
            );
        }
        if scheme != "https" && scheme != "wss" {
            return Err(format!(
                "`{scheme}:` URLs are never allowed: Forge egress is `https` and `wss` only"
            ));
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(domain)) => {
                let domain = domain.strip_suffix('.').unwrap_or(domain);
                if domain.split('.').any(str::is_empty) {
                    return Err(format!("the host `{domain}` has an empty label"));
                }
                domain.to_string()
            }
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
            None => return Err("the URL has no host".into()),
        };
        if host.is_empty() {
            return Err("the URL has no host".into());
        }
        Ok(Target::Web { scheme, host })
    }

    fn covered_by(&self, pattern: &Pattern) -> bool {
        match (self, pattern) {
            (Target::Web { .. }, Pattern::Everything) => true,
            (Target::Scheme(s), Pattern::Scheme(p)) => s == p,
            (
                Target::Web { scheme, host },
                Pattern::Host {
                    scheme: entry_scheme,
                    host: entry_host,
                    wildcard,
                },
            ) => {
                scheme == entry_scheme
                    && if *wildcard {
                        host.strip_suffix(entry_host.as_str())
                            .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.'))
                    } else {
                        host == entry_host
                    }
            }
            _ => false,
        }
    }

    fn describe(&self) -> String {
        match self {
            Target::Scheme(s) => format!("{s}:"),
            Target::Web { scheme, host } => format!("{scheme}://{host}"),
        }
    }
}

/// The pattern of a declared address, by the checker's address rules.
fn pattern_of(address: &str) -> Pattern {
    match check_address(address) {
        Ok(Address::Everything) => Pattern::Everything,
        Ok(Address::CustomScheme(scheme)) => Pattern::Scheme(scheme.to_ascii_lowercase()),
        Ok(Address::Web { scheme, host, .. }) => {
            let (wildcard, bare) = match host.strip_prefix("*.") {
                Some(base) => (true, base),
                None => (false, host.as_str()),
            };
            match ascii_host(bare) {
                Some(host) => Pattern::Host {
                    scheme,
                    host,
                    wildcard,
                },
                None => Pattern::Nothing,
            }
        }
        Err(_) => Pattern::Nothing,
    }
}

/// A declared host in the form URLs are compared in: IDNA to ASCII, lower case, no trailing
/// dot. `None` when it has no such form.
fn ascii_host(host: &str) -> Option<String> {
    let parsed = url::Url::parse(&format!("https://{host}/")).ok()?;
    match parsed.host()? {
        url::Host::Domain(domain) => {
            let trimmed = domain.trim_end_matches('.');
            (!trimmed.is_empty()).then(|| trimmed.to_string())
        }
        url::Host::Ipv4(ip) => Some(ip.to_string()),
        url::Host::Ipv6(ip) => Some(format!("[{ip}]")),
    }
}

#[cfg(test)]
#[path = "reach_tests.rs"]
mod tests;

/// A version's egress as installations see it: the inventory, the residency report and the
/// allow-list, from one reading of the manifest.
#[derive(Clone, Debug)]
pub struct VersionEgress {
    pub inventory: Vec<EgressItem>,
    pub residency: Option<crate::Residency>,
    pub reach: Reach,
}

/// Reads a stored manifest (with the variable values it was deployed with, in `options`) into
/// its egress. `None` when the manifest cannot be read.
pub fn version_egress(bytes: &[u8], options: &crate::CheckOptions) -> Option<VersionEgress> {
    let (root, unresolved) = crate::load(bytes, options).ok()?;
    let evaluation = crate::evaluate_document(&root, &unresolved, options);
    let manifest = apptrust_manifest::Manifest::new(&root)?;
    let remotes: Vec<RemoteUrl> = manifest
        .remotes()
        .iter()
        .flat_map(|r| {
            let key = r.key.unwrap_or_default().to_string();
            let in_scope_eud = r
                .storage_in_scope_eud
                .and_then(apptrust_yaml::Node::as_bool)
                .unwrap_or(options.decisions.remote_storage_omitted_means_in_scope);
            r.urls()
                .into_iter()
                .filter_map(move |(region, node)| {
                    Some(RemoteUrl {
                        remote: key.clone(),
                        region: region.unwrap_or("default").to_string(),
                        url: node.as_str()?.to_string(),
                        in_scope_eud,
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect();
    Some(VersionEgress {
        reach: Reach::new(&evaluation.egress, &remotes),
        inventory: evaluation.egress,
        residency: evaluation.residency,
    })
}
