//! The command line, declared once; `--help` is generated from these doc comments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Check Forge apps against Atlassian's trust programs.
///
/// Exit status of `check`: 0 when every file is eligible, 1 when any is not eligible or blocked,
/// 2 when any file could not be evaluated or the command line is wrong.
#[derive(Parser, Debug)]
#[command(
    name = "apptrust",
    version,
    about,
    long_about,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check manifests for Runs on Atlassian eligibility, offline.
    Check(CheckArgs),
    /// Print the documentation of a rule, blocker, advisory or error code.
    Explain(ExplainArgs),
    /// List every code, one line each.
    Rules(RulesArgs),
    /// Classify the change between two versions of a manifest (major or minor) and tell whether
    /// eligibility is gained or lost.
    Diff(DiffArgs),
    /// Run the trust-program service (JSON API, public trust reads, background re-evaluation).
    #[cfg(feature = "service")]
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    #[cfg(feature = "service")]
    Migrate(DatabaseArgs),
    /// Administration of a service database.
    #[cfg(feature = "service")]
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Deploy a manifest to an apptrust server and print its verdict (for CI pipelines).
    Deploy(DeployArgs),
    /// A site's installations on an apptrust server: switches, effective egress, egress
    /// decisions and consent to new majors (for site admins' scripts).
    #[command(subcommand)]
    Installations(InstallationsCommand),
    /// Trust programs and their requirement sets, as data.
    #[command(subcommand)]
    Programs(ProgramsCommand),
}

#[derive(Subcommand, Debug)]
pub enum ProgramsCommand {
    /// Check a programs folder (as `programs/` in the repository): every problem with its file
    /// and line, exit 1 when there is one; otherwise what it holds.
    Check(ProgramsCheckArgs),
}

#[derive(Args, Debug)]
pub struct ProgramsCheckArgs {
    /// The folder: one sub-folder per program, with `program.toml` and `requirements/*.toml`.
    pub dir: PathBuf,
    /// Print the loaded programs as JSON instead of a summary.
    #[arg(long)]
    pub json: bool,
}

#[cfg(feature = "service")]
/// Where the service's settings come from, besides the flags themselves.
#[derive(Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// A TOML file with any of the settings (keys as in docs/service.md). Flags and APPTRUST_*
    /// variables override it.
    #[arg(long, env = "APPTRUST_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A `postgres://` URL or a SQLite file path [default: apptrust.db].
    #[arg(long, env = "APPTRUST_DATABASE", value_name = "URL")]
    pub database: Option<String>,
}

#[cfg(feature = "service")]
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Address to listen on; port 0 picks a free one [default: 127.0.0.1:8080].
    #[arg(long, env = "APPTRUST_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Seed a demo partner, apps and versions from the bundled examples, and print demo tokens.
    #[arg(long, env = "APPTRUST_DEMO")]
    pub demo: bool,
    /// FOR TESTS ONLY: run on a clock that staff can read and move forward through
    /// `/api/v1/test/clock`. Only this flag turns it on (no variable, no config file).
    #[arg(long)]
    pub test_clock: bool,
    /// Log lines on standard error as `text` or `json` [default: text].
    #[arg(long, env = "APPTRUST_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Lowest level logged: error, warn, info, debug (a line per request), trace [default: info].
    #[arg(long, env = "APPTRUST_LOG_LEVEL", value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Database connections per instance (PostgreSQL) or readers (SQLite) [default: 16].
    #[arg(long, env = "APPTRUST_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<u32>,
    /// How long public trust documents are served from memory, in ms [default: 1000].
    #[arg(long, env = "APPTRUST_TRUST_CACHE_MS", value_name = "MS")]
    pub trust_cache_ms: Option<u64>,
    /// How long egress decisions trust a remembered installation and bearer token, in ms
    /// [default: 250]: changes on another instance take effect within this time.
    #[arg(long, env = "APPTRUST_EGRESS_CACHE_MS", value_name = "MS")]
    pub egress_cache_ms: Option<u64>,
    /// Gap between re-evaluation rounds (looking for versions evaluated by an older rules
    /// engine), in ms [default: 5000].
    #[arg(long, env = "APPTRUST_JOB_INTERVAL_MS", value_name = "MS")]
    pub job_interval_ms: Option<u64>,
    /// Let webhooks reach loopback and private addresses and plain http (tests, local
    /// development); off by default so that webhooks cannot probe the server's network.
    #[arg(long, env = "APPTRUST_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
    /// The SMTP relay for notification e-mail, e.g. smtp://127.0.0.1:2525 or
    /// smtps://user:password@mail.example.com [default: none, no e-mail].
    #[arg(long, env = "APPTRUST_SMTP_URL", value_name = "URL")]
    pub smtp_url: Option<String>,
    /// The sender of notification e-mail [default: apptrust <apptrust@localhost>].
    #[arg(long, env = "APPTRUST_MAIL_FROM", value_name = "MAILBOX")]
    pub mail_from: Option<String>,
}

