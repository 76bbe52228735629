//! Installations: their switches, their effective egress, the egress decisions the platform's
//! proxy asks for on every outbound request, consent to new majors, and what the app's partner
//! may know (logs access, counts).

use std::sync::Arc;

use apptrust_api::installations::{
    AppInstallations, ConsentAnswer, ConsentStatus, ConsentView, EffectiveEgress, EgressDecision,
    EgressDecisionRequest, EgressEntry, Installation, LogsAccess, MajorCount, RemoteAtSite,
    SiteResidency, UpdateInstallation,
};
use apptrust_rules::reach::{BACKEND, Decision, ReachEntry, is_list};
use apptrust_service::installations::consent::{self, Answer, ConsentState};
use apptrust_service::installations::egress::{effective_entries, site_residency};
use apptrust_service::installations::{self as use_case, SwitchUpdate};
use apptrust_store::installations::Installation as Stored;
use apptrust_store::users::Role;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::{HotCaller, SignedIn};
use crate::egress_cache::{Known, Lookup};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::responses as r;
use crate::state::AppState;

/// The API's view of an installation, with its version in force and consent state.
pub(crate) async fn installation_view(
    state: &AppState,
    installation: Stored,
) -> Result<Installation, ApiError> {
    let versions = consent::versions(&state.store, &installation).await?;
    Ok(Installation {
        id: installation.id,
        consent: consent_status(&installation, &versions),
        site: installation.site,
        app: installation.app,
        major: installation.major,
        version: versions.in_force.map(|v| v.version.to_string()),
        allow_analytics_egress: installation.allow_analytics_egress,
        allow_logs_access: installation.allow_logs_access,
        policy_breaks: installation.policy_breaks,
        revision: installation.revision,
        installed_at: installation.installed_at,
        updated_at: installation.updated_at,
    })
}

fn consent_status(installation: &Stored, versions: &consent::Versions) -> ConsentStatus {
    ConsentStatus {
        state: match versions.state {
            ConsentState::None => "none",
            ConsentState::Pending => "pending",
            ConsentState::Declined => "declined",
        }
        .to_string(),
        offered: versions.offered.map(|v| v.version.to_string()),
        declined_major: installation.declined_major,
    }
}

fn entry_view(entry: &ReachEntry) -> EgressEntry {
    EgressEntry {
        list: entry.list.clone(),
        address: entry.address.clone(),
        remote: entry.remote.clone(),
        region: entry.region.clone(),
        category: entry.category.clone(),
        in_scope_eud: entry.in_scope_eud,
        analytics: entry.analytics,
    }
}

/// The installation with `id`, if the caller may see and change it: staff and its site's
/// admins; anyone else is told it does not exist.
async fn for_admin(state: &AppState, caller: &SignedIn, id: i64) -> Result<Stored, ApiError> {
    let installation = state.store.installation(id).await?;
    let user = caller.user();
    let allowed = user.role == Role::Staff
        || (user.role == Role::SiteAdmin && user.site.as_deref() == Some(&installation.site));
    if !allowed || installation.uninstalled_at.is_some() {
        return Err(ApiError::not_found(format!("no installation {id}")));
    }
    Ok(installation)
}

