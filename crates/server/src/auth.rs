//! Who is asking. A request carries an API token (`Authorization: Bearer apt_...`), a session
//! cookie from `POST /api/v1/session`, or nothing. A bad token is refused outright rather than
//! treated as anonymous, so a typo never silently downgrades a pipeline. Requests that change
//! state on the strength of a cookie must echo the session's CSRF token in `X-CSRF-Token`:
//! a cross-site form can send the cookie but cannot read the token.

use apptrust_store::apps::App;
use apptrust_store::secrets;
use apptrust_store::users::{Role, User};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};

use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "apptrust_session";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The caller of a request.
#[derive(Clone, Debug)]
pub enum Caller {
    /// No credentials: public routes only.
    Anonymous,
    /// A user, by token or by session.
    User(User),
}

impl Caller {
    /// The user, or 401.
    pub fn user(&self) -> Result<&User, ApiError> {
        match self {
            Caller::User(user) => Ok(user),
            Caller::Anonymous => Err(ApiError::unauthorized()),
        }
    }

    /// The user if they are staff, or 401/403.
    pub fn staff(&self) -> Result<&User, ApiError> {
        let user = self.user()?;
        if user.role == Role::Staff {
            Ok(user)
        } else {
            Err(ApiError::forbidden("only staff may do this"))
        }
    }

    /// The user if they may see and change this partner's private data: its members and staff.
    pub fn for_partner(&self, partner_id: i64) -> Result<&User, ApiError> {
        let user = self.user()?;
        if user.role == Role::Staff || user.partner_id == Some(partner_id) {
            Ok(user)
        } else {
            Err(ApiError::forbidden("this belongs to another partner"))
        }
    }

    /// The user if they may see and change this app's private data.
    pub fn for_app(&self, app: &App) -> Result<&User, ApiError> {
        self.for_partner(app.partner_id).map_err(|_| {
            ApiError::forbidden(format!("app `{}` belongs to another partner", app.key))
        })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| invalid_token("use `Authorization: Bearer <token>`"))?;
            return match state.store.user_by_token(token).await? {
                Some(user) => Ok(Caller::User(user)),
                None => Err(invalid_token("the token is unknown or revoked")),
            };
        }
        let Some(secret) = session_cookie(parts) else {
            return Ok(Caller::Anonymous);
        };
        let Some(session) = state.store.session(&secret).await? else {
            return Err(invalid_token("the session has expired; sign in again"));
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
        Ok(Caller::User(session.user))
    }
}

fn invalid_token(why: &str) -> ApiError {
    let mut error = ApiError::unauthorized();
    error.code = "invalid-credentials";
    error.message = format!("credentials refused: {why}");
    error
}

/// The session secret from the `Cookie` header, if present.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}
