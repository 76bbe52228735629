use proptest::prelude::*;

use super::*;

fn item(address: &str, analytics: bool) -> EgressItem {
    EgressItem {
        list: "fetch.backend",
        address: Some(address.to_string()),
        remote: None,
        host: None,
        category: analytics.then(|| "analytics".to_string()),
        in_scope_eud: !analytics,
        exempt: analytics,
        admin_can_block: analytics,
        line: 1,
        column: 1,
    }
}

fn reach(addresses: &[&str]) -> Reach {
    let items: Vec<EgressItem> = addresses.iter().map(|a| item(a, false)).collect();
    Reach::new(&items, &[])
}

fn allowed(reach: &Reach, url: &str) -> bool {
    matches!(reach.decide(url, true, BACKEND), Decision::Allowed(_))
}

#[test]
fn hosts_wildcards_and_schemes() {
    let r = reach(&[
        "api.example.com",
        "*.cdn.example.com",
        "wss://live.example.com",
    ]);
    assert!(allowed(&r, "https://api.example.com/v1/x?y=1"));
    assert!(allowed(&r, "https://API.Example.COM./v1"));
    assert!(allowed(&r, "https://api.example.com:8443/"));
    assert!(!allowed(&r, "https://user:pw@api.example.com/"));
    assert!(!allowed(&r, "http://api.example.com/"));
    assert!(!allowed(&r, "wss://api.example.com/"));
    assert!(!allowed(&r, "https://example.com/"));
    assert!(!allowed(&r, "https://evilapi.example.com/"));
    assert!(allowed(&r, "https://a.b.cdn.example.com/"));
    assert!(!allowed(&r, "https://cdn.example.com/"));
    assert!(allowed(&r, "wss://live.example.com/socket"));
    assert!(!allowed(&r, "https://live.example.com/"));
    // The backslash is a slash to the URL parser: the host is evil.example.net.
    assert!(!allowed(&r, "https://evil.example.net\\@api.example.com/"));
    assert!(!allowed(&r, "https://api.example.com:99999/"));
    assert!(!allowed(&r, "api.example.com"));
    assert!(!allowed(
        &r,
        &format!("https://api.example.com/{}", "a".repeat(9000))
    ));
    // What parsers read differently is refused, not guessed at.
    for ambiguous in [
        "https://api.example.com\\@evil.com/",
        "https://api.exam\nple.com/",
        "https://api.example.com../",
        " https://api.example.com/",
        "https://user@api.example.com/",
        "https://a..cdn.example.com/",
    ] {
        assert!(!allowed(&r, ambiguous), "{ambiguous:?}");
    }
}

#[test]
fn blocked_schemes_and_lists() {
    let mut items = vec![
        item("JavaScript:", false),
        item("FILE:", false),
        item("zoommtg:", false),
    ];
    for i in &mut items {
        i.list = "navigation";
    }
    items.push(EgressItem {
        list: "images",
        ..item("img.example.com", false)
    });
    let r = Reach::new(&items, &[]);
    let navigation = |url: &str| matches!(r.decide(url, true, "navigation"), Decision::Allowed(_));
    assert!(!navigation("javascript:alert(1)"));
    assert!(!navigation("file:///etc/passwd"));
    assert!(navigation("zoommtg:join"));
    // A host declared for images is not the backend's to reach.
    assert!(!allowed(&r, "https://img.example.com/a.png"));
    assert!(matches!(
        r.decide("https://img.example.com/a.png", true, "images"),
        Decision::Allowed(_)
    ));
    assert!(is_list("images") && is_list("fetch.backend") && !is_list("remotes"));
}

#[test]
fn everything_custom_schemes_and_idna() {
    let r = reach(&["*", "zoommtg:", "bücher.example", "*.MÜNCHEN.example."]);
    assert!(allowed(&r, "https://anything.example.org/"));
    assert!(allowed(&r, "wss://anything.example.org/"));
    assert!(!allowed(&r, "http://anything.example.org/"));
    assert!(allowed(&r, "ZoomMtg:join?x=1"));
    assert!(!allowed(&r, "msteams:join"));
    assert!(!allowed(&r, "JAVASCRIPT:alert(1)"));
    let r = reach(&["bücher.example", "*.MÜNCHEN.example."]);
    assert!(allowed(&r, "https://xn--bcher-kva.example/"));
    assert!(allowed(&r, "https://BÜCHER.example/"));
    assert!(allowed(&r, "https://stadt.xn--mnchen-3ya.example/"));
    assert!(!allowed(&r, "https://xn--mnchen-3ya.example/"));
}

