//! Installations and the site admins' controls: sites with their residency and policies, apps
//! installed on them, the egress switches, and consent to new major versions. Who may call
//! what is the HTTP edge's business; every change here is audited in its transaction.
//!
//! The version in force on an installation is the latest production version of its installed
//! major: minors apply as they are deployed; a newer major waits until a site admin consents
//! (see [`consent`]).

pub mod consent;
pub mod egress;
pub mod hooks;
mod policy;

use apptrust_programs::Program;
use apptrust_store::apps::App;
use apptrust_store::installations::{self, Installation, NewInstallation};
use apptrust_store::sites::{self, PolicyUpdate, Site};
use apptrust_store::{Actor, Store, StoreError, audit};

pub use policy::breaks_in as policy_breaks_in;

/// The longest site key (a DNS name).
pub const MAX_SITE_KEY: usize = 253;

/// Refuses a site key that is not a lower-case DNS name with at least two labels.
pub fn check_site_key(key: &str) -> Result<(), StoreError> {
    let labels_ok = key.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    if key.len() > MAX_SITE_KEY || !key.contains('.') || !labels_ok {
        return Err(StoreError::Invalid(format!(
            "`key` must be the site's address, a lower-case DNS name such as \
             `acme.atlassian.net` (at most {MAX_SITE_KEY} characters)"
        )));
    }
    Ok(())
}

/// Reads a residency location: one of Forge's region keys.
pub fn check_residency(residency: &str) -> Result<(), StoreError> {
    if apptrust_rules::residency::REGIONS.contains(&residency) {
        return Ok(());
    }
    Err(StoreError::Invalid(format!(
        "`residency` must be one of {}",
        apptrust_rules::residency::REGIONS.join(", ")
    )))
}

/// Creates a site.
pub async fn create_site(
    store: &Store,
    key: &str,
    residency: &str,
    actor: &Actor,
) -> Result<Site, StoreError> {
    check_site_key(key)?;
    check_residency(residency)?;
    store.create_site(key, residency, actor).await
}

/// Sets a site's policy. Installations that break it now are flagged (their admins told);
/// those that no longer do are cleared.
pub async fn set_policy(
    store: &Store,
    site_key: &str,
    update: &PolicyUpdate,
    actor: &Actor,
) -> Result<Site, StoreError> {
    let mut update = update.clone();
    if let Some(badges) = update.required_badges.as_mut() {
        if let Some(unknown) = badges.iter().find(|b| Program::from_key(b).is_none()) {
            return Err(StoreError::Invalid(format!(
                "`requiredBadges`: `{unknown}` is not a badge; badges are {}",
                Program::ALL.map(Program::key).join(", ")
            )));
        }
        badges.sort();
        badges.dedup();
    }
    let now = store.now();
    let mut tx = store.begin().await?;
    let before = sites::lock_in(tx.connection(), site_key).await?;
    let after = sites::update_policy_in(tx.connection(), &before, &update, &now).await?;
    audit::record(
        tx.connection(),
        &now,
        actor,
        "site.policy",
        &format!("site:{site_key}"),
        serde_json::json!({
            "from": {"requiredBadges": before.required_badges, "analyticsEgressDefault": before.analytics_egress_default},
            "to": {"requiredBadges": after.required_badges, "analyticsEgressDefault": after.analytics_egress_default},
        }),
    )
    .await?;
    for installation in installations::active_for_site_in(tx.connection(), after.id).await? {
        hooks::reflag_in(tx.connection(), &installation, &after.required_badges, &now).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Installs `app` on the site: on the app's latest production major, with analytics egress as
/// the site's policy says. Refused, with the reasons, when the app breaks the site's policy or
/// has no production version.
pub async fn install(
    store: &Store,
    site_key: &str,
    app: &App,
    actor: &Actor,
) -> Result<Installation, StoreError> {
    let now = store.now();
    let mut tx = store.begin().await?;
    let site = sites::lock_in(tx.connection(), site_key).await?;
    let Some(latest) = installations::production_in(tx.connection(), app.id, None).await? else {
        return Err(StoreError::Invalid(format!(
            "`{}` has no production version yet: there is nothing to install",
            app.key
        )));
    };
    // The required badges are locked, so that a badge lost at the same moment either comes
    // first (and this install is refused) or sees this installation (and flags it).
    for badge in &site.required_badges {
        apptrust_store::badges::lock_in(tx.connection(), app.id, badge).await?;
    }
    let breaks = policy::breaks_in(tx.connection(), &site.required_badges, app.id).await?;
    if !breaks.is_empty() {
        return Err(StoreError::Invalid(format!(
            "the policy of `{site_key}` refuses `{}`: {}",
            app.key,
            breaks.join("; ")
        )));
    }
    let id = installations::insert_in(
        tx.connection(),
        &NewInstallation {
            site_id: site.id,
            app_id: app.id,
            major: latest.version.major,
            allow_analytics_egress: site.analytics_egress_default,
            policy_breaks: None,
        },
        &now,
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "`{}` is installed on `{site_key}` already",
            app.key
        )),
        other => other,
    })?;
    audit::record(
        tx.connection(),
        &now,
        actor,
        "installation.create",
        &subject(site_key, &app.key),
        serde_json::json!({
            "installation": id,
            "version": latest.version.to_string(),
            "allowAnalyticsEgress": site.analytics_egress_default,
            "allowLogsAccess": true,
        }),
    )
    .await?;
    let installed = installations::lock_in(tx.connection(), id).await?;
    tx.commit().await?;
    Ok(installed)
}

