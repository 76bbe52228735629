//! Deploys: evaluate the manifest, then record the version, its evaluation and any badge change
//! in one transaction.

use apptrust_programs::AppVersion;
use std::sync::Arc;

use apptrust_rules::Verdict;
use apptrust_service::deploy::{self, DeployOutcome, DeployRequest, Replay};
use apptrust_store::variables::{VariableLimits, Variables};
use std::time::Duration;

use apptrust_api::deploys::{CreateDeployment, DeployFailure, DeployResult};
use apptrust_api::error::ErrorBody;
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;

use crate::admission::{DeployTicket, drain};
use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::state::AppState;
use crate::views;

/// `POST /api/v1/apps/{app}/environments/{env}/deployments`. The deploy is admitted (see
/// `admission`) before its body is read.
#[utoipa::path(
    post,
    path = "/apps/{app}/environments/{env}/deployments",
    operation_id = "deploy",
    tag = "deployments",
    summary = "Deploy a manifest: evaluate it, then record the version, its evaluation and any badge change.",
    description = "For the app's partner members, staff and `platform` accounts (a platform account may report to any app). With `count-partner-reported-deploys = false`, production is the platform's to report: partners' and staff's production deploys are refused with 403 before the manifest is evaluated. Cookie-authenticated callers must send `X-CSRF-Token`. A manifest whose verdict is `blocked` or `error` is refused with 422 `manifest-refused` and nothing is recorded; `eligible` and `not-eligible` manifests are recorded and may move the Runs on Atlassian badge (production only). The body may be at most `max-body-bytes` (default 4 MiB). `variables` gives the values of the manifest's declared `environment.variables`, as the Forge CLI's `--var` does; the manifest is evaluated with them, and so is every later use of the version (the comparison with the next one, re-evaluation). They are stored with the version; the audit log and the API show their names, never their values. A deploy waits for an evaluation slot; when the queue does not move within `evaluation-queue-timeout-ms`, or other deploys to the environment keep landing first, it is refused with 503 `busy` and nothing is recorded.\n\nA deploy is admitted before its body is read: its `Content-Length` is reserved from `deploy-body-budget-mib` (waited for up to `evaluation-queue-timeout-ms`, then 503), it takes one of its partner's `max-deploys-per-partner` places, and a large one (160 kB or more, or of unknown length) one of its `max-large-deploys-per-partner` places (429 when none is free). Manifests under 160 kB are evaluated in the `evaluation-slots` lane, larger ones one at a time in a lane of their own.",
    params(
        ("app" = String, Path, description = "The app key.", example = "com.example.app"),
        ("env" = String, Path, description = "The environment name.", example = "production"),
        ("Idempotency-Key" = Option<String>, Header, description = "Same as the body's `idempotencyKey`; must equal it when both are sent. Must be visible ASCII (else 400).", min_length = 1, max_length = 200),
    ),
    request_body = CreateDeployment,
    responses(
        (status = 200, description = "The idempotency key matched an earlier identical deploy, returned unchanged (`replayed: true`).", body = DeployResult),
        (status = 201, description = "Deployed: a new version (`replayed: false`).", body = DeployResult),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, description = "`forbidden`: not a member of the app's partner, staff or a platform account; or a production report that only the platform may make here (`count-partner-reported-deploys = false`).", body = ErrorBody),
        (status = 404, description = "`not-found`: no such app or environment.", body = ErrorBody),
        (status = 408, response = r::BodyTimeout),
        (status = 409, description = "`conflict`: the requested version is not newer than the latest, or must start a new major because the change needs admin consent; or the idempotency key was used for a different deploy (another manifest, variable values, environment or version); or the idempotency key was used by a reporter of another kind (partners and staff share keys; the platform's are its own).", body = ErrorBody),
        (status = 413, response = r::TooLarge),
        (status = 415, response = r::UnsupportedMediaType),
        (status = 422, description = "`invalid` (bad body, version or idempotency key; more than `max-deploy-variables` variables or `max-deploy-variables-bytes` of names and values, a name that cannot be a `${NAME}` placeholder, or values whose placeholders would add more than 2 MiB of text to the manifest) or `manifest-refused` (with the `evaluation`).", body = DeployFailure),
        (status = 429, description = "The partner already has `max-deploys-per-partner` (default 32) deploys in flight, or `max-large-deploys-per-partner` (default 2) large ones (a body of 160 kB or more, or of unknown length); refused before the body is read (the body is then read and dropped, so that the client reads this answer, unless it sent `Expect: 100-continue`). `Retry-After` is set. A `platform` account has `max-deploys-per-platform-account` (default 256) and `max-large-deploys-per-platform-account` (default 16) places of its own.", body = ErrorBody),
        (status = 503, response = r::Busy),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: SignedIn,
    Path((key, env)): Path<(String, String)>,
    request: Request,
) -> Result<(StatusCode, Json<DeployResult>), ApiError> {
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
    if let Some(key) = &idempotency_key {
        deploy::check_idempotency_key(key)?;
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
    deploy::may_report(&state.store, user, &app, &env)?;
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
        return Ok((StatusCode::OK, Json(deploy_body(outcome))));
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
        // The body is `ManifestRefused`: the error and, beside it, the evaluation.
        error.extra = Some(serde_json::json!({
            "evaluation": views::evaluation(assessed.stored.clone()),
        }));
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
    if env == "production" {
        state.egress_cache.forget_app(app.id);
    }
    let status = if outcome.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(deploy_body(outcome))))
}

/// The version as recorded, plus whether this answer is a replay.
fn deploy_body(outcome: DeployOutcome) -> DeployResult {
    DeployResult {
        version: views::version(outcome.version),
        replayed: outcome.replayed,
    }
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
