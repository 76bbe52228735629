//! `apptrust serve --demo`: seeds a partner, its apps and a short deploy history from the bundled
//! example manifests, so that a newcomer sees badges, reasons and badge events at once.

use apptrust_programs::{AppKey, PartnerKey};
use apptrust_rules::CheckOptions;
use apptrust_store::apps::NewApp;
use apptrust_store::deploy::DeployRequest;
use apptrust_store::users::{NewUser, Role, User};
use apptrust_store::{Actor, Store, StoreError};

const ELIGIBLE: &str = include_str!("../../../examples/eligible/manifest.yml");
const NOT_ELIGIBLE: &str = include_str!("../../../examples/not-eligible/manifest.yml");

/// The demo's users and their fresh tokens.
pub struct DemoLogins {
    pub staff_token: String,
    pub partner_token: String,
}

/// Seeds the demo data unless it is already there, and issues fresh tokens either way (tokens
/// are stored hashed, so earlier ones cannot be shown again).
pub async fn seed(store: &Store) -> Result<DemoLogins, StoreError> {
    let actor = Actor::system("demo");
    let staff_email = "staff@demo.apptrust.invalid";
    let partner_email = "dev@acme.demo.apptrust.invalid";
    if store.partner("acme").await.is_err() {
        let key = PartnerKey::parse("acme").map_err(|e| StoreError::Invalid(e.to_string()))?;
        store
            .create_partner(&key, "Acme Apps (demo)", &actor)
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
        seed_apps(store, &developer, &actor).await?;
    }
    let staff = demo_user(store, staff_email).await?;
    let partner = demo_user(store, partner_email).await?;
    Ok(DemoLogins {
        staff_token: store.create_token(&staff, "demo").await?,
        partner_token: store.create_token(&partner, "demo").await?,
    })
}

async fn demo_user(store: &Store, email: &str) -> Result<User, StoreError> {
    store
        .user_by_email(email)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("demo user {email} is missing")))
}

async fn seed_apps(store: &Store, developer: &User, actor: &Actor) -> Result<(), StoreError> {
    let app = |key: &str, name: &str| -> Result<NewApp, StoreError> {
        Ok(NewApp {
            key: AppKey::parse(key).map_err(|e| StoreError::Invalid(e.to_string()))?,
            name: name.into(),
            partner: "acme".into(),
            framework: "forge".into(),
        })
    };
    // An app that carries the badge.
    let issues = store
        .create_app(&app("com.acme.issue-insights", "Issue Insights")?, actor)
        .await?;
    deploy(store, &issues, developer, "production", ELIGIBLE).await?;
    // An app that had the badge and lost it when a new version widened its egress.
    let reports = store
        .create_app(&app("com.acme.vendor-reports", "Vendor Reports")?, actor)
        .await?;
    deploy(store, &reports, developer, "production", ELIGIBLE).await?;
    deploy(store, &reports, developer, "development", NOT_ELIGIBLE).await?;
    deploy(store, &reports, developer, "production", NOT_ELIGIBLE).await?;
    Ok(())
}

async fn deploy(
    store: &Store,
    app: &apptrust_store::apps::App,
    developer: &User,
    environment: &str,
    manifest: &str,
) -> Result<(), StoreError> {
    let evaluation = apptrust_rules::evaluate(manifest.as_bytes(), &CheckOptions::default());
    store
        .deploy(&DeployRequest {
            app,
            environment,
            manifest,
            requested_version: None,
            idempotency_key: None,
            evaluation: &evaluation,
            deployer: developer,
        })
        .await?;
    Ok(())
}
