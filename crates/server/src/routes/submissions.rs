//! Submissions to approval programs: a partner opens one for an app, staff and the partner move
//! it and its checks, and each side sees the queue of what waits on it.

use apptrust_api::error::ErrorBody;
use apptrust_api::submissions::{
    CheckActionRequest, CheckView, CreateSubmission, EvidenceView, MessageView, PostMessage,
    SubmissionActionRequest, SubmissionPage, SubmissionQuery, SubmissionSummary, SubmissionView,
    WaitingSeconds, WaiverView,
};
use apptrust_programs::fortified::{CheckAction, MoveError, Side, SubmissionAction};
use apptrust_programs::spelled;
use apptrust_service::submissions::{self as use_case, Loaded, Move, SubmissionError, shown};
use apptrust_store::submissions::QueueFilter;
use apptrust_store::users::Role;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::routes::page_limit;
use crate::state::AppState;

impl From<SubmissionError> for ApiError {
    fn from(error: SubmissionError) -> Self {
        let error = match error {
            SubmissionError::Store(e) => return e.into(),
            SubmissionError::Move(error) => error,
        };
        match &error {
            MoveError::NotNow { allowed, .. } => {
                let mut refused =
                    ApiError::new(StatusCode::CONFLICT, "conflict", error.to_string());
                refused.extra = Some(serde_json::json!({ "allowed": allowed }));
                refused
            }
            MoveError::NotYours { .. } => ApiError::forbidden(error.to_string()),
            MoveError::Blocked(_) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", error.to_string())
            }
            MoveError::Invalid(_) => ApiError::unprocessable(error.to_string()),
        }
    }
}

/// The side a signed-in user acts on: partner members for their apps, staff for any.
pub(crate) fn side_of(caller: &SignedIn) -> Result<Side, ApiError> {
    match caller.user().role {
        Role::Staff => Ok(Side::Staff),
        Role::Partner => Ok(Side::Partner),
        Role::SiteAdmin | Role::Platform => Err(ApiError::forbidden(
            "submissions are for the app's partner and for staff",
        )),
    }
}

/// The submission, if the caller may see it: its app's partner members and staff.
async fn visible(state: &AppState, caller: &SignedIn, id: i64) -> Result<Loaded, ApiError> {
    side_of(caller)?;
    let loaded = use_case::load(&state.store, id).await?;
    caller.for_partner(loaded.row.partner_id).map_err(|_| {
        // Another partner's submission is as if it did not exist.
        ApiError::not_found(format!("no submission {id}"))
    })?;
    Ok(loaded)
}

/// `POST /api/v1/apps/{app}/submissions`.
#[utoipa::path(
    post,
    path = "/apps/{app}/submissions",
    operation_id = "openSubmission",
    tag = "submissions",
    summary = "Open a submission of the app to an approval program (a member of the app's partner).",
    description = "Against the requirement set in force today, with one check per requirement. One open submission per app and program (409 otherwise). Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("app" = String, Path, description = "The app key.", example = "com.example.app")),
    request_body = CreateSubmission,
    responses(
        (status = 201, description = "The submission.", body = SubmissionView),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 409, description = "`conflict`: the app already has an open submission to the program.", body = ErrorBody),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn open(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<CreateSubmission>,
) -> Result<(StatusCode, Json<SubmissionView>), ApiError> {
    if side_of(&caller)? != Side::Partner {
        return Err(ApiError::forbidden(
            "a submission is opened by a member of the app's partner",
        ));
    }
    let app = caller.app(&state, &key).await?;
    let loaded = use_case::open(
        &state.store,
        &state.programs,
        &app,
        &body.program,
        &caller.user().actor(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(&state, &loaded).await?)))
}

/// `GET /api/v1/submissions/{id}`.
#[utoipa::path(
    get,
    path = "/submissions/{id}",
    operation_id = "showSubmission",
    tag = "submissions",
    summary = "A submission: state, ball holder, time waiting on each side, due date, checks and the full history.",
    description = "For the app's partner members and staff; another partner's submission is 404.",
    params(("id" = i64, Path, description = "The submission's id.")),
    responses(
        (status = 200, description = "The submission.", body = SubmissionView),
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
) -> Result<Json<SubmissionView>, ApiError> {
    let loaded = visible(&state, &caller, id).await?;
    Ok(Json(view(&state, &loaded).await?))
}

