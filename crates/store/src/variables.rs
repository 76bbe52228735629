//! Deploy-time variable values: the `${NAME}` placeholders of a manifest's declared
//! `environment.variables`, given with a deploy as the Forge CLI's `--var` gives them.
//!
//! A version is evaluated with the values it was deployed with, and so is every later use of its
//! manifest (the comparison with the next version, re-evaluation by a newer rules engine): the
//! values are stored with the version. They may be secrets, so nothing else shows them: the audit
//! log and the API name the variables, never their values.

use std::borrow::Cow;
use std::collections::BTreeMap;

use apptrust_rules::CheckOptions;
use apptrust_yaml::{Node, Value};

use crate::StoreError;

/// The most text the placeholders of one manifest may add when their values replace them. A
/// manifest is at most 2 MiB and one placeholder can be copied millions of times through YAML
/// aliases, so without this bound a few kilobytes of values could expand one deploy's document
/// into gigabytes.
pub const MAX_EXPANSION_BYTES: usize = 2 * 1024 * 1024;

/// How many variables a deploy may carry, and how much text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VariableLimits {
    /// Variables per deploy.
    pub max_count: usize,
    /// Bytes of names and values together.
    pub max_bytes: usize,
}

/// The values a version was deployed with, by name. Empty for most deploys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variables(BTreeMap<String, String>);

/// Variable values shorter than this are not hidden in answers (see [`Variables::hide_in`]).
pub const MIN_HIDDEN_LENGTH: usize = 4;

impl Variables {
    /// No values.
    pub fn none() -> Variables {
        Variables::default()
    }

    /// Checks a deploy's values against the limits and the shape of a placeholder name (ASCII
    /// letters, digits and `_`: any other name could never be used).
    pub fn new(
        values: BTreeMap<String, String>,
        limits: &VariableLimits,
    ) -> Result<Variables, StoreError> {
        if values.len() > limits.max_count {
            return Err(StoreError::Invalid(format!(
                "a deploy takes at most {} variables (`max-deploy-variables`), not {}",
                limits.max_count,
                values.len()
            )));
        }
        let bytes: usize = values.iter().map(|(k, v)| k.len() + v.len()).sum();
        if bytes > limits.max_bytes {
            return Err(StoreError::Invalid(format!(
                "the variables' names and values take {bytes} bytes; at most {} are accepted \
                 (`max-deploy-variables-bytes`)",
                limits.max_bytes
            )));
        }
        if let Some(bad) = values.keys().find(|name| !is_name(name)) {
            return Err(StoreError::Invalid(format!(
                "`{}` cannot be a variable name: a `${{NAME}}` placeholder names ASCII letters, \
                 digits and `_`",
                bad.chars().take(80).collect::<String>()
            )));
        }
        Ok(Variables(values))
    }

    /// Reads the stored form (a JSON object, or NULL for none).
    pub(crate) fn from_stored(text: Option<&str>) -> Result<Variables, StoreError> {
        match text {
            None => Ok(Variables::none()),
            Some(text) => Ok(Variables(serde_json::from_str(text)?)),
        }
    }

    /// The stored form: NULL when there are none.
    pub(crate) fn to_stored(&self) -> Result<Option<String>, StoreError> {
        if self.0.is_empty() {
            return Ok(None);
        }
        Ok(Some(serde_json::to_string(&self.0)?))
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names, sorted: all that the audit log and the API show.
    pub fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }

    /// Replaces every value of these variables in the strings of `value` (findings' messages
    /// and fixes, change descriptions) by its placeholder, `${NAME}`: the manifest was judged
    /// with the values, but answers and stored reports must not show them (they may be
    /// secrets). Values shorter than [`MIN_HIDDEN_LENGTH`] characters are left alone: replacing
    /// `eu` or `1` everywhere would mangle every message, and so short a value hides nothing.
    pub fn hide_in(&self, value: &mut serde_json::Value) {
        let mut secrets: Vec<(&str, String)> = self
            .0
            .iter()
            .filter(|(_, v)| v.chars().count() >= MIN_HIDDEN_LENGTH)
            .map(|(name, v)| (v.as_str(), format!("${{{name}}}")))
            .collect();
        if secrets.is_empty() {
            return;
        }
        // Longer values first, so that a value containing another is replaced whole.
        secrets.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        let mut stack = vec![value];
        while let Some(node) = stack.pop() {
            match node {
                serde_json::Value::String(text) => {
                    for (secret, placeholder) in &secrets {
                        if text.contains(secret) {
                            *text = text.replace(secret, placeholder);
                        }
                    }
                }
                serde_json::Value::Array(items) => stack.extend(items.iter_mut()),
                serde_json::Value::Object(map) => stack.extend(map.values_mut()),
                _ => {}
            }
        }
    }