#[test]
fn analytics_switched_off_is_named() {
    let items = vec![item("eu.posthog.com", true), item("api.example.com", false)];
    let r = Reach::new(&items, &[]);
    assert_eq!(
        r.decide("https://eu.posthog.com/e", true, BACKEND),
        Decision::Allowed(0)
    );
    let Decision::Denied(why) = r.decide("https://eu.posthog.com/e", false, BACKEND) else {
        panic!("analytics must be refused when switched off");
    };
    assert!(why.contains("switched analytics egress off"), "{why}");
    assert_eq!(
        r.decide("https://api.example.com/", false, BACKEND),
        Decision::Allowed(1)
    );
    assert_eq!(r.in_force(false).count(), 1);
    // A host declared both ways stays reachable through its functional entry.
    let items = vec![item("eu.posthog.com", true), item("eu.posthog.com", false)];
    let r = Reach::new(&items, &[]);
    assert_eq!(
        r.decide("https://eu.posthog.com/", false, BACKEND),
        Decision::Allowed(1)
    );
}

#[test]
fn remotes_are_reachable_by_their_urls() {
    let remotes = vec![RemoteUrl {
        remote: "backend".into(),
        region: "EU".into(),
        url: "https://eu.backend.example.com/api".into(),
        in_scope_eud: true,
    }];
    let r = Reach::new(&[], &remotes);
    assert_eq!(
        r.decide("https://eu.backend.example.com/x", false, BACKEND),
        Decision::Allowed(0)
    );
    assert!(!allowed(&r, "https://us.backend.example.com/x"));
}

#[test]
fn version_egress_reads_a_manifest() {
    let manifest = br#"
app:
  id: ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000001
  runtime: {name: nodejs22.x}
modules:
  jira:issuePanel:
    - key: panel
      resource: main
      title: Panel
resources:
  - key: main
    path: static/build
remotes:
  - key: backend
    baseUrl:
      EU: https://eu.backend.example.com
      US: https://us.backend.example.com
    storage: {inScopeEUD: true}
permissions:
  external:
    fetch:
      backend:
        - address: api.example.com
        - address: eu.posthog.com
          category: analytics
          inScopeEUD: false
"#;
    let egress = version_egress(manifest, &crate::CheckOptions::default()).expect("readable");
    let lists: Vec<&str> = egress
        .reach
        .entries
        .iter()
        .map(|e| e.list.as_str())
        .collect();
    assert_eq!(
        lists,
        ["fetch.backend", "fetch.backend", "remotes", "remotes"]
    );
    assert!(egress.reach.entries[1].analytics);
    assert_eq!(egress.reach.entries[2].region.as_deref(), Some("EU"));
    assert!(egress.residency.is_some());
}

/// A host as generated: ASCII labels in mixed case, or a label with a known IDNA form.
#[derive(Clone, Debug)]
struct Host {
    /// As written in a URL or an entry.
    written: Vec<String>,
    /// The ASCII, lower-case form.
    ascii: Vec<String>,
}

const IDN: [(&str, &str); 3] = [
    ("bücher", "xn--bcher-kva"),
    ("MÜNCHEN", "xn--mnchen-3ya"),
    ("пример", "xn--e1afmkfd"),
];

fn label() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        4 => prop::sample::select(vec!["api", "Api", "cdn", "x", "eu", "a-b", "x1", "EXAMPLE"])
            .prop_map(|l| (l.to_string(), l.to_ascii_lowercase())),
        1 => prop::sample::select(IDN.to_vec()).prop_map(|(u, a)| (u.to_string(), a.to_string())),
    ]
}

fn host() -> impl Strategy<Value = Host> {
    prop::collection::vec(label(), 1..4).prop_map(|labels| {
        let (mut written, mut ascii): (Vec<String>, Vec<String>) = labels.into_iter().unzip();
        written.push("test".into());
        ascii.push("test".into());
        Host { written, ascii }
    })
}

