//! `${NAME}` placeholders, replaced after parsing as the Forge CLI does at deploy time.
//!
//! A name is replaced only when the manifest declares it under `environment.variables`, either as a
//! plain string or as `{key, default}`. The value comes from the deploy environment, else the
//! declared default. A declared name with neither cannot be deployed; an undeclared `${NAME}` stays
//! literal text (many manifests hold JavaScript template strings that look alike).

use std::collections::HashMap;

use crate::{Limits, LoadError, Node, Span, Value};

/// A variable the manifest declares.
#[derive(Clone, Debug, PartialEq)]
pub struct Declared {
    /// The variable's name.
    pub name: String,
    /// The declared default, if any.
    pub default: Option<String>,
    /// Where it is declared.
    pub span: Span,
}

/// A placeholder for a declared variable that has neither a value nor a default.
#[derive(Clone, Debug, PartialEq)]
pub struct Unresolved {
    /// The variable's name.
    pub name: String,
    /// The string value holding the placeholder.
    pub span: Span,
    /// Where the variable is declared.
    pub declared_at: Span,
}

/// Reads `environment.variables`.
pub fn declared_variables(root: &Node) -> Vec<Declared> {
    let Some(items) = root
        .at(&["environment", "variables"])
        .and_then(Node::as_seq)
    else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match &item.value {
            Value::Str(name) => Some(Declared {
                name: name.clone(),
                default: None,
                span: item.span,
            }),
            Value::Map(_) => Some(Declared {
                name: item.get("key")?.as_str()?.to_string(),
                default: item
                    .get("default")
                    .filter(|d| !d.is_null())
                    .map(Node::display_scalar),
                span: item.span,
            }),
            _ => None,
        })
        .collect()
}

/// Replaces placeholders of declared variables in every string value outside the `environment`
/// section. `lookup` gives a variable's value in the deploy environment. Returns the placeholders
/// that could not be resolved (their text is left as it was), or
/// [`LoadError::VariableExpansion`] when the values would add more than
/// [`Limits::max_copied_bytes`] of text: a long default used in many places (or in an aliased
/// string the loader has already copied) would otherwise grow a 2 MiB file into gigabytes.
pub fn interpolate(
    root: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    limits: &Limits,
) -> Result<Vec<Unresolved>, LoadError> {
    let declared = declared_variables(root);
    let mut unresolved = Vec::new();
    if declared.is_empty() {
        return Ok(unresolved);
    }
    // By name, the first declaration of a name winning; each value looked up once.
    let mut values: HashMap<&str, Result<String, &Declared>> = HashMap::new();
    for decl in &declared {
        values.entry(decl.name.as_str()).or_insert_with(|| {
            lookup(&decl.name)
                .or_else(|| decl.default.clone())
                .ok_or(decl)
        });
    }
    let resolve = |name: &str| {
        values
            .get(name)
            .map(|v| v.as_ref().map(String::as_str).map_err(|d| *d))
    };
    let Value::Map(entries) = &mut root.value else {
        return Ok(unresolved);
    };
    let mut added = 0usize;
    let mut over = None;
    for entry in entries.iter_mut() {
        if entry.key.as_str() == Some("environment") {
            continue;
        }
        entry.value.walk_mut(&mut |node| {
            if over.is_some() {
                return;
            }
            let Value::Str(text) = &node.value else {
                return;
            };
            if !text.contains("${") {
                return;
            }
            let (replaced, missing) = substitute(text, &resolve);
            added = added.saturating_add(replaced.len().saturating_sub(text.len()));
            if added > limits.max_copied_bytes {
                over = Some(node.span.start);
                return;
            }
            for decl in missing {
                unresolved.push(Unresolved {
                    name: decl.name.clone(),
                    span: node.span,
                    declared_at: decl.span,
                });
            }
            node.value = Value::Str(replaced);
        });
        if let Some(at) = over {
            return Err(LoadError::VariableExpansion {
                at,
                limit: limits.max_copied_bytes,
            });
        }
    }
    Ok(unresolved)
}

