//! The baseline file: the fingerprints of accepted findings, written by `--write-baseline` and
//! read by `--baseline`.
//!
//! Format version 1, made to be committed and reviewed:
//!
//! ```json
//! {
//!   "version": 1,
//!   "findings": [
//!     {"file": "manifest.yml", "code": "HAS_REMOTES", "fingerprint": "0c3f…", "description": "remote `api` …"}
//!   ]
//! }
//! ```
//!
//! One finding per line, sorted by file, code, description and fingerprint, so that a change
//! to the baseline reads as a diff of whole findings. Only the fingerprint is matched; `file`,
//! `code` and `description` are there for the reviewer (and `file` to tell which entries no
//! longer match anything, and which name files a run did not check). A file that cannot be read, is not this format, or lists a code that
//! may not be baselined is an error: a CI job must never pass because its baseline was silently
//! ignored.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use apptrust_rules::Code;
use serde::{Deserialize, Serialize};

use super::suppressible;

/// The format this apptrust writes and reads.
pub const VERSION: u64 = 1;

/// One accepted finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The path as reported, forward slashes.
    pub file: String,
    /// The code's name.
    pub code: String,
    /// See [`super::fingerprint`].
    pub fingerprint: String,
    /// The message, line numbers removed; for people only.
    #[serde(default)]
    pub description: String,
}

/// A baseline read from a file.
#[derive(Debug, Default)]
pub struct Baseline {
    fingerprints: HashSet<String>,
    by_file: HashMap<String, Vec<String>>,
}

impl Baseline {
    /// Builds one from entries (as just written by `--write-baseline`).
    pub fn from_entries(entries: &[Entry]) -> Self {
        let mut baseline = Baseline::default();
        for entry in entries {
            baseline.fingerprints.insert(entry.fingerprint.clone());
            baseline
                .by_file
                .entry(entry.file.clone())
                .or_default()
                .push(entry.fingerprint.clone());
        }
        baseline
    }

    /// Whether a fingerprint is accepted.
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    /// The fingerprints listed for one file.
    pub fn of_file(&self, file: &str) -> &[String] {
        self.by_file.get(file).map_or(&[], Vec::as_slice)
    }

    /// How many entries the baseline has.
    pub fn entries(&self) -> usize {
        self.by_file.values().map(Vec::len).sum()
    }

    /// The files the entries name, each with its number of entries, in no particular order.
    pub fn files(&self) -> impl Iterator<Item = (&str, usize)> {
        self.by_file
            .iter()
            .map(|(file, prints)| (file.as_str(), prints.len()))
    }
}

#[derive(Deserialize)]
struct Document {
    findings: Vec<Entry>,
}

/// Reads and checks a baseline file.
pub fn read(path: &Path) -> Result<Baseline, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!("cannot read the baseline {name}: {e} (create one with --write-baseline {name})")
    })?;
    parse(&text).map_err(|e| format!("the baseline {name} {e}"))
}

/// Checks a baseline's text; errors complete the sentence "the baseline FILE ...".
fn parse(text: &str) -> Result<Baseline, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))?;
    match value.get("version").and_then(serde_json::Value::as_u64) {
        Some(VERSION) => {}
        Some(other) => {
            return Err(format!(
                "has format version {other}; this apptrust reads version {VERSION}"
            ));
        }
        None => return Err("has no \"version\" number: it is not an apptrust baseline".into()),
    }
    let document: Document =
        serde_json::from_value(value).map_err(|e| format!("is not an apptrust baseline: {e}"))?;
    for (n, entry) in document.findings.iter().enumerate() {
        let at = format!("(entry {}, {} in {})", n + 1, entry.code, entry.file);
        match Code::from_name(&entry.code) {
            None => {
                return Err(format!(
                    "names an unknown code {at}; write it anew with --write-baseline"
                ));
            }
            Some(code) if !suppressible(code) => {
                return Err(format!(
                    "lists {code}, which cannot be baselined: deploy blockers and read errors are facts about the version {at}"
                ));
            }
            Some(_) => {}
        }
        let well_formed = entry.fingerprint.len() == 16
            && entry
                .fingerprint
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return Err(format!(
                "has a fingerprint that is not 16 lowercase hexadecimal digits {at}"
            ));
        }
    }
    Ok(Baseline::from_entries(&document.findings))
}

