//! Deploys: evaluate the manifest, then record the version, its evaluation and any badge change
//! in one transaction.

use apptrust_programs::AppVersion;
use std::sync::Arc;

use apptrust_rules::Verdict;
use apptrust_service::deploy::{self, DeployOutcome, DeployRequest, Replay};
use apptrust_store::variables::{VariableLimits, Variables};
use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::admission::{DeployTicket, drain};
use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateDeployment {
    /// The `manifest.yml` text.
    manifest: String,
    /// `MAJOR.MINOR.PATCH`; numbered from the change classification when absent.
    version: Option<String>,
    /// Retrying with the same key returns the first result instead of deploying twice.
    idempotency_key: Option<String>,
    /// Values of the manifest's declared `environment.variables`, as the Forge CLI's `--var`.
    #[serde(default)]
    variables: BTreeMap<String, String>,
}

/// `POST /api/v1/apps/{app}/environments/{env}/deployments`. The deploy is admitted (see
/// `admission`) before its body is read.
pub async fn create(
    State(state): State<AppState>,
    caller: SignedIn,
    Path((key, env)): Path<(String, String)>,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    let (parts, body) = request.into_parts();
    let _ticket = match DeployTicket::admit(&caller, &parts, &state).await {
        Ok(ticket) => ticket,
        Err(refusal) => {
            // Read the body the client is sending, so that it reads the refusal instead of a
            // broken connection; but not when it waits for `100 Continue` before sending.
            let waits_to_send = parts
                .headers
                .get(axum::http::header::EXPECT)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
            if !waits_to_send {
                let deadline = Duration::from_millis(state.settings.body_read_timeout_ms);
                drain(body, state.settings.max_body_bytes, deadline).await;
            }
            return Err(refusal);
        }
    };
    let headers = parts.headers.clone();
    let ApiJson(body) =
        ApiJson::<CreateDeployment>::from_request(Request::from_parts(parts, body), &state).await?;
    let app = caller.app_to_deploy(&state, &key).await?;
    let user = caller.user();
    let requested_version = body
        .version
        .as_deref()
        .map(str::parse::<AppVersion>)
        .transpose()
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let header_key = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_string))
        .transpose()
        .map_err(|_| ApiError::bad_request("`Idempotency-Key` must be visible ASCII"))?;
    let idempotency_key = match (body.idempotency_key, header_key) {
        (Some(a), Some(b)) if a != b => {
            return Err(ApiError::unprocessable(
                "the body's `idempotencyKey` and the `Idempotency-Key` header differ",
            ));
        }
        (a, b) => a.or(b),
    };
    if idempotency_key
        .as_ref()
        .is_some_and(|k| k.is_empty() || k.len() > 200)
    {
        return Err(ApiError::unprocessable(
            "an idempotency key must be 1 to 200 characters",
        ));
    }
    let variables = Arc::new(Variables::new(
        body.variables,
        &VariableLimits {
            max_count: state.settings.max_deploy_variables,
            max_bytes: state.settings.max_deploy_variables_bytes,
        },
    )?);
    // Checked before the evaluation so that a typo in the URL costs nothing.
    state.store.require_environment(&app, &env).await?;
    let manifest: Arc<str> = Arc::from(body.manifest);
    let fingerprint = fingerprint_of(&manifest).await?;
    // A retry returns what was recorded, even if the rules engine has changed since.
    if let Some(key) = &idempotency_key
        && let Some(outcome) = deploy::find_replay(
            &state.store,
            &Replay {
                deployer: caller.user(),
                app: &app,
                environment: &env,
                key,
                fingerprint: &fingerprint,
                variables: &variables,
                requested_version,
            },
        )
        .await?
    {
        return Ok((StatusCode::OK, axum::Json(deploy_body(&outcome)?)));
    }

    let assessed = deploy::assess(
        &state.evaluator,
        manifest.clone(),
        variables.clone(),
        state.store.now(),
    )
    .await?;
    state
        .metrics
        .count("apptrust_deploys_total", assessed.verdict.as_str());
    if matches!(assessed.verdict, Verdict::Blocked | Verdict::Error) {
        let mut error = ApiError::unprocessable(match assessed.verdict {
            Verdict::Blocked => "Forge would refuse to deploy this manifest; nothing was recorded",
            _ => "the manifest could not be read; nothing was recorded",
        });
        error.code = "manifest-refused";
        error.extra = Some(json!({"evaluation": assessed.stored}));
        // Nothing was deployed, but the app's owners hear that a deploy was refused. Failing to
        // record that must not hide the refusal from the caller.
        if let Err(failure) = state
            .store
            .record_blocked_deploy(
                &app,
                &env,
                idempotency_key.as_deref(),
                assessed.verdict.as_str(),
                &assessed.stored.blockers,
            )
            .await
        {
            tracing::error!(
                request_id = %crate::logging::current_request_id(),
                app = %app.key,
                error = %failure,
                "cannot record the refused deploy"
            );
        }
        return Err(error);
    }
    let outcome = deploy::deploy(
            &state.store,
            &DeployRequest {
                app: &app,
                environment: &env,
                manifest: &manifest,
                variables: &variables,
                fingerprint: &fingerprint,
                requested_version,
                idempotency_key: idempotency_key.as_deref(),
                assessed: &assessed,
                deployer: user,
            },
            &state.evaluator,
        )
        .await?;
    state.trust_cache.forget(&app.key);
    let status = if outcome.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(deploy_body(&outcome)?)))
}

/// The version as recorded, plus whether this answer is a replay.
fn deploy_body(outcome: &DeployOutcome) -> Result<serde_json::Value, ApiError> {
    let mut body = serde_json::to_value(&outcome.version).map_err(|_| ApiError::internal())?;
    if let Some(map) = body.as_object_mut() {
        map.insert("replayed".into(), outcome.replayed.into());
    }
    Ok(body)
}

/// The manifest's SHA-256, off the async threads when it is large (a 2 MiB hash takes a few
/// milliseconds).
async fn fingerprint_of(manifest: &Arc<str>) -> Result<String, ApiError> {
    if manifest.len() < 64 * 1024 {
        return Ok(apptrust_store::secrets::hash(manifest));
    }
    let manifest = manifest.clone();
    tokio::task::spawn_blocking(move || apptrust_store::secrets::hash(&manifest))
        .await
        .map_err(|_| ApiError::internal())
}
