//! The error body every failure answers with, including those refused before routing.

use serde::{Deserialize, Serialize};

use crate::versions::Evaluation;

/// Every failure. Some codes add members next to `error` (e.g. `evaluation` for
/// `manifest-refused`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Error))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable code for programs and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Whose fault it was and what to do about it; the codes are `ErrorCode`.
    #[cfg_attr(feature = "openapi", schema(value_type = ErrorCode))]
    pub code: String,
    pub message: String,
}

/// The error codes (documentation: the body carries the code as a string, so that a client
/// built today still reads a code added later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    BadRequest,
    Invalid,
    Unauthorized,
    InvalidCredentials,
    Forbidden,
    NotFound,
    Conflict,
    TooLarge,
    UnsupportedMediaType,
    BodyTimeout,
    MethodNotAllowed,
    UriTooLong,
    HeadersTooLarge,
    ManifestRefused,
    Busy,
    TooManyConnections,
    Internal,
    TooManyDeploys,
}

/// 422 `manifest-refused`: the verdict was `blocked` or `error`; nothing was recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManifestRefused {
    pub error: ErrorDetail,
    /// The evaluation, with every finding, that made the deploy refused.
    pub evaluation: Evaluation,
}
