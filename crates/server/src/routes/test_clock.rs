//! `GET/POST /api/v1/test/clock`: the test clock of `apptrust serve --test-clock`, for staff.
//!
//! Black-box tests move the service through weeks of timers in seconds: read the time, set it
//! (`{"now": "<RFC 3339>"}`) or move it forward (`{"advance": "P3DT4H"}`, an ISO 8601 duration).
//! Without `--test-clock` the routes answer 404, as if they did not exist; the clock never goes
//! back.

use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use apptrust_store::clock::{ClockError, LATEST_YEAR, TestClock, rfc3339};

/// A move of the test clock: exactly one of the two.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveClock {
    /// The time to move to (RFC 3339, not before the clock's time).
    now: Option<String>,
    /// How far to move forward (ISO 8601 duration: `P3DT4H`, `PT90M`, `P2W`).
    advance: Option<String>,
}

fn test_clock(state: &AppState) -> Result<&TestClock, ApiError> {
    state
        .store
        .clock()
        .as_test()
        .ok_or_else(|| ApiError::not_found("no such route (the server runs on the real clock)"))
}

fn answer(at: OffsetDateTime) -> impl IntoResponse {
    axum::Json(json!({"now": rfc3339(at), "testClock": true}))
}

/// `GET /api/v1/test/clock`: the test clock's time.
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
) -> Result<impl IntoResponse, ApiError> {
    let clock = test_clock(&state)?;
    caller.staff()?;
    Ok(answer(apptrust_store::clock::Clock::now(clock)))
}

/// `POST /api/v1/test/clock`: sets or advances the test clock; answers its new time.
pub async fn update(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<MoveClock>,
) -> Result<impl IntoResponse, ApiError> {
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
