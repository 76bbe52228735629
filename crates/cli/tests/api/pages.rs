//! The web pages' protections, over real HTTP (the flows themselves are driven in Chromium by
//! `tools/browser`): the sign-in form's own CSRF token, redirects that stay on this site, form
//! posts refused without the session's CSRF token or from another site, pages that need a
//! role, escaping, and the security headers every page leaves with.

use std::time::Duration;

use serde_json::json;

use crate::installations::{manifest, site_with_admin};
use crate::support::{Db, TestApp};

crate::on_both_databases!(
    partners_see_only_their_own_pages,
    sign_in_needs_its_form_token_and_stays_on_this_site,
    forms_need_the_session_token_and_this_site,
    pages_escape_and_carry_their_headers,
    site_admins_act_on_their_own_site_only,
    the_checker_page_is_bounded,
);

const SITE: &str = "pages.atlassian.net";

/// An agent that does not follow redirects, so that each answer can be read.
fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(30))
        .build()
}

/// Status, headers of interest and body of a response or an error response.
fn read(result: Result<ureq::Response, ureq::Error>) -> (u16, Option<String>, Vec<String>, String) {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(other) => panic!("transport: {other}"),
    };
    let location = response.header("location").map(str::to_string);
    let cookies = response
        .all("set-cookie")
        .into_iter()
        .map(str::to_string)
        .collect();
    let status = response.status();
    (
        status,
        location,
        cookies,
        response.into_string().unwrap_or_default(),
    )
}

