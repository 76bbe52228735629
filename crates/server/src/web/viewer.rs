//! Who is looking at a page: a signed-in session (with its CSRF token for the page's forms), or
//! a visitor. A session that has ended reads as a visitor, so an old cookie never breaks the
//! public pages.

use apptrust_store::secrets;
use apptrust_store::users::Role;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};

use crate::auth::{SignedIn, Via, session_cookie};
use crate::error::ApiError;
use crate::state::AppState;

use super::PageError;

/// The viewer of a page.
pub struct Viewer {
    /// The session's user, as the API's handlers take it.
    pub signed_in: Option<SignedIn>,
    /// The session's CSRF token, echoed by every form.
    pub csrf: String,
    /// The path asked for, to come back to after signing in.
    pub path: String,
}

impl Viewer {
    /// The signed-in user, or a page asking to sign in.
    pub fn require(&self) -> Result<&SignedIn, PageError> {
        self.signed_in
            .as_ref()
            .ok_or_else(|| PageError::SignIn(self.path.clone()))
    }

    /// The user's role, if signed in.
    pub fn role(&self) -> Option<Role> {
        self.signed_in.as_ref().map(|s| s.user().role)
    }

    /// Checks a posted form's CSRF token against the session's: a post without it, or with
    /// another session's, changes nothing.
    pub fn check_csrf(&self, sent: &str) -> Result<&SignedIn, PageError> {
        let signed_in = self.require()?;
        if self.csrf.is_empty() || !secrets::equal(sent, &self.csrf) {
            return Err(PageError::Api(ApiError::forbidden(
                "this form has expired or did not come from this site: reload the page and try again",
            )));
        }
        Ok(signed_in)
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        // Where to come back after signing in: this page, or for a form's post (which cannot
        // be repeated by a redirect) the front page.
        let path = if parts.method == Method::GET {
            parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string()
        } else {
            "/".to_string()
        };
        if parts.method != Method::GET && cross_site(&parts.headers) {
            return Err(PageError::Api(ApiError::forbidden(
                "form posts from another site are refused",
            )));
        }
        let session = match session_cookie(parts) {
            Some(secret) => state.store.session(&secret).await.map_err(ApiError::from)?,
            None => None,
        };
        Ok(match session {
            Some(session) => Viewer {
                signed_in: Some(SignedIn(
                    session.user,
                    Via::Session {
                        id: session.id,
                        token_id: session.token_id,
                    },
                )),
                csrf: session.csrf_token,
                path,
            },
            None => Viewer {
                signed_in: None,
                csrf: String::new(),
                path,
            },
        })
    }
}

/// Whether the browser says the request came from anywhere but this origin or the user
/// (`Sec-Fetch-Site`: `same-site` is a sibling subdomain, which could have set cookies).
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.eq_ignore_ascii_case("same-origin") && !v.eq_ignore_ascii_case("none"))
}
