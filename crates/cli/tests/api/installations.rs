//! Installations and admin egress controls through the API on both databases: install, switch
//! analytics egress off and watch the effective egress and the decisions change; a new major
//! held until consent while minors of the installed major still apply; decline; policies that
//! refuse an installation and flag one after a badge loss; notifications to the right site's
//! admins and to no one else.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::receivers::SmtpSink;
use crate::support::{Db, ELIGIBLE, TestApp};

crate::on_both_databases!(switches_consent_and_decisions, policies_refuse_and_flag,);

/// A manifest of the eligible example's modules with these backend entries (`analytics`
/// entries are exempt analytics egress) and, with `remote`, a remote storing in-scope data with
/// a default and an EU URL.
pub(crate) fn manifest(backend: &[&str], analytics: &[&str], remote: bool) -> String {
    let head = ELIGIBLE
        .split("permissions:")
        .next()
        .expect("the eligible example has permissions");
    let mut text = head.to_string();
    if remote {
        text.push_str(
            "remotes:\n  - key: store\n    baseUrl:\n      default: https://store.example.com\n      \
             EU: https://eu.store.example.com\n    storage:\n      inScopeEUD: true\n",
        );
    }
    text.push_str("permissions:\n  scopes:\n    - read:jira-work\n");
    if backend.is_empty() && analytics.is_empty() {
        return text;
    }
    text.push_str("  external:\n    fetch:\n      backend:\n");
    for host in backend {
        text.push_str(&format!("        - address: '{host}'\n"));
    }
    for host in analytics {
        text.push_str(&format!(
            "        - address: {host}\n          category: analytics\n          inScopeEUD: false\n"
        ));
    }
    text
}

/// Creates a site (staff) and a site admin of it; returns the admin's token.
pub(crate) fn site_with_admin(app: &TestApp, site: &str, residency: &str, email: &str) -> String {
    let (status, body) = app.post(
        "/api/v1/sites",
        Some(&app.staff_token),
        json!({"key": site, "residency": residency}),
    );
    assert!(status == 201 || status == 409, "{status} {body}");
    let (status, body) = app.post(
        "/api/v1/users",
        Some(&app.staff_token),
        json!({"name": "Site admin", "email": email, "role": "site-admin", "site": site}),
    );
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// Installs `key` on `site` as `admin`; returns the installation.
pub(crate) fn install(app: &TestApp, admin: &str, site: &str, key: &str) -> Value {
    let (status, body) = app.post(
        &format!("/api/v1/sites/{site}/installations"),
        Some(admin),
        json!({"app": key}),
    );
    assert_eq!(status, 201, "{body}");
    body
}

fn deploy(app: &TestApp, token: &str, key: &str, manifest: &str, version: Option<&str>) -> Value {
    let mut body = json!({"manifest": manifest});
    if let Some(version) = version {
        body["version"] = json!(version);
    }
    let (status, body) = app.deploy(token, key, "production", body);
    assert_eq!(status, 201, "{body}");
    body
}

fn decide(app: &TestApp, token: &str, id: i64, url: &str) -> Value {
    let (status, body) = app.post(
        &format!("/api/v1/installations/{id}/egress/decisions"),
        Some(token),
        json!({"url": url}),
    );
    assert_eq!(status, 200, "{body}");
    body
}

fn allowed(app: &TestApp, token: &str, id: i64, url: &str) -> bool {
    decide(app, token, id, url)["allowed"].as_bool().unwrap()
}

fn events(app: &TestApp, token: &str, site: &str) -> Vec<(String, Value)> {
    let (status, body) = app.get(&format!("/api/v1/sites/{site}/notifications"), Some(token));
    assert_eq!(status, 200, "{body}");
    body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["event"].as_str().unwrap().to_string(),
                n["payload"].clone(),
            )
        })
        .collect()
}

