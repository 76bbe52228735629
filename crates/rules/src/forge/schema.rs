//! Forge's manifest JSON schema, compiled in sections on first use.
//!
//! The schema is 2.3 MB and describes about two hundred module types; compiling all of it costs
//! about 100 ms, more than checking the whole corpus. Its top two levels are plain `properties`
//! (the root: `type`, `required`, `additionalProperties: false`; `modules`: `type` and one
//! property per module type), so validating the manifest is exactly validating each top-level
//! section, and within `modules` each module type, against its own subschema. Each section is
//! compiled, with only the definitions it reaches, the first time a manifest uses it, and kept.
//!
//! One approximation, for an input no real manifest has: a handful of display-condition schemas
//! refer to the whole document (`"$ref": "#"`). Here that reference means the root's own
//! keywords (an object, `app` required, only the manifest's top-level keys) without the sections'
//! schemas, so a condition object would have to carry an `app` key for the two to differ.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use apptrust_yaml::{Entry, Node, Value};
use jsonschema::{ValidationError, Validator};
use serde_json::Value as Json;
use serde_json::value::RawValue;

use super::data::SCHEMA;

/// The name the whole-document reference (`#`) is redirected to inside a section.
const ROOT_REFERENCE: &str = "__manifest_root";

/// The published schema, split but not yet parsed below its top two levels.
struct Parts {
    /// The root's keywords besides `definitions` and `properties`.
    root_keywords: BTreeMap<&'static str, &'static RawValue>,
    /// The top-level sections (`app`, `modules`, `permissions`, ...).
    sections: BTreeMap<&'static str, &'static RawValue>,
    /// `#/definitions/*`.
    definitions: HashMap<&'static str, &'static RawValue>,
    /// The keywords of the `modules` schema besides `properties`.
    modules_keywords: BTreeMap<&'static str, &'static RawValue>,
    /// The schema of each module type.
    module_types: BTreeMap<&'static str, &'static RawValue>,
}

fn parts() -> &'static Parts {
    static PARTS: OnceLock<Parts> = OnceLock::new();
    PARTS.get_or_init(|| split(SCHEMA).expect("the bundled Forge schema has the expected shape"))
}

fn split(text: &'static str) -> Result<Parts, String> {
    let mut root: BTreeMap<&str, &RawValue> =
        serde_json::from_str(text).map_err(|e| e.to_string())?;
    let sections: BTreeMap<&str, &RawValue> = take_map(&mut root, "properties")?;
    let definitions: HashMap<&str, &RawValue> = match root.remove("definitions") {
        Some(raw) => serde_json::from_str(raw.get()).map_err(|e| e.to_string())?,
        None => HashMap::new(),
    };
    root.remove("$schema");
    let modules_schema = sections
        .get("modules")
        .map(|raw| resolve(raw, &definitions))
        .transpose()?
        .ok_or("no `modules` section")?;
    let mut modules_keywords: BTreeMap<&str, &RawValue> =
        serde_json::from_str(modules_schema.get()).map_err(|e| e.to_string())?;
    let module_types = take_map(&mut modules_keywords, "properties")?;
    for unexpected in [
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "patternProperties",
        "$ref",
    ] {
        if root.contains_key(unexpected) || modules_keywords.contains_key(unexpected) {
            return Err(format!(
                "`{unexpected}` at the top: sections are not independent"
            ));
        }
    }
    Ok(Parts {
        root_keywords: root,
        sections,
        definitions,
        modules_keywords,
        module_types,
    })
}

fn take_map(
    map: &mut BTreeMap<&'static str, &'static RawValue>,
    key: &str,
) -> Result<BTreeMap<&'static str, &'static RawValue>, String> {
    let raw = map.remove(key).ok_or_else(|| format!("no `{key}`"))?;
    serde_json::from_str(raw.get()).map_err(|e| e.to_string())
}

/// A section that is only a `$ref` (as `modules` is) stands for the definition it names.
fn resolve(
    raw: &'static RawValue,
    definitions: &HashMap<&'static str, &'static RawValue>,
) -> Result<&'static RawValue, String> {
    #[derive(serde::Deserialize)]
    struct OnlyRef<'a> {
        #[serde(rename = "$ref", borrow)]
        reference: Option<&'a str>,
    }
    let only: OnlyRef = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    match only
        .reference
        .and_then(|r| r.strip_prefix("#/definitions/"))
    {
        Some(name) => definitions
            .get(name)
            .copied()
            .ok_or_else(|| format!("missing definition `{name}`")),
        None => Ok(raw),
    }
}

