//! Staff corrections to an app: the Forge app it is bound to.

use apptrust_store::apps::{self, App};
use apptrust_store::{Actor, Store, StoreError, audit};

/// Binds the app to another Forge app id, or unbinds it (`None`: its next deploy binds it
/// again), for staff correcting a wrong binding; audited with the old and the new id. The app's
/// row is locked first, so a deploy checking its manifest against the binding waits for the
/// correction (or the other way round). A conflict when another app holds the id.
pub async fn set_forge_app_id(
    store: &Store,
    app: &App,
    forge_app_id: Option<&str>,
    actor: &Actor,
) -> Result<App, StoreError> {
    let now = store.now();
    let mut tx = store.begin().await?;
    let before = apps::lock_forge_app_id_in(tx.connection(), app.id).await?;
    apps::set_forge_app_id_in(tx.connection(), app.id, forge_app_id).await?;
    audit::record(
        tx.connection(),
        &now,
        actor,
        "app.forge-app-id",
        &format!("app:{}", app.key),
        serde_json::json!({"from": before, "to": forge_app_id}),
    )
    .await?;
    tx.commit().await?;
    store.app(&app.key).await
}
