//! The programs folder of the repository (`programs/`), built into the binary so that a fresh
//! install has its programs without a folder beside it. `programs-dir` in the settings loads a
//! folder instead. A test keeps this list equal to the folder.

use crate::catalog::SourceFile;

macro_rules! files {
    ($($path:literal),+ $(,)?) => {
        &[$(($path, include_str!(concat!("../../../programs/", $path)))),+]
    };
}

/// (path relative to `programs/`, text).
const FILES: &[(&str, &str)] = files!(
    "bug-bounty-participant/program.toml",
    "cloud-fortified/program.toml",
    "cloud-fortified/requirements/2026-01.toml",
    "cloud-fortified/requirements/2027-01.toml",
    "cloud-security-participant/program.toml",
    "runs-on-atlassian/program.toml",
);

/// The built-in program files.
pub fn files() -> Vec<SourceFile> {
    FILES
        .iter()
        .map(|(path, text)| SourceFile {
            path: (*path).to_string(),
            text: (*text).to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_is_the_folder() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../programs");
        let mut found = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "toml") {
                    let relative = path.strip_prefix(&root).unwrap();
                    found.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        found.sort();
        let listed: Vec<&str> = super::FILES.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            found, listed,
            "list every file of programs/ in builtin.rs, sorted"
        );
    }
}
