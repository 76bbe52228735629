//! The OpenAPI 3.1 document of the API, generated: the operations from the `#[utoipa::path]`
//! annotation each route handler carries (registered through `utoipa_axum::routes!`, so a route
//! cannot exist without its operation), the schemas from the wire types of `apptrust_api`, and
//! from here what no single route says: the introduction, the tags, the security schemes and the
//! error answers many operations share.
//!
//! The document is built once per process and served as bytes (`GET /api/openapi.json`); the
//! copy committed at `docs/openapi.json` is checked against it by a test, so that a change to the
//! API shows in review as a change to that file.

pub mod responses;

use std::sync::LazyLock;

use apptrust_api::error::ErrorBody;
use axum::body::Bytes;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::auth::SESSION_COOKIE;

/// What the document says beyond the operations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "apptrust",
        version = env!("CARGO_PKG_VERSION"),
        description = include_str!("description.md"),
    ),
    tags(
        (name = "service"),
        (name = "session"),
        (name = "users"),
        (name = "partners"),
        (name = "programs", description = "The trust programs and their requirement sets, as data (docs/programs.md)."),
        (name = "submissions", description = "Submissions to approval programs: moves, checks and queues (docs/programs.md)."),
        (name = "escalations", description = "Escalations against approved apps: stages, demotion after notice, suspension, removal (docs/programs.md)."),
        (name = "signals", description = "Automated signals: reliability measurements and SLOs, downtime and exclusions, vulnerabilities, bug bounties (docs/programs.md)."),
        (name = "reviews", description = "Annual reviews of approved apps: the calendar, the delta since approval, findings and outcomes (docs/programs.md)."),
        (name = "apps"),
        (name = "environments"),
        (name = "versions"),
        (name = "deployments"),
        (name = "audit"),
        (name = "notifications", description = "Webhooks, deliveries and e-mail settings (docs/notifications.md)."),
        (name = "installations", description = "Customer sites, installed apps, admin egress controls, consent and egress decisions (docs/admin.md)."),
        (name = "test", description = "Only on a server started with `apptrust serve --test-clock`; elsewhere these routes do not exist (404, as any unknown route)."),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
    components(
        schemas(ErrorBody),
        responses(
            responses::BadRequest,
            responses::Unauthorized,
            responses::Forbidden,
            responses::NotFound,
            responses::Conflict,
            responses::TooLarge,
            responses::BodyTimeout,
            responses::UnsupportedMediaType,
            responses::Unprocessable,
            responses::Busy,
            responses::ServerError,
        ),
    ),
    modifiers(&SecuritySchemes),
)]
pub struct ApiDoc;

/// The three ways a request is authenticated (see the introduction).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token, `apt_...`."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "sessionCookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "Set by `POST /api/v1/session`.",
            ))),
        );
        components.add_security_scheme(
            "csrfToken",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The session's CSRF token; required with `sessionCookie` on every non-GET request.",
            ))),
        );
    }
}

/// The whole document: every route's operation, the test clock's included (documented as
/// existing only with `--test-clock`), whatever this server's settings.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::routes::documented().into_openapi()
}

/// The document as served and committed: pretty JSON ending in a newline.
pub fn document_text() -> String {
    let mut text = document()
        .to_pretty_json()
        // Serializing a document of strings and maps cannot fail.
        .unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}

/// The document's bytes, built at first use and shared by every request.
pub static DOCUMENT: LazyLock<Bytes> = LazyLock::new(|| Bytes::from(document_text()));

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// Where the committed copy lives, for reviewers.
    fn committed_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
    }

    #[test]
    fn the_committed_document_is_the_generated_one() {
        let generated = super::document_text();
        let path = committed_path();
        if std::env::var_os("APPTRUST_UPDATE_OPENAPI").is_some_and(|v| v == "1") {
            std::fs::write(&path, &generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json differs from the document the server generates; run \
             `APPTRUST_UPDATE_OPENAPI=1 cargo test -p apptrust-server openapi` and commit the \
             result"
        );
    }

    #[test]
    fn the_document_has_every_operation_with_its_security_and_errors() {
        let document = serde_json::to_value(super::document()).unwrap();
        let paths = document["paths"].as_object().unwrap();
        let operations: Vec<(&String, &String)> = paths
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .into_iter()
                    .flat_map(|methods| methods.keys())
                    .map(move |method| (path, method))
            })
            .collect();
        assert!(
            operations.len() >= 50,
            "only {} operations",
            operations.len()
        );
        for method in ["get", "post"] {
            assert!(
                paths["/api/v1/test/clock"][method].is_object(),
                "the test clock is documented"
            );
        }
        for (path, method) in operations {
            let operation = &paths[path][method];
            assert!(
                operation["operationId"].is_string(),
                "{method} {path} has an id"
            );
            assert!(
                operation["summary"].is_string(),
                "{method} {path} has a summary"
            );
            assert!(
                operation["tags"].as_array().is_some_and(|t| t.len() == 1),
                "{method} {path} has one tag"
            );
            assert!(
                operation["security"].is_array(),
                "{method} {path} says who may call it"
            );
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path} documents its success"
            );
            if !operation["security"][0].as_object().unwrap().is_empty() {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} documents 401"
                );
            }
        }
        let schemes = &document["components"]["securitySchemes"];
        for scheme in ["bearerAuth", "sessionCookie", "csrfToken"] {
            assert!(schemes[scheme].is_object(), "{scheme}");
        }
    }
}