/// The sign-in form's token: its cookie (`name=value`) and the hidden field's value.
fn sign_in_form(app: &TestApp) -> (String, String) {
    let (status, _, cookies, body) = read(agent().get(&format!("{}/sign-in", app.url)).call());
    assert_eq!(status, 200);
    let cookie = cookies
        .iter()
        .find(|c| c.starts_with("apptrust_sign_in="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let field = cookie.trim_start_matches("apptrust_sign_in=").to_string();
    assert!(
        body.contains(&format!("value=\"{field}\"")),
        "the form carries the token"
    );
    (cookie, field)
}

fn sign_in_needs_its_form_token_and_stays_on_this_site(db: Db) {
    let app = TestApp::spawn(db);
    let post = |cookie: &str, fields: &[(&str, &str)]| {
        read(
            agent()
                .post(&format!("{}/sign-in", app.url))
                .set("Cookie", cookie)
                .send_form(fields),
        )
    };
    let (cookie, field) = sign_in_form(&app);
    let token = app.staff_token.as_str();

    // Another site's form cannot sign this browser in: it has neither the cookie nor its value.
    let (status, _, cookies, body) =
        post("", &[("token", token), ("csrf", "guess"), ("next", "/")]);
    assert_eq!(status, 403, "{body}");
    assert!(!cookies.iter().any(|c| c.starts_with("apptrust_session=")));
    let (status, _, _, _) = post(
        &cookie,
        &[("token", token), ("csrf", "other"), ("next", "/")],
    );
    assert_eq!(status, 403);

    // A wrong token is told so, on the form.
    let (status, _, cookies, body) = post(&cookie, &[("token", "apt_nope"), ("csrf", &field)]);
    assert_eq!(status, 401);
    assert!(body.contains("unknown, revoked or expired"), "{body}");
    assert!(!cookies.iter().any(|c| c.starts_with("apptrust_session=")));

    // Signed in, and sent back only to a path of this site.
    for (next, expected) in [
        ("/admin", "/admin"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
    ] {
        let (status, location, cookies, _) = post(
            &cookie,
            &[("token", token), ("csrf", &field), ("next", next)],
        );
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some(expected), "next={next}");
        let session = cookies
            .iter()
            .find(|c| c.starts_with("apptrust_session="))
            .unwrap();
        assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    }
}

fn forms_need_the_session_token_and_this_site(db: Db) {
    let app = TestApp::spawn(db);
    let admin = site_with_admin(&app, SITE, "EU", "admin@pages.test");
    let (cookie, csrf) = app.sign_in(&admin);
    let policy = |cookie: &str, csrf: &str, site_header: Option<&str>| {
        let mut request = agent()
            .post(&format!("{}/admin/policy", app.url))
            .set("Cookie", cookie);
        if let Some(value) = site_header {
            request = request.set("Sec-Fetch-Site", value);
        }
        read(request.send_form(&[("csrf", csrf), ("site", SITE), ("runsOnAtlassian", "on")]))
    };
    let required = || {
        let (_, site) = app.get(&format!("/api/v1/sites/{SITE}"), Some(&admin));
        site["policy"]["requiredBadges"].clone()
    };

    // Signed out: asked to sign in, and nothing changes.
    let (status, location, _, _) = policy("", "", None);
    assert_eq!(status, 303);
    // A form's post cannot be repeated by a redirect: back to the front page after signing in.
    assert_eq!(location.as_deref(), Some("/sign-in?next=%2F"));
    // Without the session's token, or with another one: refused, as a page.
    for sent in ["", "csrf_wrong"] {
        let (status, _, _, body) = policy(&cookie, sent, None);
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("<!DOCTYPE html>") && body.contains("did not come from this site"));
    }
    // From another site (or a sibling subdomain), even with the right token.
    for other in ["cross-site", "same-site"] {
        let (status, _, _, _) = policy(&cookie, &csrf, Some(other));
        assert_eq!(status, 403, "{other}");
    }
    assert_eq!(required(), json!([]), "nothing changed");

    // With it, from this site: saved, and back to the page with its notice.
    let (status, location, _, _) = policy(&cookie, &csrf, Some("same-origin"));
    assert_eq!(status, 303);
    assert_eq!(location, Some(format!("/admin?site={SITE}&done=policy")));
    assert_eq!(required(), json!(["runsOnAtlassian"]));

    // Site administration is for site admins and staff; staff name the site.
    let page = |cookie: &str, path: &str| {
        read(
            agent()
                .get(&format!("{}{path}", app.url))
                .set("Cookie", cookie)
                .call(),
        )
    };
    let partner_token = app.partner("pages-partner");
    let (partner_cookie, _) = app.sign_in(&partner_token);
    assert_eq!(page(&partner_cookie, "/admin").0, 403);
    let (staff_cookie, _) = app.sign_in(&app.staff_token);
    assert_eq!(page(&staff_cookie, "/admin").0, 400);
    let (status, _, _, body) = page(&staff_cookie, &format!("/admin?site={SITE}"));
    assert_eq!(status, 200);
    assert!(body.contains(SITE));
    let (status, _, _, body) = page(&cookie, "/admin");
    assert_eq!(status, 200);
    assert!(body.contains("Site policy"));
    // An ended session reads as signed out.
    let (status, _, _, _) = read(
        agent()
            .post(&format!("{}/sign-out", app.url))
            .set("Cookie", &cookie)
            .send_form(&[("csrf", &csrf)]),
    );
    assert_eq!(status, 303);
    assert_eq!(page(&cookie, "/admin").0, 303);
    assert_eq!(page(&cookie, "/").0, 200);
}

fn pages_escape_and_carry_their_headers(db: Db) {
    let app = TestApp::spawn(db);
    let hostile = "<script>alert(1)</script>\"'";
    let response = agent()
        .get(&format!("{}/", app.url))
        .query("q", hostile)
        .call()
        .unwrap();
    let csp = response
        .header("content-security-policy")
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("style-src 'self'"),
        "{csp}"
    );
    assert_eq!(response.header("x-frame-options"), Some("DENY"));
    let body = response.into_string().unwrap();
    assert!(!body.contains("<script>"), "the query is escaped");
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;"));

    let (status, _, _, css) = read(
        agent()
            .get(&format!("{}/static/apptrust.css", app.url))
            .call(),
    );
    assert_eq!(status, 200);
    assert!(css.contains("--brand"));
    for missing in ["/apps/com.nobody.nothing", "/apps/%3Cx%3E"] {
        let (status, _, _, body) = read(agent().get(&format!("{}{missing}", app.url)).call());
        assert_eq!(status, 404, "{missing}");
        assert!(
            body.starts_with("<!DOCTYPE html>"),
            "a page, not JSON: {body}"
        );
    }
    // A search the service refuses is a page that says why.
    let long = "x".repeat(2000);
    let (status, _, _, body) = read(
        agent()
            .get(&format!("{}/", app.url))
            .query("q", &long)
            .call(),
    );
    assert_eq!(status, 400);
    assert!(body.contains("max-search-chars"), "{body}");
}

