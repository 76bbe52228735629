//! `apptrust serve --demo`: seeds a partner, its apps and a short deploy history from the bundled
//! example manifests, so that a newcomer sees badges, reasons and badge events at once.

use apptrust_programs::catalog::Catalog;
use apptrust_programs::{AppKey, PartnerKey};
use std::sync::Arc;

use apptrust_service::deploy::{self, DeployRequest};
use apptrust_store::apps::NewApp;
use apptrust_store::evaluator::Evaluator;
use apptrust_store::tokens::NewToken;
use apptrust_store::users::{NewUser, Role, User};
use apptrust_store::variables::Variables;
use apptrust_store::{Actor, Store, StoreError};

mod fortified;
mod sites;

const ELIGIBLE: &str = include_str!("../../../../examples/eligible/manifest.yml");
const NOT_ELIGIBLE: &str = include_str!("../../../../examples/not-eligible/manifest.yml");

/// The demo's users and their fresh tokens.
pub struct DemoLogins {
    pub staff_token: String,
    pub partner_token: String,
    pub site_admin_token: String,
}

const STAFF_EMAIL: &str = "staff@demo.apptrust.invalid";
const PARTNER_EMAIL: &str = "dev@acme.demo.apptrust.invalid";
const PARTNER: &str = "acme";

/// Seeds the demo data unless it is already there, and issues fresh tokens either way (tokens
/// are stored hashed, so earlier ones cannot be shown again), revoking the demo users' earlier
/// tokens and sessions. Refuses a database that holds anything besides the demo's users and
/// partner: the demo must never add a known-token staff user to a real installation.
pub async fn seed(
    store: &Store,
    evaluator: &Evaluator,
    programs: &Catalog,
) -> Result<DemoLogins, StoreError> {
    let actor = Actor::system("demo");
    let (users, partners) = store
        .data_other_than(
            &[STAFF_EMAIL, PARTNER_EMAIL, sites::ADMIN_EMAIL],
            &[PARTNER],
        )
        .await?;
    if users > 0 || partners > 0 {
        return Err(StoreError::Conflict(format!(
            "refusing --demo: this database holds data that is not the demo's ({users} other \
             users, {partners} other partners); give the demo its own file, e.g. \
             `--database demo.db`"
        )));
    }
    let staff_email = STAFF_EMAIL;
    let partner_email = PARTNER_EMAIL;
    if store.partner(PARTNER).await.is_err() {
        let key = PartnerKey::parse("acme").map_err(|e| StoreError::Invalid(e.to_string()))?;
        store
            .create_partner(&key, "Acme Apps (demo)", "Europe/Berlin", &actor)
            .await?;
        store
            .create_user(
                &NewUser {
                    name: "Demo staff".into(),
                    email: staff_email.into(),
                    role: Role::Staff,
                    partner: None,
                    site: None,
                },
                &actor,
            )
            .await?;
        let (developer, _) = store
            .create_user(
                &NewUser {
                    name: "Acme developer".into(),
                    email: partner_email.into(),
                    role: Role::Partner,
                    partner: Some("acme".into()),
                    site: None,
                },
                &actor,
            )
            .await?;
        let site_admin = sites::seed_site(store, &actor).await?;
        seed_apps(store, &developer, &site_admin, &actor, evaluator).await?;
        let staff = demo_user(store, staff_email).await?;
        fortified::seed(store, programs, &staff, &developer).await?;
    }
    // A demo database made before the demo had a site gets it now (without installations).
    if store.site(sites::SITE).await.is_err() {
        sites::seed_site(store, &actor).await?;
    }
    let staff = demo_user(store, staff_email).await?;
    let partner = demo_user(store, partner_email).await?;
    let site_admin = demo_user(store, sites::ADMIN_EMAIL).await?;
    let new = NewToken {
        label: "demo",
        expires_at: None,
        parent: None,
    };
    let mut tokens = Vec::new();
    for user in [&staff, &partner, &site_admin] {
        store.revoke_all_tokens(user.id, &actor).await?;
        tokens.push(store.create_token(user, &new, i64::MAX, &actor).await?.1);
    }
    let [staff_token, partner_token, site_admin_token] =
        <[String; 3]>::try_from(tokens).map_err(|_| StoreError::Invalid("demo tokens".into()))?;
    Ok(DemoLogins {
        staff_token,
        partner_token,
        site_admin_token,
    })
}