/// The audit subject of an installation.
fn subject(site: &str, app: &str) -> String {
    format!("site:{site}/app:{app}")
}

/// A change of an installation's switches (`None` keeps one).
#[derive(Clone, Copy, Debug, Default)]
pub struct SwitchUpdate {
    pub allow_analytics_egress: Option<bool>,
    pub allow_logs_access: Option<bool>,
}

/// Changes an installation's switches. `expected_revision`, when given, must be the current one
/// (a stale edit gets a conflict instead of undoing someone else's).
pub async fn update_switches(
    store: &Store,
    id: i64,
    update: SwitchUpdate,
    expected_revision: Option<i64>,
    actor: &Actor,
) -> Result<Installation, StoreError> {
    if update.allow_analytics_egress.is_none() && update.allow_logs_access.is_none() {
        return Err(StoreError::Invalid(
            "give `allowAnalyticsEgress`, `allowLogsAccess` or both".into(),
        ));
    }
    change(store, id, expected_revision, actor, |installation| {
        let before = (
            installation.allow_analytics_egress,
            installation.allow_logs_access,
        );
        if let Some(on) = update.allow_analytics_egress {
            installation.allow_analytics_egress = on;
        }
        if let Some(on) = update.allow_logs_access {
            installation.allow_logs_access = on;
        }
        Ok((
            "installation.switches",
            serde_json::json!({
                "from": {"allowAnalyticsEgress": before.0, "allowLogsAccess": before.1},
                "to": {
                    "allowAnalyticsEgress": installation.allow_analytics_egress,
                    "allowLogsAccess": installation.allow_logs_access,
                },
            }),
        ))
    })
    .await
}

/// Uninstalls the app from the site.
pub async fn uninstall(store: &Store, id: i64, actor: &Actor) -> Result<Installation, StoreError> {
    let now = store.now();
    change(store, id, None, actor, |installation| {
        installation.uninstalled_at = Some(now.clone());
        Ok(("installation.uninstall", serde_json::json!({})))
    })
    .await
}

/// Loads an active installation under its row lock, lets `apply` change it (naming the audit
/// action and detail), saves it and audits, in one transaction.
pub(super) async fn change(
    store: &Store,
    id: i64,
    expected_revision: Option<i64>,
    actor: &Actor,
    apply: impl FnOnce(&mut Installation) -> Result<(&'static str, serde_json::Value), StoreError>,
) -> Result<Installation, StoreError> {
    let now = store.now();
    let mut tx = store.begin().await?;
    let mut installation = installations::lock_in(tx.connection(), id).await?;
    if installation.uninstalled_at.is_some() {
        return Err(StoreError::NotFound(format!(
            "installation {id} was uninstalled"
        )));
    }
    if let Some(expected) = expected_revision
        && expected != installation.revision
    {
        return Err(StoreError::Conflict(format!(
            "installation {id} is at revision {}, not {expected}: read it again and retry",
            installation.revision
        )));
    }
    let (action, mut detail) = apply(&mut installation)?;
    installation.revision = installations::save_in(tx.connection(), &installation, &now).await?;
    installation.updated_at = now.clone();
    if let Some(detail) = detail.as_object_mut() {
        detail.insert("installation".into(), id.into());
    }
    audit::record(
        tx.connection(),
        &now,
        actor,
        action,
        &subject(&installation.site, &installation.app),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(installation)
}