fn switches_consent_and_decisions(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let key = "com.acme.reports";
    app.app(&acme, key);
    let admin = site_with_admin(&app, "customer.atlassian.net", "EU", "admin@customer.test");
    let neighbour = site_with_admin(
        &app,
        "neighbour.atlassian.net",
        "US",
        "admin@neighbour.test",
    );
    let v1 = manifest(&["api.example.com"], &["eu.posthog.com"], true);
    deploy(&app, &acme, key, &v1, None);

    let installed = install(&app, &admin, "customer.atlassian.net", key);
    let id = installed["id"].as_i64().unwrap();
    assert_eq!(installed["version"], "1.0.0");
    assert_eq!(installed["allowAnalyticsEgress"], true);
    assert_eq!(installed["allowLogsAccess"], true);
    assert_eq!(installed["consent"]["state"], "none");

    // Effective egress: everything declared, and the EU remote serves the site's residency.
    let (status, egress) = app.get(&format!("/api/v1/installations/{id}/egress"), Some(&admin));
    assert_eq!(status, 200, "{egress}");
    let addresses = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|e| e["address"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        addresses(&egress["allowed"]),
        [
            "api.example.com",
            "eu.posthog.com",
            "https://store.example.com",
            "https://eu.store.example.com"
        ]
    );
    assert_eq!(egress["residency"]["siteResidency"], "EU");
    assert_eq!(egress["residency"]["eudMayLeaveResidency"], false);

    let decision = decide(&app, &admin, id, "https://eu.posthog.com/capture");
    assert_eq!(decision["allowed"], true, "{decision}");
    assert_eq!(decision["entry"]["analytics"], true);
    assert!(allowed(&app, &admin, id, "https://API.example.com./v1"));
    assert!(allowed(&app, &admin, id, "https://eu.store.example.com/x"));
    let denied = decide(&app, &admin, id, "https://evil.example.net/");
    assert_eq!(denied["allowed"], false);
    assert!(
        denied["reason"]
            .as_str()
            .unwrap()
            .contains("evil.example.net")
    );

    // Analytics egress off: the effective egress and the decisions follow at once.
    let (status, body) = app.request(
        "PATCH",
        &format!("/api/v1/installations/{id}"),
        Some(&admin),
        Some(json!({"allowAnalyticsEgress": false, "allowLogsAccess": false})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["allowAnalyticsEgress"], false);
    let off = decide(&app, &admin, id, "https://eu.posthog.com/capture");
    assert_eq!(off["allowed"], false, "{off}");
    assert!(
        off["reason"]
            .as_str()
            .unwrap()
            .contains("analytics egress off")
    );
    let (_, egress) = app.get(&format!("/api/v1/installations/{id}/egress"), Some(&admin));
    assert_eq!(addresses(&egress["switchedOff"]), ["eu.posthog.com"]);
    assert!(!addresses(&egress["allowed"]).contains(&"eu.posthog.com".to_string()));
    let (_, logs) = app.get(
        &format!("/api/v1/installations/{id}/logs-access"),
        Some(&acme),
    );
    assert_eq!(logs["allowed"], false, "{logs}");
    // Nothing to change is refused, not recorded.
    let (status, _) = app.request(
        "PATCH",
        &format!("/api/v1/installations/{id}"),
        Some(&admin),
        Some(json!({})),
    );
    assert_eq!(status, 422);
    // A site admin has exactly one site.
    let (status, _) = app.post(
        "/api/v1/users",
        Some(&app.staff_token),
        json!({"name": "No site", "email": "nosite@customer.test", "role": "site-admin"}),
    );
    assert_eq!(status, 422);
    // A decision for a browser list, and an unknown list.
    let image = app.post(
        &format!("/api/v1/installations/{id}/egress/decisions"),
        Some(&admin),
        json!({"url": "https://api.example.com/", "list": "images"}),
    );
    assert_eq!(image.1["allowed"], false, "{}", image.1);
    let (status, _) = app.post(
        &format!("/api/v1/installations/{id}/egress/decisions"),
        Some(&admin),
        json!({"url": "https://api.example.com/", "list": "remotes"}),
    );
    assert_eq!(status, 422);
    // A stale revision is refused instead of undoing the change.
    let (status, _) = app.request(
        "PATCH",
        &format!("/api/v1/installations/{id}"),
        Some(&admin),
        Some(json!({"allowAnalyticsEgress": true, "revision": installed["revision"]})),
    );
    assert_eq!(status, 409);

    // A new major that adds egress waits for consent; the installation stays on 1.0.0.
    let v2 = manifest(
        &["api.example.com", "new.example.com"],
        &["eu.posthog.com"],
        true,
    );
    let deployed = deploy(&app, &acme, key, &v2, None);
    assert_eq!(deployed["version"], "2.0.0");
    let (_, shown) = app.get(&format!("/api/v1/installations/{id}"), Some(&admin));
    assert_eq!(shown["version"], "1.0.0");
    assert_eq!(shown["consent"]["state"], "pending");
    assert_eq!(shown["consent"]["offered"], "2.0.0");
    assert!(!allowed(&app, &admin, id, "https://new.example.com/"));

    // A minor of major 1 (dropping api.example.com) applies as it comes.
    let v1_1 = manifest(&[], &["eu.posthog.com"], true);
    let backport = deploy(&app, &acme, key, &v1_1, Some("1.1.0"));
    assert_eq!(backport["version"], "1.1.0");
    let (_, shown) = app.get(&format!("/api/v1/installations/{id}"), Some(&admin));
    assert_eq!(shown["version"], "1.1.0");
    assert!(!allowed(&app, &admin, id, "https://api.example.com/"));
    // A backport that widens egress is refused: that is a new major's job.
    let (status, body) = app.deploy(
        &acme,
        key,
        "production",
        json!({"manifest": manifest(&["wide.example.com"], &["eu.posthog.com"], true), "version": "1.2.0"}),
    );
    assert_eq!(status, 409, "{body}");

    // The admin reads what the major adds, line by line.
    let (status, consent) = app.get(&format!("/api/v1/installations/{id}/consent"), Some(&admin));
    assert_eq!(status, 200, "{consent}");
    assert_eq!(consent["status"]["state"], "pending");
    let lines = consent["changes"].as_array().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.as_str().unwrap().contains("new.example.com")),
        "{consent}"
    );
    // Consent names the major read; staff do not consent for the site.
    let (status, _) = app.post(
        &format!("/api/v1/installations/{id}/consent"),
        Some(&admin),
        json!({"major": 3}),
    );
    assert_eq!(status, 409);
    let (status, _) = app.post(
        &format!("/api/v1/installations/{id}/consent"),
        Some(&app.staff_token),
        json!({"major": 2}),
    );
    assert_eq!(status, 403);
    let (status, body) = app.post(
        &format!("/api/v1/installations/{id}/consent"),
        Some(&admin),
        json!({"major": 2}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], "2.0.0");
    assert_eq!(body["consent"]["state"], "none");
    assert!(allowed(&app, &admin, id, "https://new.example.com/"));

    // Decline: the installation stays on major 2 until a newer major is offered.
    let v3 = manifest(
        &["api.example.com", "new.example.com", "third.example.com"],
        &[],
        true,
    );
    deploy(&app, &acme, key, &v3, None);
    let (status, body) = app.post(
        &format!("/api/v1/installations/{id}/decline"),
        Some(&admin),
        json!({"major": 3}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], "2.0.0");
    assert_eq!(body["consent"]["state"], "declined");
    assert!(!allowed(&app, &admin, id, "https://third.example.com/"));

    // The partner sees counts, never sites.
    let (status, counts) = app.get(&format!("/api/v1/apps/{key}/installations"), Some(&acme));
    assert_eq!(status, 200, "{counts}");
    assert_eq!(counts["installations"], 1);
    assert_eq!(counts["latestMajor"], 3);
    assert_eq!(counts["byMajor"][0]["declined"], 1);
    assert!(!counts.to_string().contains("customer.atlassian.net"));

    // The site heard of each major (and of the minor that changed its egress); the neighbour
    // site, where the app is not installed, heard nothing.
    let told: Vec<String> = events(&app, &admin, "customer.atlassian.net")
        .into_iter()
        .map(|(event, _)| event)
        .collect();
    assert_eq!(
        told,
        [
            "installation.consent-required",
            "installation.egress-changed",
            "installation.consent-required"
        ]
    );
    assert!(events(&app, &neighbour, "neighbour.atlassian.net").is_empty());
    // The partner's own notifications do not carry the site's.
    let (_, own) = app.get(&format!("/api/v1/apps/{key}/notifications"), Some(&acme));
    assert!(!own.to_string().contains("customer.atlassian.net"), "{own}");
}

