//! The trust programs and their requirement sets, public: what a partner is measured against,
//! and what is announced next.

use apptrust_api::programs::{
    CriterionView, DroppedRequirement, DryRunQuery, DryRunRequirement, DryRunSummary, DryRunView,
    ProgramDetail, ProgramList, ProgramSummary, RequirementSetView, RequirementView,
};
use apptrust_programs::catalog::{ProgramDef, Requirement, RequirementSet, SetPhase};
use apptrust_programs::spelled;
use axum::Json;
use axum::extract::{Path, Query, State};

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::openapi::responses as r;
use crate::state::AppState;

/// `GET /api/v1/programs`.
#[utoipa::path(
    get,
    path = "/programs",
    operation_id = "listPrograms",
    tag = "programs",
    summary = "Every trust program: how its badge is granted, its status, and the requirement set in force today.",
    description = "Public. Programs are data (`programs/` in the repository, or the `programs-dir` setting), checked at start.",
    responses(
        (status = 200, description = "The programs, by key.", body = ProgramList),
        (status = "default", response = r::ServerError),
    ),
    security(()),
)]
pub async fn list(State(state): State<AppState>) -> Json<ProgramList> {
    let today = today(&state);
    Json(ProgramList {
        programs: state
            .programs
            .programs
            .iter()
            .map(|p| summary(p, &today))
            .collect(),
    })
}

/// `GET /api/v1/programs/{program}`.
#[utoipa::path(
    get,
    path = "/programs/{program}",
    operation_id = "showProgram",
    tag = "programs",
    summary = "One program with every version of its requirement set, their dates, where each stands today, and the requirements in force with each.",
    description = "Public. `program` is the program's key (`cloud-fortified`) or its badge's (`cloudFortified`).",
    params(
        ("program" = String, Path, description = "The program's key or its badge's key.", example = "cloud-fortified"),
    ),
    responses(
        (status = 200, description = "The program.", body = ProgramDetail),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(()),
)]
pub async fn show(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<ProgramDetail>, ApiError> {
    let program = state.programs.program(&key).ok_or_else(|| {
        let keys: Vec<&str> = state
            .programs
            .programs
            .iter()
            .map(|p| p.key.as_str())
            .collect();
        ApiError::not_found(format!(
            "no program `{key}`; the programs are {}",
            keys.join(", ")
        ))
    })?;
    let today = today(&state);
    Ok(Json(ProgramDetail {
        program: summary(program, &today),
        // A set is public from its announcement on.
        requirement_sets: program
            .requirement_sets
            .iter()
            .filter(|s| program.phase(s, &today) != SetPhase::Unpublished)
            .map(|s| set(program, s, &today))
            .collect(),
    }))
}

/// Today on the service's clock (the test clock's, when it runs on one), `YYYY-MM-DD` in UTC.
fn today(state: &AppState) -> String {
    state.store.today()
}

fn summary(program: &ProgramDef, today: &str) -> ProgramSummary {
    ProgramSummary {
        key: program.key.clone(),
        badge: program.badge.clone(),
        name: program.name.clone(),
        description: program.description.clone(),
        grant: spelled(&program.grant),
        derived_from: program.derived_from.clone(),
        status: spelled(&program.status),
        retiring_on: program.retiring_on.clone(),
        requirement_set_in_force: program.set_in_force(today).map(|s| s.version.clone()),
    }
}

fn set(program: &ProgramDef, set: &RequirementSet, today: &str) -> RequirementSetView {
    RequirementSetView {
        id: set.id.clone(),
        version: set.version.clone(),
        summary: set.summary.clone(),
        phase: spelled(&program.phase(set, today)),
        announced: set.announced.clone(),
        discussion_until: set.discussion_until.clone(),
        effective: set.effective.clone(),
        grace_until: set.grace_until.clone(),
        added: set.added.clone(),
        changed: set.changed.clone(),
        dropped: set
            .dropped
            .iter()
            .map(|d| DroppedRequirement {
                id: d.id.clone(),
                reason: d.reason.clone(),
            })
            .collect(),
        requirements: set.requirements.iter().map(requirement).collect(),
    }
}

fn requirement(requirement: &Requirement) -> RequirementView {
    RequirementView {
        id: requirement.id.clone(),
        stream: spelled(&requirement.stream),
        title: requirement.title.clone(),
        frameworks: requirement.frameworks.iter().map(spelled).collect(),
        verification: spelled(&requirement.verification),
        soak_days: requirement.soak_days,
        criterion: requirement.criterion.as_ref().map(|c| CriterionView {
            metric: c.metric.clone(),
            comparator: spelled(&c.comparator),
            threshold: c.threshold,
            window_days: c.window_days,
        }),
        fix_within_days: requirement.fix_within_days.map(|d| {
            [
                ("critical", d.critical),
                ("high", d.high),
                ("medium", d.medium),
                ("low", d.low),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
        }),
        triage_days: requirement.triage_days,
        slow_after_ms: requirement.slow_after_ms,
    }
}

/// `GET /api/v1/apps/{app}/programs/{program}/dry-run`.
#[utoipa::path(
    get,
    path = "/apps/{app}/programs/{program}/dry-run",
    operation_id = "dryRun",
    tag = "programs",
    summary = "How the app fares against a requirement set, typically one announced but not yet in force (the app's partner members, staff).",
    description = "Measured requirements are judged from the app's signals with the set's own thresholds (an announced rise of the availability target shows at once); the others carry over from the last approval when they did not change, and need evidence when they are new or changed. Nothing is stored. An unpublished set is 404.",
    params(
        ("app" = String, Path, description = "The app key."),
        ("program" = String, Path, description = "The program's key or badge key.", example = "cloud-fortified"),
        DryRunQuery,
    ),
    responses(
        (status = 200, description = "The dry run.", body = DryRunView),
        (status = 400, response = r::BadRequest),
        (status = 401, response = r::Unauthorized),
        (status = 403, response = r::Forbidden),
        (status = 404, response = r::NotFound),
        (status = "default", response = r::ServerError),
    ),
    security(("bearerAuth" = []), ("sessionCookie" = [])),
)]
pub async fn dry_run(
    State(state): State<AppState>,
    caller: SignedIn,
    Path((key, program)): Path<(String, String)>,
    query: Result<Query<DryRunQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DryRunView>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let app = caller.app(&state, &key).await?;
    let run = apptrust_service::dry_run::dry_run(
        &state.store,
        &state.programs,
        &app,
        &program,
        query.requirement_set.as_deref(),
    )
    .await?;
    let count = |o: &str| run.outcomes.iter().filter(|x| x.outcome == o).count();
    Ok(Json(DryRunView {
        app: app.key.clone(),
        program: state
            .programs
            .program(&program)
            .map_or(program.clone(), |p| p.key.clone()),
        requirement_set: run.requirement_set.clone(),
        phase: spelled(&run.phase),
        compared_with: run.compared_with.clone(),
        added: run.delta.added.clone(),
        changed: run.delta.changed.clone(),
        dropped: run.delta.dropped.clone(),
        summary: DryRunSummary {
            meets: count("meets"),
            fails: count("fails"),
            unknown: count("unknown"),
            needs_evidence: count("needs-evidence"),
        },
        requirements: run
            .outcomes
            .iter()
            .map(|o| DryRunRequirement {
                requirement: o.requirement.clone(),
                title: o.title.clone(),
                verification: spelled(&o.verification),
                change: o.change.to_string(),
                outcome: o.outcome.to_string(),
                detail: o.detail.clone(),
            })
            .collect(),
    }))
}
