//! One module per subcommand.

#[cfg(feature = "service")]
pub mod admin;
pub mod check;
pub mod deploy;
pub mod diff;
pub mod explain;
pub mod installations;
#[cfg(feature = "service")]
pub mod migrate;
pub mod programs;
pub mod rules;
#[cfg(feature = "service")]
pub mod serve;
#[cfg(feature = "service")]
pub mod settings;