fn policies_refuse_and_flag(db: Db) {
    let smtp = SmtpSink::start();
    let app = TestApp::spawn_with(db, &["--smtp-url", &smtp.url()]);
    let acme = app.partner("acme");
    let strict = site_with_admin(&app, "strict.atlassian.net", "EU", "admin@strict.test");
    let relaxed = site_with_admin(&app, "relaxed.atlassian.net", "EU", "admin@relaxed.test");
    let (status, body) = app.request(
        "PATCH",
        "/api/v1/sites/strict.atlassian.net/policy",
        Some(&strict),
        Some(json!({"requiredBadges": ["runsOnAtlassian"], "analyticsEgressDefault": false})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["policy"]["requiredBadges"], json!(["runsOnAtlassian"]));
    let (status, _) = app.request(
        "PATCH",
        "/api/v1/sites/strict.atlassian.net/policy",
        Some(&strict),
        Some(json!({"requiredBadges": ["shiny"]})),
    );
    assert_eq!(status, 422);

    // An app with a remote does not carry Runs on Atlassian: refused, with the reason.
    app.app(&acme, "com.acme.remote");
    deploy(
        &app,
        &acme,
        "com.acme.remote",
        &manifest(&[], &[], true),
        None,
    );
    let (status, body) = app.post(
        "/api/v1/sites/strict.atlassian.net/installations",
        Some(&strict),
        json!({"app": "com.acme.remote"}),
    );
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("runsOnAtlassian") && message.contains("HAS_REMOTES"),
        "{message}"
    );

    // An eligible app installs, with analytics egress off as the policy says.
    let key = "com.acme.clean";
    app.app(&acme, key);
    deploy(
        &app,
        &acme,
        key,
        &manifest(&[], &["eu.posthog.com"], false),
        None,
    );
    let installed = install(&app, &strict, "strict.atlassian.net", key);
    assert_eq!(installed["allowAnalyticsEgress"], false);
    assert!(installed.get("policyBreaks").is_none());
    let relaxed_install = install(&app, &relaxed, "relaxed.atlassian.net", key);
    assert_eq!(relaxed_install["allowAnalyticsEgress"], true);

    // The app loses its badge: both sites hear of it, the strict one's installation is flagged.
    deploy(
        &app,
        &acme,
        key,
        &manifest(&["api.example.com"], &["eu.posthog.com"], false),
        None,
    );
    let id = installed["id"].as_i64().unwrap();
    let (_, flagged) = app.get(&format!("/api/v1/installations/{id}"), Some(&strict));
    let breaks = flagged["policyBreaks"].as_array().expect("flagged");
    assert!(
        breaks[0].as_str().unwrap().contains("HAS_DEFINED_EGRESS"),
        "{flagged}"
    );
    let strict_events: Vec<String> = events(&app, &strict, "strict.atlassian.net")
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    assert_eq!(
        strict_events,
        [
            "installation.consent-required",
            "installation.badge-lost",
            "installation.policy-broken"
        ]
    );
    let relaxed_events: Vec<String> = events(&app, &relaxed, "relaxed.atlassian.net")
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    assert_eq!(
        relaxed_events,
        ["installation.consent-required", "installation.badge-lost"]
    );
    // E-mail: each site's admin gets their own site's news and nothing else; the partner's
    // members never hear of the sites.
    let mails_to = |address: &str| -> Vec<String> {
        smtp.messages()
            .iter()
            .filter(|m| m.to.iter().any(|to| to == address))
            .map(|m| m.subject().unwrap_or_default())
            .collect()
    };
    crate::support::eventually("the admins' e-mail", || {
        mails_to("admin@strict.test").len() == 3 && mails_to("admin@relaxed.test").len() == 2
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let strict_mail = mails_to("admin@strict.test");
    assert_eq!(strict_mail.len(), 3, "{strict_mail:?}");
    assert!(
        strict_mail
            .iter()
            .all(|s| s.contains("strict.atlassian.net")),
        "{strict_mail:?}"
    );
    let relaxed_mail = mails_to("admin@relaxed.test");
    assert_eq!(relaxed_mail.len(), 2, "{relaxed_mail:?}");
    assert!(
        relaxed_mail
            .iter()
            .all(|s| s.contains("relaxed.atlassian.net")),
        "{relaxed_mail:?}"
    );
    for mail in smtp.messages() {
        let to_admin = mail.to.iter().any(|to| to.starts_with("admin@"));
        assert!(
            to_admin || !mail.data.contains("atlassian.net"),
            "a partner member heard of a site: {:?}",
            mail.subject()
        );
        assert_eq!(mail.to.len(), 1, "one recipient per message");
    }

    // Relaxing the policy clears the flag.
    let (status, _) = app.request(
        "PATCH",
        "/api/v1/sites/strict.atlassian.net/policy",
        Some(&strict),
        Some(json!({"requiredBadges": []})),
    );
    assert_eq!(status, 200);
    let (_, cleared) = app.get(&format!("/api/v1/installations/{id}"), Some(&strict));
    assert!(cleared.get("policyBreaks").is_none(), "{cleared}");
}

/// One declared backend entry of a generated manifest.
fn entry_strategy() -> impl Strategy<Value = String> {
    let label = prop::sample::select(vec![
        "api", "API", "cdn", "eu", "x1", "a-b", "bücher", "MÜNCHEN",
    ]);
    let base = prop::sample::select(vec!["example.com", "Example.NET", "test.org"]);
    prop_oneof![
        1 => Just("*".to_string()),
        5 => (
            prop::option::of(prop::sample::select(vec!["https://", "wss://"])),
            label.clone(),
            base.clone(),
            prop::option::of(prop::sample::select(vec![":8443", ":443", ":"])),
            any::<bool>(),
        )
            .prop_map(|(scheme, label, base, port, dot)| {
                format!(
                    "{}{label}.{base}{}{}",
                    scheme.unwrap_or_default(),
                    if dot { "." } else { "" },
                    port.unwrap_or_default()
                )
            }),
        3 => (label, base).prop_map(|(label, base)| format!("*.{label}.{base}")),
    ]
}

/// A URL aimed near the generated entries: their hosts with a prefix or none, in another case,
/// in punycode, with a trailing dot, a port and another scheme; or a stranger.
fn url_strategy() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["https", "wss", "http", "HTTPS"]),
        prop::option::of(prop::sample::select(vec!["deep", "a.b", "Z"])),
        prop::sample::select(vec![
            "api",
            "Api",
            "cdn",
            "eu",
            "x1",
            "a-b",
            "bücher",
            "xn--bcher-kva",
            "münchen",
            "xn--mnchen-3ya",
            "other",
        ]),
        prop::sample::select(vec![
            "example.com",
            "EXAMPLE.net",
            "test.org",
            "elsewhere.io",
        ]),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec![":8443", ":1", ":65535"])),
    )
        .prop_map(|(scheme, prefix, label, base, dot, port)| {
            format!(
                "{scheme}://{}{label}.{base}{}{}/p?q=1",
                prefix.map(|p| format!("{p}.")).unwrap_or_default(),
                if dot { "." } else { "" },
                port.unwrap_or_default()
            )
        })
}