async fn demo_user(store: &Store, email: &str) -> Result<User, StoreError> {
    store
        .user_by_email(email)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("demo user {email} is missing")))
}

async fn seed_apps(
    store: &Store,
    developer: &User,
    site_admin: &User,
    actor: &Actor,
    evaluator: &Evaluator,
) -> Result<(), StoreError> {
    let app = |key: &str, name: &str| -> Result<NewApp, StoreError> {
        Ok(NewApp {
            key: AppKey::parse(key).map_err(|e| StoreError::Invalid(e.to_string()))?,
            name: name.into(),
            partner: "acme".into(),
            framework: "forge".into(),
            forge_app_id: None,
        })
    };
    // An app that carries the badge. It is the eligible example's Forge app, so that the
    // README's `apptrust deploy ... examples/eligible/manifest.yml` works against it.
    let issues = store
        .create_app(&app("com.acme.issue-insights", "Issue Insights")?, actor)
        .await?;
    deploy(store, evaluator, &issues, developer, "production", ELIGIBLE).await?;
    sites::install(store, site_admin, &issues, true).await?;
    // An app that had the badge and lost it when a new version widened its egress: the two
    // examples, as versions of one Forge app of its own.
    let reports = store
        .create_app(&app("com.acme.vendor-reports", "Vendor Reports")?, actor)
        .await?;
    // Globex installed it before the new major came: that major waits for its consent.
    for (environment, manifest, then_install) in [
        ("production", ELIGIBLE, true),
        ("development", NOT_ELIGIBLE, false),
        ("production", NOT_ELIGIBLE, false),
    ] {
        let manifest = with_app_id(manifest, VENDOR_REPORTS_APP_ID);
        deploy(
            store,
            evaluator,
            &reports,
            developer,
            environment,
            &manifest,
        )
        .await?;
        if then_install {
            sites::install(store, site_admin, &reports, false).await?;
        }
    }
    // An app that will be approved, then suspended after a customer's escalation.
    let board = store
        .create_app(&app("com.acme.board-sync", "Board Sync")?, actor)
        .await?;
    let manifest = with_app_id(ELIGIBLE, BOARD_SYNC_APP_ID);
    deploy(store, evaluator, &board, developer, "production", &manifest).await?;
    sites::install(store, site_admin, &board, false).await?;
    sites::require_runs_on_atlassian(store, site_admin).await?;
    Ok(())
}

/// The Forge app id of the demo's third app.
const BOARD_SYNC_APP_ID: &str = "ari:cloud:ecosystem::app/00000000-0000-4000-8000-0000000000a3";

/// The Forge app id of the demo's second app.
const VENDOR_REPORTS_APP_ID: &str = "ari:cloud:ecosystem::app/00000000-0000-4000-8000-0000000000a2";

/// An example manifest as a version of another Forge app: its `app.id` replaced.
fn with_app_id(manifest: &str, id: &str) -> String {
    manifest
        .lines()
        .map(|line| {
            match line
                .trim_start()
                .strip_prefix("id: ari:cloud:ecosystem::app/")
            {
                Some(_) => format!("  id: {id}"),
                None => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

async fn deploy(
    store: &Store,
    evaluator: &Evaluator,
    app: &apptrust_store::apps::App,
    developer: &User,
    environment: &str,
    manifest: &str,
) -> Result<(), StoreError> {
    let none = Variables::none();
    let assessed = deploy::assess(
        evaluator,
        Arc::from(manifest),
        Arc::new(none.clone()),
        store.now(),
    )
    .await?;
    let request = DeployRequest {
        app,
        environment,
        manifest,
        variables: &none,
        fingerprint: &apptrust_store::secrets::hash(manifest),
        requested_version: None,
        idempotency_key: None,
        assessed: &assessed,
        deployer: developer,
    };
    deploy::deploy(store, &request, evaluator).await?;
    Ok(())
}
