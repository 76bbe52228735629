//! Report writers: human, JSON and SARIF, plus the progress bar.

pub mod human;
pub mod json;
pub mod progress;
pub mod sarif;
pub mod source_map;
pub mod suppressions;

use std::io::Write;

/// Writes to standard output. A closed pipe (`apptrust rules | head`) ends the output quietly;
/// other write errors are reported.
pub fn emit(text: &str) -> Result<(), String> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write to standard output: {e}")),
    }
}

/// [`emit`] followed by a line break.
pub fn emitln(text: &str) -> Result<(), String> {
    emit(text)?;
    emit("\n")
}
