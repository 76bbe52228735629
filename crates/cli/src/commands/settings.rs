//! Assembling the service's settings: defaults, then the config file, then `APPTRUST_*`
//! variables and flags (clap has already merged those two, flags first).

use apptrust_server::Settings;

use crate::args::ConfigArgs;

/// The settings before serve-only flags are applied.
pub fn load(config: &ConfigArgs) -> Result<Settings, String> {
    let mut settings = match &config.config {
        None => Settings::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
            Settings::from_toml(&text)
                .map_err(|e| format!("config file {}: {e}", path.display()))?
        }
    };
    if let Some(database) = &config.database {
        settings.database.clone_from(database);
    }
    Ok(settings)
}

/// A Tokio runtime for the service commands.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Manifests are evaluated on blocking threads; an idle one still holds the memory its
        // allocator kept for it, so it exits soon instead of after the default 10 s.
        .thread_keep_alive(std::time::Duration::from_millis(500))
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Opens the configured database and applies pending migrations.
pub async fn open_migrated(settings: &Settings) -> Result<apptrust_store::Store, String> {
    let store = apptrust_server::startup::open_store(settings)
        .await
        .map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    Ok(store)
}
