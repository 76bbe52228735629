//! A page's failure, shown as a page: the API's error message with the right status, or a
//! redirect to sign in.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::error::ApiError;

use super::layout::bare_page;

/// Why a page could not be shown.
pub enum PageError {
    /// The API's refusal or failure, shown with its status and message.
    Api(ApiError),
    /// The page needs a signed-in user: sign in, then come back to this path.
    SignIn(String),
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError::Api(error)
    }
}

impl From<apptrust_store::StoreError> for PageError {
    fn from(error: apptrust_store::StoreError) -> Self {
        PageError::Api(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn(back) => {
                let to = format!("/sign-in?next={}", super::forms::encode(&back));
                super::forms::see_other(to)
            }
            PageError::Api(error) => {
                if error.status.is_server_error() {
                    tracing::error!(code = error.code, "{}", error.message);
                }
                let status = error.status;
                let title = status.canonical_reason().unwrap_or("Error");
                let message = if status.is_server_error() {
                    "The server failed; the error is in its log.".to_string()
                } else {
                    error.message
                };
                let body = html! {
                    h1 { (title) }
                    p.notice.bad role="alert" { (message) }
                    p { a href="/" { "Back to the directory" } }
                };
                (status, bare_page(title, body)).into_response()
            }
        }
    }
}

/// An error as a page, for failures that happen before a page's handler runs (see `headers`).
pub fn error_page(status: StatusCode, message: String) -> Response {
    PageError::Api(ApiError::new(status, "refused", message)).into_response()
}
