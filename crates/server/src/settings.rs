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
    /// Run on a test clock that staff can read and move forward through the API
    /// (`/api/v1/test/clock`). Only ever set by the `--test-clock` flag: never from a file or
    /// the environment, so that no production configuration can turn it on by accident.
    #[serde(skip)]
    pub test_clock: bool,
    /// How log lines are written to standard error: `text` or `json` (one object per line).
    pub log_format: String,
    /// The lowest level logged: `error`, `warn`, `info`, `debug` (one line per request), `trace`.
    pub log_level: String,
    /// Connections per instance (PostgreSQL) or readers (SQLite).
    pub max_connections: u32,
    /// Largest deploy request body, in bytes (the manifest travels JSON-escaped inside it).
    pub max_body_bytes: usize,
    /// Largest body of any other JSON request, in bytes.
    pub max_json_body_bytes: usize,
    /// Largest sign-in body, in bytes: the route is public, and a token is 68 characters.
    pub max_sign_in_body_bytes: usize,
    /// Largest body of a batch of signals, in bytes: up to 1,000 measurements of about 80
    /// bytes each.
    pub max_signals_body_bytes: usize,
    /// How long a public trust document may be served from memory, in milliseconds. Deploys on
    /// the same instance refresh it at once; other instances see a change within this time.
    pub trust_cache_ms: u64,
    /// How long egress decisions trust what they remember of an installation (its switch and
    /// version in force) and of a bearer token, in milliseconds: a change made on another
    /// instance takes effect within this time.
    pub egress_cache_ms: u64,
    /// The gap between re-evaluation rounds, which look for stored versions evaluated by an
    /// older rules engine, in milliseconds (rounded up to whole seconds).
    pub job_interval_ms: u64,
    /// How often an idle timer runner looks for due timers, in milliseconds.
    pub timer_interval_ms: u64,
    /// Ordinary manifests (under 160 kB) evaluated at once; larger ones go one at a time on a
    /// lane of their own. Further deploys wait.
    pub evaluation_slots: usize,
    /// How long a deploy may wait for its evaluation lane before it is refused with `503`.
    pub evaluation_queue_timeout_ms: u64,
    /// Deploys one partner (or one staff member) may have in flight at once, waiting or
    /// running; more are refused with `429`.
    pub max_deploys_per_partner: usize,
    /// Of those, large ones (a body of 160 kB or more, or of unknown length).
    pub max_large_deploys_per_partner: usize,
    /// Deploys one `platform` account may have in flight at once: it reports for every
    /// partner's apps, so a partner's share would throttle the whole marketplace.
    pub max_deploys_per_platform_account: usize,
    /// Of those, large ones.
    pub max_large_deploys_per_platform_account: usize,
    /// Memory that deploy bodies being received or waiting may take together, in MiB: each
    /// deploy reserves its `Content-Length` before its body is read.
    pub deploy_body_budget_mib: usize,
    /// Lifetime of a browser session, in hours.
    pub session_hours: i64,
    /// Mark the session cookie `Secure`. Unset: automatic (on when the listen address is not
    /// loopback, or the request came over HTTPS according to `X-Forwarded-Proto`).
    pub secure_cookies: Option<bool>,
    /// Open HTTP connections at once; more are answered `503` and closed.
    pub max_http_connections: usize,
    /// Time a client has to send a request head, from its first byte, in milliseconds.
    pub header_read_timeout_ms: u64,
    /// Time a client has to send a request body, in milliseconds.
    pub body_read_timeout_ms: u64,
    /// Time an open connection may wait for its next request, in milliseconds.
    pub idle_timeout_ms: u64,
    /// Time a stop waits for requests in flight, in milliseconds.
    pub shutdown_grace_ms: u64,
    /// Largest request head (request line and headers), in bytes.
    pub max_head_bytes: usize,
    /// Longest request line, in bytes.
    pub max_request_line_bytes: usize,
    /// Most header fields in one request.
    pub max_headers: usize,
    /// Longest search text (`q`), in characters.
    pub max_search_chars: usize,
    /// Live API tokens one user may hold.
    pub max_tokens_per_user: i64,
    /// Environments one app may have (the three standard ones included).
    pub max_environments_per_app: i64,
    /// Variables one deploy may carry (`"variables"` of the deploy request).
    pub max_deploy_variables: usize,
    /// Bytes of a deploy's variable names and values together.
    pub max_deploy_variables_bytes: usize,
    /// Unknown app keys whose trust reads are remembered as "no such app", apart from the
    /// documents, so that a flood of unknown keys costs bounded memory and never evicts them.
    pub max_trust_negatives: usize,
    /// How long `/metrics` may show the count of stale evaluations before counting again, in
    /// milliseconds (the count reads every current evaluation).
    pub metrics_refresh_ms: u64,
    /// Let webhooks reach loopback and private addresses (and plain `http`). Off, so that a
    /// webhook cannot probe the network the server runs in; tests and the demo turn it on.
    pub allow_private_webhooks: bool,
    /// The SMTP relay e-mail goes through: `smtp://host:port` (in the clear),
    /// `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465`, with `user:password@`
    /// when the relay asks. Unset: no e-mail is sent (webhooks still are).
    pub smtp_url: Option<String>,
    /// The sender of notification e-mail.
    pub mail_from: String,
    /// A programs folder to load instead of the programs built into the binary (the layout of
    /// `programs/` in the repository). Checked at start: a problem stops start-up.
    pub programs_dir: Option<String>,
    /// How often an idle deliverer looks for notifications to send, in milliseconds.
    pub delivery_interval_ms: u64,
    /// How long one webhook request or one SMTP exchange may take, in milliseconds.
    pub delivery_timeout_ms: u64,
    /// Live webhooks one partner (or the staff together) may have registered.
    pub max_webhooks_per_owner: i64,
    /// Whether production versions that partners (or staff) report move badges. On, so that a
    /// marketplace without a platform hook works; off, only versions the deployment pipeline's
    /// `platform` account reports do, and partners' reports are kept and shown beside them.
    pub count_partner_reported_deploys: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".to_string(),
            database: "apptrust.db".to_string(),
            demo: false,
            test_clock: false,
            log_format: "text".to_string(),
            log_level: "info".to_string(),
            max_connections: 16,
            max_body_bytes: 4 * 1024 * 1024,
            max_json_body_bytes: 64 * 1024,
            max_sign_in_body_bytes: 1024,
            max_signals_body_bytes: 256 * 1024,
            trust_cache_ms: 1000,
            egress_cache_ms: 250,
            job_interval_ms: 5000,
            timer_interval_ms: 1000,
            evaluation_slots: std::thread::available_parallelism().map_or(2, usize::from),
            evaluation_queue_timeout_ms: 30_000,
            max_deploys_per_partner: 32,
            max_large_deploys_per_partner: 2,
            max_deploys_per_platform_account: 256,
            max_large_deploys_per_platform_account: 16,
            deploy_body_budget_mib: 64,
            session_hours: 12,
            secure_cookies: None,
            max_http_connections: 512,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            idle_timeout_ms: 60_000,
            shutdown_grace_ms: 30_000,
            max_head_bytes: 32 * 1024,
            max_request_line_bytes: 8 * 1024,
            max_headers: 100,
            max_search_chars: 200,
            max_tokens_per_user: 100,
            max_environments_per_app: 50,
            max_deploy_variables: 100,
            max_deploy_variables_bytes: 64 * 1024,
            max_trust_negatives: 65_536,
            metrics_refresh_ms: 30_000,
            allow_private_webhooks: false,
            smtp_url: None,
            mail_from: "apptrust <apptrust@localhost>".to_string(),
            programs_dir: None,
            delivery_interval_ms: 1000,
            delivery_timeout_ms: 10_000,
            max_webhooks_per_owner: 20,
            count_partner_reported_deploys: true,
        }
    }
}

impl Settings {
    /// Reads a TOML config file's text over the defaults.
    pub fn from_toml(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}