/// `GET /api/v1/installations/{id}`.
#[utoipa::path(
    get,
    path = "/installations/{id}",
    operation_id = "showInstallation",
    tag = "installations",
    summary = "One installation with its switches, version in force and consent state: staff and the site's admins (anyone else gets 404).",
    params(("id" = i64, Path, description = "The installation's id.")),
    responses(
        (status = 200, description = "The installation.", body = Installation),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn show(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<Installation>, ApiError> {
    let installation = for_admin(&state, &caller, id).await?;
    Ok(Json(installation_view(&state, installation).await?))
}

/// `PATCH /api/v1/installations/{id}`.
#[utoipa::path(
    patch,
    path = "/installations/{id}",
    operation_id = "updateInstallation",
    tag = "installations",
    summary = "Switch analytics egress and the partner's logs access on or off (the site's admins and staff).",
    description = "Takes effect on this instance at once and on every other within `egress-cache-ms` (250 ms by default). With `revision`, a change based on an older revision is refused with 409. Audited. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("id" = i64, Path, description = "The installation's id.")),
    request_body = UpdateInstallation,
    responses(
        (status = 200, description = "The installation.", body = Installation),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = 409, response = r::Conflict),
        (status = 413, response = r::TooLarge),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn update(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<UpdateInstallation>,
) -> Result<Json<Installation>, ApiError> {
    for_admin(&state, &caller, id).await?;
    let update = SwitchUpdate {
        allow_analytics_egress: body.allow_analytics_egress,
        allow_logs_access: body.allow_logs_access,
    };
    let changed = use_case::update_switches(
        &state.store,
        id,
        update,
        body.revision,
        &caller.user().actor(),
    )
    .await?;
    state.egress_cache.forget(id);
    Ok(Json(installation_view(&state, changed).await?))
}

/// `DELETE /api/v1/installations/{id}`.
#[utoipa::path(
    delete,
    path = "/installations/{id}",
    operation_id = "uninstall",
    tag = "installations",
    summary = "Uninstall the app from the site (the site's admins and staff); its egress is denied from then on.",
    description = "Installing it again starts afresh (switches as the site's policy says). Audited. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("id" = i64, Path, description = "The installation's id.")),
    responses(
        (status = 204, description = "Uninstalled."),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn uninstall(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    for_admin(&state, &caller, id).await?;
    use_case::uninstall(&state.store, id, &caller.user().actor()).await?;
    state.egress_cache.forget(id);
    Ok(StatusCode::NO_CONTENT)
}

/// The installation as an egress reader sees it (the platform, staff, the site's admins): from
/// memory when young enough, read otherwise (see `egress_cache`). The caller is checked against
/// the installation's site before its version's manifest is ever read.
async fn for_egress(state: &AppState, caller: &SignedIn, id: i64) -> Result<Arc<Known>, ApiError> {
    let missing = || ApiError::not_found(format!("no installation {id}"));
    let known = match state.egress_cache.lookup(id) {
        Lookup::Fresh(known) => known,
        Lookup::Refresh(known, epoch) => {
            let state = state.clone();
            tokio::spawn(async move {
                // A failed re-read forgets the entry: the next request reads it itself.
                if !matches!(read_shared(&state, id, epoch).await, Ok(Some(_))) {
                    state.egress_cache.forget(id);
                }
            });
            known
        }
        Lookup::Read(epoch) => read_shared(state, id, epoch).await?.ok_or_else(missing)?,
    };
    if known.state.uninstalled || !caller.may_read_egress(&known.state.site) {
        return Err(missing());
    }
    Ok(known)
}

/// Reads installation `id` and remembers it, or joins the read of it under way; `None` when
/// there is no such installation. The caller is checked afterwards, on what was read.
async fn read_shared(
    state: &AppState,
    id: i64,
    epoch: u64,
) -> Result<Option<Arc<Known>>, ApiError> {
    let flight = state.egress_cache.flight(id, epoch);
    let answer = flight
        .answer
        .get_or_try_init(|| async {
            let known = match state.store.egress_state(id).await? {
                Some(installation) => Some(read_egress(state, installation).await?),
                None => None,
            };
            if let Some(known) = &known {
                state.egress_cache.put(id, known.clone(), flight.epoch);
            }
            Ok::<_, ApiError>(known)
        })
        .await
        .cloned();
    state.egress_cache.land(id, &flight);
    answer
}

/// Joins an installation's state to its version's egress.
async fn read_egress(
    state: &AppState,
    installation: apptrust_store::installations::EgressState,
) -> Result<Arc<Known>, ApiError> {
    let egress = match installation.version_id {
        None => Err(
            "the installed major has no production version: the app may reach nothing".to_string(),
        ),
        Some(version) => match state
            .version_egress
            .get(&state.store, &state.evaluator, version)
            .await
        {
            Ok(egress) => Ok(egress),
            // Remembered as a refusal like any other answer: an unreadable manifest
            // allows nothing, and is not read again at every request.
            Err(apptrust_store::StoreError::Corrupt(why)) => Err(format!(
                "the version in force cannot be read, so it allows nothing ({why})"
            )),
            Err(other) => return Err(other.into()),
        },
    };
    Ok(Arc::new(Known::new(installation, egress)))
}

/// `GET /api/v1/installations/{id}/egress`.
#[utoipa::path(
    get,
    path = "/installations/{id}/egress",
    operation_id = "showEffectiveEgress",
    tag = "installations",
    summary = "The allow-list in force now: the version in force's egress and remotes minus analytics entries while analytics egress is off, with the residency report joined to the site's location (the platform, staff and the site's admins).",
    params(("id" = i64, Path, description = "The installation's id.")),
    responses(
        (status = 200, description = "The effective egress.", body = EffectiveEgress),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn egress(
    State(state): State<AppState>,
    HotCaller(caller): HotCaller,
    Path(id): Path<i64>,
) -> Result<Json<EffectiveEgress>, ApiError> {
    let known = for_egress(&state, &caller, id).await?;
    let installation = state.store.installation(id).await?;
    let allow = known.state.allow_analytics_egress;
    let (allowed, switched_off, residency) = match &known.egress {
        Ok(egress) => {
            let split = effective_entries(egress, allow);
            let residency = site_residency(egress, &installation.residency);
            (
                split.allowed.iter().map(entry_view).collect(),
                split.switched_off.iter().map(entry_view).collect(),
                Some(SiteResidency {
                    site_residency: residency.site_residency,
                    eud_may_leave_residency: residency.eud_may_leave_residency,
                    remotes: residency
                        .remotes
                        .into_iter()
                        .map(|r| RemoteAtSite {
                            key: r.key,
                            regions: r.regions,
                            serves_site_region: r.serves_site_region,
                            stores_eud: r.stores_eud,
                            eud_may_leave_residency: r.eud_may_leave_residency,
                        })
                        .collect(),
                }),
            )
        }
        Err(_) => (Vec::new(), Vec::new(), None),
    };
    // The version the allow-list above was read from, not one read afresh.
    let version = match &known.egress {
        Ok(_) => known.state.version.clone(),
        Err(_) => None,
    };
    Ok(Json(EffectiveEgress {
        installation: id,
        site: installation.site,
        app: installation.app,
        version,
        allow_analytics_egress: allow,
        allowed,
        switched_off,
        residency,
        revision: known.state.revision,
    }))
}

/// `POST /api/v1/installations/{id}/egress/decisions`.
#[utoipa::path(
    post,
    path = "/installations/{id}/egress/decisions",
    operation_id = "decideEgress",
    tag = "installations",
    summary = "Allow or deny one outbound URL of the installed app, with the entry that allows it or the reason that denies it (the platform's egress proxy, staff and the site's admins).",
    description = "Matching follows the checker's address rules: the URL's scheme must be the entry's (`https` unless written), hosts compare in ASCII (IDNA) without case or a trailing dot, `*.example.com` covers hosts below `example.com` but not itself, `*` covers every `https` and `wss` URL, custom schemes match by name; ports and paths play no part. Answered from memory: a switch changed on another instance takes effect within `egress-cache-ms` (250 ms by default), and so does a revoked bearer token.",
    params(("id" = i64, Path, description = "The installation's id.")),
    request_body = EgressDecisionRequest,
    responses(
        (status = 200, description = "The decision.", body = EgressDecision),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = 413, response = r::TooLarge),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn decide(
    State(state): State<AppState>,
    HotCaller(caller): HotCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<EgressDecisionRequest>,
) -> Result<Json<EgressDecision>, ApiError> {
    let list = body.list.as_deref().unwrap_or(BACKEND);
    if !is_list(list) {
        return Err(ApiError::unprocessable(format!(
            "`list` must name an egress list: {}",
            apptrust_rules::reach::lists()
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let known = for_egress(&state, &caller, id).await?;
    let egress = match &known.egress {
        Ok(egress) => egress,
        Err(why) => {
            return Ok(Json(EgressDecision {
                allowed: false,
                entry: None,
                reason: Some(why.clone()),
            }));
        }
    };
    Ok(Json(
        match egress
            .reach
            .decide(&body.url, known.state.allow_analytics_egress, list)
        {
            Decision::Allowed(index) => EgressDecision {
                allowed: true,
                entry: egress.reach.entries.get(index).map(entry_view),
                reason: None,
            },
            Decision::Denied(reason) => EgressDecision {
                allowed: false,
                entry: None,
                reason: Some(reason),
            },
        },
    ))
}

/// `GET /api/v1/installations/{id}/consent`.
#[utoipa::path(
    get,
    path = "/installations/{id}/consent",
    operation_id = "showConsent",
    tag = "installations",
    summary = "Where the installation stands with the app's newest major, and what that major adds against the version in force, line by line (staff and the site's admins).",
    params(("id" = i64, Path, description = "The installation's id.")),
    responses(
        (status = 200, description = "The consent state and the changes.", body = ConsentView),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = 503, response = r::Busy),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn show_consent(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<ConsentView>, ApiError> {
    let installation = for_admin(&state, &caller, id).await?;
    let versions = consent::versions(&state.store, &installation).await?;
    let changes = consent::offered_changes(&state.store, &state.evaluator, &versions).await?;
    Ok(Json(ConsentView {
        installation: id,
        status: consent_status(&installation, &versions),
        version: versions.in_force.map(|v| v.version.to_string()),
        changes: changes.as_ref().map(|c| c.text.clone()).unwrap_or_default(),
        report: changes.map(|c| c.report),
    }))
}

async fn answer(
    state: &AppState,
    caller: &SignedIn,
    id: i64,
    body: &ConsentAnswer,
    answer: Answer,
) -> Result<Json<Installation>, ApiError> {
    let installation = for_admin(state, caller, id).await?;
    if caller.user().role != Role::SiteAdmin {
        return Err(ApiError::forbidden(
            "consent is the site's admins' to give or refuse",
        ));
    }
    let changed = consent::answer(
        &state.store,
        &installation,
        body.major,
        answer,
        &caller.user().actor(),
    )
    .await?;
    state.egress_cache.forget(id);
    Ok(Json(installation_view(state, changed).await?))
}

/// `POST /api/v1/installations/{id}/consent`.
#[utoipa::path(
    post,
    path = "/installations/{id}/consent",
    operation_id = "consent",
    tag = "installations",
    summary = "Consent to the offered major, naming it: the installation moves to its latest version at once (the site's admins).",
    description = "409 when the named major is not the one offered. Audited. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("id" = i64, Path, description = "The installation's id.")),
    request_body = ConsentAnswer,
    responses(
        (status = 200, description = "The installation.", body = Installation),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 409, response = r::Conflict),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn give_consent(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ConsentAnswer>,
) -> Result<Json<Installation>, ApiError> {
    answer(&state, &caller, id, &body, Answer::Consent).await
}

/// `POST /api/v1/installations/{id}/decline`.
#[utoipa::path(
    post,
    path = "/installations/{id}/decline",
    operation_id = "declineConsent",
    tag = "installations",
    summary = "Decline the offered major, naming it: the installation stays on its major (minors still apply) until a newer major is offered (the site's admins).",
    description = "409 when the named major is not the one offered. Audited. Cookie-authenticated callers must send `X-CSRF-Token`.",
    params(("id" = i64, Path, description = "The installation's id.")),
    request_body = ConsentAnswer,
    responses(
        (status = 200, description = "The installation.", body = Installation),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = 409, response = r::Conflict),
        (status = 422, response = r::Unprocessable),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [], "csrfToken" = [])),
)]
pub async fn decline(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ConsentAnswer>,
) -> Result<Json<Installation>, ApiError> {
    answer(&state, &caller, id, &body, Answer::Decline).await
}

/// `GET /api/v1/installations/{id}/logs-access`.
#[utoipa::path(
    get,
    path = "/installations/{id}/logs-access",
    operation_id = "showLogsAccess",
    tag = "installations",
    summary = "Whether the app's partner may read this installation's logs (the platform, staff, the site's admins and the app's partner members).",
    params(("id" = i64, Path, description = "The installation's id.")),
    responses(
        (status = 200, description = "The decision.", body = LogsAccess),
        (status = 401, response = r::Unauthorized),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn logs_access(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<LogsAccess>, ApiError> {
    let installation = state.store.installation(id).await?;
    let user = caller.user();
    let allowed = caller.may_read_egress(&installation.site)
        || user.partner_id == Some(installation.partner_id);
    if !allowed || installation.uninstalled_at.is_some() {
        return Err(ApiError::not_found(format!("no installation {id}")));
    }
    Ok(Json(LogsAccess {
        installation: id,
        app: installation.app,
        allowed: installation.allow_logs_access,
        revision: installation.revision,
    }))
}

/// `GET /api/v1/apps/{app}/installations`.
#[utoipa::path(
    get,
    path = "/apps/{app}/installations",
    operation_id = "countInstallations",
    tag = "installations",
    summary = "How many sites run the app, per major, and how many wait for consent or declined the newest major: counts only, never sites or their admins (the app's partner members and staff).",
    params(("app" = String, Path, description = "The app key.")),
    responses(
        (status = 200, description = "The counts.", body = AppInstallations),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn counts(
    State(state): State<AppState>,
    caller: SignedIn,
    Path(key): Path<String>,
) -> Result<Json<AppInstallations>, ApiError> {
    let app = caller.app(&state, &key).await?;
    let latest = state
        .store
        .production_version(app.id, None)
        .await?
        .map(|v| v.version.major);
    let rows = state
        .store
        .installation_counts(app.id, latest.unwrap_or(0))
        .await?;
    let by_major: Vec<MajorCount> = rows
        .into_iter()
        .map(|(major, installations, declined)| {
            let behind = latest.is_some_and(|l| major < l);
            MajorCount {
                major,
                installations,
                pending: if behind { installations - declined } else { 0 },
                declined: if behind { declined } else { 0 },
            }
        })
        .collect();
    Ok(Json(AppInstallations {
        app: app.key,
        latest_major: latest,
        installations: by_major.iter().map(|m| m.installations).sum(),
        by_major,
    }))
}
