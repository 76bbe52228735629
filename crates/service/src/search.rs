//! The app directory's search, as the API and the pages ask it: filters by any program's badge
//! (one badge model for every program), partner, framework and text, paged by key. The query is
//! checked here, once for every caller, and run by the store's one query.

use apptrust_api::apps::SearchQuery;
use apptrust_programs::Program;
use apptrust_store::search::{AppSearch, SearchPage};
use apptrust_store::{Store, StoreError};

/// The longest `partner` or `after` a search takes (keys are far shorter).
const MAX_KEY_CHARS: usize = 500;

/// Why a search was refused.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is malformed (too long): a `400`.
    #[error("{0}")]
    Malformed(String),
    /// The query names something that does not exist (a badge, a framework): a `422`.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs a search for `limit` hits at most; `max_text_chars` bounds `q` (`max-search-chars`).
pub async fn search_apps(
    store: &Store,
    query: SearchQuery,
    limit: i64,
    max_text_chars: usize,
) -> Result<SearchPage, SearchError> {
    let badge = query
        .badge
        .as_deref()
        .map(|b| {
            Program::from_key(b).ok_or_else(|| {
                let keys: Vec<_> = Program::ALL.iter().map(|p| p.key()).collect();
                SearchError::Invalid(format!(
                    "unknown badge `{b}`; use one of {}",
                    keys.join(", ")
                ))
            })
        })
        .transpose()?;
    if query
        .framework
        .as_deref()
        .is_some_and(|f| !["forge", "connect"].contains(&f))
    {
        return Err(SearchError::Invalid(
            "`framework` must be `forge` or `connect`".to_string(),
        ));
    }
    if let Some(q) = &query.q
        && q.chars().count() > max_text_chars
    {
        return Err(SearchError::Malformed(format!(
            "`q` is longer than {max_text_chars} characters (`max-search-chars`)"
        )));
    }
    for (name, value) in [("partner", &query.partner), ("after", &query.after)] {
        if value.as_ref().is_some_and(|v| v.len() > MAX_KEY_CHARS) {
            return Err(SearchError::Malformed(format!("`{name}` is too long")));
        }
    }
    let search = AppSearch {
        badge,
        partner: query.partner,
        framework: query.framework,
        text: query.q.filter(|q| !q.is_empty()),
        after: query.after,
        limit,
    };
    Ok(store.search_apps(&search).await?)
}
