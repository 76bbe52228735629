//! The routes, grouped by resource.

mod apps;
mod audit;
mod deployments;
mod environments;
mod health;
mod openapi;
mod pages;
mod partners;
mod session;
mod test_clock;
mod trust;
mod users;
mod versions;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{delete, get, post};

use crate::error::ApiError;
use crate::metrics;
use crate::state::AppState;

/// The whole application.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let api = Router::new()
        .route(
            "/session",
            post(session::create)
                .layer(DefaultBodyLimit::max(settings.max_sign_in_body_bytes))
                .get(session::show)
                .delete(session::end),
        )
        .route("/me", get(users::me))
        .route(
            "/me/tokens",
            post(users::create_token).get(users::list_tokens),
        )
        .route("/me/tokens/{id}", delete(users::revoke_token))
        .route("/me/sessions", get(users::list_sessions))
        .route("/me/sessions/{id}", delete(users::end_session))
        .route(
            "/me/notification-settings",
            get(webhooks::settings).put(webhooks::update_settings),
        )
        .route("/webhooks", post(webhooks::create).get(webhooks::list))
        .route(
            "/webhooks/{id}",
            get(webhooks::show).delete(webhooks::delete),
        )
        .route(
            "/webhooks/{id}/rotate-secret",
            post(webhooks::rotate_secret),
        )
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/deliveries/{id}", get(webhooks::delivery))
        .route("/deliveries/{id}/redeliver", post(webhooks::redeliver))
        .route(
            "/notifications/{id}/deliveries",
            get(webhooks::notification_deliveries),
        )
        .route("/users", post(users::create).get(users::list))
        .route("/users/{id}", get(users::show))
        .route(
            "/users/{id}/tokens",
            get(users::user_tokens)
                .post(users::issue_user_token)
                .delete(users::revoke_user_tokens),
        )
        .route("/users/{id}/disable", post(users::disable))
        .route("/users/{id}/enable", post(users::enable))
        .route("/partners", get(partners::list).post(partners::create))
        .route("/partners/{partner}", get(partners::show))
        .route("/apps", get(apps::search).post(apps::create))
        .route("/apps/{app}", get(apps::show))
        .route("/apps/{app}/trust", get(trust::show))
        .route("/apps/{app}/notifications", get(apps::notifications))
        .route(
            "/apps/{app}/environments",
            get(environments::list).post(environments::create),
        )
        .route(
            "/apps/{app}/environments/{env}/versions",
            get(versions::list),
        )
        .route(
            "/apps/{app}/environments/{env}/versions/{version}",
            get(versions::show),
        )
        .route(
            "/apps/{app}/environments/{env}/deployments",
            post(deployments::create)
                .layer(DefaultBodyLimit::max(settings.max_body_bytes))
                .get(versions::list),
        )
        .route("/audit", get(audit::list));
    // Without `--test-clock` the route does not exist at all: 404 to everyone, before any
    // sign-in or body check could tell it apart from a missing route.
    let api = if settings.test_clock {
        api.route(
            "/test/clock",
            get(test_clock::show).post(test_clock::update),
        )
    } else {
        api
    };
    let app = Router::new()
        .route("/", get(pages::index))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/api/openapi.json", get(openapi::document))
        .nest("/api/v1", api)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "no such route; see /api/openapi.json",
            )
        })
        .layer(DefaultBodyLimit::max(settings.max_json_body_bytes))
        .layer(middleware::from_fn(refuse_nul_in_uri))
        .with_state(state);
    // Outside the whole router, so that it sees the answers the router completes itself (the
    // `Allow` header of a 405).
    Router::new()
        .fallback_service(app)
        .layer(middleware::from_fn(crate::headers::finish))
}

/// Refuses a URI that encodes a NUL (`%00`) anywhere: no key, name or search needs one, and
/// PostgreSQL cannot take one as text.
async fn refuse_nul_in_uri(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let uri = request.uri().to_string();
    if uri
        .as_bytes()
        .windows(3)
        .any(|w| w.eq_ignore_ascii_case(b"%00"))
    {
        return axum::response::IntoResponse::into_response(ApiError::bad_request(
            "the address must not contain NUL characters (%00)",
        ));
    }
    next.run(request).await
}

/// `?after=&limit=` of a list ordered by id.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

impl PageQuery {
    /// Reads the query, with the API's errors.
    pub(crate) fn parse(
        query: Result<axum::extract::Query<PageQuery>, axum::extract::rejection::QueryRejection>,
    ) -> Result<apptrust_store::Page, ApiError> {
        let axum::extract::Query(query) =
            query.map_err(|e| ApiError::bad_request(e.body_text()))?;
        Ok(apptrust_store::Page {
            after: query.after.unwrap_or(0),
            limit: page_limit(query.limit)?,
        })
    }
}

/// What to ask the store for to serve `page`: one item more than the page holds, which tells
/// whether another page follows.
pub(crate) fn probe(page: apptrust_store::Page) -> apptrust_store::Page {
    apptrust_store::Page {
        limit: page.limit + 1,
        ..page
    }
}

/// Trims items fetched with [`probe`] to the page and returns the `next` cursor: the last id
/// kept when more items follow, `None` on the last page (even a full one).
pub(crate) fn next_cursor<T>(
    items: &mut Vec<T>,
    page: apptrust_store::Page,
    id: impl Fn(&T) -> i64,
) -> Option<i64> {
    let size = usize::try_from(page.limit).unwrap_or(usize::MAX);
    if items.len() <= size {
        return None;
    }
    items.truncate(size);
    items.last().map(id)
}

/// Paging bounds shared by list routes.
pub(crate) fn page_limit(requested: Option<i64>) -> Result<i64, ApiError> {
    match requested {
        None => Ok(50),
        Some(n) if (1..=200).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::unprocessable(format!(
            "`limit` must be between 1 and 200, not {n}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::{next_cursor, probe};
    use apptrust_store::Page;

    #[test]
    fn the_next_cursor_is_none_on_the_last_page_even_a_full_one() {
        let page = Page { after: 0, limit: 3 };
        assert_eq!(probe(page).limit, 4);
        let mut full_and_more = vec![1, 2, 3, 4];
        assert_eq!(next_cursor(&mut full_and_more, page, |n| *n), Some(3));
        assert_eq!(full_and_more, [1, 2, 3]);
        let mut exactly_full = vec![1, 2, 3];
        assert_eq!(next_cursor(&mut exactly_full, page, |n| *n), None);
        let mut short = vec![1];
        assert_eq!(next_cursor(&mut short, page, |n| *n), None);
        let mut empty: Vec<i64> = Vec::new();
        assert_eq!(next_cursor(&mut empty, page, |n| *n), None);
    }
}
