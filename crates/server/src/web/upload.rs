//! The checker's forms as they arrive: `multipart/form-data` when a file was chosen (the
//! browser's only way to upload without script), or URL-encoded. Either way the fields come out
//! as text, each bounded while it is read, so a large upload is refused before it is held.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};

use crate::error::ApiError;
use crate::state::AppState;

use super::PageError;

/// The text fields of a form, in order; a file field's content under its own name.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first non-empty value of any of `names`, in that order: a chosen file before the
    /// pasted text.
    pub fn first_of(&self, names: &[&str]) -> String {
        names
            .iter()
            .find_map(|name| {
                self.0
                    .iter()
                    .find(|(k, v)| k == name && !v.trim().is_empty())
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_default()
    }
}

/// Reads a form of either encoding, each field at most `max_field_bytes`.
pub async fn read_fields(
    request: Request,
    state: &AppState,
    max_field_bytes: usize,
) -> Result<Fields, PageError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|e| ApiError::new(e.status(), "bad-request", e.body_text()))?;
        return Ok(Fields(pairs));
    }
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::new(e.status(), "bad-request", e.body_text()))?;
    let mut fields = Vec::new();
    let broken = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(e.status(), "bad-request", e.body_text())
    };
    while let Some(mut field) = form.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            if bytes.len() + chunk.len() > max_field_bytes {
                return Err(too_large(&name, max_field_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(bytes).map_err(|_| {
            ApiError::unprocessable(format!(
                "`{name}` is not UTF-8 text: a manifest is YAML text"
            ))
        })?;
        fields.push((name, text));
    }
    Ok(Fields(fields))
}

fn too_large(name: &str, limit: usize) -> PageError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        format!(
            "`{name}` is over {} KiB, the most the checker page takes (run `apptrust check` for larger files)",
            limit / 1024
        ),
    )
    .into()
}
