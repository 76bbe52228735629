//! Go-to-market list editions: staff publish one a month; anyone reads them, as JSON or CSV.

use apptrust_api::editions::{
    EditionEntry, EditionFormat, EditionList, EditionSummary, EditionView, PreviewQuery,
    PublishEdition,
};
use apptrust_api::error::ErrorBody;
use apptrust_service::editions::{self as use_case, Edition};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::state::AppState;

fn view(edition: Edition) -> EditionView {
    EditionView {
        program: edition.program,
        month: edition.month,
        published_at: edition.published_at,
        published_by: edition.published_by,
        apps: edition
            .entries
            .into_iter()
            .map(|e| EditionEntry {
                app: e.app,
                name: e.name,
                partner: e.partner,
                since: e.since,
                requirement_set: e.requirement_set,
                new: e.new,
            })
            .collect(),
    }
}

/// `POST /api/v1/programs/{program}/editions`.
#[utoipa::path(
    post,
    path = "/programs/{program}/editions",
    operation_id = "publishEdition",
    tag = "programs",
    summary = "Publish the month's go-to-market list edition (staff): the apps carrying the badge now.",
    description = "Once per program and month (409 after): an edition never changes. Apps not on the previous edition are marked `new`; each listed app's partner is told (`edition.published`). The month must have begun. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("program" = String, Path, description = "The program's key.", example = "cloud-fortified")),
    request_body = PublishEdition,
    responses(
        (status = 201, description = "The edition.", body = EditionView),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 409, description = "`conflict`: the month's edition is already published.", body = ErrorBody),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn publish(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(program): Path<String>,
    ApiJson(body): ApiJson<PublishEdition>,
) -> Result<(StatusCode, Json<EditionView>), ApiError> {
    let staff = caller.staff()?;
    let edition = use_case::publish(
        &state.store,
        &state.programs,
        &program,
        &body.month,
        &staff.actor(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(edition))))
}

/// `GET /api/v1/programs/{program}/editions`.
#[utoipa::path(
    get,
    path = "/programs/{program}/editions",
    operation_id = "listEditions",
    tag = "programs",
    summary = "The program's published go-to-market list editions, newest first (public).",
    params(("program" = String, Path, description = "The program's key.", example = "cloud-fortified")),
    responses(
        (status = 200, description = "The editions.", body = EditionList),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(()),
)]
pub async fn list(
    State(state): State<AppState>,
    Path(program): Path<String>,
) -> Result<Json<EditionList>, ApiError> {
    let key = state
        .programs
        .program(&program)
        .map(|p| p.key.clone())
        .ok_or_else(|| ApiError::not_found(format!("no program `{program}`")))?;
    let rows = state.store.editions(&key).await?;
    Ok(Json(EditionList {
        editions: rows
            .into_iter()
            .map(|row| EditionSummary {
                apps: serde_json::from_str::<Vec<serde_json::Value>>(&row.entries)
                    .map_or(0, |e| e.len()),
                month: row.month,
                published_at: row.published_at,
            })
            .collect(),
    }))
}

/// `GET /api/v1/programs/{program}/editions/preview`.
#[utoipa::path(
    get,
    path = "/programs/{program}/editions/preview",
    operation_id = "previewEdition",
    tag = "programs",
    summary = "What the month's edition would hold if published now (staff).",
    params(
        ("program" = String, Path, description = "The program's key.", example = "cloud-fortified"),
        PreviewQuery,
    ),
    responses(
        (status = 200, description = "The preview (no `publishedAt`).", body = EditionView),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn preview(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(program): Path<String>,
    query: Result<Query<PreviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<EditionView>, ApiError> {
    caller.staff()?;
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let month = query
        .month
        .unwrap_or_else(|| state.store.today()[..7].to_string());
    let edition = use_case::preview(&state.store, &state.programs, &program, &month).await?;
    Ok(Json(view(edition)))
}

/// `GET /api/v1/programs/{program}/editions/{month}`.
#[utoipa::path(
    get,
    path = "/programs/{program}/editions/{month}",
    operation_id = "showEdition",
    tag = "programs",
    summary = "One published edition, as JSON or (`?format=csv`) CSV (public).",
    description = "The CSV has a header line (`app,name,partner,since,requirementSet,new`) and one line per app, RFC 4180 quoting, CRLF line ends.",
    params(
        ("program" = String, Path, description = "The program's key.", example = "cloud-fortified"),
        ("month" = String, Path, description = "`YYYY-MM`.", example = "2027-01"),
        EditionFormat,
    ),
    responses(
        (status = 200, description = "The edition.", content(
            (EditionView = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, response = r::BadRequest),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(()),
)]
pub async fn show(
    State(state): State<AppState>,
    Path((program, month)): Path<(String, String)>,
    query: Result<Query<EditionFormat>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let edition = use_case::read(&state.store, &state.programs, &program, &month).await?;
    match query.format.as_deref() {
        None | Some("json") => Ok(Json(view(edition)).into_response()),
        Some("csv") => {
            let name = format!(
                "attachment; filename=\"{}-{}.csv\"",
                edition.program, edition.month
            );
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                use_case::csv(&edition),
            )
                .into_response())
        }
        Some(other) => Err(ApiError::unprocessable(format!(
            "`format` is `json` or `csv`, not `{other}`"
        ))),
    }
}
