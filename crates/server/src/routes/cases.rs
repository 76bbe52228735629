//! What the lists of cases (the review calendar, the escalation queue) share: reading the cursor
//! and paging a filter.

use apptrust_service::submissions::seconds;
use apptrust_store::cases::{CaseFilter, CaseRow};

use crate::error::ApiError;
use crate::state::AppState;

/// The previous page's `next` (`sortAt|id`), read.
pub(crate) fn cursor(after: Option<&str>) -> Result<Option<(String, i64)>, ApiError> {
    after
        .map(|cursor| {
            cursor
                .rsplit_once('|')
                .and_then(|(at, id)| Some((at.to_string(), id.parse::<i64>().ok()?)))
                .filter(|(at, _)| seconds(at).is_some())
                .ok_or_else(|| ApiError::bad_request("`after` is the previous page's `next`"))
        })
        .transpose()
}

/// One page of `filter` (whose limit is the page's size) and the cursor of the next, if any.
pub(crate) async fn page(
    state: &AppState,
    mut filter: CaseFilter,
) -> Result<(Vec<CaseRow>, Option<String>), ApiError> {
    let limit = filter.limit;
    filter.limit = limit + 1;
    let mut rows = state.store.cases(&filter).await?;
    let next = (rows.len() as i64 > limit).then(|| {
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        rows.last()
            .map(|r| format!("{}|{}", r.sort_at, r.id))
            .unwrap_or_default()
    });
    Ok((rows, next))
}