/// Every page form of site administration, posted by the admin of another site with their own
/// valid session: refused as the API refuses it (no such site or installation), nothing changed.
fn site_admins_act_on_their_own_site_only(db: Db) {
    let app = TestApp::spawn(db);
    let admin = site_with_admin(&app, SITE, "EU", "admin@pages.test");
    let other = site_with_admin(&app, "other.atlassian.net", "US", "admin@other.test");
    let partner = app.partner("pagesco");
    app.app(&partner, "com.pagesco.app");
    let text = crate::support::for_app(
        &manifest(&[], &["eu.posthog.com"], false),
        "com.pagesco.app",
    );
    let (status, body) = app.deploy(
        &partner,
        "com.pagesco.app",
        "production",
        json!({"manifest": text}),
    );
    assert_eq!(status, 201, "{body}");
    let (status, installed) = app.post(
        &format!("/api/v1/sites/{SITE}/installations"),
        Some(&admin),
        json!({"app": "com.pagesco.app"}),
    );
    assert_eq!(status, 201, "{installed}");
    let id = installed["id"].as_i64().unwrap();
    let (cookie, csrf) = app.sign_in(&other);
    let post = |path: &str, fields: &[(&str, &str)]| {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        read(
            agent()
                .post(&format!("{}{path}", app.url))
                .set("Cookie", &cookie)
                .send_form(&all),
        )
    };
    let switches = format!("/admin/installations/{id}/switches");
    let consent = format!("/admin/installations/{id}/consent");
    for (path, fields) in [
        (
            "/admin/policy",
            vec![("site", SITE), ("runsOnAtlassian", "on")],
        ),
        (
            "/admin/installations",
            vec![("site", SITE), ("app", "com.pagesco.app")],
        ),
        (
            "/admin/escalations",
            vec![("site", SITE), ("app", "com.pagesco.app"), ("reason", "x")],
        ),
        (switches.as_str(), vec![]),
        (
            consent.as_str(),
            vec![("major", "2"), ("answer", "consent")],
        ),
    ] {
        let (status, _, _, body) = post(path, &fields);
        assert!(status == 404 || status == 409, "{path}: {status} {body}");
    }
    let page = read(
        agent()
            .get(&format!("{}/admin/installations/{id}", app.url))
            .set("Cookie", &cookie)
            .call(),
    );
    assert_eq!(page.0, 404);
    let (_, after) = app.get(&format!("/api/v1/installations/{id}"), Some(&admin));
    assert_eq!(
        after["allowAnalyticsEgress"],
        json!(true),
        "the switch is untouched"
    );
    let (_, site) = app.get(&format!("/api/v1/sites/{SITE}"), Some(&admin));
    assert_eq!(site["policy"]["requiredBadges"], json!([]));

    // The site's own admin unticks both switches: both go off (an unticked box is "off").
    let (own_cookie, own_csrf) = app.sign_in(&admin);
    let (status, _, _, _) = read(
        agent()
            .post(&format!("{}{switches}", app.url))
            .set("Cookie", &own_cookie)
            .send_form(&[("csrf", own_csrf.as_str())]),
    );
    assert_eq!(status, 303);
    let (_, after) = app.get(&format!("/api/v1/installations/{id}"), Some(&admin));
    assert_eq!(after["allowAnalyticsEgress"], json!(false));
    assert_eq!(after["allowLogsAccess"], json!(false));
    // A policy saved from the page keeps every badge it ticks, the two not on most sites too.
    let (status, _, _, _) = read(
        agent()
            .post(&format!("{}/admin/policy", app.url))
            .set("Cookie", &own_cookie)
            .send_form(&[
                ("csrf", own_csrf.as_str()),
                ("site", SITE),
                ("cloudSecurityParticipant", "on"),
                ("bugBountyParticipant", "on"),
            ]),
    );
    assert_eq!(status, 303);
    let (_, site) = app.get(&format!("/api/v1/sites/{SITE}"), Some(&admin));
    let mut required: Vec<String> =
        serde_json::from_value(site["policy"]["requiredBadges"].clone()).unwrap();
    required.sort();
    assert_eq!(
        required,
        ["bugBountyParticipant", "cloudSecurityParticipant"]
    );
    // Sign-out needs the token too; without it the session lives on.
    let (status, _, _, _) = read(
        agent()
            .post(&format!("{}/sign-out", app.url))
            .set("Cookie", &own_cookie)
            .send_form(&[("csrf", "")]),
    );
    assert_eq!(status, 403);
    let (status, _, _, _) = read(
        agent()
            .get(&format!("{}/admin", app.url))
            .set("Cookie", &own_cookie)
            .call(),
    );
    assert_eq!(status, 200);
    // A page's own bad input is a page too (a path segment that is not a number, an unknown
    // page); the API stays JSON whatever the client accepts.
    for (path, cookie, status, page) in [
        ("/admin/installations/abc", own_cookie.as_str(), 400, true),
        ("/no/such/page", "", 404, true),
        ("/api/v1/nothing", "", 404, false),
    ] {
        let (got, _, _, body) = read(
            agent()
                .get(&format!("{}{path}", app.url))
                .set("Cookie", cookie)
                .set("Accept", "text/html")
                .call(),
        );
        assert_eq!(got, status, "{path}");
        assert_eq!(body.starts_with("<!DOCTYPE html>"), page, "{path}: {body}");
        assert_eq!(body.starts_with('{'), !page, "{path}: {body}");
    }
}

