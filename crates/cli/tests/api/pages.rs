//! The web pages' protections, over real HTTP (the flows themselves are driven in Chromium by
//! `tools/browser`): the sign-in form's own CSRF token, redirects that stay on this site, form
//! posts refused without the session's CSRF token or from another site, pages that need a
//! role, escaping, and the security headers every page leaves with.

use std::time::Duration;

use serde_json::json;

use crate::installations::site_with_admin;
use crate::support::{Db, TestApp};

crate::on_both_databases!(
    sign_in_needs_its_form_token_and_stays_on_this_site,
    forms_need_the_session_token_and_this_site,
    pages_escape_and_carry_their_headers,
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
    assert_eq!(location.as_deref(), Some("/sign-in?next=%2Fadmin%2Fpolicy"));
    // Without the session's token, or with another one: refused, as a page.
    for sent in ["", "csrf_wrong"] {
        let (status, _, _, body) = policy(&cookie, sent, None);
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("<!DOCTYPE html>") && body.contains("did not come from this site"));
    }
    // From another site, even with the right token.
    let (status, _, _, _) = policy(&cookie, &csrf, Some("cross-site"));
    assert_eq!(status, 403);
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
