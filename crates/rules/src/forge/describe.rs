//! Schema errors in our words: what is wrong, at which key or value, and the edit that fixes it.
//!
//! Forge's own messages are built from the validator's keywords ("must have required property
//! 'runtime'"). We say the same things in the manifest's terms and add a fix where one is known:
//! the current runtimes for a retired one, `forge register` for a missing app id, the closest
//! allowed name for a misspelt key or value.

use apptrust_yaml::{Node, Span};
use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value as Json;

use super::Problem;
use super::locate::{self, readable};
use super::schema::Compiled;
use super::suggest::closest;
use crate::code::Code;
use crate::finding::Finding;

/// Adds the problems one schema error stands for. `pointer` is the error's absolute instance
/// path; the error's own path is relative to the section it was found in.
pub(crate) fn describe(
    root: &Node,
    pointer: &str,
    error: &ValidationError<'_>,
    compiled: &Compiled,
    out: &mut Vec<Problem>,
) {
    let prefix = &pointer[..pointer.len() - error.instance_path().as_str().len()];
    let at = readable(pointer);
    let located = locate::find(root, pointer);
    let value_span = located.as_ref().map(|l| l.span());
    let via = located.as_ref().and_then(|l| l.node.via_alias);
    let mut push = |span: Option<Span>, message: String, fix: Option<String>| {
        let mut finding =
            Finding::new(Code::ManifestInvalid, span.or(value_span), message).via_alias(via);
        finding.fix = fix;
        out.push(Problem {
            pointer: pointer.to_owned(),
            finding,
            check: "schema",
            subject: String::new(),
        });
    };
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let (message, fix) = required(pointer, name);
            let span = parent_key_span(root, pointer);
            push(
                span,
                message.unwrap_or_else(|| format!("{at} needs `{name}`")),
                fix,
            );
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_properties(compiled, error);
            let keys = locate::keys_of(root, pointer);
            for name in unexpected {
                if pointer == "/app" && name == "name" {
                    // Forge reports `app.name` as deprecated, a warning that does not stop a deploy.
                    continue;
                }
                let span = keys.get(name.as_str()).map(|e| e.key.span);
                let fix = closest(name, allowed.iter().map(String::as_str))
                    .map(|c| format!("did you mean `{c}`?"))
                    .or_else(|| Some(format!("delete `{name}`")));
                let message = if pointer.is_empty() {
                    format!("`{name}` is not a top-level key of a Forge manifest")
                } else {
                    format!("{at} does not take `{name}`")
                };
                push(span, message, fix);
            }
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|o| o.iter().map(show).collect())
                .unwrap_or_default();
            let written = show(error.instance());
            if pointer == "/app/runtime/name" && !is_retired_runtime(written.trim_matches('`')) {
                let fix = closest(
                    written.trim_matches('`'),
                    options.iter().map(|o| o.trim_matches('`')),
                )
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| format!("use one of {}", options.join(", ")));
                push(
                    None,
                    format!(
                        "{written} is not a Forge runtime: `app.runtime.name` must be one of {}",
                        options.join(", ")
                    ),
                    Some(fix),
                );
            } else if pointer == "/app/runtime/name" {
                let newest = options.last().cloned().unwrap_or_default();
                push(
                    None,
                    format!(
                        "Forge no longer accepts the runtime {written}: it must be one of {}",
                        options.join(", ")
                    ),
                    Some(format!(
                        "set `name: {}` (test the app on the newer Node.js first)",
                        newest.trim_matches('`')
                    )),
                );
            } else {
                let fix = closest(
                    written.trim_matches('`'),
                    options.iter().map(|o| o.trim_matches('`')),
                )
                .map(|c| format!("did you mean `{c}`?"))
                .or_else(|| {
                    (options.len() <= 6).then(|| format!("use one of {}", options.join(", ")))
                });
                push(
                    None,
                    format!("{at} is {written}, which Forge does not accept here"),
                    fix,
                );
            }
        }
        ValidationErrorKind::Type { kind } => push(
            None,
            format!(
                "{at} must be {}, not {}",
                type_name(kind),
                json_kind(error.instance())
            ),
            None,
        ),
        ValidationErrorKind::Pattern { pattern } => {
            if pointer == "/app/id" {
                push(
                    None,
                    format!("`app.id` {} is not an app id (`ari:cloud:ecosystem::app/<uuid>`)", show(error.instance())),
                    Some("run `forge register` in the app's folder: it creates the app and writes its id".into()),
                );
            } else {
                push(
                    None,
                    format!(
                        "{at} {} does not have the form Forge requires (`{pattern}`)",
                        show(error.instance())
                    ),
                    None,
                );
            }
        }
        ValidationErrorKind::MinItems { limit } => {
            push(None, format!("{at} needs at least {limit} item(s)"), None)
        }
        ValidationErrorKind::MaxItems { limit } => {
            push(None, format!("{at} takes at most {limit} item(s)"), None)
        }
        ValidationErrorKind::MinLength { limit } => push(
            None,
            format!("{at} must be at least {limit} character(s) long"),
            None,
        ),
        ValidationErrorKind::MaxLength { limit } => push(
            None,
            format!("{at} must be at most {limit} characters long"),
            None,
        ),
        ValidationErrorKind::UniqueItems => {
            push(None, format!("{at} lists the same item twice"), None)
        }
        ValidationErrorKind::Not { schema } => {
            let names = required_names(schema);
            let message = if names.is_empty() {
                format!("{at} has a form Forge does not allow here")
            } else {
                format!("{at} cannot have {}", names.join(" with "))
            };
            push(None, message, None);
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            one_of(root, prefix, pointer, context, compiled, &mut push);
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => push(
            None,
            format!(
                "{at} matches more than one of the forms Forge allows here, and must match exactly one"
            ),
            None,
        ),
        ValidationErrorKind::FalseSchema => push(None, format!("{at} is not allowed here"), None),
        ValidationErrorKind::Format { format } => {
            push(None, format!("{at} must be a valid {format}"), None)
        }
        ValidationErrorKind::Constant { expected_value } => {
            push(None, format!("{at} must be {}", show(expected_value)), None)
        }
        _ => push(None, format!("{at}: {error}"), None),
    }
}

