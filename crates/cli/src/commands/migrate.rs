//! `apptrust migrate`: applies pending migrations (the server also does this at start).

use crate::args::DatabaseArgs;
use crate::commands::settings;

pub fn run(args: &DatabaseArgs) -> Result<u8, String> {
    let settings = settings::load(&args.config)?;
    settings::runtime()?.block_on(async {
        let store = settings::open_migrated(&settings).await?;
        let shown = settings
            .database
            .parse::<apptrust_store::DatabaseUrl>()
            .map(|url| url.redacted())
            .unwrap_or_default();
        println!("apptrust migrate: {shown} is up to date");
        store.close().await;
        Ok(0)
    })
}
