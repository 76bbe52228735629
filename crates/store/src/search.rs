//! App search: the public directory, filtered by badge, partner, framework and name, paged by key.

use apptrust_programs::Program;
use serde::Serialize;
use sqlx::{Any, Row};

use crate::{Store, StoreError};

/// A search.
#[derive(Clone, Debug, Default)]
pub struct AppSearch {
    /// Only apps that carry this badge (status `APPROVED`).
    pub badge: Option<Program>,
    /// Only this partner's apps.
    pub partner: Option<String>,
    /// Only `forge` or `connect` apps.
    pub framework: Option<String>,
    /// Only apps whose key or name contains this text (case-insensitive).
    pub text: Option<String>,
    /// Only apps whose key sorts after this one (the paging cursor).
    pub after: Option<String>,
    /// At most this many.
    pub limit: i64,
}

/// One hit.
#[derive(Clone, Debug, Serialize)]
pub struct AppSummary {
    #[serde(skip)]
    pub id: i64,
    pub key: String,
    pub name: String,
    pub partner: String,
    pub framework: String,
    /// The programs whose badge the app carries.
    pub badges: Vec<String>,
}

/// A page of hits and the cursor for the next page.
#[derive(Clone, Debug, Serialize)]
pub struct SearchPage {
    pub apps: Vec<AppSummary>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next: Option<String>,
}

impl Store {
    /// Runs a search.
    pub async fn search_apps(&self, search: &AppSearch) -> Result<SearchPage, StoreError> {
        let pattern = search
            .text
            .as_ref()
            .map(|t| format!("%{}%", like_escape(&t.to_lowercase())));
        let rows = sqlx::query::<Any>(
            "SELECT a.id, a.key, a.name, p.key AS partner, a.framework \
             FROM apps a JOIN partners p ON p.id = a.partner_id \
             WHERE ($1 = '' OR EXISTS (SELECT 1 FROM badges b WHERE b.app_id = a.id \
                                       AND b.program = $1 AND b.status = 'APPROVED')) \
               AND ($2 = '' OR p.key = $2) \
               AND ($3 = '' OR a.framework = $3) \
               AND ($4 = '' OR LOWER(a.key) LIKE $4 ESCAPE '\\' OR LOWER(a.name) LIKE $4 ESCAPE '\\') \
               AND a.key > $5 \
             ORDER BY a.key LIMIT $6",
        )
        .bind(search.badge.map_or("", |p| p.key()))
        .bind(search.partner.as_deref().unwrap_or(""))
        .bind(search.framework.as_deref().unwrap_or(""))
        .bind(pattern.as_deref().unwrap_or(""))
        .bind(search.after.as_deref().unwrap_or(""))
        .bind(search.limit + 1)
        .fetch_all(&self.read)
        .await?;
        let mut apps = rows
            .iter()
            .take(usize::try_from(search.limit).unwrap_or(0))
            .map(summary_of)
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let next = (rows.len() > apps.len())
            .then(|| apps.last().map(|a| a.key.clone()))
            .flatten();
        if !apps.is_empty() {
            // One query for the badges of the page's hits, and only theirs: the apps between
            // two hits that the filters left out may be many, and their badges are not read.
            let sql = badges_of_apps_sql(apps.len());
            let mut query = sqlx::query::<Any>(&sql);
            for app in &apps {
                query = query.bind(app.id);
            }
            let badges = query.fetch_all(&self.read).await?;
            for row in &badges {
                let id: i64 = row.try_get("app_id")?;
                if let Some(app) = apps.iter_mut().find(|a| a.id == id) {
                    app.badges.push(row.try_get("program")?);
                }
            }
        }
        Ok(SearchPage { apps, next })
    }
}

impl Store {
    /// Every app with its approved badges, in key order, for a directory kept in memory; `None`
    /// when there are more than `max_apps` (the caller then searches the database).
    pub async fn directory(&self, max_apps: usize) -> Result<Option<Vec<AppSummary>>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT a.id, a.key, a.name, p.key AS partner, a.framework \
             FROM apps a JOIN partners p ON p.id = a.partner_id ORDER BY a.key LIMIT $1",
        )
        .bind(i64::try_from(max_apps).unwrap_or(i64::MAX - 1) + 1)
        .fetch_all(&self.read)
        .await?;
        if rows.len() > max_apps {
            return Ok(None);
        }
        let mut apps = rows
            .iter()
            .map(summary_of)
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        // In byte order whatever the database's collation: the caller pages by comparing keys.
        apps.sort_by(|a, b| a.key.cmp(&b.key));
        let index: std::collections::HashMap<i64, usize> =
            apps.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
        let badges = sqlx::query::<Any>(
            "SELECT app_id, program FROM badges WHERE status = 'APPROVED' ORDER BY program",
        )
        .fetch_all(&self.read)
        .await?;
        for row in &badges {
            let id: i64 = row.try_get("app_id")?;
            if let Some(&i) = index.get(&id) {
                apps[i].badges.push(row.try_get("program")?);
            }
        }
        Ok(Some(apps))
    }
}

/// One app of a search's rows (`id, key, name, partner, framework`), its badges still to read.
fn summary_of(r: &sqlx::any::AnyRow) -> Result<AppSummary, sqlx::Error> {
    Ok(AppSummary {
        id: r.try_get("id")?,
        key: r.try_get("key")?,
        name: r.try_get("name")?,
        partner: r.try_get("partner")?,
        framework: r.try_get("framework")?,
        badges: Vec::new(),
    })
}

/// The badges carried by `count` apps given by id (`$1` to `$count`; a page holds at most 200).
fn badges_of_apps_sql(count: usize) -> String {
    let ids: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    format!(
        "SELECT b.app_id, b.program FROM badges b \
         WHERE b.status = 'APPROVED' AND b.app_id IN ({}) ORDER BY b.program",
        ids.join(", ")
    )
}

/// Escapes `LIKE` wildcards so that `q=a_b` finds the text `a_b`.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_badge_lookup_names_the_hits_and_nothing_between_them() {
        let sql = super::badges_of_apps_sql(3);
        assert!(sql.contains("b.app_id IN ($1, $2, $3)"), "{sql}");
        assert!(!sql.contains(">="), "no key range: {sql}");
        assert!(!sql.contains("$4"));
    }
}
