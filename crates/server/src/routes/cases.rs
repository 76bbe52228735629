//! What the keyset-paged lists (the submission queue, the review calendar, the escalation queue)
//! share: reading the cursor (`time|id`) and cutting a page with the cursor of the next.

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
    let next = cut(&mut rows, limit, |r| (r.sort_at.as_str(), r.id));
    Ok((rows, next))
}

/// Cuts `rows` (read with one more than `limit`) to the page, and returns the next page's
/// cursor from its last row's `(time, id)`, or `None` on the last page.
pub(crate) fn cut<T>(
    rows: &mut Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> (&str, i64),
) -> Option<String> {
    if rows.len() as i64 <= limit {
        return None;
    }
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Some(
        rows.last()
            .map(|r| {
                let (at, id) = key(r);
                format!("{at}|{id}")
            })
            .unwrap_or_default(),
    )
}
