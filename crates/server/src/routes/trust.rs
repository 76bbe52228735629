//! The public trust read: no authentication, served from a short-lived in-memory copy.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use apptrust_programs::AppKey;

use crate::error::ApiError;
use crate::state::AppState;
use crate::trust_cache::Lookup;

/// `GET /api/v1/apps/{app}/trust`.
pub async fn show(
    State(state): State<AppState>,
    Path(app): Path<String>,
) -> Result<Response, ApiError> {
    // Only well-formed keys reach the cache and the database: anything else cannot name an app,
    // and caching it would let anyone fill memory with junk keys.
    if AppKey::parse(&app).is_err() {
        return Err(ApiError::not_found(format!(
            "no app with key `{}`",
            app.chars().take(80).collect::<String>()
        )));
    }
    let cached = match state.trust_cache.get(&app) {
        Lookup::Fresh(cached) => cached,
        Lookup::Refresh(cached) => {
            let refresh = state.clone();
            let key = app.clone();
            tokio::spawn(async move {
                match refresh.store.trust_document(&key).await {
                    Ok(document) => refresh
                        .trust_cache
                        .put(&key, document.map(|d| Bytes::from(d.to_string()))),
                    // Never serve a stale copy indefinitely: the next reader asks the database.
                    Err(_) => refresh.trust_cache.forget(&key),
                }
            });
            cached
        }
        Lookup::Miss => {
            let document = state.store.trust_document(&app).await?;
            let cached = document.map(|d| Bytes::from(d.to_string()));
            state.trust_cache.put(&app, cached.clone());
            cached
        }
    };
    match cached {
        Some(body) => Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response()),
        None => Err(ApiError::not_found(format!("no app with key `{app}`"))),
    }
}
