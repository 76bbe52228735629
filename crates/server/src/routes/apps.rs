//! Apps: the public search, creation and the owner's view.

use apptrust_programs::{AppKey, ForgeAppId, Program};
use apptrust_store::apps::NewApp;
use apptrust_store::search::AppSearch;
use apptrust_store::users::Role;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::page_limit;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    badge: Option<String>,
    partner: Option<String>,
    framework: Option<String>,
    q: Option<String>,
    after: Option<String>,
    limit: Option<i64>,
}

/// `GET /api/v1/apps`: public search. `badge` filters by any program key.
pub async fn search(
    State(state): State<AppState>,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let badge = query
        .badge
        .as_deref()
        .map(|b| {
            Program::from_key(b).ok_or_else(|| {
                let keys: Vec<_> = Program::ALL.iter().map(|p| p.key()).collect();
                ApiError::unprocessable(format!(
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
        return Err(ApiError::unprocessable(
            "`framework` must be `forge` or `connect`",
        ));
    }
    let max = state.settings.max_search_chars;
    if let Some(q) = &query.q
        && q.chars().count() > max
    {
        return Err(ApiError::bad_request(format!(
            "`q` is longer than {max} characters (`max-search-chars`)"
        )));
    }
    for (name, value) in [("partner", &query.partner), ("after", &query.after)] {
        if value.as_ref().is_some_and(|v| v.len() > 500) {
            return Err(ApiError::bad_request(format!("`{name}` is too long")));
        }
    }
    let search = AppSearch {
        badge,
        partner: query.partner,
        framework: query.framework,
        text: query.q.filter(|q| !q.is_empty()),
        after: query.after,
        limit: page_limit(query.limit)?,
    };
    Ok(axum::Json(state.store.search_apps(&search).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApp {
    key: String,
    name: String,
    /// Defaults to the caller's partner for partner members.
    partner: Option<String>,
    framework: Option<String>,
    /// The Forge app id its manifests name; unset: taken from the first deploy.
    #[serde(rename = "forgeAppId")]
    forge_app_id: Option<String>,
}

/// `POST /api/v1/apps`: staff for any partner, partner members for their own.
pub async fn create(
    State(state): State<AppState>,
    caller: SignedIn,
    ApiJson(body): ApiJson<CreateApp>,
) -> Result<impl IntoResponse, ApiError> {
    let user = caller.user();
    let key = AppKey::parse(&body.key)?;
    let partner = match (user.role, body.partner) {
        (Role::Staff, Some(p)) => p,
        (Role::Staff, None) => {
            return Err(ApiError::unprocessable(
                "staff must name the app's `partner`",
            ));
        }
        (Role::Partner, requested) => {
            let own = user.partner.clone().unwrap_or_default();
            if requested.is_some_and(|p| p != own) {
                return Err(ApiError::forbidden(
                    "partner members create apps for their own partner only",
                ));
            }
            own
        }
        (Role::SiteAdmin | Role::Platform, _) => {
            return Err(ApiError::forbidden(
                "only partner members and staff create apps",
            ));
        }
    };
    let forge_app_id = body
        .forge_app_id
        .as_deref()
        .map(ForgeAppId::parse)
        .transpose()
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let new = NewApp {
        key,
        name: body.name,
        partner,
        framework: body.framework.unwrap_or_else(|| "forge".to_string()),
        forge_app_id,
    };
    let app = state.store.create_app(&new, &user.actor()).await?;
    state.trust_cache.forget(&app.key);
    let environments = state
        .store
        .environments(&app, all_environments(&state))
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"app": app, "environments": environments})),
    ))
}

/// `GET /api/v1/apps/{app}`: the app and its environments, for its partner and staff.
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let app = caller.app(&state, &key).await?;
    let environments = state
        .store
        .environments(&app, all_environments(&state))
        .await?;
    Ok(axum::Json(
        json!({"app": app, "environments": environments}),
    ))
}

/// Every environment of an app: there are at most `max-environments-per-app`.
fn all_environments(state: &AppState) -> apptrust_store::Page {
    apptrust_store::Page {
        after: 0,
        limit: state.settings.max_environments_per_app.max(1),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/v1/apps/{app}/notifications`: what the app's owners were told (badge gained or
/// lost, a version that needs consent, a refused deploy), oldest first.
pub async fn notifications(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    query: Result<Query<NotificationsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let app = caller.app(&state, &key).await?;
    let page = apptrust_store::Page {
        after: query.after.unwrap_or(0),
        limit: crate::routes::page_limit(query.limit)?,
    };
    // One more than asked tells whether another page follows: no cursor on the last page.
    let probe = crate::routes::probe(page);
    let mut notifications = state
        .store
        .notifications(&app, probe.after, probe.limit)
        .await?;
    let next = crate::routes::next_cursor(&mut notifications, page, |n| n.id);
    Ok(axum::Json(
        json!({"notifications": notifications, "next": next}),
    ))
}
