//! The trust-program domain, kept pure: no I/O and no clock reads (callers pass time in), so that
//! every rule about versions and badges is tested without a database or a server.
//!
//! So far: app version numbering from the rules engine's change classification, the Runs on
//! Atlassian badge, which follows the latest production version, and the catalog of programs and
//! their requirement sets, read from data files (`programs/` in the repository).

pub mod builtin;
pub mod catalog;
pub mod fortified;
pub mod names;
pub mod program;
pub mod runs_on_atlassian;
pub mod version;

pub use names::{
    AppKey, DisplayName, EnvironmentName, FORGE_APP_ID_PREFIX, ForgeAppId, NameError, PartnerKey,
    STANDARD_ENVIRONMENTS,
};
pub use program::Program;
pub use runs_on_atlassian::{BadgeEvent, BadgeStatus, Cause, Deploy, RunsOnAtlassian};
pub use version::{AppVersion, VersionChoiceError, VersionError};

/// How a value of the domain spells itself in files and the API (its serde name: `in-review`,
/// `staff-configures-and-tests`); empty for a value that is not a plain name.
pub fn spelled<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