/// The decision API allows a URL exactly when the checker's address rules say the effective
/// egress covers it: random manifests (hosts, wildcards, ports, schemes, case, trailing dots,
/// IDNA) are deployed and installed, and every decision is compared with the rules crate's own
/// reading of the same manifest, with analytics egress on and off.
#[test]
fn decisions_match_the_checkers_address_rules() {
    use apptrust_rules::reach::{Decision, version_egress};
    use proptest::test_runner::{Config, TestRunner};

    let app = TestApp::spawn(Db::Sqlite);
    let acme = app.partner("acme");
    let admin = site_with_admin(&app, "prop.atlassian.net", "EU", "admin@prop.test");
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    let case = std::sync::atomic::AtomicUsize::new(0);
    // How many decisions allowed and denied: both must occur, or the test proves little.
    let seen = [
        std::sync::atomic::AtomicUsize::new(0),
        std::sync::atomic::AtomicUsize::new(0),
    ];
    let strategy = (
        prop::collection::vec(entry_strategy(), 1..5),
        any::<bool>(),
        prop::collection::vec(url_strategy(), 12),
    );
    runner
        .run(&strategy, |(entries, analytics_on, urls)| {
            let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let key = format!("com.acme.prop{n}");
            app.app(&acme, &key);
            let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
            let text = manifest(&refs, &["eu.posthog.com"], false);
            let (status, body) = app.deploy(&acme, &key, "production", json!({"manifest": text}));
            prop_assert_eq!(status, 201, "{}", body);
            let id = install(&app, &admin, "prop.atlassian.net", &key)["id"]
                .as_i64()
                .unwrap();
            if !analytics_on {
                let (status, _) = app.request(
                    "PATCH",
                    &format!("/api/v1/installations/{id}"),
                    Some(&admin),
                    Some(json!({"allowAnalyticsEgress": false})),
                );
                prop_assert_eq!(status, 200);
            }
            let stored = crate::support::for_app(&text, &key);
            let rules = version_egress(stored.as_bytes(), &Default::default()).unwrap();
            for url in urls
                .iter()
                .chain(["https://eu.posthog.com/e".to_string()].iter())
            {
                let expected = matches!(
                    rules
                        .reach
                        .decide(url, analytics_on, apptrust_rules::reach::BACKEND),
                    Decision::Allowed(_)
                );
                seen[usize::from(expected)].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                prop_assert_eq!(
                    allowed(&app, &admin, id, url),
                    expected,
                    "url {} entries {:?} analytics {}",
                    url,
                    entries,
                    analytics_on
                );
            }
            Ok(())
        })
        .unwrap();
    let [denied, allowed_count] = seen.map(std::sync::atomic::AtomicUsize::into_inner);
    assert!(
        denied > 20 && allowed_count > 20,
        "denied {denied}, allowed {allowed_count}"
    );
}