    /// The options to evaluate a manifest with: `base` with these values.
    pub fn options<'a>(&self, base: &'a CheckOptions) -> Cow<'a, CheckOptions> {
        if self.0.is_empty() {
            return Cow::Borrowed(base);
        }
        let mut options = base.clone();
        options.variables = self.0.clone().into_iter().collect();
        Cow::Owned(options)
    }

    /// Refuses values that would expand `manifest` by more than [`MAX_EXPANSION_BYTES`]. Reads
    /// the manifest only when some value is longer than its placeholder; a manifest that cannot
    /// be read passes (its evaluation reports why).
    pub fn check_expansion(
        &self,
        manifest: &str,
        options: &CheckOptions,
    ) -> Result<(), StoreError> {
        if self.0.iter().all(|(k, v)| v.len() <= k.len() + 3) {
            return Ok(());
        }
        let Ok(root) = apptrust_yaml::load(manifest.as_bytes(), &options.limits) else {
            return Ok(());
        };
        let added = self.expansion(&root);
        if added > MAX_EXPANSION_BYTES {
            return Err(StoreError::Invalid(format!(
                "the variables' values would add more than {MAX_EXPANSION_BYTES} bytes of text \
                 to the manifest where their placeholders stand; use shorter values or fewer \
                 placeholders"
            )));
        }
        Ok(())
    }

    /// An upper bound of the text that replacing the placeholders of these variables adds to a
    /// loaded document (every string, keys and `environment` included, with aliases expanded
    /// as the loader expands them). Stops counting past [`MAX_EXPANSION_BYTES`].
    fn expansion(&self, root: &Node) -> usize {
        let mut added = 0usize;
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            match &node.value {
                Value::Str(text) => added = added.saturating_add(self.growth_of(text)),
                Value::Seq(items) => stack.extend(items),
                Value::Map(entries) => {
                    for entry in entries {
                        stack.push(&entry.key);
                        stack.push(&entry.value);
                    }
                }
                _ => {}
            }
            if added > MAX_EXPANSION_BYTES {
                break;
            }
        }
        added
    }

    /// What replacing this string's placeholders of these variables adds to it: each
    /// `${NAME}` (a run of ASCII letters, digits and `_` between `${` and `}`) of a known name.
    fn growth_of(&self, text: &str) -> usize {
        let mut added = 0usize;
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            match self.0.get(&after[..len]) {
                Some(value) if len > 0 && after[len..].starts_with('}') => {
                    added = added.saturating_add(value.len().saturating_sub(len + 3));
                    rest = &after[len + 1..];
                }
                _ => rest = after,
            }
        }
        added
    }
}

/// A placeholder name: one or more ASCII letters, digits or `_`.
fn is_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Variables {
        Variables(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        )
    }

    const LIMITS: VariableLimits = VariableLimits {
        max_count: 2,
        max_bytes: 20,
    };

    #[test]
    fn limits_and_names_are_enforced() {
        let ok = |pairs: &[(&str, &str)]| Variables::new(vars(pairs).0, &LIMITS);
        assert!(ok(&[("HOST", "a.example.com")]).is_ok());
        assert!(ok(&[("A", "1"), ("B", "2"), ("C", "3")]).is_err(), "count");
        assert!(
            ok(&[("HOST", "a-rather-long.example.com")]).is_err(),
            "bytes"
        );
        assert!(ok(&[("MY-HOST", "x")]).is_err(), "not a placeholder name");
        assert!(ok(&[("", "x")]).is_err());
    }

    #[test]
    fn the_stored_form_round_trips_and_none_is_null() {
        assert_eq!(Variables::none().to_stored().unwrap(), None);
        let v = vars(&[("B", "2"), ("A", "1")]);
        let stored = v.to_stored().unwrap().unwrap();
        assert_eq!(stored, r#"{"A":"1","B":"2"}"#);
        assert_eq!(Variables::from_stored(Some(&stored)).unwrap(), v);
        assert_eq!(v.names(), ["A", "B"]);
    }

    #[test]
    fn growth_counts_only_placeholders_of_known_names() {
        let v = vars(&[("X", "0123456789"), ("LONG_NAME", "ab")]);
        // `${X}` is 4 bytes, its value 10: 6 more each. `${LONG_NAME}` shrinks: nothing.
        assert_eq!(v.growth_of("a ${X} b ${X}"), 12);
        assert_eq!(v.growth_of("${LONG_NAME}"), 0);
        assert_eq!(v.growth_of("${Y} ${X"), 0);
        assert_eq!(v.growth_of("$${${X}}"), 6);
    }

    #[test]
    fn values_that_would_blow_a_manifest_up_are_refused() {
        let options = CheckOptions::default();
        // A thousand placeholders, and forty copies of one through aliases.
        let mut manifest = String::from("a: &a \"${X}\"\nb: [");
        manifest.push_str(&vec!["*a"; 40].join(", "));
        manifest.push_str("]\nc:\n");
        manifest.push_str(&"  - ${X}\n".repeat(1000));
        let root = apptrust_yaml::load(manifest.as_bytes(), &options.limits).unwrap();
        assert_eq!(vars(&[("X", "0123456789")]).expansion(&root), 1041 * 6);
        vars(&[("X", &"v".repeat(2000))])
            .check_expansion(&manifest, &options)
            .unwrap();
        let refused = vars(&[("X", &"v".repeat(3000))]).check_expansion(&manifest, &options);
        assert!(
            matches!(refused, Err(StoreError::Invalid(_))),
            "{refused:?}"
        );
    }
}
