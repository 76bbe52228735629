//! `GET/POST /api/v1/test/clock`: the test clock of `apptrust serve --test-clock`, for staff.
//!
//! Black-box tests move the service through weeks of timers in seconds: read the time, set it
//! (`{"now": "<RFC 3339>"}`) or move it forward (`{"advance": "P3DT4H"}`, an ISO 8601 duration).
//! Without `--test-clock` the routes answer 404, as if they did not exist; the clock never goes
//! back.

use apptrust_api::error::ErrorBody;
use apptrust_api::test_clock::{ClockTime, MoveClock};
use axum::Json;
use axum::extract::State;
use time::OffsetDateTime;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use apptrust_store::clock::{ClockError, LATEST_YEAR, TestClock, rfc3339};

fn test_clock(state: &AppState) -> Result<&TestClock, ApiError> {
    state
        .store
        .clock()
        .as_test()
        .ok_or_else(|| ApiError::not_found("no such route (the server runs on the real clock)"))
}

fn answer(at: OffsetDateTime) -> Json<ClockTime> {
    Json(ClockTime {
        now: rfc3339(at),
        test_clock: true,
    })
}

/// `GET /api/v1/test/clock`: the test clock's time.
#[utoipa::path(
    get,
    path = "/test/clock",
    operation_id = "getTestClock",
    tag = "test",
    summary = "The test clock's time (staff only; only with `apptrust serve --test-clock`, else 404).",
    responses(
        (status = 200, description = "The test clock's time.", body = ClockTime),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not staff.", body = ErrorBody),
        (status = 404, description = "The server runs on the real clock.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
) -> Result<Json<ClockTime>, ApiError> {
    let clock = test_clock(&state)?;
    caller.staff()?;
    Ok(answer(apptrust_store::clock::Clock::now(clock)))
}

/// `POST /api/v1/test/clock`: sets or advances the test clock; answers its new time.
#[utoipa::path(
    post,
    path = "/test/clock",
    operation_id = "moveTestClock",
    tag = "test",
    summary = "Sets (`now`, RFC 3339) or advances (`advance`, ISO 8601 duration such as `P3DT4H`) the test clock; it never goes back (staff only; only with `--test-clock`).",
    request_body = MoveClock,
    responses(
        (status = 200, description = "The test clock's time.", body = ClockTime),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not staff.", body = ErrorBody),
        (status = 404, description = "The server runs on the real clock.", body = ErrorBody),
        (status = 422, description = "Neither or both given, a malformed time or duration, or a move backwards.", body = ErrorBody),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn update(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<MoveClock>,
) -> Result<Json<ClockTime>, ApiError> {
    let clock = test_clock(&state)?;
    let staff = caller.staff()?;
    // The target first, then the audit entry, then the move: a move is never unaudited.
    let now = apptrust_store::clock::Clock::now(clock);
    let target = match (body.now, body.advance) {
        (Some(at), None) => {
            OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
                .map_err(|_| ApiError::unprocessable("`now` must be an RFC 3339 time"))?
        }
        (None, Some(advance)) => {
            let by =
                apptrust_service::duration::parse(&advance).map_err(ApiError::unprocessable)?;
            now.checked_add(by)
                .ok_or_else(|| ApiError::unprocessable(ClockError::OutOfRange.to_string()))?
        }
        _ => {
            return Err(ApiError::unprocessable(
                "give exactly one of `now` (RFC 3339) and `advance` (ISO 8601 duration)",
            ));
        }
    };
    if target < now {
        let refused = ClockError::Backwards {
            asked: rfc3339(target),
            now: rfc3339(now),
        };
        return Err(ApiError::unprocessable(refused.to_string()));
    }
    if target.year() > LATEST_YEAR {
        return Err(ApiError::unprocessable(ClockError::OutOfRange.to_string()));
    }
    state
        .store
        .record_clock_move(&staff.actor(), &rfc3339(target))
        .await?;
    // The clock ran on while the entry was written: never set it behind its own time.
    let moved = clock
        .set(target.max(apptrust_store::clock::Clock::now(clock)))
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    // Trust documents cached under the old time may show badges that timers would have moved.
    state.trust_cache.clear();
    Ok(answer(moved))
}
