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
mod trust;
mod users;
mod versions;

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
    let api = Router::new()
        .route(
            "/session",
            post(session::create)
                .get(session::show)
                .delete(session::end),
        )
        .route("/me", get(users::me))
        .route(
            "/me/tokens",
            post(users::create_token).get(users::list_tokens),
        )
        .route("/me/tokens/{id}", delete(users::revoke_token))
        .route("/users", post(users::create))
        .route("/partners", get(partners::list).post(partners::create))
        .route("/partners/{partner}", get(partners::show))
        .route("/apps", get(apps::search).post(apps::create))
        .route("/apps/{app}", get(apps::show))
        .route("/apps/{app}/trust", get(trust::show))
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
            post(deployments::create).get(versions::list),
        )
        .route("/audit", get(audit::list));
    Router::new()
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
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes))
        .layer(middleware::from_fn(refuse_nul_in_uri))
        .with_state(state)
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
