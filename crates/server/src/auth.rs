//! Who is asking. A request carries an API token (`Authorization: Bearer apt_...`), a session
//! cookie from `POST /api/v1/session`, or nothing. A bad token is refused outright rather than
//! treated as anonymous, so a typo never silently downgrades a pipeline. Requests that change
//! state on the strength of a cookie must echo the session's CSRF token in `X-CSRF-Token`:
//! a cross-site form can send the cookie but cannot read the token.

use apptrust_programs::AppKey;
use apptrust_store::apps::App;
use apptrust_store::secrets;
use apptrust_store::tokens::TokenHolder;
use apptrust_store::users::{Role, User};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};

use crate::egress_cache::CallerLookup;
use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "apptrust_session";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A request from a signed-in user. Anonymous requests are refused with 401 before anything else
/// (such as the body) is looked at, so an unauthenticated caller learns nothing from validation
/// errors.
#[derive(Clone, Debug)]
pub struct SignedIn(pub User, pub Via);

/// The credential a request came with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// An API token, by id; and when it expires.
    Token { id: i64, expires_at: Option<String> },
    /// A browser session, by id, and the token it was opened with.
    Session { id: i64, token_id: Option<i64> },
}

impl SignedIn {
    /// The user.
    pub fn user(&self) -> &User {
        &self.0
    }

    /// The token behind this request, directly or through its session: what a token issued
    /// now descends from.
    pub fn token_id(&self) -> Option<i64> {
        match &self.1 {
            Via::Token { id, .. } => Some(*id),
            Via::Session { token_id, .. } => *token_id,
        }
    }

    /// The user if they are staff, or 403.
    pub fn staff(&self) -> Result<&User, ApiError> {
        if self.0.role == Role::Staff {
            Ok(&self.0)
        } else {
            Err(ApiError::forbidden("only staff may do this"))
        }
    }

    /// The user if they may see and change this partner's private data: its members and staff.
    pub fn for_partner(&self, partner_id: i64) -> Result<&User, ApiError> {
        if self.0.role == Role::Staff || self.0.partner_id == Some(partner_id) {
            Ok(&self.0)
        } else {
            Err(ApiError::forbidden("this belongs to another partner"))
        }
    }

    /// The app with this key, if the user may deploy to it: its partner's members, staff, and
    /// the platform's service account, which reports what was deployed to any app.
    pub async fn app_to_deploy(&self, state: &AppState, key: &str) -> Result<App, ApiError> {
        if self.0.role != Role::Platform {
            return self.app(state, key).await;
        }
        if AppKey::parse(key).is_err() {
            return Err(ApiError::not_found("no app with this key"));
        }
        Ok(state.store.app(key).await?)
    }

    /// The app with this key, if the user may report measurements of it: staff and the
    /// platform's service account (signals are the marketplace's, not the partner's).
    pub async fn app_to_measure(&self, state: &AppState, key: &str) -> Result<App, ApiError> {
        if !matches!(self.0.role, Role::Staff | Role::Platform) {
            return Err(ApiError::forbidden(
                "signals are reported by the platform's service account and staff",
            ));
        }
        if AppKey::parse(key).is_err() {
            return Err(ApiError::not_found("no app with this key"));
        }
        Ok(state.store.app(key).await?)
    }

    /// The app with this key, if the user may see and change its private data.
    pub async fn app(&self, state: &AppState, key: &str) -> Result<App, ApiError> {
        if AppKey::parse(key).is_err() {
            return Err(ApiError::not_found("no app with this key"));
        }
        let app = state.store.app(key).await?;
        self.for_partner(app.partner_id).map_err(|_| {
            ApiError::forbidden(format!("app `{}` belongs to another partner", app.key))
        })?;
        Ok(app)
    }
}

impl SignedIn {
    /// The user if they may see and change site `site`: staff and the site's own admins.
    /// Anyone else is told there is no such site, so that sites cannot be probed.
    pub fn for_site(&self, site: &str) -> Result<&User, ApiError> {
        match self.0.role {
            Role::Staff => Ok(&self.0),
            Role::SiteAdmin if !site.is_empty() && self.0.site.as_deref() == Some(site) => {
                Ok(&self.0)
            }
            _ => Err(ApiError::not_found(format!("no site `{site}`"))),
        }
    }

