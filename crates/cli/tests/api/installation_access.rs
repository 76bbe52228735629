//! Who may call the site and installation routes (issue 11), on both databases: every route is
//! called by an anonymous caller, the admin of another site, a partner that does not own the
//! app, the app's own partner, the platform's service account, staff and the site's own admin,
//! and each gets the answer the route documents. Sites and installations are never revealed to
//! those who may not see them (404, not 403), cookie sessions need the CSRF token for changes,
//! and the app's partner never learns which sites run the app or who administers them.

use serde_json::{Value, json};

use crate::installations::{install, manifest, site_with_admin};
use crate::reporters::platform_token;
use crate::support::{Db, TestApp, into_parts};

crate::on_both_databases!(
    every_route_answers_only_its_callers,
    sessions_need_csrf_and_partners_never_see_sites,
);

const SITE: &str = "customer.atlassian.net";
const ADMIN_EMAIL: &str = "admin@customer.test";
const NEIGHBOUR: &str = "neighbour.atlassian.net";
const NEIGHBOUR_EMAIL: &str = "admin@neighbour.test";

/// One caller: a name for failure messages and its bearer token (none: anonymous).
struct Caller {
    name: &'static str,
    token: Option<String>,
}

/// Everyone who calls the routes.
struct People {
    anonymous: Caller,
    /// The admin of another site.
    neighbour: Caller,
    /// A partner that does not own the app.
    globex: Caller,
    /// The app's own partner.
    acme: Caller,
    platform: Caller,
    staff: Caller,
    /// The admin of the site the app is installed on.
    admin: Caller,
}