/// The file's text for these entries: sorted, one entry per line, ending with a line break.
pub fn render(entries: &mut [Entry]) -> String {
    entries.sort_by(|a, b| {
        (&a.file, &a.code, &a.description, &a.fingerprint).cmp(&(
            &b.file,
            &b.code,
            &b.description,
            &b.fingerprint,
        ))
    });
    let lines: Vec<String> = entries
        .iter()
        .map(|e| format!("    {}", serde_json::to_string(e).unwrap_or_default()))
        .collect();
    if lines.is_empty() {
        format!("{{\n  \"version\": {VERSION},\n  \"findings\": []\n}}\n")
    } else {
        format!(
            "{{\n  \"version\": {VERSION},\n  \"findings\": [\n{}\n  ]\n}}\n",
            lines.join(",\n")
        )
    }
}

/// Writes a baseline. Through a temporary file and a rename, so an interrupted run never leaves
/// half a baseline for the next run to refuse.
pub fn write(path: &Path, entries: &mut [Entry]) -> Result<(), String> {
    let text = render(entries);
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = std::path::PathBuf::from(temporary);
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            format!("cannot write the baseline {}: {e}", path.display())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(file: &str, code: &str, fingerprint: &str) -> Entry {
        Entry {
            file: file.into(),
            code: code.into(),
            fingerprint: fingerprint.into(),
            description: "d".into(),
        }
    }

    #[test]
    fn round_trips_sorted() {
        let mut entries = vec![
            entry("b.yml", "HAS_REMOTES", "00000000000000ff"),
            entry("a.yml", "HAS_REMOTES", "0000000000000001"),
        ];
        let text = render(&mut entries);
        assert!(text.find("a.yml") < text.find("b.yml"), "{text}");
        assert!(text.contains("\n    {\"file\":\"a.yml\",\"code\":\"HAS_REMOTES\",\"fingerprint\":\"0000000000000001\",\"description\":\"d\"},\n"), "{text}");
        let baseline = parse(&text).expect("parses");
        assert!(baseline.contains("00000000000000ff"));
        assert_eq!(baseline.of_file("a.yml"), ["0000000000000001"]);
        assert_eq!(baseline.entries(), 2);
        let mut files: Vec<(&str, usize)> = baseline.files().collect();
        files.sort_unstable();
        assert_eq!(files, [("a.yml", 1), ("b.yml", 1)]);
        assert!(parse(&render(&mut [])).is_ok());
    }

    #[test]
    fn refuses_what_is_not_a_baseline() {
        let cases = [
            ("", "not valid JSON"),
            ("[]", "no \"version\""),
            ("{\"version\": 2, \"findings\": []}", "format version 2"),
            ("{\"version\": 1}", "missing field `findings`"),
            (
                "{\"version\": 1, \"findings\": [{\"file\": \"a\", \"code\": \"NOPE\", \"fingerprint\": \"0000000000000000\"}]}",
                "unknown code",
            ),
            (
                "{\"version\": 1, \"findings\": [{\"file\": \"a\", \"code\": \"MANIFEST_INVALID\", \"fingerprint\": \"0000000000000000\"}]}",
                "cannot be baselined",
            ),
            (
                "{\"version\": 1, \"findings\": [{\"file\": \"a\", \"code\": \"HAS_REMOTES\", \"fingerprint\": \"xyz\"}]}",
                "16 lowercase",
            ),
        ];
        for (text, expected) in cases {
            let error = parse(text).expect_err(text);
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