    /// Whether the user may read what an egress proxy reads of an installation on `site`: the
    /// platform's service account, staff and the site's own admins.
    pub fn may_read_egress(&self, site: &str) -> bool {
        matches!(self.0.role, Role::Platform | Role::Staff)
            || (self.0.role == Role::SiteAdmin && self.0.site.as_deref() == Some(site))
    }
}

/// The caller of a hot route (egress decisions): a bearer token's holder is remembered for
/// `egress-cache-ms`, so that the platform's proxy does not cost a query per outbound request.
/// Sessions are read as everywhere else.
pub struct HotCaller(pub SignedIn);

impl FromRequestParts<AppState> for HotCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = bearer else {
            return SignedIn::from_request_parts(parts, state)
                .await
                .map(HotCaller);
        };
        let holder = match state.egress_cache.caller(token) {
            CallerLookup::Known(holder) => holder,
            CallerLookup::Refresh(holder) => {
                let (state, token) = (state.clone(), token.to_string());
                tokio::spawn(async move {
                    // A failed read forgets the token: the next request reads it itself.
                    let _ = reread_caller(&state, &token).await;
                });
                holder
            }
            CallerLookup::Read => reread_caller(state, token).await?.ok_or_else(|| {
                invalid_token("the token is unknown, revoked or expired, or its user is disabled")
            })?,
        };
        if let Some(expires_at) = &holder.expires_at
            && state.store.seconds_until(expires_at) <= 0
        {
            return Err(invalid_token("the token expired"));
        }
        Ok(HotCaller(SignedIn(
            holder.user,
            Via::Token {
                id: holder.token_id,
                expires_at: holder.expires_at,
            },
        )))
    }
}

/// Reads a bearer token's holder and remembers it, or forgets the token when it is refused
/// (or cannot be read).
async fn reread_caller(state: &AppState, token: &str) -> Result<Option<TokenHolder>, ApiError> {
    match state.store.token_holder(token).await {
        Ok(Some(holder)) => {
            state
                .egress_cache
                .put_caller(token.to_string(), holder.clone());
            Ok(Some(holder))
        }
        Ok(None) => {
            state.egress_cache.forget_caller(token);
            Ok(None)
        }
        Err(e) => {
            state.egress_cache.forget_caller(token);
            Err(e.into())
        }
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        identify(parts, state)
            .await?
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The user behind a request's credentials: `None` without credentials, an error for bad ones.
async fn identify(parts: &Parts, state: &AppState) -> Result<Option<SignedIn>, ApiError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| invalid_token("use `Authorization: Bearer <token>`"))?;
        return match state.store.token_holder(token).await? {
            Some(holder) => Ok(Some(SignedIn(
                holder.user,
                Via::Token {
                    id: holder.token_id,
                    expires_at: holder.expires_at,
                },
            ))),
            None => Err(invalid_token(
                "the token is unknown, revoked or expired, or its user is disabled",
            )),
        };
    }
    let Some(secret) = session_cookie(parts) else {
        return Ok(None);
    };
    let Some(session) = state.store.session(&secret).await? else {
        return Err(invalid_token("the session has ended; sign in again"));
    };
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !secrets::equal(sent, &session.csrf_token) {
            return Err(ApiError::forbidden(
                "missing or wrong CSRF token: send the session's token in `X-CSRF-Token`",
            ));
        }
    }
    Ok(Some(SignedIn(
        session.user,
        Via::Session {
            id: session.id,
            token_id: session.token_id,
        },
    )))
}

fn invalid_token(why: &str) -> ApiError {
    let mut error = ApiError::unauthorized();
    error.code = "invalid-credentials";
    error.message = format!("credentials refused: {why}");
    error
}

/// The session secret from the `Cookie` header, if present.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    cookie_value(&parts.headers, SESSION_COOKIE)
}

/// A cookie's value from the `Cookie` headers, if present.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
}
