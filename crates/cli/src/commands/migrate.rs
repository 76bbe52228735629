//! `apptrust migrate`: applies pending migrations (the server also does this at start).

use crate::args::DatabaseArgs;
use crate::commands::settings;

pub fn run(args: &DatabaseArgs) -> Result<u8, String> {
    let settings = settings::load(&args.config)?;
    settings::runtime()?.block_on(async {
        let store = settings::open_migrated(&settings).await?;
        println!("apptrust migrate: {} is up to date", settings.database);
        store.close().await;
        Ok(0)
    })
}
