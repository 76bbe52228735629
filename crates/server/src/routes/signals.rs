//! Automated signals: the platform reports reliability measurements, vulnerabilities and bug
//! bounties; partners and staff read the SLOs; partners announce downtime and staff exclude
//! incidents the marketplace caused.

use apptrust_api::signals::{
    BugBountyRequest, BugBountyView, Ingested, SignalBatch, Slo, SloDay, SloReading, SloReport,
    VulnerabilityList, VulnerabilityRequest, VulnerabilityView, WindowRequest, WindowView,
};
use apptrust_programs::fortified::signals::{Reading, Severity};
use apptrust_service::security::{self, Report};
use apptrust_service::signals::{self as use_case, Batch, Callback, HealthCheck};
use apptrust_service::submissions::{seconds, shown};
use apptrust_store::signals::{BugBountyRow, DOWNTIME, EXCLUSION, VulnerabilityRow, WindowRow};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::state::AppState;

fn time(text: &str, name: &str) -> Result<i64, ApiError> {
    seconds(text)
        .ok_or_else(|| ApiError::unprocessable(format!("`{name}` is not an RFC 3339 time")))
}

/// `POST /api/v1/apps/{app}/signals`.
#[utoipa::path(
    post,
    path = "/apps/{app}/signals",
    operation_id = "ingestSignals",
    tag = "signals",
    summary = "Report health-check polls and installation callbacks (the platform's service account, staff).",
    description = "At most 1,000 measurements per request, each dated within the SLO window (28 days) and not in the future. Polls during downtime the partner announced are not counted. The answer reads the touched SLOs again; a breach repeated on two days within the window opens a system escalation against an app carrying the Cloud Fortified badge (once per metric while it is open).",
    params(("app" = String, Path, description = "The app key.")),
    request_body = SignalBatch,
    responses(
        (status = 200, description = "What was counted, and the SLOs after it.", body = Ingested),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn ingest(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<SignalBatch>,
) -> Result<Json<Ingested>, ApiError> {
    let app = caller.app_to_measure(&state, &key).await?;
    let batch = Batch {
        health_checks: body
            .health_checks
            .iter()
            .map(|h| {
                Ok(HealthCheck {
                    at: time(&h.at, "at")?,
                    ok: h.ok,
                    latency_ms: h.latency_ms,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        installation_callbacks: body
            .installation_callbacks
            .iter()
            .map(|c| {
                Ok(Callback {
                    at: time(&c.at, "at")?,
                    ok: c.ok,
                })
            })
            .collect::<Result<_, ApiError>>()?,
    };
    let done = use_case::ingest(
        &state.store,
        &state.programs,
        &app,
        &batch,
        &caller.user().actor(),
    )
    .await?;
    Ok(Json(Ingested {
        accepted: done.accepted,
        in_downtime: done.in_downtime,
        slos: done.readings.iter().map(reading).collect(),
        escalations: done.escalations,
    }))
}

fn reading(r: &Reading) -> SloReading {
    SloReading {
        metric: r.metric.clone(),
        target: r.target,
        window_days: r.window_days,
        total: r.total,
        good: r.good,
        value: r.value,
        met: r.met,
    }
}

fn window(w: WindowRow) -> WindowView {
    WindowView {
        id: w.id,
        kind: w.kind,
        from: w.starts_at,
        until: w.ends_at,
        reason: w.reason,
        created_by: w.created_by,
        created_at: w.created_at,
    }
}

/// `GET /api/v1/apps/{app}/slos`.
#[utoipa::path(
    get,
    path = "/apps/{app}/slos",
    operation_id = "showSlos",
    tag = "signals",
    summary = "The app's rolling SLOs (availability; installation callbacks for Connect apps) with their daily history, and the windows left out.",
    description = "For the app's partner members and staff. Targets and windows are the requirement set's the app's badge stands on (or the one in force).",
    params(("app" = String, Path, description = "The app key.")),
    responses(
        (status = 200, description = "The SLOs.", body = SloReport),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn slos(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
) -> Result<Json<SloReport>, ApiError> {
    let app = caller.app(&state, &key).await?;
    Ok(Json(slo_report(&state, &app).await?))
}

/// The SLO report of an app, as the API shows it (also on a submission).
pub(crate) async fn slo_report(
    state: &AppState,
    app: &apptrust_store::apps::App,
) -> Result<SloReport, ApiError> {
    let (slos, windows) = use_case::slos(&state.store, &state.programs, app).await?;
    Ok(SloReport {
        slos: slos
            .iter()
            .map(|s| Slo {
                reading: reading(&s.reading),
                daily: s
                    .daily
                    .iter()
                    .map(|d| SloDay {
                        day: shown(d.day).chars().take(10).collect(),
                        total: d.total,
                        good: d.good,
                        value: (d.total > 0).then(|| d.good as f64 * 100.0 / d.total as f64),
                    })
                    .collect(),
            })
            .collect(),
        windows: windows.into_iter().map(window).collect(),
    })
}

async fn add_window(
    state: &AppState,
    caller: &SignedIn,
    app: &apptrust_store::apps::App,
    kind: &str,
    body: &WindowRequest,
) -> Result<(StatusCode, Json<WindowView>), ApiError> {
    let span = (time(&body.from, "from")?, time(&body.until, "until")?);
    let row = use_case::add_window(
        &state.store,
        app,
        kind,
        span,
        &body.reason,
        &caller.user().actor(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(window(row))))
}

/// `POST /api/v1/apps/{app}/downtime`.
#[utoipa::path(
    post,
    path = "/apps/{app}/downtime",
    operation_id = "announceDowntime",
    tag = "signals",
    summary = "Announce planned downtime (the app's partner members, staff): polls during it do not count.",
    description = "Announced in advance: `from` must be in the future; at most 7 days long. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("app" = String, Path, description = "The app key.")),
    request_body = WindowRequest,
    responses(
        (status = 201, description = "The window.", body = WindowView),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn announce_downtime(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<WindowRequest>,
) -> Result<(StatusCode, Json<WindowView>), ApiError> {
    let app = caller.app(&state, &key).await?;
    add_window(&state, &caller, &app, DOWNTIME, &body).await
}

/// `POST /api/v1/apps/{app}/exclusions`.
#[utoipa::path(
    post,
    path = "/apps/{app}/exclusions",
    operation_id = "excludeIncident",
    tag = "signals",
    summary = "Leave an incident the marketplace caused out of the app's SLOs (staff).",
    description = "Every hour the window touches is left out of the rolling SLOs. At most 7 days long. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("app" = String, Path, description = "The app key.")),
    request_body = WindowRequest,
    responses(
        (status = 201, description = "The window.", body = WindowView),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn exclude(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<WindowRequest>,
) -> Result<(StatusCode, Json<WindowView>), ApiError> {
    caller.staff()?;
    let app = caller.app(&state, &key).await?;
    add_window(&state, &caller, &app, EXCLUSION, &body).await
}

fn vulnerability(state: &AppState, v: VulnerabilityRow) -> VulnerabilityView {
    let now = state.store.clock().now().unix_timestamp();
    let overdue = v.fixed_at.is_none() && seconds(&v.due_at).is_some_and(|due| due <= now);
    VulnerabilityView {
        id: v.external_id,
        severity: v.severity,
        source: v.source,
        reported_at: v.reported_at,
        due_at: v.due_at,
        fixed_at: v.fixed_at,
        overdue,
    }
}

/// `POST /api/v1/apps/{app}/vulnerabilities`.
#[utoipa::path(
    post,
    path = "/apps/{app}/vulnerabilities",
    operation_id = "recordVulnerability",
    tag = "signals",
    summary = "Record a vulnerability, or update it by its id (the platform's service account, staff).",
    description = "Its due date follows the Security Bug Fix Policy of the requirement set in force: critical 4 weeks, high 6, medium 8, low 25 from the report, plus 2 weeks of triage for bug-bounty findings. Unfixed at its due date, the partner is told (`vulnerability.overdue`) and a system escalation opens against an app carrying the Cloud Fortified badge.",
    params(("app" = String, Path, description = "The app key.")),
    request_body = VulnerabilityRequest,
    responses(
        (status = 200, description = "The record.", body = VulnerabilityView),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn record_vulnerability(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<VulnerabilityRequest>,
) -> Result<Json<VulnerabilityView>, ApiError> {
    let app = caller.app_to_measure(&state, &key).await?;
    let severity = Severity::parse(&body.severity).ok_or_else(|| {
        ApiError::unprocessable("`severity` is one of critical, high, medium, low")
    })?;
    let from_bug_bounty = match body.source.as_deref() {
        None | Some("other") => false,
        Some("bug-bounty") => true,
        Some(_) => {
            return Err(ApiError::unprocessable(
                "`source` is `bug-bounty` or `other`",
            ));
        }
    };
    let fixed_at = body
        .fixed_at
        .as_deref()
        .map(|t| time(t, "fixedAt"))
        .transpose()?;
    let row = security::record_vulnerability(
        &state.store,
        &state.programs,
        &app,
        &Report {
            external_id: &body.id,
            severity,
            from_bug_bounty,
            reported_at: time(&body.reported_at, "reportedAt")?,
            fixed_at,
        },
        &caller.user().actor(),
    )
    .await?;
    Ok(Json(vulnerability(&state, row)))
}

/// `GET /api/v1/apps/{app}/vulnerabilities`.
#[utoipa::path(
    get,
    path = "/apps/{app}/vulnerabilities",
    operation_id = "listVulnerabilities",
    tag = "signals",
    summary = "The app's vulnerability records with their due dates, newest report first (partner members, staff).",
    params(("app" = String, Path, description = "The app key.")),
    responses(
        (status = 200, description = "The records.", body = VulnerabilityList),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn list_vulnerabilities(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
) -> Result<Json<VulnerabilityList>, ApiError> {
    let app = caller.app(&state, &key).await?;
    let rows = state.store.vulnerabilities(app.id).await?;
    Ok(Json(VulnerabilityList {
        vulnerabilities: rows.into_iter().map(|v| vulnerability(&state, v)).collect(),
    }))
}

fn bounty(row: BugBountyRow) -> BugBountyView {
    BugBountyView {
        state: row.state,
        paid: row.paid,
        since: row.since,
        updated_at: row.updated_at,
    }
}

/// `PUT /api/v1/apps/{app}/bug-bounty`.
#[utoipa::path(
    put,
    path = "/apps/{app}/bug-bounty",
    operation_id = "setBugBounty",
    tag = "signals",
    summary = "Record the app's bug bounty (the platform's service account, staff); the derived badges follow.",
    description = "An active, paid bug bounty grants Cloud Security Participant and Bug Bounty Participant (cause `dependency`); when it lapses (paused, ended or unpaid) they are removed, and an app carrying Cloud Fortified gets a system escalation: its bug-bounty requirement fails.",
    params(("app" = String, Path, description = "The app key.")),
    request_body = BugBountyRequest,
    responses(
        (status = 200, description = "The bug bounty.", body = BugBountyView),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn set_bug_bounty(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<BugBountyRequest>,
) -> Result<Json<BugBountyView>, ApiError> {
    let app = caller.app_to_measure(&state, &key).await?;
    let row = security::set_bug_bounty(
        &state.store,
        &state.programs,
        &app,
        &body.state,
        body.paid,
        &caller.user().actor(),
    )
    .await?;
    state.trust_cache.forget(&app.key);
    Ok(Json(bounty(row)))
}

/// `GET /api/v1/apps/{app}/bug-bounty`.
#[utoipa::path(
    get,
    path = "/apps/{app}/bug-bounty",
    operation_id = "showBugBounty",
    tag = "signals",
    summary = "The app's bug bounty (partner members, staff); 404 when it never had one.",
    params(("app" = String, Path, description = "The app key.")),
    responses(
        (status = 200, description = "The bug bounty.", body = BugBountyView),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn show_bug_bounty(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
) -> Result<Json<BugBountyView>, ApiError> {
    let app = caller.app(&state, &key).await?;
    let row = security::bug_bounty(&state.store, &app)
        .await?
        .ok_or_else(|| ApiError::not_found("the app has no bug bounty on record"))?;
    Ok(Json(bounty(row)))
}
