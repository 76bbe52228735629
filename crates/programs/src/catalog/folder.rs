//! Reading a programs folder from disk: the one place this crate touches the file system, for
//! the command line (`apptrust programs check DIR`) and the server (`programs-dir`).

use std::path::Path;

use super::SourceFile;

/// The largest program file read (requirement sets are a few kB).
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Every file under `dir` (at most two folders deep, as the layout is), with paths relative to
/// it, sorted. An unreadable folder or file, or one over 1 MiB, is an error naming it.
pub fn read_folder(dir: &Path) -> Result<Vec<SourceFile>, String> {
    let mut files = Vec::new();
    walk(dir, dir, 0, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn walk(root: &Path, dir: &Path, depth: usize, files: &mut Vec<SourceFile>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the folder {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot read the folder {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            if depth < 2 {
                walk(root, &path, depth + 1, files)?;
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let size = std::fs::metadata(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .len();
        if size > MAX_FILE_BYTES {
            return Err(format!("{} is larger than 1 MiB", path.display()));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let relative = path.strip_prefix(root).unwrap_or(&path);
        files.push(SourceFile {
            path: relative.to_string_lossy().replace('\\', "/"),
            text,
        });
    }
    Ok(())
}