/// Which part of the manifest a compiled validator checks.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Section {
    /// The root's own keywords: an object, `app` required, no unknown top-level keys.
    Root,
    /// A top-level key such as `app` or `permissions` (not `modules`).
    TopLevel(String),
    /// The `modules` mapping's own keywords (it must be an object).
    Modules,
    /// One module type's list, e.g. `jira:issuePanel`.
    ModuleType(String),
}

/// A compiled section and the document it was compiled from (kept to look up the allowed
/// property names and values an error refers to).
pub(crate) struct Compiled {
    pub validator: Validator,
    pub document: Json,
}

type Cache = Mutex<HashMap<Section, Arc<OnceLock<Option<Compiled>>>>>;

/// The compiled validator for a section, compiling it on first use; it holds `None` when the
/// schema has no such section (an unknown module type, which another check reports).
pub(crate) fn section(section: &Section) -> Arc<OnceLock<Option<Compiled>>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let cell = {
        let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(section.clone()).or_default().clone()
    };
    cell.get_or_init(|| compile(section));
    cell
}

/// An object schema's own keywords with `properties` that accept anything under `names`: the
/// stand-in for the root or `modules`, whose members are validated section by section.
fn stand_in_schema<'k>(
    keywords: &BTreeMap<&'static str, &'static RawValue>,
    names: impl Iterator<Item = &'k str>,
) -> Option<String> {
    let mut keywords: BTreeMap<&str, Box<RawValue>> = keywords
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .collect();
    keywords.insert("properties", accept_any(names));
    serde_json::to_string(&keywords).ok()
}

fn compile(section: &Section) -> Option<Compiled> {
    let parts = parts();
    let body = match section {
        Section::Root => stand_in_schema(&parts.root_keywords, parts.sections.keys().copied())?,
        Section::TopLevel(name) => parts.sections.get(name.as_str())?.get().to_owned(),
        Section::Modules => {
            stand_in_schema(&parts.modules_keywords, parts.module_types.keys().copied())?
        }
        Section::ModuleType(name) => parts.module_types.get(name.as_str())?.get().to_owned(),
    };
    let text = with_definitions(&body, parts);
    let document: Json = serde_json::from_str(&text).ok()?;
    // The schema repeats a few dozen patterns over a thousand times across sections: each is
    // compiled once per process, not once per section (half of a section's compile time).
    static PATTERNS: OnceLock<jsonschema::PatternCache> = OnceLock::new();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_pattern_cache(PATTERNS.get_or_init(jsonschema::PatternCache::new).clone())
        .build(&document)
        .ok()?;
    Some(Compiled {
        validator,
        document,
    })
}

/// `{"k": true, ...}`: properties that the root accepts without looking inside.
fn accept_any<'a>(keys: impl Iterator<Item = &'a str>) -> Box<RawValue> {
    let map: BTreeMap<&str, bool> = keys.map(|k| (k, true)).collect();
    RawValue::from_string(serde_json::to_string(&map).unwrap_or_default())
        .unwrap_or_else(|_| RawValue::from_string("{}".into()).expect("valid JSON"))
}

/// Wraps a section's schema with the definitions it reaches, transitively:
/// `{"definitions": {...}, "allOf": [section]}`.
fn with_definitions(body: &str, parts: &Parts) -> String {
    let body = redirect_root_reference(body);
    let mut needed: BTreeMap<&str, String> = BTreeMap::new();
    let mut queue: Vec<String> = references(&body);
    while let Some(name) = queue.pop() {
        if needed.contains_key(name.as_str()) {
            continue;
        }
        if name == ROOT_REFERENCE {
            let mut keywords: BTreeMap<&str, Box<RawValue>> = parts
                .root_keywords
                .iter()
                .map(|(k, v)| (*k, (*v).to_owned()))
                .collect();
            keywords.insert("properties", accept_any(parts.sections.keys().copied()));
            needed.insert(
                ROOT_REFERENCE,
                serde_json::to_string(&keywords).unwrap_or_default(),
            );
            continue;
        }
        let Some((key, raw)) = parts.definitions.get_key_value(name.as_str()) else {
            continue;
        };
        let text = redirect_root_reference(raw.get());
        queue.extend(references(&text));
        needed.insert(key, text);
    }
    let mut out =
        String::with_capacity(body.len() + needed.values().map(String::len).sum::<usize>() + 64);
    out.push_str("{\"definitions\":{");
    for (i, (name, text)) in needed.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(name).unwrap_or_default());
        out.push(':');
        out.push_str(text);
    }
    out.push_str("},\"allOf\":[");
    out.push_str(&body);
    out.push_str("]}");
    out
}

