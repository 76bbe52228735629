//! Turns the paths on the command line into the list of manifests to check.

use std::io::Read;
use std::path::{Path, PathBuf};

/// One manifest to check.
#[derive(Clone, Debug)]
pub enum Input {
    /// A file on disk.
    File(PathBuf),
    /// Standard input, already read (bounded by the size limit).
    Stdin {
        name: String,
        bytes: Result<Vec<u8>, String>,
    },
}

impl Input {
    /// The name reports use.
    pub fn display(&self) -> String {
        match self {
            Input::File(p) => display_path(p),
            Input::Stdin { name, .. } => name.clone(),
        }
    }
}

/// A path as reports show it: forward slashes, no leading `./`.
pub fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

const MANIFEST_NAMES: [&str; 2] = ["manifest.yml", "manifest.yaml"];

/// Expands the command-line paths. Directories are searched recursively in sorted order.
pub fn collect(
    paths: &[PathBuf],
    stdin_name: &str,
    max_bytes: usize,
) -> Result<Vec<Input>, String> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin {
                name: stdin_name.to_string(),
                bytes: read_stdin(max_bytes),
            });
        } else if path.is_dir() {
            let before = inputs.len();
            walk(path, &mut inputs);
            if inputs.len() == before {
                return Err(format!(
                    "no manifest.yml or manifest.yaml found under {}",
                    display_path(path)
                ));
            }
        } else {
            inputs.push(Input::File(path.clone()));
        }
    }
    Ok(inputs)
}

fn read_stdin(max_bytes: usize) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    std::io::stdin()
        .lock()
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(bytes)
}

fn walk(dir: &Path, out: &mut Vec<Input>) {
    let mut stack = vec![dir.to_path_buf()];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !name.starts_with('.') && name != "node_modules" && name != "target" {
                    stack.push(path);
                }
            } else if MANIFEST_NAMES.contains(&name.as_ref()) {
                found.push(path);
            }
        }
    }
    found.sort();
    out.extend(found.into_iter().map(Input::File));
}
