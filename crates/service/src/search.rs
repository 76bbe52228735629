//! The app directory's search, as the API and the pages ask it: filters by any program's badge
//! (one badge model for every program), partner, framework and text, paged by key. The query is
//! checked here, once for every caller, and run by the store's one query.

use apptrust_api::apps::SearchQuery;
use apptrust_programs::Program;
use apptrust_store::search::{AppSearch, AppSummary, SearchPage};
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
    let search = checked(query, limit, max_text_chars)?;
    Ok(store.search_apps(&search).await?)
}

/// Every app in key order (as `Store::directory` reads them) with their keys and names
/// case-folded once, for searching in memory.
pub struct Directory {
    apps: Vec<AppSummary>,
    folded: Vec<(String, String)>,
}

impl Directory {
    /// Folds the apps' keys and names.
    pub fn new(apps: Vec<AppSummary>) -> Directory {
        let folded = apps
            .iter()
            .map(|a| (a.key.to_lowercase(), a.name.to_lowercase()))
            .collect();
        Directory { apps, folded }
    }

    /// How many apps it holds.
    pub fn len(&self) -> usize {
        self.apps.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.apps.is_empty()
    }

    /// Runs a search in memory instead of the database: the same filters and cursor, keys in
    /// byte order, the text matched in the key or the name with Unicode case folding (wider
    /// than SQLite's `LOWER`, which folds ASCII letters only).
    pub fn search(
        &self,
        query: SearchQuery,
        limit: i64,
        max_text_chars: usize,
    ) -> Result<SearchPage, SearchError> {
        let search = checked(query, limit, max_text_chars)?;
        let text = search.text.as_ref().map(|t| t.to_lowercase());
        let badge = search.badge.map(|p| p.key());
        let after = search.after.as_deref().unwrap_or("");
        let start = self.apps.partition_point(|a| a.key.as_str() <= after);
        let limit = usize::try_from(search.limit).unwrap_or(0);
        let mut hits = (start..self.apps.len()).filter(|&i| {
            let a = &self.apps[i];
            badge.is_none_or(|b| a.badges.iter().any(|x| x == b))
                && search
                    .partner
                    .as_ref()
                    .is_none_or(|p| p.is_empty() || &a.partner == p)
                && search
                    .framework
                    .as_ref()
                    .is_none_or(|f| f.is_empty() || &a.framework == f)
                && text.as_ref().is_none_or(|t| {
                    let (key, name) = &self.folded[i];
                    key.contains(t.as_str()) || name.contains(t.as_str())
                })
        });
        let apps: Vec<AppSummary> = hits
            .by_ref()
            .take(limit)
            .map(|i| self.apps[i].clone())
            .collect();
        let next = hits.next().and_then(|_| apps.last().map(|a| a.key.clone()));
        Ok(SearchPage { apps, next })
    }
}

/// The query checked and read as the store's search.
fn checked(
    query: SearchQuery,
    limit: i64,
    max_text_chars: usize,
) -> Result<AppSearch, SearchError> {
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
    Ok(AppSearch {
        badge,
        partner: query.partner,
        framework: query.framework,
        text: query.q.filter(|q| !q.is_empty()),
        after: query.after,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(key: &str, name: &str, partner: &str, badges: &[&str]) -> AppSummary {
        AppSummary {
            id: 0,
            key: key.into(),
            name: name.into(),
            partner: partner.into(),
            framework: "forge".into(),
            badges: badges.iter().map(|b| b.to_string()).collect(),
        }
    }

    fn keys(page: &SearchPage) -> Vec<&str> {
        page.apps.iter().map(|a| a.key.as_str()).collect()
    }

    #[test]
    fn the_directory_in_memory_filters_pages_and_folds_case() {
        let directory = Directory::new(vec![
            app(
                "a.one",
                "Issue Insights",
                "acme",
                &["runsOnAtlassian", "cloudFortified"],
            ),
            app("a.two", "Board Sync", "acme", &[]),
            app("b.four_x", "Plain", "globex", &["runsOnAtlassian"]),
            app("b.three", "ÉCLAIR Reports", "globex", &["runsOnAtlassian"]),
        ]);
        let q = |q: &str| SearchQuery {
            q: Some(q.into()),
            ..SearchQuery::default()
        };
        assert_eq!(
            keys(&directory.search(q("insights"), 50, 200).unwrap()),
            ["a.one"]
        );
        assert_eq!(
            keys(&directory.search(q("éclair"), 50, 200).unwrap()),
            ["b.three"]
        );
        // `_` is a letter here, not a wildcard.
        assert_eq!(
            keys(&directory.search(q("four_"), 50, 200).unwrap()),
            ["b.four_x"]
        );
        assert!(
            directory
                .search(q("four%"), 50, 200)
                .unwrap()
                .apps
                .is_empty()
        );
        let roa = SearchQuery {
            badge: Some("runsOnAtlassian".into()),
            ..SearchQuery::default()
        };
        let first = directory.search(roa.clone(), 2, 200).unwrap();
        assert_eq!(keys(&first), ["a.one", "b.four_x"]);
        assert_eq!(first.next.as_deref(), Some("b.four_x"));
        let rest = directory
            .search(
                SearchQuery {
                    after: first.next.clone(),
                    ..roa
                },
                2,
                200,
            )
            .unwrap();
        assert_eq!(keys(&rest), ["b.three"]);
        assert_eq!(rest.next, None);
        let globex = SearchQuery {
            partner: Some("globex".into()),
            ..SearchQuery::default()
        };
        assert_eq!(
            keys(&directory.search(globex, 50, 200).unwrap()),
            ["b.four_x", "b.three"]
        );
        assert!(matches!(
            directory.search(
                SearchQuery {
                    badge: Some("nope".into()),
                    ..SearchQuery::default()
                },
                5,
                200
            ),
            Err(SearchError::Invalid(_))
        ));
    }
}
