//! What installations hear when their app changes: a badge moved (the sites' admins are told of
//! a loss, and installations whose site requires the badge are flagged or cleared), or a
//! production version landed (a new major waits for consent; a minor that changes egress is
//! announced to the sites it applies to). Each runs in the transaction of the change itself.

use apptrust_programs::AppVersion;
use apptrust_store::installations::{self, Installation};
use apptrust_store::{Actor, Connection, StoreError, audit, notifications, sites};

use super::policy;

/// Re-checks an installation against its site's required badges, and saves and announces a
/// change of its flag (a newly broken policy is told to the site's admins).
pub async fn reflag_in(
    connection: &mut Connection,
    installation: &Installation,
    required: &[String],
    now: &str,
) -> Result<(), StoreError> {
    let breaks = policy::breaks_in(connection, required, installation.app_id).await?;
    let flag = (!breaks.is_empty()).then_some(breaks);
    if flag == installation.policy_breaks {
        return Ok(());
    }
    if !installations::set_policy_breaks_in(connection, installation.id, flag.as_deref(), now)
        .await?
    {
        return Ok(());
    }
    audit::record(
        connection,
        now,
        &Actor::system("site-policy"),
        if flag.is_some() {
            "installation.flag"
        } else {
            "installation.unflag"
        },
        &format!("site:{}/app:{}", installation.site, installation.app),
        serde_json::json!({"installation": installation.id, "reasons": flag}),
    )
    .await?;
    if let Some(reasons) = flag {
        notifications::record_for_site_in(
            connection,
            now,
            notifications::INSTALLATION_POLICY_BROKEN,
            installation.app_id,
            (installation.site_id, &installation.site),
            &format!("installation:{}", installation.id),
            serde_json::json!({"installation": installation.id, "reasons": reasons}),
        )
        .await?;
    }
    Ok(())
}

/// A badge of app `app_id` moved from `from` to `to`: a loss is told to the admins of every
/// site the app is installed on, and installations whose site requires the badge are flagged
/// or cleared.
pub async fn after_badge_moved_in(
    connection: &mut Connection,
    app_id: i64,
    badge: &str,
    (from, to): (&str, &str),
    reasons: &[String],
    now: &str,
) -> Result<(), StoreError> {
    if from == to {
        return Ok(());
    }
    let lost = from == "APPROVED";
    for installation in installations::active_for_app_in(connection, app_id).await? {
        if lost {
            notifications::record_for_site_in(
                connection,
                now,
                notifications::INSTALLATION_BADGE_LOST,
                app_id,
                (installation.site_id, &installation.site),
                &format!("installation:{}", installation.id),
                serde_json::json!({
                    "installation": installation.id,
                    "program": badge,
                    "to": to,
                    "reasons": reasons,
                }),
            )
            .await?;
        }
        let required = sites::required_badges_in(connection, installation.site_id).await?;
        if required.iter().any(|b| b == badge) {
            reflag_in(connection, &installation, &required, now).await?;
        }
    }
    Ok(())
}

/// A production version of app `app_id` landed. `previous` is the version it was numbered
/// after in its line (none for a first deploy); `egress_changes` describes how its egress
/// differs from it.
pub async fn after_production_deploy_in(
    connection: &mut Connection,
    app_id: i64,
    version: AppVersion,
    previous: Option<AppVersion>,
    egress_changes: &[String],
    now: &str,
) -> Result<(), StoreError> {
    let Some(previous) = previous else {
        return Ok(());
    };
    let new_major = version.major > previous.major;
    for installation in installations::active_for_app_in(connection, app_id).await? {
        let site = (installation.site_id, installation.site.as_str());
        let subject = format!("installation:{}", installation.id);
        if new_major && installation.major < version.major {
            notifications::record_for_site_in(
                connection,
                now,
                notifications::INSTALLATION_CONSENT_REQUIRED,
                app_id,
                site,
                &subject,
                serde_json::json!({
                    "installation": installation.id,
                    "installed": installation.major,
                    "version": version.to_string(),
                    "previous": previous.to_string(),
                }),
            )
            .await?;
        } else if !new_major && installation.major == version.major && !egress_changes.is_empty() {
            notifications::record_for_site_in(
                connection,
                now,
                notifications::INSTALLATION_EGRESS_CHANGED,
                app_id,
                site,
                &subject,
                serde_json::json!({
                    "installation": installation.id,
                    "version": version.to_string(),
                    "previous": previous.to_string(),
                    "changes": egress_changes,
                }),
            )
            .await?;
        }
    }
    Ok(())
}
