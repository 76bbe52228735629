//! Codes for files that cannot be evaluated at all (verdict `error`).

use apptrust_yaml::{LoadError, Span};

use crate::code::Code;
use crate::documented::documented;
use crate::finding::Finding;

documented! {
    /// ## What it does
    /// Reports a manifest that could not be read: missing, a directory, no permission.
    ///
    /// ## Why it matters
    /// Nothing can be judged about a file that cannot be read; CI should fail loudly rather than
    /// pass silently.
    ///
    /// ## References
    /// - `apptrust check --help`
    pub struct FileUnreadable;
}

documented! {
    /// ## What it does
    /// Reports a file that is not UTF-8 text: invalid byte sequences, NUL bytes, a UTF-16
    /// byte-order mark, or a size over the limit (`--max-file-size`).
    ///
    /// ## Why it matters
    /// Forge reads manifests as UTF-8 text. A binary or mis-encoded file is not a manifest, and a
    /// multi-megabyte one is almost always a mistake (or an attack on the checker).
    ///
    /// ## References
    /// - [YAML 1.2, character encodings](https://yaml.org/spec/1.2.2/#52-character-encodings)
    pub struct FileNotText;
}

documented! {
    /// ## What it does
    /// Reports YAML that Forge's parser refuses: broken indentation, tabs, unclosed brackets,
    /// several documents in one file, or an unquoted value starting with `*` (an alias to an
    /// anchor that does not exist, as in `- *.example.com`).
    ///
    /// ## Why it matters
    /// `forge deploy` refuses the file, so the version never exists.
    ///
    /// ## References
    /// - [YAML 1.2](https://yaml.org/spec/1.2.2/)
    pub struct YamlSyntax;
}

documented! {
    /// ## What it does
    /// Reports a mapping with the same key twice, showing both places.
    ///
    /// ## Why it matters
    /// Forge's parser refuses duplicate keys. Other YAML readers silently keep the last value,
    /// which is how a second `permissions:` block ends up hiding the first.
    ///
    /// ## References
    /// - [YAML 1.2, mappings](https://yaml.org/spec/1.2.2/#mapping)
    pub struct YamlDuplicateKey;
}

documented! {
    /// ## What it does
    /// Reports a document that goes over a resource limit: nesting deeper than 512 levels,
    /// aliases that expand beyond Forge's alias budget (a "billion laughs" document), or
    /// `${NAME}` values that would add more than 32 MiB of text where their placeholders stand
    /// (a long default used in thousands of places).
    ///
    /// ## Why it matters
    /// Forge refuses excessive alias expansion as a resource-exhaustion attack; the checker
    /// refuses the same documents, within bounded time and memory, instead of hanging. No real
    /// manifest comes near the variable bound; one that did would make every deploy megabytes
    /// larger than its file.
    ///
    /// ## References
    /// - [Billion laughs attack](https://en.wikipedia.org/wiki/Billion_laughs_attack)
    pub struct YamlResourceLimit;
}

documented! {
    /// ## What it does
    /// Reports a YAML document that is not a mapping (empty, a list, a plain string).
    ///
    /// ## Why it matters
    /// A Forge manifest is a mapping with `app`, `modules`, `permissions` and so on; anything
    /// else is not a manifest.
    ///
    /// ## References
    /// - [Manifest reference](https://developer.atlassian.com/platform/forge/manifest-reference/)
    pub struct NotAManifest;
}

/// The finding for a file the loader refused.
pub fn from_load_error(error: &LoadError) -> Finding {
    let code = match error {
        LoadError::TooLarge { .. } | LoadError::NotUtf8 { .. } | LoadError::Binary { .. } => {
            Code::FileNotText
        }
        LoadError::DuplicateKey { .. } => Code::YamlDuplicateKey,
        LoadError::TooDeep { .. }
        | LoadError::AliasBudget { .. }
        | LoadError::VariableExpansion { .. } => Code::YamlResourceLimit,
        LoadError::Syntax { .. }
        | LoadError::UndefinedAlias { .. }
        | LoadError::RecursiveAlias { .. }
        | LoadError::MultipleDocuments { .. } => Code::YamlSyntax,
    };
    let span = match error {
        LoadError::DuplicateKey { second, .. } => Some(*second),
        _ => error.position().map(Span::point),
    };
    let mut finding = Finding::new(code, span, error.to_string());
    for (span, message) in error.related() {
        finding = finding.with_related(span, message);
    }
    finding.fix = error.hint();
    finding
}
