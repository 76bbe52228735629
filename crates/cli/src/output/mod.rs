//! Report writers: human, JSON and SARIF, plus the progress bar.

pub mod human;
pub mod json;
pub mod progress;
pub mod sarif;
pub mod source_map;