#[cfg(feature = "service")]
#[derive(Args, Debug)]
pub struct DatabaseArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[cfg(feature = "service")]
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create the first staff user of a fresh database and print their API token.
    Bootstrap(BootstrapArgs),
}

#[cfg(feature = "service")]
#[derive(Args, Debug)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The staff user's name.
    #[arg(long, default_value = "Administrator")]
    pub name: String,
    /// The staff user's e-mail address.
    #[arg(long, default_value = "admin@apptrust.invalid")]
    pub email: String,
}

#[derive(Args, Debug)]
pub struct DeployArgs {
    /// The manifest to deploy.
    pub manifest: PathBuf,
    /// The server's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "APPTRUST_SERVER", value_name = "URL")]
    pub server: String,
    /// An API token (prefer the APPTRUST_TOKEN variable: flags show up in process lists).
    #[arg(
        long,
        env = "APPTRUST_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// The app's key.
    #[arg(long, value_name = "KEY")]
    pub app: String,
    /// The environment, e.g. production (`--env` is accepted too: as in the Forge CLI, it names
    /// the environment; variable values are `--var`).
    #[arg(long, short = 'e', alias = "env", value_name = "ENV")]
    pub environment: String,
    /// Value of a declared `environment.variables` entry, sent with the deploy (repeatable; as
    /// `check --var` and the Forge CLI). Wins over --var-file.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub var: Vec<String>,
    /// Read variable values from a dotenv-style file and send them with the deploy (repeatable;
    /// later files win). The process environment is never sent.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_file: Vec<PathBuf>,
    /// The version to record (MAJOR.MINOR.PATCH); numbered by the server when absent.
    #[arg(long, value_name = "VERSION")]
    pub app_version: Option<String>,
    /// A key that makes retries safe: the same key returns the first deploy's result (one is
    /// made up for each run when none is given).
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
    /// How often to try again when the server is busy (429 or 503), waiting as its
    /// `Retry-After` says (at most 30 s each time). Every attempt carries the same idempotency
    /// key, so a deploy is never recorded twice.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub retries: u32,
    /// How long to wait for the server's answer, in seconds (a large manifest may queue).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    /// Output format (human or json).
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

/// The server, the token and the output format of a client command (as `deploy` takes them).
#[derive(Args, Debug)]
pub struct ClientArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "APPTRUST_SERVER", value_name = "URL")]
    pub server: String,
    /// An API token (prefer the APPTRUST_TOKEN variable: flags show up in process lists).
    #[arg(
        long,
        env = "APPTRUST_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// How long to wait for each of the server's answers, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// Output format (human, or json: the server's JSON body as is).
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

/// `apptrust installations`. Exit status: 0 done (for `decide`: allowed), 1 denied (`decide`),
/// 2 an error, including any the server answers.
#[derive(Subcommand, Debug)]
pub enum InstallationsCommand {
    /// List a site's installations, one line each (every page).
    List(InstallationsListArgs),
    /// Show one installation.
    Show(InstallationArgs),
    /// Switch analytics egress and the partner's logs access on or off.
    Set(InstallationsSetArgs),
    /// The allow-list in force, the switched-off analytics entries and the residency.
    Egress(InstallationArgs),
    /// Whether the installed app may reach a URL: exit 0 when allowed, 1 when denied.
    Decide(InstallationsDecideArgs),
    /// What the offered major changes; with --accept or --decline, answer it.
    Consent(InstallationsConsentArgs),
}

#[derive(Args, Debug)]
pub struct InstallationsListArgs {
    /// The site's key, e.g. acme.atlassian.net.
    #[arg(long, value_name = "SITE")]
    pub site: String,
    /// Installations asked for per request (1 to 200) [default: the server's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=200))]
    pub page_size: Option<i64>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Args, Debug)]
pub struct InstallationArgs {
    /// The installation's id.
    pub id: i64,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// On or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Args, Debug)]
#[command(group(
    clap::ArgGroup::new("switches")
        .args(["analytics_egress", "logs_access"])
        .required(true)
        .multiple(true)
))]
pub struct InstallationsSetArgs {
    /// The installation's id.
    pub id: i64,
    /// Analytics egress: whether the app may reach its analytics destinations.
    #[arg(long, value_enum, value_name = "on|off")]
    pub analytics_egress: Option<Switch>,
    /// Whether the app's partner may read this installation's logs.
    #[arg(long, value_enum, value_name = "on|off")]
    pub logs_access: Option<Switch>,
    /// Refuse the change (409) if the installation moved past this revision.
    #[arg(long, value_name = "N")]
    pub revision: Option<i64>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Args, Debug)]
