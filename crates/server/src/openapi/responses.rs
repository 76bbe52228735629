//! The error answers many operations share, as OpenAPI response components
//! (`#/components/responses/...`): each is the JSON `Error` body with a status-specific
//! description. They document answers; the routes build them through `ApiError`.
// Documentation only: the types are named in `#[utoipa::path]` responses, never built.
#![allow(dead_code)]

use apptrust_api::error::ErrorBody;
use utoipa::ToResponse;

#[derive(ToResponse)]
#[response(
    description = "`bad-request`: malformed JSON, an unknown or mistyped query or path parameter, or a bad header."
)]
pub struct BadRequest(ErrorBody);

#[derive(ToResponse)]
#[response(
    description = "`unauthorized` (no credentials) or `invalid-credentials` (a malformed `Authorization` header, a token that is unknown, revoked or expired or whose user is disabled, or a session that has expired or ended)."
)]
pub struct Unauthorized(ErrorBody);

#[derive(ToResponse)]
#[response(
    description = "`forbidden`: the caller's role or partner does not allow this, or a cookie-authenticated change lacks the right `X-CSRF-Token`."
)]
pub struct Forbidden(ErrorBody);

#[derive(ToResponse)]
#[response(description = "`not-found`.")]
pub struct NotFound(ErrorBody);

#[derive(ToResponse)]
#[response(description = "`conflict`: the resource already exists.")]
pub struct Conflict(ErrorBody);

#[derive(ToResponse)]
#[response(
    description = "`too-large`: the body exceeds the route's limit: `max-body-bytes` (default 4 MiB) for deploys, `max-sign-in-body-bytes` (1 KiB) for sign-in, `max-signals-body-bytes` (256 KiB) for signals, `max-json-body-bytes` (64 KiB) for other routes."
)]
pub struct TooLarge(ErrorBody);

#[derive(ToResponse)]
#[response(
    description = "`body-timeout`: the body did not arrive within `body-read-timeout-ms` (default 30 s)."
)]
pub struct BodyTimeout(ErrorBody);

#[derive(ToResponse)]
#[response(
    description = "`unsupported-media-type`: the body must be sent with `Content-Type: application/json`."
)]
pub struct UnsupportedMediaType(ErrorBody);

#[derive(ToResponse)]
#[response(
    description = "`invalid`: the JSON has the wrong shape (missing or unknown members) or a value is invalid."
)]
pub struct Unprocessable(ErrorBody);

#[derive(ToResponse)]
#[response(description = "`busy`: retry after `Retry-After` seconds. Deploys answer it when the evaluation queue did not move within `evaluation-queue-timeout-ms` (default 30 s) or other deploys to the environment kept landing first; any route may when the database is busy.", headers(("Retry-After" = i64, description = "Seconds to wait before retrying.")))]
pub struct Busy(ErrorBody);

#[derive(ToResponse)]
#[response(
    description = "`busy` (503, with `Retry-After`: the database is busy; retry) or `internal` (500)."
)]
pub struct ServerError(ErrorBody);
