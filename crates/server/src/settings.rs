//! Every setting of `apptrust serve` in one place, with its default. The command line fills it
//! from (highest first) flags, `APPTRUST_*` environment variables, a TOML config file, and these
//! defaults.

use serde::Deserialize;

/// The service's settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (printed at start).
    pub listen: String,
    /// A `postgres://` URL or a SQLite file path.
    pub database: String,
    /// Seed demo partners, apps and versions at start.
    pub demo: bool,
    /// Connections per instance (PostgreSQL) or readers (SQLite).
    pub max_connections: u32,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a public trust document may be served from memory, in milliseconds. Deploys on
    /// the same instance refresh it at once; other instances see a change within this time.
    pub trust_cache_ms: u64,
    /// How often the background job looks for stale evaluations, in milliseconds.
    pub job_interval_ms: u64,
    /// Manifests evaluated at once; further deploys wait (bounds memory under hostile input).
    pub evaluation_slots: usize,
    /// Lifetime of a browser session, in hours.
    pub session_hours: i64,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".to_string(),
            database: "apptrust.db".to_string(),
            demo: false,
            max_connections: 16,
            max_body_bytes: 4 * 1024 * 1024,
            trust_cache_ms: 1000,
            job_interval_ms: 5000,
            evaluation_slots: std::thread::available_parallelism().map_or(2, usize::from),
            session_hours: 12,
            secure_cookies: false,
        }
    }
}

impl Settings {
    /// Reads a TOML config file's text over the defaults.
    pub fn from_toml(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}
