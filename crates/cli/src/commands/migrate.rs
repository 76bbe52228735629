//! `apptrust migrate`: applies pending migrations (the server also does this at start).

use crate::args::DatabaseArgs;
use crate::commands::settings;

pub fn run(args: &DatabaseArgs) -> Result<u8, String> {
    let settings = settings::load(&args.config)?;
    settings::runtime()?.block_on(async {
        let store = apptrust_server::startup::open_store(&settings)
            .await
            .map_err(|e| e.to_string())?;
        store.migrate().await.map_err(|e| e.to_string())?;
        println!("apptrust migrate: {} is up to date", settings.database);
        store.close().await;
        Ok(0)
    })
}