/// Two instances on one PostgreSQL database: a switch flipped through one instance changes the
/// other's decisions once its memory of the installation ages out (`egress-cache-ms`; how
/// quickly is measured in docs/performance.md, not here), and so does a new minor version.
#[test]
fn a_switch_reaches_the_other_instance() {
    let app = TestApp::spawn(Db::Postgres);
    let (second_url, second) = app.second_instance();
    // Killed however the test ends: a leftover server would keep the test's output open.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _second = Killed(second);
    let acme = app.partner("acme");
    let key = "com.acme.shared";
    app.app(&acme, key);
    let admin = site_with_admin(&app, "shared.atlassian.net", "EU", "admin@shared.test");
    deploy(
        &app,
        &acme,
        key,
        &manifest(&["api.example.com"], &["eu.posthog.com"], false),
        None,
    );
    let id = install(&app, &admin, "shared.atlassian.net", key)["id"]
        .as_i64()
        .unwrap();
    let decide_on_second = |url: &str| -> bool {
        let response = ureq::post(&format!(
            "{second_url}/api/v1/installations/{id}/egress/decisions"
        ))
        .set("Authorization", &format!("Bearer {admin}"))
        .send_json(json!({"url": url}))
        .expect("decision");
        let body: Value = response.into_json().unwrap();
        body["allowed"].as_bool().unwrap()
    };
    assert!(decide_on_second("https://eu.posthog.com/e"));
    let (status, _) = app.request(
        "PATCH",
        &format!("/api/v1/installations/{id}"),
        Some(&admin),
        Some(json!({"allowAnalyticsEgress": false})),
    );
    assert_eq!(status, 200);
    // The second instance remembered the installation for longer than twice egress-cache-ms
    // (250 ms) by now: its next decision reads it again before answering, never from the old
    // state.
    std::thread::sleep(std::time::Duration::from_millis(600));
    assert!(
        !decide_on_second("https://eu.posthog.com/e"),
        "an entry older than egress-cache-ms answered"
    );
    // A minor that drops a host, deployed through the first instance.
    deploy(
        &app,
        &acme,
        key,
        &manifest(&[], &["eu.posthog.com"], false),
        None,
    );
    crate::support::eventually("the second instance sees the new minor", || {
        !decide_on_second("https://api.example.com/")
    });
}
