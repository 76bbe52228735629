//! One module per subcommand.

pub mod check;
pub mod diff;
pub mod explain;
pub mod rules;
