//! Annual reviews: the calendar (staff see every app's, partners their own), one review with the
//! delta since approval, and its moves.

use apptrust_api::error::ErrorBody;
use apptrust_api::reviews::{
    FindingView, RequirementChanges, ReviewActionRequest, ReviewDeltaView, ReviewPage, ReviewQuery,
    ReviewSummary, ReviewView,
};
use apptrust_programs::fortified::{Review, ReviewAction, Side};
use apptrust_programs::spelled;
use apptrust_service::cases::Loaded;
use apptrust_service::reviews::{self as use_case, load_review};
use apptrust_service::submissions::shown;
use apptrust_store::cases::{CaseFilter, REVIEW};
use axum::Json;
use axum::extract::{Path, Query, State};

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::routes::cases::{cursor, page};
use crate::routes::page_limit;
use crate::routes::submissions::{side_of, time_of};
use crate::state::AppState;

/// The review, if the caller may see it: its app's partner members and staff.
async fn visible(state: &AppState, caller: &SignedIn, id: i64) -> Result<Loaded<Review>, ApiError> {
    side_of(caller)?;
    let loaded = load_review(&state.store, id).await?;
    caller
        .for_partner(loaded.row.partner_id)
        .map_err(|_| ApiError::not_found(format!("no review {id}")))?;
    Ok(loaded)
}

/// `GET /api/v1/reviews`.
#[utoipa::path(
    get,
    path = "/reviews",
    operation_id = "listReviews",
    tag = "reviews",
    summary = "The review calendar: annual reviews by the start of their week, soonest first.",
    description = "Staff see every app's reviews; partner members their partner's. `from` and `to` bound the start of the review week; `open=true` leaves out decided reviews.",
    params(ReviewQuery),
    responses(
        (status = 200, description = "A page of reviews.", body = ReviewPage),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    query: Result<Query<ReviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ReviewPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let side = side_of(&caller)?;
    let limit = page_limit(query.limit)?;
    let bound = |text: Option<&str>, name: &str| -> Result<Option<String>, ApiError> {
        Ok(time_of(text, name)?.map(shown))
    };
    let filter = CaseFilter {
        kind: REVIEW.to_string(),
        ball: query.ball,
        program: query.program,
        state: query.state,
        partner_id: if side == Side::Staff {
            None
        } else {
            caller.user().partner_id
        },
        app_id: None,
        open: query.open.unwrap_or(false),
        from: bound(query.from.as_deref(), "from")?,
        to: bound(query.to.as_deref(), "to")?,
        after: cursor(query.after.as_deref())?,
        limit,
    };
    let (rows, next) = page(&state, filter).await?;
    Ok(Json(ReviewPage {
        reviews: rows
            .into_iter()
            .map(|r| ReviewSummary {
                id: r.id,
                app: r.app_key,
                program: r.program,
                state: r.state,
                ball: r.ball,
                starts_at: r.sort_at,
                due: r.due_at,
            })
            .collect(),
        next,
    }))
}

/// `GET /api/v1/reviews/{id}`.
#[utoipa::path(
    get,
    path = "/reviews/{id}",
    operation_id = "showReview",
    tag = "reviews",
    summary = "One annual review: its dates on the partner's calendar, the set it checks against, the delta since approval, findings and history.",
    description = "For the app's partner members and staff; another partner's review is 404.",
    params(("id" = i64, Path, description = "The review's id.")),
    responses(
        (status = 200, description = "The review.", body = ReviewView),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<ReviewView>, ApiError> {
    let loaded = visible(&state, &caller, id).await?;
    Ok(Json(view(&state, &loaded).await?))
}

/// `POST /api/v1/reviews/{id}/actions`.
#[utoipa::path(
    post,
    path = "/reviews/{id}/actions",
    operation_id = "actOnReview",
    tag = "reviews",
    summary = "Move a review: pass, report-findings, extend, remove (staff); resolve (the partner).",
    description = "The notice, the start of the review week and an overdue remediation are the calendar's moves. Findings, resolutions, extensions and removals need a `reason`; `extend` needs a `due` date. Removal is possible only after findings (overdue, or reviewed after remediation) and removes the badge (cause `annual-review`). A move not possible now is 409 with the possible ones in `allowed`; another side's move is 403. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("id" = i64, Path, description = "The review's id.")),
    request_body = ReviewActionRequest,
    responses(
        (status = 200, description = "The review after the move.", body = ReviewView),
        (status = 401, response = r::Unauthorized),
        (status = 403, description = "`forbidden`: another side's move, or not the app's partner or staff.", body = ErrorBody),
        (status = 404, response = r::NotFound),
        (status = 409, description = "`conflict`: not possible now (`allowed` lists what is).", body = ErrorBody),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn act(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ReviewActionRequest>,
) -> Result<Json<ReviewView>, ApiError> {
    visible(&state, &caller, id).await?;
    let side = side_of(&caller)?;
    let action = ReviewAction::parse(&body.action)
        .filter(|a| a.side() != Side::System)
        .ok_or_else(|| {
            ApiError::unprocessable(format!(
                "unknown action `{}`; the actions are pass, report-findings, extend, remove \
                 and resolve",
                body.action
            ))
        })?;
    let due = time_of(body.due.as_deref(), "due")?;
    let loaded = use_case::act(
        &state.store,
        &state.programs,
        id,
        action,
        side,
        &caller.user().actor(),
        body.reason.as_deref(),
        due,
    )
    .await?;
    // A pass may move the badge to a new set, a removal removes it: readers see it at once.
    state.trust_cache.forget(&loaded.row.app_key);
    Ok(Json(view(&state, &loaded).await?))
}

async fn view(state: &AppState, loaded: &Loaded<Review>) -> Result<ReviewView, ApiError> {
    let (row, review) = (&loaded.row, &loaded.case);
    let app = state.store.app(&row.app_key).await?;
    let slos = crate::routes::signals::slo_report(state, &app).await?.slos;
    let d = &review.dates;
    Ok(ReviewView {
        id: row.id,
        app: row.app_key.clone(),
        program: row.program.clone(),
        submission: row.submission_id,
        year: d.year,
        state: spelled(&review.state),
        ball: spelled(&review.ball),
        first_day: d.first_day.clone(),
        notice_at: shown(d.notice_at),
        starts_at: shown(d.starts_at),
        ends_at: shown(d.ends_at),
        remediation_due: shown(d.remediation_due),
        due: review.due.map(shown),
        held_set: review.held_set.clone(),
        requirement_set: review.requirement_set.clone(),
        outcome: review.outcome.map(|o| spelled(&o)),
        findings: review
            .findings
            .iter()
            .map(|f| FindingView {
                at: shown(f.at),
                actor: f.actor.clone(),
                text: f.text.clone(),
            })
            .collect(),
        delta: ReviewDeltaView {
            requirements: RequirementChanges {
                added: review.delta.requirements.added.clone(),
                changed: review.delta.requirements.changed.clone(),
                dropped: review.delta.requirements.dropped.clone(),
            },
            new_majors: review.delta.new_majors.clone(),
            egress_added: review.delta.egress_added.clone(),
        },
        allowed_actions: review
            .allowed()
            .into_iter()
            .filter(|a| a.side() != Side::System)
            .map(ReviewAction::name)
            .collect(),
        history: crate::views::history(&review.history),
        slos,
    })
}
