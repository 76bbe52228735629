//! The public trust read: no authentication, served from a short-lived in-memory copy.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use apptrust_api::trust::TrustDocument;
use apptrust_programs::AppKey;

use crate::error::ApiError;
use crate::openapi::responses as r;
use crate::state::AppState;
use crate::trust_cache::Lookup;

/// `GET /api/v1/apps/{app}/trust`.
#[utoipa::path(
    get,
    path = "/apps/{app}/trust",
    operation_id = "trustDocument",
    tag = "apps",
    summary = "The public trust document: which badges the app carries and why.",
    description = "No authentication; credentials are ignored. May be served from a short-lived in-memory copy (`trust-cache-ms`).",
    params(
        ("app" = String, Path, description = "The app key.", example = "com.example.app"),
    ),
    responses(
        (status = 200, description = "The trust document.", body = TrustDocument),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(()),
)]
pub async fn show(
    State(state): State<AppState>,
    Path(app): Path<String>,
) -> Result<Response, ApiError> {
    match document_bytes(&state, &app).await? {
        Some(body) => Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response()),
        None => Err(ApiError::not_found(format!("no app with key `{app}`"))),
    }
}

/// The app's trust document as JSON, from the short-lived copy when there is one (the API's
/// read and the trust page alike); `None` when there is no such app.
pub(crate) async fn document_bytes(state: &AppState, app: &str) -> Result<Option<Bytes>, ApiError> {
    // Only well-formed keys reach the cache and the database: anything else cannot name an app,
    // and caching it would let anyone fill memory with junk keys.
    if AppKey::parse(app).is_err() {
        return Err(ApiError::not_found(format!(
            "no app with key `{}`",
            app.chars().take(80).collect::<String>()
        )));
    }
    Ok(match state.trust_cache.get(app) {
        Lookup::Miss if !state.trust_cache.enabled() => load(state, app).await?,
        Lookup::Miss => {
            let gate = state.trust_cache.gate(app);
            let loaded = {
                let _held = gate.lock().await;
                match state.trust_cache.get(app) {
                    Lookup::Miss => load(state, app).await,
                    other => Ok(serve(state, app, other)),
                }
            };
            state.trust_cache.release_gate(app, &gate);
            loaded?
        }
        other => serve(state, app, other),
    })
}

/// Reads the document from the database and caches it.
async fn load(state: &AppState, app: &str) -> Result<Option<Bytes>, ApiError> {
    let epoch = state.trust_cache.epoch(app);
    let document = apptrust_service::trust::document(&state.store, app).await?;
    let cached = document
        .map(|d| serde_json::to_vec(&d).map(Bytes::from))
        .transpose()
        .map_err(|_| ApiError::internal())?;
    state.trust_cache.put(app, cached.clone(), epoch);
    Ok(cached)
}

/// Serves a cached entry, starting a background refresh when this caller was picked for it.
fn serve(state: &AppState, app: &str, lookup: Lookup) -> Option<Bytes> {
    match lookup {
        Lookup::Fresh(cached) => cached,
        Lookup::Refresh(cached) => {
            let refresh = state.clone();
            let key = app.to_string();
            tokio::spawn(async move {
                if load(&refresh, &key).await.is_err() {
                    // Never serve a stale copy indefinitely: the next reader asks the database.
                    refresh.trust_cache.forget(&key);
                }
            });
            cached
        }
        Lookup::Miss => None,
    }
}