pub struct InstallationsDecideArgs {
    /// The installation's id.
    pub id: i64,
    /// The outbound URL, whole (https://api.example.com/v1/items).
    pub url: String,
    /// The egress list to decide for [default: fetch.backend, the backend proxy's]; a browser
    /// list such as images or fetch.client.
    #[arg(long, value_name = "LIST")]
    pub list: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Args, Debug)]
pub struct InstallationsConsentArgs {
    /// The installation's id.
    pub id: i64,
    /// Consent to this major (the one offered, as `consent ID` shows it).
    #[arg(long, value_name = "MAJOR", conflicts_with = "decline")]
    pub accept: Option<u32>,
    /// Decline this major: the installation stays on its own until a newer one is offered.
    #[arg(long, value_name = "MAJOR")]
    pub decline: Option<u32>,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Annotated source snippets and a summary, for people.
    Human,
    /// One JSON document (see docs/cli.md for the contract).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
}

/// Output formats of `diff`, `rules`, `deploy` and `installations`: they have no SARIF form, so
/// they do not accept one (rather than print something else when asked for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Text for people.
    Human,
    /// One JSON document.
    Json,
}

/// The verdicts that fail a `check` run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any file not eligible or blocked.
    NotEligible,
    /// Any file blocked (Forge would refuse to deploy it).
    Blocked,
    /// No verdict fails the run.
    Never,
}

/// When to use colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

/// Values for `${NAME}` placeholders of declared `environment.variables`.
#[derive(Args, Debug, Clone, Default)]
pub struct VariableArgs {
    /// Set a deploy-time variable (repeatable), as the Forge CLI's `--var`. Wins over
    /// --var-file and the process environment.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub var: Vec<String>,
    /// Read deploy-time variables from a dotenv-style file (repeatable; later files win).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_file: Vec<PathBuf>,
    /// Deprecated: use --var (in the Forge CLI, --env names an environment).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Deprecated: use --var-file.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Do not take variable values from the process environment (the Forge CLI does).
    #[arg(long)]
    pub no_process_env: bool,
}

/// Baselines and inline waivers of `check` (docs/ci.md, "Baselines and waivers").
#[derive(Args, Debug, Clone, Default)]
pub struct SuppressArgs {
    /// Report only findings that are not in this baseline file (written by --write-baseline).
    /// The verdict stays; --fail-on counts only the findings left open. A missing or malformed
    /// baseline is an error.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Write every current rule and advisory finding (except waived ones) to this baseline
    /// file, then report as if it had been given to --baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// The date waivers' `until=` is compared with (YYYY-MM-DD) instead of today in UTC; for
    /// tests.
    #[arg(long, hide = true, env = "APPTRUST_TODAY", value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Manifest files, directories (searched for manifest.yml / manifest.yaml, skipping hidden
    /// folders and node_modules), or `-` for standard input. Default: the current directory.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Which verdict makes the exit status 1: `not-eligible` (also blocked; the default),
    /// `blocked` only (gate on deploy blockers), or `never`. Unreadable files always exit 2.
    /// Only open findings count: waived and baselined ones do not.
    #[arg(long, value_enum, default_value_t = FailOn::NotEligible)]
    pub fail_on: FailOn,
    /// Judge eligibility alone: skip Forge's own manifest validation (its schema and reference
    /// checks), for manifests written before Forge's current rules. The verdict then says
    /// nothing about whether Forge would deploy the manifest.
    #[arg(long)]
    pub eligibility_only: bool,
    #[command(flatten)]
    pub variables: VariableArgs,
    #[command(flatten)]
    pub suppress: SuppressArgs,
    /// Name to report for standard input.
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    pub stdin_filename: String,
    /// Refuse files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_file_size: usize,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Only print verdicts and the summary (human format).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// When to use colour in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// A code such as HAS_REMOTES (case-insensitive).
    pub code: String,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Output format (human or json).
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Print the approved analytics tools list instead.
    #[arg(long)]
    pub analytics_tools: bool,
    /// Print the full reference of every code as Markdown (this is docs/rules.md).
    #[arg(long, conflicts_with_all = ["analytics_tools", "format"])]
    pub reference: bool,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The manifest of the version deployed now.
    pub old: PathBuf,
    /// The manifest of the version about to be deployed.
    pub new: PathBuf,
    /// Output format (human or json).
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub variables: VariableArgs,
    /// Judge both versions on eligibility alone, without Forge's own manifest validation.
    #[arg(long)]
    pub eligibility_only: bool,
    /// Exit with status 1 when the change needs a new major version.
    #[arg(long)]
    pub fail_on_major: bool,
    /// Exit with status 1 when eligibility is lost.
    #[arg(long)]
    pub fail_on_lost: bool,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