/// Calls `method path` (with `body`) as each caller and asserts the status paired with it;
/// returns the answers' bodies in the same order.
fn expect(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<&Value>,
    cases: &[(&Caller, u16)],
) -> Vec<Value> {
    cases
        .iter()
        .map(|(caller, want)| {
            let (status, answer) =
                app.request(method, path, caller.token.as_deref(), body.cloned());
            assert_eq!(
                status, *want,
                "{method} {path} as {}: {answer}",
                caller.name
            );
            answer
        })
        .collect()
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

fn every_route_answers_only_its_callers(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let globex = app.partner("globex");
    let platform = platform_token(&app);
    let admin = site_with_admin(&app, SITE, "EU", ADMIN_EMAIL);
    let neighbour = site_with_admin(&app, NEIGHBOUR, "US", NEIGHBOUR_EMAIL);
    let p = People {
        anonymous: Caller {
            name: "anonymous",
            token: None,
        },
        neighbour: Caller {
            name: "another site's admin",
            token: Some(neighbour.clone()),
        },
        globex: Caller {
            name: "another partner",
            token: Some(globex),
        },
        acme: Caller {
            name: "the app's partner",
            token: Some(acme.clone()),
        },
        platform: Caller {
            name: "the platform",
            token: Some(platform),
        },
        staff: Caller {
            name: "staff",
            token: Some(app.staff_token.clone()),
        },
        admin: Caller {
            name: "the site's admin",
            token: Some(admin.clone()),
        },
    };
    // Three apps of acme: one to follow, one the admin installs, one staff install.
    let key = "com.acme.watched";
    let (by_admin, by_staff) = ("com.acme.second", "com.acme.third");
    let v1 = manifest(&[], &["eu.posthog.com"], false);
    for k in [key, by_admin, by_staff] {
        app.app(&acme, k);
        deploy(&app, &acme, k, &v1, None);
    }
    let id = install(&app, &admin, SITE, key)["id"].as_i64().unwrap();
    // The same app on the neighbour's site: its admin's, and no one else's but staff's.
    let theirs = install(&app, &neighbour, NEIGHBOUR, key)["id"]
        .as_i64()
        .unwrap();

    // POST /sites: staff only.
    let site = |n: &str| json!({"key": format!("{n}.atlassian.net"), "residency": "EU"});
    expect(
        &app,
        "POST",
        "/api/v1/sites",
        Some(&site("made")),
        &[
            (&p.anonymous, 401),
            (&p.neighbour, 403),
            (&p.admin, 403),
            (&p.globex, 403),
            (&p.acme, 403),
            (&p.platform, 403),
            (&p.staff, 201),
        ],
    );
    let (_, sites) = app.get("/api/v1/sites", Some(&app.staff_token));
    assert_eq!(sites["sites"].as_array().unwrap().len(), 3, "{sites}");

    // GET /sites: staff see every site, a site admin their own; partners and the platform are
    // refused.
    let listed = expect(
        &app,
        "GET",
        "/api/v1/sites",
        None,
        &[
            (&p.anonymous, 401),
            (&p.globex, 403),
            (&p.acme, 403),
            (&p.platform, 403),
            (&p.staff, 200),
            (&p.admin, 200),
            (&p.neighbour, 200),
        ],
    );
    let keys = |list: &Value| -> Vec<String> {
        list["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        keys(&listed[4]),
        [SITE, "made.atlassian.net", NEIGHBOUR],
        "staff see all, by key"
    );
    assert_eq!(keys(&listed[5]), [SITE], "an admin sees their own");
    assert_eq!(keys(&listed[6]), [NEIGHBOUR]);

    // The site's own routes: staff and the site's admins; anyone else is told there is no
    // such site.
    let hidden = [
        (&p.neighbour, 404),
        (&p.globex, 404),
        (&p.acme, 404),
        (&p.platform, 404),
    ];
    let site_path = format!("/api/v1/sites/{SITE}");
    let policy = json!({"requiredBadges": [], "analyticsEgressDefault": true});
    for (method, path, body) in [
        ("GET", site_path.clone(), None),
        ("PATCH", format!("{site_path}/policy"), Some(&policy)),
        ("GET", format!("{site_path}/installations"), None),
        ("GET", format!("{site_path}/notifications"), None),
    ] {
        let mut cases = vec![(&p.anonymous, 401)];
        cases.extend(hidden);
        cases.extend([(&p.staff, 200), (&p.admin, 200)]);
        let answers = expect(&app, method, &path, body, &cases);
        // A hidden site answers as a site that does not exist.
        let (status, missing) = app.request(
            method,
            &path.replace(SITE, "nowhere.atlassian.net"),
            Some(&neighbour),
            body.cloned(),
        );
        assert_eq!(status, 404, "{missing}");
        assert_eq!(answers[1]["error"]["code"], missing["error"]["code"]);
    }
    // The site's installations list only its own.
    let (_, mine) = app.get(&format!("{site_path}/installations"), Some(&admin));
    let ids: Vec<i64> = mine["installations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [id], "{mine}");

    // POST /sites/{site}/installations: the site's admins and staff.
    let mut cases = vec![(&p.anonymous, 401)];
    cases.extend(hidden);
    expect(
        &app,
        "POST",
        &format!("{site_path}/installations"),
        Some(&json!({"app": by_admin})),
        &cases,
    );
    let (_, none) = app.get(
        &format!("/api/v1/apps/{by_admin}/installations"),
        Some(&acme),
    );
    assert_eq!(none["installations"], 0, "nothing was installed: {none}");
    let second = install(&app, &admin, SITE, by_admin)["id"]
        .as_i64()
        .unwrap();
    let third = install(&app, &app.staff_token, SITE, by_staff)["id"]
        .as_i64()
        .unwrap();

    // GET and PATCH /installations/{id}: staff and the site's admins; anyone else gets 404,
    // the same 404 as an installation that does not exist.
    let path = format!("/api/v1/installations/{id}");
    let switch = json!({"allowLogsAccess": true});
    for (method, body) in [("GET", None), ("PATCH", Some(&switch))] {
        let mut cases = vec![(&p.anonymous, 401)];
        cases.extend(hidden);
        cases.extend([(&p.staff, 200), (&p.admin, 200)]);
        let answers = expect(&app, method, &path, body, &cases);
        let (status, missing) = app.request(
            method,
            "/api/v1/installations/999999",
            Some(&admin),
            body.cloned(),
        );
        assert_eq!(status, 404);
        assert_eq!(answers[1]["error"]["code"], missing["error"]["code"]);
    }
    // The neighbour's installation of the same app is theirs alone.
    let other = format!("/api/v1/installations/{theirs}");
    expect(
        &app,
        "GET",
        &other,
        None,
        &[(&p.admin, 404), (&p.neighbour, 200), (&p.staff, 200)],
    );
    expect(
        &app,
        "PATCH",
        &other,
        Some(&switch),
        &[(&p.admin, 404), (&p.neighbour, 200)],
    );

    // Effective egress and egress decisions: the platform, staff and the site's admins; not
    // the app's partner.
    let decision = json!({"url": "https://eu.posthog.com/capture"});
    for (method, path, body) in [
        ("GET", format!("{path}/egress"), None),
        ("POST", format!("{path}/egress/decisions"), Some(&decision)),
    ] {
        let mut cases = vec![(&p.anonymous, 401)];
        cases.extend(
            hidden
                .iter()
                .copied()
                .filter(|(c, _)| c.name != "the platform"),
        );
        cases.extend([(&p.platform, 200), (&p.staff, 200), (&p.admin, 200)]);
        expect(&app, method, &path, body, &cases);
    }
    expect(
        &app,
        "POST",
        &format!("{other}/egress/decisions"),
        Some(&decision),
        &[(&p.admin, 404), (&p.neighbour, 200), (&p.platform, 200)],
    );

    // Logs access: the platform, staff, the site's admins and the app's partner.
    let mut cases = vec![(&p.anonymous, 401), (&p.neighbour, 404), (&p.globex, 404)];
    cases.extend([
        (&p.acme, 200),
        (&p.platform, 200),
        (&p.staff, 200),
        (&p.admin, 200),
    ]);
    let answers = expect(&app, "GET", &format!("{path}/logs-access"), None, &cases);
    assert!(!answers[3].to_string().contains(SITE), "{}", answers[3]);

    // Consent: staff and the site's admins read it; only the site's admins answer it.
    let mut cases = vec![(&p.anonymous, 401)];
    cases.extend(hidden);
    cases.extend([(&p.staff, 200), (&p.admin, 200)]);
    expect(&app, "GET", &format!("{path}/consent"), None, &cases);
    let v2 = manifest(&["api.example.com"], &["eu.posthog.com"], false);
    assert_eq!(deploy(&app, &acme, key, &v2, None)["version"], "2.0.0");
    let v3 = manifest(
        &["api.example.com", "new.example.com"],
        &["eu.posthog.com"],
        false,
    );
    for (answer, major, later) in [("consent", 2, Some(&v3)), ("decline", 3, None)] {
        let mut cases = vec![(&p.anonymous, 401)];
        cases.extend(hidden);
        cases.extend([(&p.staff, 403)]);
        expect(
            &app,
            "POST",
            &format!("{path}/{answer}"),
            Some(&json!({"major": major})),
            &cases,
        );
        let (_, shown) = app.get(&path, Some(&admin));
        assert_eq!(shown["consent"]["state"], "pending", "untouched: {shown}");
        let done = expect(
            &app,
            "POST",
            &format!("{path}/{answer}"),
            Some(&json!({"major": major})),
            &[(&p.admin, 200)],
        );
        assert_eq!(done[0]["version"], "2.0.0", "{}", done[0]);
        if let Some(manifest) = later {
            assert_eq!(deploy(&app, &acme, key, manifest, None)["version"], "3.0.0");
        } else {
            assert_eq!(done[0]["consent"]["state"], "declined", "{}", done[0]);
        }
    }
    // The neighbour's admin answers for their own site only.
    expect(
        &app,
        "POST",
        &format!("{other}/decline"),
        Some(&json!({"major": 3})),
        &[(&p.admin, 404), (&p.staff, 403)],
    );

    // The app's counts: its partner's members and staff; other partners, site admins and the
    // platform are refused.
    let counts = expect(
        &app,
        "GET",
        &format!("/api/v1/apps/{key}/installations"),
        None,
        &[
            (&p.anonymous, 401),
            (&p.globex, 403),
            (&p.admin, 403),
            (&p.neighbour, 403),
            (&p.platform, 403),
            (&p.acme, 200),
            (&p.staff, 200),
        ],
    );
    assert_eq!(counts[5]["installations"], 2, "{}", counts[5]);
    for secret in [SITE, NEIGHBOUR, ADMIN_EMAIL, NEIGHBOUR_EMAIL] {
        assert!(!counts[5].to_string().contains(secret), "{}", counts[5]);
    }

    // Uninstalling: staff and the site's admins; after it the installation is gone for all.
    for (installation, remover) in [(second, &p.admin), (third, &p.staff)] {
        let path = format!("/api/v1/installations/{installation}");
        let mut cases = vec![(&p.anonymous, 401)];
        cases.extend(hidden);
        cases.push((remover, 204));
        expect(&app, "DELETE", &path, None, &cases);
        expect(
            &app,
            "GET",
            &path,
            None,
            &[(&p.admin, 404), (&p.staff, 404)],
        );
        expect(
            &app,
            "GET",
            &format!("{path}/egress"),
            None,
            &[(&p.platform, 404), (&p.admin, 404)],
        );
        expect(
            &app,
            "POST",
            &format!("{path}/egress/decisions"),
            Some(&decision),
            &[(&p.platform, 404)],
        );
        expect(
            &app,
            "GET",
            &format!("{path}/logs-access"),
            None,
            &[(&p.acme, 404), (&p.platform, 404)],
        );
        expect(&app, "DELETE", &path, None, &[(&p.admin, 404)]);
    }
    // The one followed is still there.
    expect(&app, "GET", &path, None, &[(&p.admin, 200)]);
}

fn sessions_need_csrf_and_partners_never_see_sites(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let key = "com.acme.private";
    app.app(&acme, key);
    let admin = site_with_admin(&app, SITE, "EU", ADMIN_EMAIL);
    let neighbour = site_with_admin(&app, NEIGHBOUR, "US", NEIGHBOUR_EMAIL);
    deploy(
        &app,
        &acme,
        key,
        &manifest(&[], &["eu.posthog.com"], false),
        None,
    );
    let installed = install(&app, &admin, SITE, key);
    let id = installed["id"].as_i64().unwrap();
    install(&app, &neighbour, NEIGHBOUR, key);
    let path = format!("/api/v1/installations/{id}");

    // A cookie session without the CSRF token (or with a wrong one) changes nothing.
    let session = app.sign_in(&admin);
    let with_cookie = |method: &str, path: &str| {
        ureq::request(method, &format!("{}{path}", app.url)).set("Cookie", &session.0)
    };
    let off = json!({"allowLogsAccess": false});
    let (status, body) = into_parts(with_cookie("PATCH", &path).send_json(off.clone()));
    assert_eq!(status, 403, "{body}");
    let (status, body) = into_parts(
        with_cookie("PATCH", &path)
            .set("X-CSRF-Token", "csrf_wrong")
            .send_json(off.clone()),
    );
    assert_eq!(status, 403, "{body}");
    for (method, path, body) in [
        ("DELETE", path.clone(), None),
        (
            "POST",
            format!("{path}/egress/decisions"),
            Some(json!({"url": "https://eu.posthog.com/"})),
        ),
        ("POST", format!("{path}/consent"), Some(json!({"major": 2}))),
        ("POST", format!("{path}/decline"), Some(json!({"major": 2}))),
        (
            "PATCH",
            format!("/api/v1/sites/{SITE}/policy"),
            Some(json!({"analyticsEgressDefault": false})),
        ),
        (
            "POST",
            format!("/api/v1/sites/{SITE}/installations"),
            Some(json!({"app": key})),
        ),
    ] {
        let request = with_cookie(method, &path);
        let (status, answer) = into_parts(match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        });
        assert_eq!(status, 403, "{method} {path} without CSRF: {answer}");
    }
    // Reads need no token; the installation and the site are as they were.
    let (status, shown) = into_parts(with_cookie("GET", &path).call());
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["allowLogsAccess"], true, "{shown}");
    assert_eq!(shown["revision"], installed["revision"], "{shown}");
    let (_, site) = app.get(&format!("/api/v1/sites/{SITE}"), Some(&admin));
    assert_eq!(site["policy"]["analyticsEgressDefault"], true, "{site}");
    // With the token the change is made.
    let (status, body) = into_parts(app.with_session("PATCH", &path, &session).send_json(off));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["allowLogsAccess"], false, "{body}");

    // Everything that tells a site's admins about the app: a policy the app then breaks, a new
    // major that waits for consent and loses the badge, a minor that changes egress.
    let (status, body) = app.request(
        "PATCH",
        &format!("/api/v1/sites/{SITE}/policy"),
        Some(&admin),
        Some(json!({"requiredBadges": ["runsOnAtlassian"]})),
    );
    assert_eq!(status, 200, "{body}");
    deploy(
        &app,
        &acme,
        key,
        &manifest(&["api.example.com"], &["eu.posthog.com"], false),
        None,
    );
    deploy(&app, &acme, key, &manifest(&[], &[], false), Some("1.1.0"));
    let (status, told) = app.get(
        &format!("/api/v1/sites/{SITE}/notifications?limit=200"),
        Some(&admin),
    );
    assert_eq!(status, 200, "{told}");
    let events: Vec<&str> = told["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event"].as_str().unwrap())
        .collect();
    for event in [
        "installation.consent-required",
        "installation.badge-lost",
        "installation.policy-broken",
        "installation.egress-changed",
    ] {
        assert!(events.contains(&event), "no {event}: {told}");
    }

    // The app's partner sees counts and its own notifications: no site, no admin.
    let (status, counts) = app.get(&format!("/api/v1/apps/{key}/installations"), Some(&acme));
    assert_eq!(status, 200, "{counts}");
    assert_eq!(counts["installations"], 2, "{counts}");
    let (status, own) = app.get(
        &format!("/api/v1/apps/{key}/notifications?limit=200"),
        Some(&acme),
    );
    assert_eq!(status, 200, "{own}");
    assert!(
        own["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| !n["event"].as_str().unwrap().starts_with("installation.")),
        "{own}"
    );
    let (status, logs) = app.get(&format!("{path}/logs-access"), Some(&acme));
    assert_eq!(status, 200, "{logs}");
    assert_eq!(logs["allowed"], false, "{logs}");
    for seen in [&counts, &own, &logs] {
        for secret in [
            SITE,
            NEIGHBOUR,
            ADMIN_EMAIL,
            NEIGHBOUR_EMAIL,
            "atlassian.net",
        ] {
            assert!(!seen.to_string().contains(secret), "{secret} in {seen}");
        }
    }
}