fn redirect_root_reference(text: &str) -> String {
    // The published file writes `"$ref": "#"`; minified copies would write `"$ref":"#"`.
    text.replace(
        "\"$ref\": \"#\"",
        &format!("\"$ref\": \"#/definitions/{ROOT_REFERENCE}\""),
    )
    .replace(
        "\"$ref\":\"#\"",
        &format!("\"$ref\":\"#/definitions/{ROOT_REFERENCE}\""),
    )
}

/// The definition names a schema text refers to (`"#/definitions/NAME"`).
fn references(text: &str) -> Vec<String> {
    const PREFIX: &str = "\"#/definitions/";
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(PREFIX) {
        rest = &rest[at + PREFIX.len()..];
        if let Some(end) = rest.find('"') {
            names.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    names
}

/// One schema error: its absolute instance path, the error, and the section it was found in.
pub(crate) type Found = (
    String,
    ValidationError<'static>,
    Arc<OnceLock<Option<Compiled>>>,
);

/// Every schema error in a manifest, each with the instance path made absolute.
///
/// Only the sections the schema describes are turned into JSON; the root and the `modules`
/// mapping are checked on a stand-in that keeps their keys and drops their values, so a huge
/// unknown key costs nothing beyond its name.
pub(crate) fn errors(root: &Node) -> Vec<Found> {
    let mut out = Vec::new();
    let mut run = |section: Section, instance: &Json, prefix: &str| {
        let cell = self::section(&section);
        let Some(Some(compiled)) = cell.get() else {
            return;
        };
        // Most sections are valid: the yes/no check allocates nothing, errors are collected
        // only where there are some.
        if compiled.validator.is_valid(instance) {
            return;
        }
        for error in compiled.validator.iter_errors(instance) {
            let path = format!("{prefix}{}", error.instance_path().as_str());
            out.push((path, error.to_owned(), cell.clone()));
        }
    };
    run(Section::Root, &stand_in(root), "");
    let Some(entries) = root.as_map() else {
        return out;
    };
    for (key, value) in last_wins(entries) {
        if key == "modules" {
            run(Section::Modules, &stand_in(value), "/modules");
            if let Some(modules) = value.as_map() {
                for (kind, list) in last_wins(modules) {
                    let prefix = format!("/modules/{}", escape(&kind));
                    if parts().module_types.contains_key(kind.as_str()) {
                        run(Section::ModuleType(kind), &list.to_json(), &prefix);
                    }
                }
            }
        } else if parts().sections.contains_key(key.as_str()) {
            let prefix = format!("/{}", escape(&key));
            run(Section::TopLevel(key), &value.to_json(), &prefix);
        }
    }
    out
}

/// A mapping's entries as a JavaScript object holds them: keys as strings, the last of a
/// repeated key winning, in first-seen order.
fn last_wins(entries: &[Entry]) -> Vec<(String, &Node)> {
    let mut out: Vec<(String, &Node)> = Vec::with_capacity(entries.len());
    let mut index: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    for entry in entries {
        let key = entry.key.display_scalar();
        match index.get(&key) {
            Some(&at) => out[at].1 = &entry.value,
            None => {
                index.insert(key.clone(), out.len());
                out.push((key, &entry.value));
            }
        }
    }
    out
}

/// A value of the same JSON type whose mappings keep their keys (with null values) and whose
/// lists and strings are empty: enough for the root's and `modules`' own keywords.
fn stand_in(node: &Node) -> Json {
    match &node.value {
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|e| (e.key.display_scalar(), Json::Null))
                .collect(),
        ),
        Value::Seq(_) => Json::Array(Vec::new()),
        Value::Str(_) => Json::String(String::new()),
        _ => node.to_json(),
    }
}

/// A JSON pointer segment (RFC 6901).
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_schema_splits_into_independent_sections() {
        let parts = parts();
        assert!(parts.sections.contains_key("app"));
        assert!(parts.module_types.contains_key("jira:issuePanel"));
        assert!(parts.root_keywords.contains_key("required"));
    }

    #[test]
    fn every_section_compiles() {
        let parts = parts();
        for name in parts.sections.keys().filter(|k| **k != "modules") {
            let s = Section::TopLevel((*name).to_owned());
            assert!(compile(&s).is_some(), "{name}");
        }
        for name in parts.module_types.keys() {
            let s = Section::ModuleType((*name).to_owned());
            assert!(compile(&s).is_some(), "{name}");
        }
        assert!(compile(&Section::Root).is_some());
        assert!(compile(&Section::Modules).is_some());
    }
}
