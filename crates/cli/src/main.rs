//! `apptrust`: the Runs on Atlassian eligibility checker and trust-program tooling.

mod args;
mod commands;
mod inputs;
mod output;
mod suppress;
mod variables;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// mimalloc gives freed memory back to the system within milliseconds, from whichever thread
/// freed it. With the system allocator, each thread that had evaluated a large manifest kept
/// its peak: a server's memory after a burst of large deploys grew with the number of worker
/// threads instead of returning to its resting size (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status 2: an error, or a usage problem.
pub const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Explain(args) => commands::explain::run(&args),
        Command::Rules(args) => commands::rules::run(&args),
        Command::Diff(args) => commands::diff::run(&args),
        #[cfg(feature = "service")]
        Command::Serve(args) => commands::serve::run(&args),
        #[cfg(feature = "service")]
        Command::Migrate(args) => commands::migrate::run(&args),
        #[cfg(feature = "service")]
        Command::Admin(command) => commands::admin::run(&command),
        Command::Deploy(args) => commands::deploy::run(&args),
        Command::Installations(command) => commands::installations::run(&command),
        Command::Programs(command) => commands::programs::run(&command),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("apptrust: error: {error}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
