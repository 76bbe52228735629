//! The demo's customer site: `globex.atlassian.net` (EU), its admin, and the demo's apps
//! installed there, so that the admin controls show something at once: analytics egress
//! switched off on one installation, a new major of Vendor Reports waiting for consent (and,
//! under the site's policy requiring Runs on Atlassian, flagged since it lost the badge).

use apptrust_service::installations::{self, SwitchUpdate};
use apptrust_store::apps::App;
use apptrust_store::sites::PolicyUpdate;
use apptrust_store::users::{NewUser, Role, User};
use apptrust_store::{Actor, Store, StoreError};

/// The demo's site.
pub const SITE: &str = "globex.atlassian.net";
/// Its admin.
pub const ADMIN_EMAIL: &str = "admin@globex.demo.apptrust.invalid";

/// Creates the site and its admin.
pub async fn seed_site(store: &Store, actor: &Actor) -> Result<User, StoreError> {
    installations::create_site(store, SITE, "EU", actor).await?;
    let (admin, _) = store
        .create_user(
            &NewUser {
                name: "Globex site admin".into(),
                email: ADMIN_EMAIL.into(),
                role: Role::SiteAdmin,
                partner: None,
                site: Some(SITE.into()),
            },
            actor,
        )
        .await?;
    Ok(admin)
}

/// Installs `app` on the demo site as its admin; with `analytics_off`, switches analytics
/// egress off.
pub async fn install(
    store: &Store,
    admin: &User,
    app: &App,
    analytics_off: bool,
) -> Result<(), StoreError> {
    let installed = installations::install(store, SITE, app, &admin.actor()).await?;
    if analytics_off {
        let off = SwitchUpdate {
            allow_analytics_egress: Some(false),
            allow_logs_access: None,
        };
        installations::update_switches(store, installed.id, off, None, &admin.actor()).await?;
    }
    Ok(())
}

/// The site's policy: installed apps must carry Runs on Atlassian.
pub async fn require_runs_on_atlassian(store: &Store, admin: &User) -> Result<(), StoreError> {
    let policy = PolicyUpdate {
        required_badges: Some(vec!["runsOnAtlassian".into()]),
        analytics_egress_default: Some(false),
    };
    installations::set_policy(store, SITE, &policy, &admin.actor()).await?;
    Ok(())
}
