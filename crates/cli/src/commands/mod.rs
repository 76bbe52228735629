//! One module per subcommand.

pub mod admin;
pub mod check;
pub mod deploy;
pub mod diff;
pub mod explain;
pub mod migrate;
pub mod rules;
pub mod serve;
pub mod settings;