/// Replaces every `${NAME}` that `resolve` knows in one string.
fn substitute<'d>(
    text: &str,
    resolve: &dyn Fn(&str) -> Option<Result<&'d str, &'d Declared>>,
) -> (String, Vec<&'d Declared>) {
    let mut out = String::with_capacity(text.len());
    let mut missing = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let is_placeholder = name_len > 0 && after[name_len..].starts_with('}');
        match is_placeholder
            .then(|| resolve(&after[..name_len]))
            .flatten()
        {
            Some(Ok(value)) => {
                out.push_str(value);
                rest = &after[name_len + 1..];
            }
            Some(Err(decl)) => {
                missing.push(decl);
                out.push_str(&rest[start..start + 3 + name_len]);
                rest = &after[name_len + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, load_str};

    fn run(text: &str, env: &[(&str, &str)]) -> (Node, Vec<Unresolved>) {
        let mut root = load_str(text, &Limits::default()).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let unresolved = interpolate(&mut root, &lookup, &Limits::default()).unwrap();
        (root, unresolved)
    }

    const MANIFEST: &str = "environment:\n  variables:\n    - key: HOST\n      default: a.example.com\n    - BARE\nx: 'https://${HOST}/p'\ny: '${BARE}'\nz: '${OTHER} ${ x}'\n";

    #[test]
    fn defaults_apply_and_environment_wins() {
        let (root, unresolved) = run(MANIFEST, &[("BARE", "b")]);
        assert_eq!(
            root.get("x").unwrap().as_str(),
            Some("https://a.example.com/p")
        );
        assert_eq!(root.get("y").unwrap().as_str(), Some("b"));
        assert!(unresolved.is_empty());
        let (root, _) = run(MANIFEST, &[("HOST", "h.example.com"), ("BARE", "b")]);
        assert_eq!(
            root.get("x").unwrap().as_str(),
            Some("https://h.example.com/p")
        );
    }

    #[test]
    fn undeclared_placeholders_stay_literal() {
        let (root, _) = run(MANIFEST, &[("OTHER", "no")]);
        assert_eq!(root.get("z").unwrap().as_str(), Some("${OTHER} ${ x}"));
    }

    #[test]
    fn declared_without_value_is_reported() {
        let (root, unresolved) = run(MANIFEST, &[]);
        assert_eq!(unresolved.len(), 1);
        assert_eq!(unresolved[0].name, "BARE");
        assert_eq!(unresolved[0].span.start.line, 7);
        assert_eq!(root.get("y").unwrap().as_str(), Some("${BARE}"));
    }

    #[test]
    fn a_long_value_used_everywhere_is_refused_not_expanded() {
        let mut text = String::from("environment:\n  variables:\n    - key: BIG\n      default: '");
        text.push_str(&"x".repeat(100_000));
        text.push_str("'\nitems:\n");
        for _ in 0..300 {
            text.push_str("  - '${BIG}'\n");
        }
        let mut root = load_str(&text, &Limits::default()).unwrap();
        let limits = Limits {
            max_copied_bytes: 10_000_000,
            ..Limits::default()
        };
        let err = interpolate(&mut root, &|_| None, &limits).unwrap_err();
        assert!(
            matches!(
                err,
                LoadError::VariableExpansion {
                    limit: 10_000_000,
                    ..
                }
            ),
            "{err:?}"
        );
        // Under the limit, the same values expand.
        let mut root = load_str(&text, &Limits::default()).unwrap();
        assert!(interpolate(&mut root, &|_| None, &Limits::default()).is_ok());
    }

    #[test]
    fn many_declarations_and_placeholders_stay_fast() {
        // 20,000 names and 20,000 placeholders: a lookup per placeholder, not a scan.
        let mut text = String::from("environment:\n  variables:\n");
        for i in 0..20_000 {
            text.push_str(&format!("    - key: V{i}\n      default: v\n"));
        }
        text.push_str("items:\n");
        for i in 0..20_000 {
            text.push_str(&format!("  - '${{V{i}}}'\n"));
        }
        let (root, unresolved) = run(&text, &[]);
        assert!(unresolved.is_empty());
        assert_eq!(
            root.at(&["items"])
                .and_then(Node::as_seq)
                .map(|s| s[19_999].as_str()),
            Some(Some("v"))
        );
    }
}
