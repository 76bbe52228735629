//! `apptrust admin bootstrap`: the first staff user of a fresh database.

use crate::args::AdminCommand;
use crate::commands::settings;

pub fn run(command: &AdminCommand) -> Result<u8, String> {
    let AdminCommand::Bootstrap(args) = command;
    let settings = settings::load(&args.config)?;
    settings::runtime()?.block_on(async {
        let store = settings::open_migrated(&settings).await?;
        let (user, token) = store
            .bootstrap_staff(&args.name, &args.email)
            .await
            .map_err(|e| e.to_string())?;
        store.close().await;
        eprintln!(
            "apptrust admin bootstrap: created staff user {} <{}>. Their API token follows; it is \
             shown only this once.",
            user.name, user.email
        );
        println!("{token}");
        Ok(0)
    })
}
