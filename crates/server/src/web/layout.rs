//! The page shell: the head, the navigation for the viewer's role, and the footer.

use apptrust_store::users::Role;
use maud::{DOCTYPE, Markup, html};

use super::forms::csrf_field;
use super::viewer::Viewer;

/// The stylesheet's address, with the binary's version so that a new release is fetched anew.
const STYLESHEET_HREF: &str = concat!("/static/apptrust.css?v=", env!("CARGO_PKG_VERSION"));

/// A whole page for `viewer`, with `current` the navigation entry to mark.
pub fn page(viewer: &Viewer, title: &str, current: &str, body: Markup) -> Markup {
    let mut links: Vec<(&str, &str)> = vec![
        ("/", "Directory"),
        ("/check", "Check a manifest"),
        ("/check/diff", "Compare"),
        ("/programs", "Programs"),
    ];
    match viewer.role() {
        Some(Role::SiteAdmin) => links.push(("/admin", "Site administration")),
        Some(Role::Partner) => links.push(("/partner", "Your apps")),
        Some(Role::Staff) => links.push(("/staff", "Service desk")),
        _ => {}
    }
    shell(
        title,
        html! {
            header.top {
                nav aria-label="Main" {
                    a.brand href="/" { "apptrust" }
                    @for (href, label) in &links {
                        @if *href == current {
                            a href=(href) aria-current="page" { (label) }
                        } @else {
                            a href=(href) { (label) }
                        }
                    }
                    @match &viewer.signed_in {
                        Some(signed_in) => {
                            span { (signed_in.user().name) }
                            form method="post" action="/sign-out" {
                                (csrf_field(&viewer.csrf))
                                button type="submit" { "Sign out" }
                            }
                        }
                        None => { a href="/sign-in" { "Sign in" } }
                    }
                }
            }
        },
        body,
    )
}

/// A page without the viewer's navigation (errors).
pub fn bare_page(title: &str, body: Markup) -> Markup {
    shell(
        title,
        html! {
            header.top { nav aria-label="Main" { a.brand href="/" { "apptrust" } } }
        },
        body,
    )
}

fn shell(title: &str, header: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · apptrust" }
                link rel="stylesheet" href=(STYLESHEET_HREF);
            }
            body {
                a.skip href="#main" { "Skip to content" }
                (header)
                main #main { (body) }
                footer {
                    "apptrust " (env!("CARGO_PKG_VERSION")) " · "
                    a href="/api/openapi.json" { "API" }
                }
            }
        }
    }
}