/// `GET /api/v1/submissions`.
#[utoipa::path(
    get,
    path = "/submissions",
    operation_id = "listSubmissions",
    tag = "submissions",
    summary = "The queue: submissions by ball holder, program and state, the one waiting longest since its last move first.",
    description = "Staff see every submission; partner members see their partner's only.",
    params(SubmissionQuery),
    responses(
        (status = 200, description = "A page of submissions.", body = SubmissionPage),
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
    query: Result<Query<SubmissionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SubmissionPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let side = side_of(&caller)?;
    let limit = page_limit(query.limit)?;
    let after = crate::routes::cases::cursor(query.after.as_deref())?;
    let filter = QueueFilter {
        ball: query.ball,
        program: query.program,
        state: query.state,
        partner_id: if side == Side::Staff {
            None
        } else {
            caller.user().partner_id
        },
        after,
        limit: limit + 1,
    };
    let mut rows = state.store.submission_queue(&filter).await?;
    let next = crate::routes::cases::cut(&mut rows, limit, |r| (r.updated_at.as_str(), r.id));
    Ok(Json(SubmissionPage {
        submissions: rows
            .into_iter()
            .map(|r| SubmissionSummary {
                id: r.id,
                app: r.app_key,
                program: r.program,
                state: r.state,
                ball: r.ball,
                due: r.due_at,
                updated_at: r.updated_at,
            })
            .collect(),
        next,
    }))
}

/// `POST /api/v1/submissions/{id}/actions`.
#[utoipa::path(
    post,
    path = "/submissions/{id}/actions",
    operation_id = "actOnSubmission",
    tag = "submissions",
    summary = "Move a submission: triage, request-info, reply, start-review, soak, approve, reject, withdraw.",
    description = "Staff triage, request information (with a question and an optional `due`, 14 days by default), start the review, put it to soak, approve (only with every check passed or waived) and reject; the partner replies and withdraws. A move not possible now is 409 with the possible ones in `allowed`; another side's move is 403. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("id" = i64, Path, description = "The submission's id.")),
    request_body = SubmissionActionRequest,
    responses(
        (status = 200, description = "The submission after the move.", body = SubmissionView),
        (status = 401, response = r::Unauthorized),
        (status = 403, description = "`forbidden`: another side's move, or not the app's partner or staff.", body = ErrorBody),
        (status = 404, response = r::NotFound),
        (status = 409, description = "`conflict`: not possible now (`allowed` lists what is), or blocked (open checks).", body = ErrorBody),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn act(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<SubmissionActionRequest>,
) -> Result<Json<SubmissionView>, ApiError> {
    visible(&state, &caller, id).await?;
    let side = side_of(&caller)?;
    let action = SubmissionAction::parse(&body.action)
        .filter(|a| a.side() != Side::System)
        .ok_or_else(|| {
            ApiError::unprocessable(format!(
                "unknown action `{}`; the actions are triage, request-info, reply, \
                 start-review, soak, approve, reject, withdraw",
                body.action
            ))
        })?;
    let due = time_of(body.due.as_deref(), "due")?;
    let loaded = use_case::act(
        &state.store,
        &state.programs,
        id,
        &Move::Submission { action, due },
        side,
        &caller.user().actor(),
        body.reason.as_deref(),
    )
    .await?;
    // An approval grants the badge: readers see it at once.
    state.trust_cache.forget(&loaded.row.app_key);
    Ok(Json(view(&state, &loaded).await?))
}

/// `POST /api/v1/submissions/{id}/checks/{requirement}/actions`.
#[utoipa::path(
    post,
    path = "/submissions/{id}/checks/{requirement}/actions",
    operation_id = "actOnCheck",
    tag = "submissions",
    summary = "Move one requirement's check: request-evidence, submit-evidence, ask-partner, start-configuring, grant-access, test-run, start-soak, pass, fail, waive.",
    description = "Staff request evidence, configure, run tests, start soaks, pass, fail and waive (`waive` takes a `reason` and an `expires` time, after which the check reopens); the partner submits evidence and grants access. A check that needs a soak passes only after it. A move not possible now is 409 with the possible ones in `allowed`; another side's move is 403. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(
        ("id" = i64, Path, description = "The submission's id."),
        ("requirement" = String, Path, description = "The requirement's id.", example = "security.bug-bounty"),
    ),
    request_body = CheckActionRequest,
    responses(
        (status = 200, description = "The submission after the move.", body = SubmissionView),
        (status = 401, response = r::Unauthorized),
        (status = 403, description = "`forbidden`: another side's move, or not the app's partner or staff.", body = ErrorBody),
        (status = 404, response = r::NotFound),
        (status = 409, description = "`conflict`: not possible now (`allowed` lists what is), or blocked (a soak that has not run, a decided submission).", body = ErrorBody),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn act_on_check(
    State(state): State<AppState>,
    caller: SignedIn,
    Path((id, requirement)): Path<(i64, String)>,
    ApiJson(body): ApiJson<CheckActionRequest>,
) -> Result<Json<SubmissionView>, ApiError> {
    let loaded = visible(&state, &caller, id).await?;
    if !loaded.submission.checks.contains_key(&requirement) {
        return Err(ApiError::not_found(format!(
            "submission {id} has no check `{requirement}`"
        )));
    }
    let side = side_of(&caller)?;
    let action = CheckAction::parse(&body.action)
        .filter(|a| a.side() != Side::System)
        .ok_or_else(|| {
            ApiError::unprocessable(format!(
                "unknown action `{}`; the actions are request-evidence, submit-evidence, \
                 ask-partner, start-configuring, grant-access, test-run, start-soak, pass, \
                 fail, waive",
                body.action
            ))
        })?;
    let expires = time_of(body.expires.as_deref(), "expires")?;
    if action == CheckAction::Waive && expires.is_none() {
        return Err(ApiError::unprocessable("`waive` needs `expires`"));
    }
    let loaded = use_case::act(
        &state.store,
        &state.programs,
        id,
        &Move::Check {
            requirement,
            action,
            expires: if action == CheckAction::Waive {
                expires
            } else {
                None
            },
        },
        side,
        &caller.user().actor(),
        body.reason.as_deref(),
    )
    .await?;
    Ok(Json(view(&state, &loaded).await?))
}

/// `POST /api/v1/submissions/{id}/messages`.
#[utoipa::path(
    post,
    path = "/submissions/{id}/messages",
    operation_id = "postSubmissionMessage",
    tag = "submissions",
    summary = "Add a message to a submission's thread (the app's partner members and staff).",
    description = "A remark that moves nothing: answering a clarification is the `reply` action, which hands the ball back to staff. The thread stays open after a decision (annual reviews speak on it). At most 10,000 characters. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("id" = i64, Path, description = "The submission's id.")),
    request_body = PostMessage,
    responses(
        (status = 201, description = "The submission with its thread.", body = SubmissionView),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn post_message(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<PostMessage>,
) -> Result<(StatusCode, Json<SubmissionView>), ApiError> {
    visible(&state, &caller, id).await?;
    let side = side_of(&caller)?;
    let loaded = use_case::act(
        &state.store,
        &state.programs,
        id,
        &Move::Message { body: body.body },
        side,
        &caller.user().actor(),
        None,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(&state, &loaded).await?)))
}

