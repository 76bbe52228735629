//! Escalations: staff and customers (site admins) raise them against an app carrying an
//! approval program's badge; staff move them through their stages, the partner completes agreed
//! plans, and the badge changes only after the partner was told.

use apptrust_api::error::ErrorBody;
use apptrust_api::escalations::{
    EscalationActionRequest, EscalationPage, EscalationQuery, EscalationSummary, EscalationView,
    RaiseEscalation,
};
use apptrust_programs::AppKey;
use apptrust_programs::fortified::{Escalation, EscalationAction, Side, Source};
use apptrust_programs::spelled;
use apptrust_service::cases::Loaded;
use apptrust_service::escalations::{self as use_case, Raise, load_escalation};
use apptrust_service::submissions::shown;
use apptrust_store::cases::{CaseFilter, ESCALATION};
use apptrust_store::users::Role;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::routes::cases::{cursor, page};
use crate::routes::page_limit;
use crate::routes::submissions::time_of;
use crate::state::AppState;

/// The escalation, if the caller may see it: staff, the app's partner members, and the site
/// admin who raised it.
async fn visible(
    state: &AppState,
    caller: &SignedIn,
    id: i64,
) -> Result<Loaded<Escalation>, ApiError> {
    let loaded = load_escalation(&state.store, id).await?;
    let user = caller.user();
    let allowed = match user.role {
        Role::Staff => true,
        Role::Partner => caller.for_partner(loaded.row.partner_id).is_ok(),
        Role::SiteAdmin => loaded.case.reporter == Some(user.id),
        Role::Platform => false,
    };
    if !allowed {
        return Err(ApiError::not_found(format!("no escalation {id}")));
    }
    Ok(loaded)
}

/// `POST /api/v1/apps/{app}/escalations`.
#[utoipa::path(
    post,
    path = "/apps/{app}/escalations",
    operation_id = "raiseEscalation",
    tag = "escalations",
    summary = "Raise an escalation against an app carrying an approval program's badge (staff, or a customer's site admin).",
    description = "Staff raise `staff` escalations, site admins `customer` ones (the system raises its own from signals). The app must carry the program's badge (or have it suspended): otherwise 409. The escalation starts in `incident-management`, with the partner. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("app" = String, Path, description = "The app key.", example = "com.example.app")),
    request_body = RaiseEscalation,
    responses(
        (status = 201, description = "The escalation.", body = EscalationView),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 409, description = "`conflict`: the app does not carry the badge, is not installed on the site admin's site, or this site admin already has an open escalation about it.", body = ErrorBody),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn raise(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<RaiseEscalation>,
) -> Result<(StatusCode, Json<EscalationView>), ApiError> {
    let source = match caller.user().role {
        Role::Staff => Source::Staff,
        Role::SiteAdmin => Source::Customer,
        Role::Partner | Role::Platform => {
            return Err(ApiError::forbidden(
                "escalations are raised by staff and by customers' site admins",
            ));
        }
    };
    if AppKey::parse(&key).is_err() {
        return Err(ApiError::not_found("no app with this key"));
    }
    let app = state.store.app(&key).await?;
    let user = caller.user();
    // A customer escalates an app installed on their own site.
    if source == Source::Customer {
        let site = user.site.as_deref().unwrap_or_default();
        if state.store.installation_on(site, app.id).await?.is_none() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "`{}` is not installed on your site `{site}`: customers escalate apps they run",
                    app.key
                ),
            ));
        }
    }
    // A customer is named by their site, not their e-mail address: the partner reads the
    // escalation. One open escalation per site admin and app.
    let (actor, unique_key) = match source {
        Source::Customer => (
            apptrust_store::Actor {
                user_id: Some(user.id),
                label: format!(
                    "site admin of {}",
                    user.site.as_deref().unwrap_or("a customer site")
                ),
            },
            Some(format!("customer:{}", user.id)),
        ),
        _ => (user.actor(), None),
    };
    let loaded = use_case::raise(
        &state.store,
        &state.programs,
        &app,
        &Raise {
            program: &body.program,
            source,
            cause: None,
            unique_key: unique_key.as_deref(),
            reason: &body.reason,
        },
        &actor,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(&loaded))))
}

