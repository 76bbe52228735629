//! `${NAME}` placeholders, replaced after parsing as the Forge CLI does at deploy time.
//!
//! A name is replaced only when the manifest declares it under `environment.variables`, either as a
//! plain string or as `{key, default}`. The value comes from the deploy environment, else the
//! declared default. A declared name with neither cannot be deployed; an undeclared `${NAME}` stays
//! literal text (many manifests hold JavaScript template strings that look alike).

use crate::{Node, Span, Value};

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
/// that could not be resolved (their text is left as it was).
pub fn interpolate(root: &mut Node, lookup: &dyn Fn(&str) -> Option<String>) -> Vec<Unresolved> {
    let declared = declared_variables(root);
    let mut unresolved = Vec::new();
    if declared.is_empty() {
        return unresolved;
    }
    let resolve = |name: &str| -> Option<Result<String, &Declared>> {
        let decl = declared.iter().find(|d| d.name == name)?;
        Some(lookup(name).or_else(|| decl.default.clone()).ok_or(decl))
    };
    let Value::Map(entries) = &mut root.value else {
        return unresolved;
    };
    for entry in entries.iter_mut() {
        if entry.key.as_str() == Some("environment") {
            continue;
        }
        entry.value.walk_mut(&mut |node| {
            let Value::Str(text) = &node.value else {
                return;
            };
            if !text.contains("${") {
                return;
            }
            let (replaced, missing) = substitute(text, &resolve);
            for decl in missing {
                unresolved.push(Unresolved {
                    name: decl.name.clone(),
                    span: node.span,
                    declared_at: decl.span,
                });
            }
            node.value = Value::Str(replaced);
        });
    }
    unresolved
}

/// Replaces every `${NAME}` that `resolve` knows in one string.
fn substitute<'d>(
    text: &str,
    resolve: &dyn Fn(&str) -> Option<Result<String, &'d Declared>>,
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
                out.push_str(&value);
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
        let unresolved = interpolate(&mut root, &lookup);
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
}