/// The checker page: a manifest over its limit is refused with a page that names the limit, a
/// body over the form's limit is refused, and a cross-site post is refused.
fn the_checker_page_is_bounded(db: Db) {
    let app = TestApp::spawn(db);
    let check = |fields: &[(&str, &str)], site: Option<&str>| {
        let mut request = agent()
            .post(&format!("{}/check", app.url))
            .set("Accept", "text/html");
        if let Some(value) = site {
            request = request.set("Sec-Fetch-Site", value);
        }
        read(request.send_form(fields))
    };
    let manifest =
        std::fs::read_to_string(crate::support::repo_path("examples/eligible/manifest.yml"))
            .unwrap();
    let (status, _, _, body) = check(&[("manifest", &manifest)], Some("same-origin"));
    assert_eq!(status, 200);
    assert!(body.contains("Eligible for Runs on Atlassian"), "{body}");
    let big = format!("{manifest}\n#{}", "x".repeat(200 * 1024));
    let (status, _, _, body) = check(&[("manifest", &big)], None);
    assert_eq!(status, 413);
    assert!(
        body.contains("128 KiB") && body.starts_with("<!DOCTYPE html>"),
        "{body}"
    );
    // Uploaded as a file (multipart): read, bounded while read, and text only.
    let upload = |name: &str, content: &[u8]| {
        let boundary = "apptrustboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"manifest\"\r\n\r\n\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"manifest.yml\"\r\n\
                 Content-Type: application/x-yaml\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        read(
            agent()
                .post(&format!("{}/check", app.url))
                .set("Accept", "text/html")
                .set(
                    "Content-Type",
                    &format!("multipart/form-data; boundary={boundary}"),
                )
                .send_bytes(&body),
        )
    };
    let (status, _, _, body) = upload("file", manifest.as_bytes());
    assert_eq!(status, 200);
    assert!(body.contains("Eligible for Runs on Atlassian"), "{body}");
    let (status, _, _, body) = upload("file", big.as_bytes());
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("128 KiB"), "{body}");
    let (status, _, _, body) = upload("file", &[0xff, 0xfe, b'a', b':', b' ', 0x80]);
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("not UTF-8"), "{body}");

    // A body over the form's limit is refused before it is read: the answer is a 413, or the
    // connection closes under a client still sending.
    let huge = "x".repeat(2 * 1024 * 1024);
    match agent()
        .post(&format!("{}/check", app.url))
        .send_form(&[("manifest", &huge)])
    {
        Err(ureq::Error::Status(status, _)) => assert_eq!(status, 413),
        Err(ureq::Error::Transport(_)) => {}
        Ok(response) => panic!("accepted: {}", response.status()),
    }
    let (status, _, _, _) = check(&[("manifest", &manifest)], Some("cross-site"));
    assert_eq!(status, 403);
}

/// A partner's pages show their own apps' cases and nothing of another partner's; staff pages
/// are staff's.
fn partners_see_only_their_own_pages(db: Db) {
    let app = TestApp::spawn(db);
    let acme = app.partner("acme");
    let globex = app.partner("globex");
    app.app(&acme, "com.acme.mine");
    let (status, opened) = app.post(
        "/api/v1/apps/com.acme.mine/submissions",
        Some(&acme),
        json!({"program": "cloud-fortified"}),
    );
    assert_eq!(status, 201, "{opened}");
    let id = opened["id"].as_i64().unwrap();
    let (acme_cookie, _) = app.sign_in(&acme);
    let (globex_cookie, globex_csrf) = app.sign_in(&globex);
    let page = |cookie: &str, path: &str| {
        read(
            agent()
                .get(&format!("{}{path}", app.url))
                .set("Cookie", cookie)
                .call(),
        )
    };
    let submission = format!("/submissions/{id}");
    assert_eq!(page(&acme_cookie, &submission).0, 200);
    for path in [
        submission.as_str(),
        "/partner/apps/com.acme.mine",
        "/partner/apps/com.acme.mine/dry-run",
        "/partner/apps/com.acme.mine/environments/production/versions/1.0.0",
    ] {
        let (status, _, _, body) = page(&globex_cookie, path);
        assert!(status == 403 || status == 404, "{path}: {status}");
        assert!(
            !body.contains("com.acme.mine") || status == 403,
            "{path} leaks the app: {body}"
        );
    }
    let (_, _, _, home) = page(&globex_cookie, "/partner");
    assert!(
        !home.contains("com.acme.mine"),
        "another partner's app on the home page"
    );
    for path in ["/staff", "/staff/audit", "/staff/editions"] {
        assert_eq!(page(&globex_cookie, path).0, 403, "{path}");
    }
    // Another partner's moves are refused and change nothing.
    let (status, _, _, _) = read(
        agent()
            .post(&format!("{}/submissions/{id}/messages", app.url))
            .set("Cookie", &globex_cookie)
            .send_form(&[("csrf", globex_csrf.as_str()), ("body", "hello")]),
    );
    assert_eq!(status, 404);
    let (_, shown) = app.get(
        &submission.replace("/submissions", "/api/v1/submissions"),
        Some(&acme),
    );
    assert_eq!(shown["messages"], json!([]));
}
