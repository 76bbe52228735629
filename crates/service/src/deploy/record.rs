//! Writing a deploy: one transaction that numbers the version from the change classification,
//! stores the manifest and its evaluation, moves the badge, tells whoever must hear and writes
//! the audit entry. Either all of it is committed or none of it.

use apptrust_programs::{AppVersion, Cause, Deploy, ForgeAppId};
use apptrust_store::apps::{self, App};
use apptrust_store::versions::{self, NewVersion};
use apptrust_store::{Connection, Store, StoreError, audit, evaluation, notifications};

use crate::badges;

use super::classify::{Classified, Compared};
use super::{DeployOutcome, DeployRequest, reporter};

/// Writes the deploy if the environment's latest version is still `compared_with` (the one
/// the change was classified against); `None` (and nothing written) otherwise.
pub(super) async fn record_if_latest(
    store: &Store,
    request: &DeployRequest<'_>,
    compared_with: Compared,
    report: Option<Classified>,
) -> Result<Option<DeployOutcome>, StoreError> {
    let app = request.app;
    let now = store.now();
    let mut tx = store.begin().await?;
    // Taking the environment row first serialises deploys to one environment, so version
    // numbering cannot race.
    let environment_id = apps::count_deploy_in(tx.connection(), app.id, request.environment)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "app `{}` has no environment `{}`",
                app.key, request.environment
            ))
        })?;
    let line = compared_with.line;
    let previous = versions::latest_in(tx.connection(), environment_id, line).await?;
    if previous.as_ref().map(|p| p.id) != compared_with.id {
        tx.rollback().await?;
        return Ok(None);
    }
    if let Some(claimed) = request
        .assessed
        .side
        .as_ref()
        .and_then(|side| side.facts.app_id())
    {
        bind_forge_app(tx.connection(), request, claimed, &now).await?;
    }
    let previous_version = previous.as_ref().map(|p| p.version);
    // A change that cannot be classified is treated as needing consent: the safe side.
    let needs_consent = report.as_ref().is_none_or(|r| r.major) && previous.is_some();
    if let (Some(major), true) = (line, needs_consent) {
        return Err(StoreError::Conflict(format!(
            "a version for major {major} (older than the latest of `{}`) must be a minor change \
             of {}: this one makes changes installed sites must consent to (apptrust diff shows \
             them); deploy it as a new major",
            request.environment,
            previous_version.map_or_else(String::new, |v| v.to_string())
        )));
    }
    let version = AppVersion::choose(previous_version, needs_consent, request.requested_version)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let egress_changes = report
        .as_ref()
        .map(|r| r.egress.clone())
        .unwrap_or_default();
    let change_json = report.map(|r| r.json);
    let stored_key = request
        .idempotency_key
        .map(|key| super::stored_key(request.deployer, key));
    let version_id = versions::insert_in(
        tx.connection(),
        &NewVersion {
            app_id: app.id,
            environment_id,
            version,
            manifest: request.manifest,
            manifest_sha256: request.fingerprint,
            change_report: change_json.as_deref(),
            idempotency_key: stored_key.as_deref(),
            deployed_by: request.deployer.id,
            deployed_at: &now,
            variables: request.variables,
            reported_by: reporter(request.deployer),
        },
        || {
            format!(
                "version {version} of `{}` is already deployed to `{}`, or the idempotency key \
                 was used",
                app.key, request.environment
            )
        },
    )
    .await?;
    let stored = &request.assessed.stored;
    evaluation::insert_in(tx.connection(), version_id, stored).await?;
    // Site admins consent to production versions only (installations run production).
    if needs_consent && request.environment == "production" {
        notifications::record_in(
            tx.connection(),
            &now,
            notifications::CONSENT_REQUIRED,
            app.id,
            &format!("version:{version_id}"),
            serde_json::json!({
                "environment": request.environment,
                "version": version.to_string(),
                "previous": previous_version.map(|v| v.to_string()),
            }),
        )
        .await?;
    }

    if request.environment == "production" {
        crate::installations::hooks::after_production_deploy_in(
            tx.connection(),
            app.id,
            version,
            previous_version,
            &egress_changes,
            &now,
        )
        .await?;
    }

    let mut badge = badges::load_runs_on_atlassian(tx.connection(), app.id).await?;
    let before = badge.status;
    let rules = stored.rule_codes();
    let deploy = Deploy {
        environment: request.environment,
        version,
        verdict: request.assessed.verdict,
        rules: &rules,
        at: &now,
    };
    let before_version = badge.version;
    // A version reported by the platform always moves the badge; one reported by a partner or
    // staff member only while the operator counts them.
    // The badge follows the newest major: a backport to an older one leaves it alone.
    let event = if line.is_none() && store.counts_for_badges(reporter(request.deployer)) {
        badge.apply(&deploy, Cause::AutoEvaluation)
    } else {
        None
    };
    if event.is_some() || badge.version != before_version {
        badges::save_runs_on_atlassian(
            tx.connection(),
            app.id,
            &badge,
            before,
            event.as_ref(),
            &format!("version:{version_id}"),
            &now,
        )
        .await?;
    }
    // The variables by name only: their values may be secrets.
    let detail = serde_json::json!({
        "version": version.to_string(),
        "verdict": stored.verdict,
        "rules": stored.rules,
        "badge": event.as_ref().map(|e| e.to.as_str()),
        "variables": request.variables.names(),
    });
    let subject = format!("app:{}/env:{}", app.key, request.environment);
    audit::record(
        tx.connection(),
        &now,
        &request.deployer.actor(),
        "deploy",
        &subject,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(DeployOutcome {
        version: store.version_by_id(version_id).await?,
        replayed: false,
    }))
}

/// Ties the app to the Forge app its manifest names: the first deploy binds an unbound app;
/// afterwards a manifest naming another Forge app is refused, so that a clean manifest of some
/// other app cannot stand in for what this app ships. One Forge app id belongs to one app.
/// A first binding is audited, naming the deploy's reporter.
async fn bind_forge_app(
    connection: &mut Connection,
    request: &DeployRequest<'_>,
    claimed: &str,
    now: &str,
) -> Result<(), StoreError> {
    let app: &App = request.app;
    let claimed = ForgeAppId::parse(claimed)
        .map_err(|e| StoreError::Invalid(format!("the manifest's app.id: {e}")))?;
    let mut bound = apps::lock_forge_app_id_in(connection, app.id).await?;
    if bound.is_none() {
        if apps::bind_forge_app_in(connection, app.id, claimed.as_str()).await? {
            audit::record(
                connection,
                now,
                &request.deployer.actor(),
                "app.forge-app-id",
                &format!("app:{}", app.key),
                serde_json::json!({
                    "from": null,
                    "to": claimed.as_str(),
                    "by": format!("first deploy to {}", request.environment),
                }),
            )
            .await?;
            return Ok(());
        }
        // A first deploy to another environment bound the app between the read and the
        // update: compare with what it bound.
        bound = apps::lock_forge_app_id_in(connection, app.id).await?;
    }
    match bound {
        Some(bound) if bound == claimed.as_str() => Ok(()),
        Some(bound) => Err(StoreError::Invalid(format!(
            "the manifest's app.id `{claimed}` is not the Forge app `{}` is bound to (`{bound}`); \
             deploy this app's own manifest",
            app.key
        ))),
        None => Err(StoreError::Internal(format!(
            "the Forge app id of `{}` could neither be read nor bound",
            app.key
        ))),
    }
}
