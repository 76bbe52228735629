//! `apptrust serve`.

use crate::args::ServeArgs;
use crate::commands::settings;

pub fn run(args: &ServeArgs) -> Result<u8, String> {
    let mut settings = settings::load(&args.config)?;
    if let Some(listen) = &args.listen {
        settings.listen.clone_from(listen);
    }
    settings.demo |= args.demo;
    settings.test_clock = args.test_clock;
    if let Some(format) = &args.log_format {
        settings.log_format.clone_from(format);
    }
    if let Some(level) = &args.log_level {
        settings.log_level.clone_from(level);
    }
    if let Some(n) = args.max_connections {
        settings.max_connections = n;
    }
    if let Some(ms) = args.trust_cache_ms {
        settings.trust_cache_ms = ms;
    }
    if let Some(ms) = args.egress_cache_ms {
        settings.egress_cache_ms = ms;
    }
    if let Some(ms) = args.job_interval_ms {
        settings.job_interval_ms = ms;
    }
    settings.allow_private_webhooks |= args.allow_private_webhooks;
    if let Some(url) = &args.smtp_url {
        settings.smtp_url = Some(url.clone());
    }
    if let Some(from) = &args.mail_from {
        settings.mail_from.clone_from(from);
    }
    settings::runtime()?
        .block_on(apptrust_server::startup::run(settings))
        .map_err(|e| e.to_string())?;
    Ok(0)
}
