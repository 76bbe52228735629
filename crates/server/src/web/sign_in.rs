//! `/sign-in` and `/sign-out`: a person signs in with an API token (issued by staff or by
//! `apptrust admin`), and gets the same session as `POST /api/v1/session`.
//!
//! The sign-in form has a CSRF token of its own before any session exists (a cookie and a
//! hidden field that must match), so another site cannot sign a browser in as someone else.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{SESSION_COOKIE, Via, cookie_value};
use crate::routes::session as api_session;
use crate::state::AppState;

use super::PageError;
use super::forms::{local_path, notice};
use super::layout::page;
use super::viewer::Viewer;

/// The sign-in form's body at most: a token, the form's own token and a path to return to.
pub const MAX_FORM_BYTES: usize = 4096;

/// The cookie that carries the sign-in form's CSRF token.
const SIGN_IN_COOKIE: &str = "apptrust_sign_in";

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    done: Option<String>,
}

/// `GET /sign-in`.
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
) -> Result<Response, PageError> {
    let token = fresh_token()?;
    let next = local_path(query.next.as_deref());
    let secure = api_session::secure_cookie(&state, &headers);
    Ok(render(
        &viewer,
        secure,
        &token,
        &next,
        query.done.as_deref(),
        None,
    ))
}

fn render(
    viewer: &Viewer,
    secure: bool,
    form_token: &str,
    next: &str,
    done: Option<&str>,
    refusal: Option<&str>,
) -> Response {
    let body = html! {
        h1 { "Sign in" }
        (notice(done))
        @if let Some(signed_in) = &viewer.signed_in {
            p.notice.info { "You are signed in as " (signed_in.user().name) "." }
        }
        @if let Some(why) = refusal {
            p.notice.bad role="alert" { (why) }
        }
        section {
            form method="post" action="/sign-in" {
                input type="hidden" name="csrf" value=(form_token);
                input type="hidden" name="next" value=(next);
                div.field {
                    label for="token" { "API token" }
                    input #token type="password" name="token" autocomplete="off" required
                        aria-describedby="token-help";
                    span #token-help .muted {
                        "Partners, staff and site admins sign in with the token they were issued ("
                        code { "apt_..." } "). The session ends when the token is revoked."
                    }
                }
                button type="submit" { "Sign in" }
            }
        }
    };
    let status = if refusal.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let secure = if secure { "; Secure" } else { "" };
    let cookie =
        format!("{SIGN_IN_COOKIE}={form_token}; HttpOnly; SameSite=Strict; Path=/sign-in{secure}");
    (
        status,
        [(header::SET_COOKIE, cookie)],
        page(viewer, "Sign in", "/sign-in", body),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct SignInForm {
    token: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

/// `POST /sign-in`.
pub async fn sign_in(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    axum::Form(form): axum::Form<SignInForm>,
) -> Result<Response, PageError> {
    let next = local_path(form.next.as_deref());
    let expected = cookie_value(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !apptrust_store::secrets::equal(&form.csrf, &expected) {
        let token = fresh_token()?;
        let mut response = render(
            &viewer,
            api_session::secure_cookie(&state, &headers),
            &token,
            &next,
            None,
            Some("This form has expired or did not come from this site: try again."),
        );
        *response.status_mut() = StatusCode::FORBIDDEN;
        return Ok(response);
    }
    match api_session::open(&state, &headers, &form.token).await {
        Ok(opened) => Ok((
            StatusCode::SEE_OTHER,
            [
                (header::SET_COOKIE, opened.cookie),
                (header::LOCATION, next),
            ],
        )
            .into_response()),
        Err(error) if error.status == StatusCode::UNAUTHORIZED => {
            let token = fresh_token()?;
            let secure = api_session::secure_cookie(&state, &headers);
            Ok(render(
                &viewer,
                secure,
                &token,
                &next,
                None,
                Some(&error.message),
            ))
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /sign-out`: ends the session (as `DELETE /api/v1/session` does).
pub async fn sign_out(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<SignOutForm>,
) -> Result<Response, PageError> {
    // Signed out already (the session ended): just forget the cookie.
    if viewer.signed_in.is_some() {
        let signed_in = viewer.check_csrf(&form.csrf)?;
        if let Via::Session { id, .. } = signed_in.1 {
            state
                .store
                .end_session(signed_in.user(), id)
                .await
                .map_err(crate::error::ApiError::from)?;
        }
    }
    let cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (header::LOCATION, "/sign-in?done=signed-out".to_string()),
        ],
    )
        .into_response())
}

/// A random token for the sign-in form.
fn fresh_token() -> Result<String, PageError> {
    apptrust_store::secrets::new_secret("signin_")
        .map_err(|_| crate::error::ApiError::internal().into())
}
