//! A `%YAML` directive given twice. The YAML specification forbids it and the parser we build on
//! refuses the document, but `yaml` just uses the last one and reads on, so Forge accepts such a
//! manifest. We read it the same way by blanking the extra directives (the version makes no
//! difference to us, see "Known divergences" in `docs/reading-manifests.md`) and parsing again;
//! only documents that failed this way pay for the second parse.

use crate::LoadError;

/// The message the parser refuses a repeated `%YAML` directive with.
const REPEATED: &str = "duplicate version directive";

/// True for the parser's refusal of a repeated `%YAML` directive.
pub(crate) fn is_repeated_yaml_directive(error: &LoadError) -> bool {
    matches!(error, LoadError::Syntax { message, .. } if message == REPEATED)
}

/// The text with every `%YAML` directive after the first of the directive prologue turned into
/// a comment of the same length, so that every position stays where it was. `None` if there is
/// nothing to blank.
pub(crate) fn without_repeated_yaml_directives(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut seen = false;
    let mut changed = false;
    let mut in_prologue = true;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        in_prologue &= trimmed.is_empty() || trimmed.starts_with(['%', '#']);
        let is_yaml = line.starts_with("%YAML") && line[5..].starts_with([' ', '\t']);
        if in_prologue && is_yaml {
            if seen {
                out.push('#');
                out.push_str(&line[1..]);
                changed = true;
                continue;
            }
            seen = true;
        }
        out.push_str(line);
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_directives_become_comments() {
        let text = "%YAML 1.2\n# note\n%YAML 1.2\n---\na: '%YAML 1.2'\n";
        assert_eq!(
            without_repeated_yaml_directives(text).as_deref(),
            Some("%YAML 1.2\n# note\n#YAML 1.2\n---\na: '%YAML 1.2'\n")
        );
        assert_eq!(without_repeated_yaml_directives("%YAML 1.2\n---\n"), None);
    }
}