#[derive(Clone, Debug)]
enum EntrySpec {
    Everything,
    Exact {
        scheme: Option<&'static str>,
        host: Host,
        port: Option<u16>,
        dot: bool,
    },
    Wildcard {
        host: Host,
    },
}

fn entry() -> impl Strategy<Value = EntrySpec> {
    prop_oneof![
        1 => Just(EntrySpec::Everything),
        5 => (
            prop::option::of(prop::sample::select(vec!["https", "wss"])),
            host(),
            prop::option::of(1u16..),
            any::<bool>()
        )
            .prop_map(|(scheme, host, port, dot)| EntrySpec::Exact { scheme, host, port, dot }),
        3 => host().prop_map(|host| EntrySpec::Wildcard { host }),
    ]
}

impl EntrySpec {
    fn written(&self) -> String {
        match self {
            EntrySpec::Everything => "*".into(),
            EntrySpec::Exact {
                scheme,
                host,
                port,
                dot,
            } => {
                let mut s = scheme.map(|s| format!("{s}://")).unwrap_or_default();
                s.push_str(&host.written.join("."));
                if *dot {
                    s.push('.');
                }
                if let Some(port) = port {
                    s.push_str(&format!(":{port}"));
                }
                s
            }
            EntrySpec::Wildcard { host } => format!("*.{}", host.written.join(".")),
        }
    }

    /// The reference model: scheme equal (none written means https), ASCII hosts equal, or the
    /// URL's host strictly inside a wildcard; ports, paths, case and a trailing dot ignored.
    fn covers(&self, scheme: &str, host: &[String]) -> bool {
        match self {
            EntrySpec::Everything => scheme == "https" || scheme == "wss",
            EntrySpec::Exact {
                scheme: s, host: h, ..
            } => s.unwrap_or("https").eq_ignore_ascii_case(scheme) && h.ascii == host,
            EntrySpec::Wildcard { host: h } => {
                scheme == "https"
                    && host.len() > h.ascii.len()
                    && host[host.len() - h.ascii.len()..] == h.ascii[..]
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Decisions agree with the reference model for random hosts, wildcards, ports, schemes,
    /// case, trailing dots and internationalised names, whether the URL's host shares labels
    /// with an entry or not.
    #[test]
    fn decisions_follow_the_address_rules(
        entries in prop::collection::vec(entry(), 0..5),
        scheme in prop::sample::select(vec!["https", "wss", "http", "HTTPS", "ws"]),
        own in host(),
        prefix in prop::collection::vec(label(), 0..2),
        pick in any::<prop::sample::Index>(),
        port in prop::option::of(1u16..),
        dot in any::<bool>(),
        path in "(/[a-z]{0,5}){0,2}",
    ) {
        // Often aim at an entry's host (with extra labels in front), sometimes at a stranger.
        let base = entries
            .iter()
            .filter_map(|e| match e {
                EntrySpec::Exact { host, .. } | EntrySpec::Wildcard { host } => Some(host.clone()),
                EntrySpec::Everything => None,
            })
            .collect::<Vec<_>>();
        let target = if base.is_empty() { own } else { base[pick.index(base.len())].clone() };
        let (pw, pa): (Vec<String>, Vec<String>) = prefix.into_iter().unzip();
        let written = [pw, target.written].concat().join(".");
        let ascii: Vec<String> = [pa, target.ascii].concat();
        let url = format!(
            "{scheme}://{written}{}{}{path}",
            if dot { "." } else { "" },
            port.map(|p| format!(":{p}")).unwrap_or_default()
        );
        let items: Vec<EgressItem> = entries.iter().map(|e| item(&e.written(), false)).collect();
        let reach = Reach::new(&items, &[]);
        let lower = scheme.to_ascii_lowercase();
        let expected = entries.iter().any(|e| e.covers(&lower, &ascii));
        prop_assert_eq!(allowed(&reach, &url), expected, "url {} entries {:?}", url, items.iter().map(|i| i.address.clone()).collect::<Vec<_>>());
    }
}
