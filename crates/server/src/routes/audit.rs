//! The audit log, for staff.

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::routes::{next_cursor, page_limit, probe};
use crate::state::AppState;
use apptrust_store::Page;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/v1/audit`: entries after `after`, oldest first.
pub async fn list(
    State(state): State<AppState>,
    caller: SignedIn,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
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
    Ok(axum::Json(json!({"entries": entries, "next": next})))
}