/// A failed `oneOf`/`anyOf`: when every alternative only misses a property, say which ones
/// would do; otherwise explain the alternative that came closest (fewest problems, deepest).
fn one_of(
    root: &Node,
    prefix: &str,
    pointer: &str,
    context: &[Vec<ValidationError<'static>>],
    compiled: &Compiled,
    push: &mut impl FnMut(Option<Span>, String, Option<String>),
) {
    let at = readable(pointer);
    // When every alternative fails only for missing properties, the one that misses fewest is
    // what to add (ties are offered as choices).
    let only_missing: Option<Vec<Vec<String>>> = context
        .iter()
        .map(|branch| {
            let names: Option<Vec<String>> = branch
                .iter()
                .map(|e| match e.kind() {
                    ValidationErrorKind::Required { property }
                        if format!("{prefix}{}", e.instance_path().as_str()) == pointer =>
                    {
                        property.as_str().map(|p| format!("`{p}`"))
                    }
                    _ => None,
                })
                .collect();
            names.filter(|n| !n.is_empty())
        })
        .collect();
    if let Some(branches) = only_missing.filter(|b| !b.is_empty()) {
        let fewest = branches.iter().map(Vec::len).min().unwrap_or(0);
        let mut choices: Vec<String> = branches
            .iter()
            .filter(|b| b.len() == fewest)
            .map(|b| b.join(" and "))
            .collect();
        choices.dedup();
        let span = parent_key_span(root, pointer);
        push(
            span,
            format!("{at} needs {}", choices.join(", or ")),
            Some(format!("add {}", choices.join(", or "))),
        );
        return;
    }
    let best = context.iter().filter(|b| !b.is_empty()).min_by_key(|b| {
        let depth = b
            .iter()
            .map(|e| e.instance_path().as_str().matches('/').count())
            .max()
            .unwrap_or(0);
        (b.len(), usize::MAX - depth)
    });
    let Some(best) = best else {
        push(
            None,
            format!("{at} does not match any form Forge allows here"),
            None,
        );
        return;
    };
    let mut inner = Vec::new();
    for error in best {
        let inner_pointer = format!("{prefix}{}", error.instance_path().as_str());
        describe(root, &inner_pointer, error, compiled, &mut inner);
    }
    let Some(first) = inner.first() else {
        push(
            None,
            format!("{at} does not match any form Forge allows here"),
            None,
        );
        return;
    };
    let mut message = first.finding.message.clone();
    if inner.len() > 1 {
        message.push_str(&format!(
            " (and {} more problem(s) in this entry)",
            inner.len() - 1
        ));
    }
    push(first.finding.span, message, first.finding.fix.clone());
}

/// What a missing property means, where we know better than "add it".
fn required(pointer: &str, name: &str) -> (Option<String>, Option<String>) {
    match (pointer, name) {
        ("/app", "id") => (
            Some("`app` has no `id`: Forge deploys only registered apps".into()),
            Some(
                "run `forge register` in the app's folder: it creates the app and writes `app.id`"
                    .into(),
            ),
        ),
        ("/app", "runtime") => (
            Some("`app` has no `runtime`: Forge needs to know which Node.js runs the app".into()),
            Some("add `runtime:` with `name: nodejs24.x` under `app`".into()),
        ),
        ("", "app") => (
            Some("the manifest has no `app` section".into()),
            Some("add `app:` with `id` (from `forge register`) and `runtime`".into()),
        ),
        _ => (None, Some(format!("add `{name}`"))),
    }
}

/// The key of the mapping entry that holds the node at `pointer` (so a missing property points
/// at `app:`, not at the whole block).
fn parent_key_span(root: &Node, pointer: &str) -> Option<Span> {
    let located = locate::find(root, pointer)?;
    Some(match (located.entry, located.node.as_map()) {
        (Some(entry), _) => entry.key.span,
        // A list item: its first key (`- key: panel`) names it.
        (None, Some([first, ..])) => first.key.span,
        (None, _) => located.node.span,
    })
}

/// The names `properties` allows where an `additionalProperties` error was raised, found by
/// following the error's schema path through the compiled document (and its `$ref`s).
fn allowed_properties(compiled: &Compiled, error: &ValidationError<'_>) -> Vec<String> {
    let mut here = &compiled.document;
    let segments = locate::segments(error.schema_path().as_str());
    let Some((_, walk)) = segments.split_last() else {
        return Vec::new();
    };
    for segment in walk {
        here = follow(&compiled.document, here);
        let next = match here {
            Json::Object(map) => map.get(segment.as_str()),
            Json::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        let Some(next) = next else {
            return Vec::new();
        };
        here = next;
    }
    here = follow(&compiled.document, here);
    here.get("properties")
        .and_then(Json::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Follows `$ref`s (`#/...` pointers into the same document).
fn follow<'a>(document: &'a Json, mut schema: &'a Json) -> &'a Json {
    for _ in 0..16 {
        let Some(target) = schema.get("$ref").and_then(Json::as_str) else {
            break;
        };
        match target.strip_prefix('#').and_then(|p| document.pointer(p)) {
            Some(next) => schema = next,
            None => break,
        }
    }
    schema
}

fn required_names(schema: &Json) -> Vec<String> {
    schema
        .get("required")
        .and_then(Json::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Json::as_str)
                .map(|s| format!("`{s}`"))
                .collect()
        })
        .unwrap_or_default()
}

/// A JSON value as written in a message: strings in backticks, others as JSON.
fn show(value: &Json) -> String {
    match value {
        Json::String(s) => format!("`{s}`"),
        Json::Object(_) => "a mapping".into(),
        Json::Array(_) => "a list".into(),
        other => format!("`{other}`"),
    }
}

fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "empty",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

fn type_name(kind: &TypeKind) -> String {
    let one = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "array" => "a list".to_string(),
        "object" => "a mapping".to_string(),
        "integer" => "a whole number".to_string(),
        "null" => "empty".to_string(),
        other => format!("a {other}"),
    };
    match kind {
        TypeKind::Single(t) => one(t),
        TypeKind::Multiple(set) => set.iter().map(|t| one(&t)).collect::<Vec<_>>().join(" or "),
    }
}

/// A runtime Forge once accepted and has retired (`nodejs18.x`, the legacy `sandbox`), as
/// opposed to a name that was never a runtime, which gets a "did you mean" instead of an upgrade.
fn is_retired_runtime(name: &str) -> bool {
    name == "sandbox"
        || name
            .strip_prefix("nodejs")
            .and_then(|rest| rest.strip_suffix(".x"))
            .is_some_and(|major| !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()))
}
