//! The audit log, for staff.

use apptrust_api::audit::AuditPage;
use apptrust_api::paging::PageQuery;
use axum::extract::{Query, State};

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::openapi::responses as r;
use crate::routes::{next_cursor, page_limit, probe};
use crate::state::AppState;
use crate::views;
use apptrust_store::Page;

/// `GET /api/v1/audit`: entries after `after`, oldest first.
#[utoipa::path(
    get,
    path = "/audit",
    operation_id = "listAudit",
    tag = "audit",
    summary = "The append-only audit log, oldest first (staff only).",
    description = "Unknown or mistyped query parameters are a 400.",
    params(
        PageQuery,
    ),
    responses(
        (status = 200, description = "Entries.", body = AuditPage),
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
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<AuditPage>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    caller.staff()?;
    let page = Page {
        after: query.after.unwrap_or(0),
        limit: page_limit(query.limit)?,
    };
    // One more than asked tells whether another page follows: no cursor on the last page.
    let probe = probe(page);
    let mut entries = state.store.audit_entries(probe.after, probe.limit).await?;
    let next = next_cursor(&mut entries, page, |e| e.id);
    Ok(axum::Json(AuditPage {
        entries: entries.into_iter().map(views::audit_entry).collect(),
        next,
    }))
}