/// Reads an RFC 3339 time into seconds.
pub(crate) fn time_of(text: Option<&str>, name: &str) -> Result<Option<i64>, ApiError> {
    text.map(|t| {
        use_case::seconds(t)
            .ok_or_else(|| ApiError::unprocessable(format!("`{name}` is not an RFC 3339 time")))
    })
    .transpose()
}

async fn view(state: &AppState, loaded: &Loaded) -> Result<SubmissionView, ApiError> {
    let (row, s) = (&loaded.row, &loaded.submission);
    let app = state.store.app(&row.app_key).await?;
    let slos = crate::routes::signals::slo_report(state, &app).await?.slos;
    let waiting = s.waiting(state.store.clock().now().unix_timestamp());
    Ok(SubmissionView {
        id: row.id,
        app: row.app_key.clone(),
        program: row.program.clone(),
        requirement_set: row.requirement_set.clone(),
        state: spelled(&s.state),
        ball: spelled(&s.ball),
        due: s.due.map(shown),
        opened_at: shown(s.opened_at),
        updated_at: row.updated_at.clone(),
        waiting: WaitingSeconds {
            partner: waiting.partner,
            staff: waiting.staff,
            timer: waiting.timer,
        },
        allowed_actions: s
            .allowed()
            .iter()
            .filter(|a| a.side() != Side::System)
            .map(|a| a.name())
            .collect(),
        checks: s
            .checks
            .values()
            .map(|c| CheckView {
                requirement: c.requirement.clone(),
                state: spelled(&c.state),
                ball: spelled(&c.ball),
                soak_until: c.soak_until.map(shown),
                soaked: c.soaked,
                evidence: s
                    .history
                    .iter()
                    .filter(|t| {
                        t.requirement.as_deref() == Some(c.requirement.as_str())
                            && t.action == CheckAction::SubmitEvidence.name()
                    })
                    .map(|t| EvidenceView {
                        at: shown(t.at),
                        actor: t.actor.clone(),
                        note: t.reason.clone(),
                    })
                    .collect(),
                waiver: c.waiver.as_ref().map(|w| WaiverView {
                    reason: w.reason.clone(),
                    granted_by: w.granted_by.clone(),
                    expires: shown(w.expires),
                }),
                allowed_actions: c
                    .allowed()
                    .iter()
                    .filter(|a| a.side() != Side::System)
                    .map(|a| a.name())
                    .collect(),
            })
            .collect(),
        history: crate::views::history(&s.history),
        messages: s
            .messages
            .iter()
            .map(|m| MessageView {
                at: shown(m.at),
                actor: m.actor.clone(),
                side: spelled(&m.side),
                body: m.body.clone(),
                due: m.due.map(shown),
            })
            .collect(),
        slos,
    })
}