/// `GET /api/v1/escalations`.
#[utoipa::path(
    get,
    path = "/escalations",
    operation_id = "listEscalations",
    tag = "escalations",
    summary = "Escalations, oldest first: staff see all, partner members their apps'.",
    description = "Site admins follow the escalations they raised by id (`GET /api/v1/escalations/{id}`).",
    params(EscalationQuery),
    responses(
        (status = 200, description = "A page of escalations.", body = EscalationPage),
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
    query: Result<Query<EscalationQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<EscalationPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let user = caller.user();
    let partner_id = match user.role {
        Role::Staff => None,
        Role::Partner => user.partner_id,
        Role::SiteAdmin | Role::Platform => {
            return Err(ApiError::forbidden(
                "the escalation queue is for staff and partners",
            ));
        }
    };
    let filter = CaseFilter {
        kind: ESCALATION.to_string(),
        ball: query.ball,
        program: query.program,
        state: query.state,
        partner_id,
        app_id: None,
        open: query.open.unwrap_or(false),
        from: None,
        to: None,
        after: cursor(query.after.as_deref())?,
        limit: page_limit(query.limit)?,
    };
    let (rows, next) = page(&state, filter).await?;
    Ok(Json(EscalationPage {
        escalations: rows
            .into_iter()
            .map(|r| EscalationSummary {
                id: r.id,
                app: r.app_key,
                program: r.program,
                state: r.state,
                ball: r.ball,
                due: r.due_at,
                opened_at: r.sort_at,
            })
            .collect(),
        next,
    }))
}

/// `GET /api/v1/escalations/{id}`.
#[utoipa::path(
    get,
    path = "/escalations/{id}",
    operation_id = "showEscalation",
    tag = "escalations",
    summary = "One escalation: source, reason, stage, deadlines and history.",
    description = "For staff, the app's partner members and the site admin who raised it; anyone else gets 404.",
    params(("id" = i64, Path, description = "The escalation's id.")),
    responses(
        (status = 200, description = "The escalation.", body = EscalationView),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<EscalationView>, ApiError> {
    Ok(Json(view(&visible(&state, &caller, id).await?)))
}

/// `POST /api/v1/escalations/{id}/actions`.
#[utoipa::path(
    post,
    path = "/escalations/{id}/actions",
    operation_id = "actOnEscalation",
    tag = "escalations",
    summary = "Move an escalation: agree-plan, resolve, exclude, demote, remove (staff); complete-plan (the partner).",
    description = "Every move needs a `reason`; `agree-plan` needs the plan's `due` date. `demote` tells the partner at once and suspends the badge when the notice (7 days) has run; `resolve` after a suspension restores the badge; `remove` removes it (cause `escalation`). `exclude` closes an escalation whose cause does not count (caused by the marketplace, downtime announced in advance). A move not possible now is 409 with the possible ones in `allowed`; another side's move is 403. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("id" = i64, Path, description = "The escalation's id.")),
    request_body = EscalationActionRequest,
    responses(
        (status = 200, description = "The escalation after the move.", body = EscalationView),
        (status = 401, response = r::Unauthorized),
        (status = 403, description = "`forbidden`: another side's move.", body = ErrorBody),
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
    ApiJson(body): ApiJson<EscalationActionRequest>,
) -> Result<Json<EscalationView>, ApiError> {
    visible(&state, &caller, id).await?;
    let side = match caller.user().role {
        Role::Staff => Side::Staff,
        Role::Partner => Side::Partner,
        Role::SiteAdmin | Role::Platform => {
            return Err(ApiError::forbidden(
                "escalations are moved by staff and the app's partner",
            ));
        }
    };
    let action = EscalationAction::parse(&body.action)
        .filter(|a| a.side() != Side::System)
        .ok_or_else(|| {
            ApiError::unprocessable(format!(
                "unknown action `{}`; the actions are agree-plan, complete-plan, resolve, \
                 exclude, demote and remove",
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
    state.trust_cache.forget(&loaded.row.app_key);
    Ok(Json(view(&loaded)))
}

fn view(loaded: &Loaded<Escalation>) -> EscalationView {
    let (row, e) = (&loaded.row, &loaded.case);
    EscalationView {
        id: row.id,
        app: row.app_key.clone(),
        program: row.program.clone(),
        source: spelled(&e.source),
        cause: e.cause.clone(),
        reason: e.reason.clone(),
        opened_at: shown(e.opened_at),
        state: spelled(&e.state),
        ball: spelled(&e.ball),
        plan_due: e.plan_due.map(shown),
        suspends_at: e.suspends_at.map(shown),
        allowed_actions: e
            .allowed()
            .into_iter()
            .filter(|a| a.side() != Side::System)
            .map(EscalationAction::name)
            .collect(),
        history: crate::views::history(&e.history),
    }
}
