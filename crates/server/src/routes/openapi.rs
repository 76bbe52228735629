//! The OpenAPI 3.1 description of the API, generated from the routes and the API types (see
//! `crate::openapi`), served as built once.

use axum::http::header;
use axum::response::IntoResponse;

/// `GET /api/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi",
    tag = "service",
    summary = "This document.",
    responses(
        (status = 200, description = "The OpenAPI document.", body = Object),
    ),
    security(()),
)]
pub async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::DOCUMENT.clone(),
    )
}
