//! The routes, grouped by resource.

pub(crate) mod apps;
pub(crate) mod audit;
mod cases;
mod deployments;
pub(crate) mod editions;
pub(crate) mod environments;
pub(crate) mod escalations;
mod health;
pub(crate) mod installations;
mod openapi;
mod partners;
pub(crate) mod programs;
pub(crate) mod reviews;
pub(crate) mod session;
pub(crate) mod signals;
pub(crate) mod sites;
pub(crate) mod submissions;
mod test_clock;
pub(crate) mod trust;
mod users;
pub(crate) mod versions;
pub(crate) mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub(crate) use apptrust_api::paging::PageQuery;

use crate::error::ApiError;
use crate::metrics;
use crate::settings::Settings;
use crate::state::AppState;

/// The whole application.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    // Built now, so that the first reader of the document does not wait for it.
    std::sync::LazyLock::force(&crate::openapi::DOCUMENT);
    let (app, _) = operations(&settings, settings.test_clock).split_for_parts();
    let app = crate::web::with_pages(app)
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

/// Every route with its operation, the test clock's included: what the OpenAPI document
/// describes, whatever this server's settings.
pub(crate) fn documented() -> OpenApiRouter<AppState> {
    operations(&Settings::default(), true)
}

/// The routes, each registered through `routes!` with the `#[utoipa::path]` operation of its
/// handler: a route cannot exist without its documentation (a test also keeps plain `.route`
/// calls out of this file). Body limits of their own sit on the routes that need them.
fn operations(settings: &Settings, test_clock: bool) -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .routes(
            routes!(session::create).layer(DefaultBodyLimit::max(settings.max_sign_in_body_bytes)),
        )
        .routes(routes!(session::show, session::end))
        .routes(routes!(users::me))
        .routes(routes!(users::create_token, users::list_tokens))
        .routes(routes!(users::revoke_token))
        .routes(routes!(users::list_sessions))
        .routes(routes!(users::end_session))
        .routes(routes!(webhooks::settings, webhooks::update_settings))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::show, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::delivery))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(webhooks::notification_deliveries))
        .routes(routes!(users::create, users::list))
        .routes(routes!(users::show))
        .routes(routes!(
            users::user_tokens,
            users::issue_user_token,
            users::revoke_user_tokens
        ))
        .routes(routes!(users::disable))
        .routes(routes!(users::enable))
        .routes(routes!(partners::list, partners::create))
        .routes(routes!(partners::show, partners::update))
        .routes(routes!(apps::search, apps::create))
        .routes(routes!(submissions::open))
        .routes(routes!(submissions::list))
        .routes(routes!(submissions::show))
        .routes(routes!(submissions::act))
        .routes(routes!(submissions::act_on_check))
        .routes(routes!(submissions::post_message))
        .routes(routes!(reviews::list))
        .routes(routes!(reviews::show))
        .routes(routes!(reviews::act))
        .routes(routes!(programs::dry_run))
        .routes(routes!(editions::publish, editions::list))
        .routes(routes!(editions::preview))
        .routes(routes!(editions::show))
        .routes(routes!(escalations::raise))
        .routes(routes!(escalations::list))
        .routes(routes!(escalations::show))
        .routes(routes!(escalations::act))
        .routes(
            routes!(signals::ingest).layer(DefaultBodyLimit::max(settings.max_signals_body_bytes)),
        )
        .routes(routes!(signals::slos))
        .routes(routes!(signals::announce_downtime))
        .routes(routes!(signals::exclude))
        .routes(routes!(
            signals::record_vulnerability,
            signals::list_vulnerabilities
        ))
        .routes(routes!(signals::set_bug_bounty, signals::show_bug_bounty))
        .routes(routes!(programs::list))
        .routes(routes!(programs::show))
        .routes(routes!(apps::show))
        .routes(routes!(apps::set_forge_app_id))
        .routes(routes!(trust::show))
        .routes(routes!(apps::notifications))
        .routes(routes!(environments::list, environments::create))
        .routes(routes!(versions::list))
        .routes(routes!(versions::show))
        .routes(routes!(deployments::create).layer(DefaultBodyLimit::max(settings.max_body_bytes)))
        .routes(routes!(versions::list_deployments))
        .routes(routes!(audit::list))
        .routes(routes!(sites::list, sites::create))
        .routes(routes!(sites::show))
        .routes(routes!(sites::update_policy))
        .routes(routes!(sites::installations, sites::install))
        .routes(routes!(sites::notifications))
        .routes(routes!(
            installations::show,
            installations::update,
            installations::uninstall
        ))
        .routes(routes!(installations::egress))
        .routes(routes!(installations::decide))
        .routes(routes!(
            installations::show_consent,
            installations::give_consent
        ))
        .routes(routes!(installations::decline))
        .routes(routes!(installations::logs_access))
        .routes(routes!(installations::counts));
    // Without `--test-clock` the route does not exist at all: 404 to everyone, before any
    // sign-in or body check could tell it apart from a missing route.
    let api = if test_clock {
        api.routes(routes!(test_clock::show, test_clock::update))
    } else {
        api
    };
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .routes(routes!(openapi::document))
        .nest("/api/v1", api)
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

/// Reads `?after=&limit=` of a list ordered by id, with the API's errors.
pub(crate) fn page(
    query: Result<axum::extract::Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<apptrust_store::Page, ApiError> {
    let axum::extract::Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    Ok(apptrust_store::Page {
        after: query.after.unwrap_or(0),
        limit: page_limit(query.limit)?,
    })
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

    #[test]
    fn every_route_is_registered_with_its_operation() {
        // `routes!` registers a handler with its `#[utoipa::path]` operation; a plain `.route`
        // (or a nested service) would serve a route the OpenAPI document does not describe.
        let source = include_str!("mod.rs");
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        for plain in [".route(", ".route_service(", ".nest_service(", ".merge("] {
            assert!(
                !code.contains(plain),
                "`{plain}` in routes/mod.rs: register routes with `.routes(routes!(...))`"
            );
        }
    }
}
