//! The checks of Forge's validators that need no source tree: module types, module keys,
//! references from modules to functions, endpoints and resources, function handlers, scopes.
//!
//! Each mirrors one check of `@forge/manifest`'s `ModulesValidator`, `ResourcesValidator` or
//! `PermissionsValidator`, with the same conditions (named in the doc comments), so that the
//! conformance test can compare them one by one. Forge runs them only when the schema passes; we
//! run them always, so a partner sees every problem in one pass.

use std::collections::{BTreeSet, HashMap};

use apptrust_yaml::{Node, Span, Value};

use super::Problem;
use super::data;
use super::schema::escape;
use super::suggest::closest;
use crate::code::Code;
use crate::finding::Finding;

/// The longest function key Forge accepts.
const MAX_FUNCTION_KEY: usize = 23;

/// Runs every reference check on the loaded manifest.
pub(crate) fn check(root: &Node, out: &mut Vec<Problem>) {
    let modules = root.get("modules");
    if modules.is_none() && root.get("connectModules").is_none() {
        push(
            out,
            "modules.missing",
            "",
            "",
            // The start of the document, not all of it: the whole file underlined says less.
            Some(apptrust_yaml::Span::point(root.span.start)),
            "the manifest declares neither `modules` nor `connectModules`".into(),
            Some("add `modules:` with at least one module".into()),
        );
    }
    if let Some(modules) = modules.filter(|m| m.as_map().is_some()) {
        module_types(modules, out);
        minimum_modules(modules, out);
        function_keys(modules, out);
        handlers(modules, out);
        references(root, modules, out);
        endpoints(root, modules, out);
    }
    duplicate_module_keys(root, out);
    remote_regions(root, out);
    resources(root, out);
    scopes(root, out);
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn push(
    out: &mut Vec<Problem>,
    check: &'static str,
    subject: &str,
    pointer: &str,
    span: Option<Span>,
    message: String,
    fix: Option<String>,
) {
    let mut finding = Finding::new(Code::ManifestInvalid, span, message);
    finding.fix = fix;
    out.push(Problem {
        pointer: pointer.to_owned(),
        finding,
        check,
        subject: subject.to_owned(),
    });
}

/// The lists of module entries, by module type, with their pointers.
pub(crate) fn lists(modules: &Node) -> impl Iterator<Item = (&str, &Node, &[Node])> {
    modules.as_map().unwrap_or_default().iter().filter_map(|e| {
        let kind = e.key.as_str()?;
        Some((kind, &e.key, e.value.as_seq().unwrap_or_default()))
    })
}

fn is_function_or_endpoint(kind: &str) -> bool {
    kind == "function" || kind == "endpoint"
}

/// `checkUnsupportedModules`: a key under `modules` that is not a Forge module type.
fn module_types(modules: &Node, out: &mut Vec<Problem>) {
    let known = data::module_types();
    for (kind, key, _) in lists(modules) {
        if known.contains(kind) {
            continue;
        }
        // `confluence:macro` is `macro`: the product prefix is a common slip.
        let unprefixed = kind
            .rsplit_once(':')
            .map(|(_, rest)| rest)
            .filter(|r| known.contains(r));
        let fix = unprefixed
            .or_else(|| closest(kind, known.iter().copied()))
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| "use a module type from Forge's manifest reference".into());
        push(
            out,
            "modules.invalidModule",
            kind,
            &format!("/modules/{}", escape(kind)),
            Some(key.span),
            format!("`{kind}` is not a Forge module type"),
            Some(fix),
        );
    }
}

/// `minimumModuleCountValidation`: functions and endpoints alone do not make an app.
fn minimum_modules(modules: &Node, out: &mut Vec<Problem>) {
    let count = modules
        .as_map()
        .unwrap_or_default()
        .iter()
        .filter(|e| !is_function_or_endpoint(&e.key.display_scalar()))
        .count();
    if count == 0 {
        push(
            out,
            "modules.missingModule",
            "",
            "/modules",
            Some(modules.span),
            "`modules` declares no module besides functions and endpoints".into(),
            Some("add the module that shows or triggers the app, e.g. `jira:issuePanel`".into()),
        );
    }
}

/// `functionKeyLength`.
fn function_keys(modules: &Node, out: &mut Vec<Problem>) {
    for (i, function) in items(modules, "function") {
        let Some(key) = function.get("key").and_then(Node::as_str) else {
            continue;
        };
        if key.chars().count() > MAX_FUNCTION_KEY {
            push(
                out,
                "modules.function.invalidKeyLength",
                key,
                &format!("/modules/function/{i}/key"),
                function.get("key").map(|k| k.span),
                format!("the function key `{key}` is longer than {MAX_FUNCTION_KEY} characters"),
                Some(format!(
                    "shorten it to {MAX_FUNCTION_KEY} characters or fewer, and every reference to it"
                )),
            );
        }
    }
}

/// `functionHandlerValidation`, the part that needs no files: `handler` must be
/// `path/to/file.export`, letters, digits, `_` and `-` in each part.
fn handlers(modules: &Node, out: &mut Vec<Problem>) {
    for (i, function) in items(modules, "function") {
        let Some(node) = function.get("handler") else {
            continue;
        };
        let handler = node.display_scalar();
        if !is_handler(&handler) {
            push(
                out,
                "modules.function.handler.invalidRegex",
                &handler,
                &format!("/modules/function/{i}/handler"),
                Some(node.span),
                format!("the handler `{handler}` is not of the form `<file>.<export>`"),
                Some("write the file's path from the source folder without extension, a dot, then the exported function, e.g. `index.run`".into()),
            );
        }
    }
}

fn is_handler(handler: &str) -> bool {
    let part = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphabetic() || c.is_ascii_digit() || c == '_' || c == '-')
    };
    let Some((file, export)) = handler.rsplit_once('.') else {
        return false;
    };
    part(export) && file.split('/').all(part)
}

/// The entries of one module type with their indexes.
pub(crate) fn items<'a>(modules: &'a Node, kind: &str) -> impl Iterator<Item = (usize, &'a Node)> {
    modules
        .get(kind)
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
}

fn keys_of(modules: &Node, kind: &str) -> BTreeSet<String> {
    items(modules, kind)
        .filter_map(|(_, m)| m.get("key").map(Node::display_scalar))
        .collect()
}

/// `functionKeyDefinedValidation` and the resource half of `ResourcesValidator`: every
/// `function`, `endpoint` and `resource` a module names, directly or one level down (as in
/// `resolver: {function: ...}`), must be declared.
fn references(root: &Node, modules: &Node, out: &mut Vec<Problem>) {
    let functions = keys_of(modules, "function");
    let endpoints = keys_of(modules, "endpoint");
    // Forge checks resource references only when the manifest has `resources`.
    let resources: Option<BTreeSet<String>> =
        root.get("resources").and_then(Node::as_seq).map(|list| {
            list.iter()
                .filter_map(|r| r.get("key").map(Node::display_scalar))
                .collect()
        });
    for (kind, _, list) in lists(modules) {
        if is_function_or_endpoint(kind) {
            continue;
        }
        for (i, module) in list.iter().enumerate() {
            let base = format!("/modules/{}/{i}", escape(kind));
            let mut places: Vec<(String, &Node)> = vec![(String::new(), module)];
            for entry in module.as_map().unwrap_or_default() {
                places.push((
                    format!("/{}", escape(&entry.key.display_scalar())),
                    &entry.value,
                ));
            }
            for (sub, place) in places {
                for (property, known) in [
                    ("function", Some(&functions)),
                    ("endpoint", Some(&endpoints)),
                    ("resource", resources.as_ref()),
                ] {
                    let Some(known) = known else { continue };
                    if property == "resource" && !sub.is_empty() && module.get("resource").is_none()
                    {
                        // Forge looks for nested resource references only in modules with one of their own.
                        continue;
                    }
                    let Some(node) = place.get(property) else {
                        continue;
                    };
                    let written = js_truthy_text(node);
                    let Some(written) = written else { continue };
                    let key = if property == "resource" {
                        resource_key(&written)
                    } else {
                        Some(written.clone())
                    };
                    if key.as_ref().is_some_and(|k| known.contains(k)) {
                        continue;
                    }
                    let check = match property {
                        "function" => "modules.wrongFunctionReference",
                        "endpoint" => "modules.wrongEndpointReference",
                        _ => "modules.wrongResourceReference",
                    };
                    let named = key.unwrap_or_else(|| written.clone());
                    let fix = closest(&named, known.iter().map(String::as_str))
                        .map(|c| format!("did you mean `{c}`?"))
                        .unwrap_or_else(|| {
                            format!(
                                "declare a {property} with `key: {named}` under `{}`",
                                if property == "resource" {
                                    "resources"
                                } else {
                                    property_list(property)
                                }
                            )
                        });
                    push(
                        out,
                        check,
                        if property == "resource" {
                            &named
                        } else {
                            &written
                        },
                        &format!("{base}{sub}/{property}"),
                        Some(node.span),
                        format!(
                            "`{kind}` refers to the {property} `{written}`, which is not declared"
                        ),
                        Some(fix),
                    );
                }
            }
        }
    }
}

fn property_list(property: &str) -> &'static str {
    match property {
        "function" => "modules.function",
        _ => "modules.endpoint",
    }
}

/// A reference value as Forge compares it: skipped when JavaScript finds it falsy (empty,
/// `false`, `0`, null); otherwise its string form.
pub(crate) fn js_truthy_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Null | Value::Bool(false) => None,
        Value::Str(s) if s.is_empty() => None,
        Value::Int(0) => None,
        Value::Float(f) if *f == 0.0 || f.is_nan() => None,
        _ => Some(node.display_scalar()),
    }
}

/// `key` or `key/entry`; anything else has no valid resource key.
fn resource_key(reference: &str) -> Option<String> {
    let parts: Vec<&str> = reference.split('/').collect();
    match parts.as_slice() {
        [key] if !key.is_empty() => Some((*key).to_owned()),
        [key, entry] if !key.is_empty() && !entry.is_empty() => Some((*key).to_owned()),
        _ => None,
    }
}

/// `endpointValidations`: an endpoint's `remote` must be declared; a trigger that calls an
/// endpoint needs one with a `route` and without the user's token.
fn endpoints(root: &Node, modules: &Node, out: &mut Vec<Problem>) {
    let remotes: BTreeSet<String> = root
        .get("remotes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.get("key").map(Node::display_scalar))
        .collect();
    let endpoint_list: Vec<(usize, &Node)> = items(modules, "endpoint").collect();
    for (_, trigger) in items(modules, "trigger") {
        let Some(target) = trigger.get("endpoint").filter(|e| !e.is_null()) else {
            continue;
        };
        let target = target.display_scalar();
        let trigger_key = trigger
            .get("key")
            .map(Node::display_scalar)
            .unwrap_or_default();
        let Some((i, endpoint)) = endpoint_list.iter().find(|(_, e)| {
            e.get("key").map(Node::display_scalar).as_deref() == Some(target.as_str())
        }) else {
            continue;
        };
        let pointer = format!("/modules/endpoint/{i}");
        if endpoint
            .at(&["auth", "appUserToken", "enabled"])
            .and_then(Node::as_bool)
            == Some(true)
        {
            push(
                out,
                "modules.trigger.endpointOnlySupportSystemToken",
                &target,
                &pointer,
                endpoint.get("key").map(|k| k.span),
                format!(
                    "the trigger `{trigger_key}` calls the endpoint `{target}`, which asks for the user's token; triggers can only use the app's system token"
                ),
                Some("set `auth.appUserToken.enabled: false` on this endpoint".into()),
            );
        }
        if endpoint.get("route").is_none_or(Node::is_null) {
            push(
                out,
                "modules.trigger.endpointNeedsRoute",
                &target,
                &pointer,
                endpoint.get("key").map(|k| k.span),
                format!(
                    "the trigger `{trigger_key}` calls the endpoint `{target}`, which has no `route`"
                ),
                Some("add `route:` with the `path` the remote serves the trigger on".into()),
            );
        }
    }
    for (i, endpoint) in &endpoint_list {
        if let Some(remote) = endpoint.get("remote") {
            let key = remote.display_scalar();
            if !remotes.contains(&key) {
                let fix = closest(&key, remotes.iter().map(String::as_str))
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| {
                        format!("declare a remote with `key: {key}` under `remotes`")
                    });
                push(
                    out,
                    "modules.endpoint.remote.notExists",
                    &key,
                    &format!("/modules/endpoint/{i}/remote"),
                    Some(remote.span),
                    format!("the endpoint's remote `{key}` is not declared under `remotes`"),
                    Some(fix),
                );
            }
        } else if let Some(service) = endpoint.get("service") {
            let declared = root
                .get("services")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .any(|s| s.get("key").map(Node::display_scalar) == Some(service.display_scalar()));
            if js_truthy_text(service).is_some() && !declared {
                let key = service.display_scalar();
                push(
                    out,
                    "modules.wrongServiceReference",
                    &key,
                    &format!("/modules/endpoint/{i}/service"),
                    Some(service.span),
                    format!("the endpoint's service `{key}` is not declared under `services`"),
                    Some(format!(
                        "declare a service with `key: {key}` under `services`"
                    )),
                );
            }
        }
    }
}

/// `duplicateModuleKeyValidation`: module keys are unique across every module type and
/// `connectModules`.
fn duplicate_module_keys(root: &Node, out: &mut Vec<Problem>) {
    let mut seen: HashMap<String, (String, Span)> = HashMap::new();
    let mut reported = BTreeSet::new();
    for section in ["modules", "connectModules"] {
        let Some(map) = root.get(section) else {
            continue;
        };
        for (kind, _, list) in lists(map) {
            for (i, module) in list.iter().enumerate() {
                let Some(key_node) = module.get("key") else {
                    continue;
                };
                let key = key_node.display_scalar();
                let pointer = format!("/{section}/{}/{i}/key", escape(kind));
                match seen.get(&key) {
                    None => {
                        seen.insert(key, (pointer, key_node.span));
                    }
                    Some((_, first)) => {
                        if !reported.insert(key.clone()) {
                            continue;
                        }
                        let mut finding = Finding::new(
                            Code::ManifestInvalid,
                            Some(key_node.span),
                            format!("the module key `{key}` is used twice; module keys must be unique across all modules"),
                        )
                        .with_related(*first, "first used here");
                        finding.fix = Some("rename one of them (and every reference to it)".into());
                        out.push(Problem {
                            pointer,
                            finding,
                            check: "modules.duplicateKeyFound",
                            subject: key,
                        });
                    }
                }
            }
        }
    }
}

/// `RemoteRegionsValidator`: when any remote maps regions to URLs, every remote must map the
/// same regions, except a single-URL remote that keeps no in-scope End-User Data.
fn remote_regions(root: &Node, out: &mut Vec<Problem>) {
    let Some(remotes) = root.get("remotes").and_then(Node::as_seq) else {
        return;
    };
    let regions = |base: &Node| -> BTreeSet<String> {
        match base.as_map() {
            Some(entries) => entries.iter().map(|e| e.key.display_scalar()).collect(),
            None => BTreeSet::from(["default".to_owned()]),
        }
    };
    let all: BTreeSet<String> = remotes
        .iter()
        .filter_map(|r| r.get("baseUrl"))
        .flat_map(regions)
        .collect();
    for (i, remote) in remotes.iter().enumerate() {
        let Some(base) = remote.get("baseUrl") else {
            continue;
        };
        let own = regions(base);
        if own == all {
            continue;
        }
        let keeps_data = remote
            .at(&["storage", "inScopeEUD"])
            .is_some_and(|f| js_truthy_text(f).is_some());
        if own.len() == 1 && !keeps_data {
            continue;
        }
        let key = remote
            .get("key")
            .map(Node::display_scalar)
            .unwrap_or_default();
        let missing: Vec<String> = all.difference(&own).map(|r| format!("`{r}`")).collect();
        push(
            out,
            "modules.remote.allRegionsNotDeclared",
            &key,
            &format!("/remotes/{i}/baseUrl"),
            remote.entry("baseUrl").map(|e| e.key.span),
            format!(
                "the remote `{key}` maps regions to URLs but not every region the app's remotes use (missing {})",
                missing.join(", ")
            ),
            Some("give every remote that maps regions the same regions".into()),
        );
    }
}

/// `ResourcesValidator`, the parts that need no files: at most 50 resources, unique keys.
fn resources(root: &Node, out: &mut Vec<Problem>) {
    const MAX_RESOURCES: usize = 50;
    let Some(list) = root.get("resources").and_then(Node::as_seq) else {
        return;
    };
    if list.len() > MAX_RESOURCES {
        push(
            out,
            "resources.tooManyResourcesError",
            "",
            "/resources",
            root.entry("resources").map(|e| e.key.span),
            format!(
                "the manifest declares {} resources; Forge allows at most {MAX_RESOURCES}",
                list.len()
            ),
            None,
        );
    }
    let mut seen: HashMap<String, Span> = HashMap::new();
    let mut reported = BTreeSet::new();
    for (i, resource) in list.iter().enumerate() {
        let Some(key_node) = resource.get("key") else {
            continue;
        };
        let key = key_node.display_scalar();
        if let Some(first) = seen.get(&key) {
            if reported.insert(key.clone()) {
                let finding = Finding::new(
                    Code::ManifestInvalid,
                    Some(key_node.span),
                    format!("the resource key `{key}` is used twice"),
                )
                .with_related(*first, "first used here")
                .with_fix("rename one of them (and every module that uses it)");
                out.push(Problem {
                    pointer: format!("/resources/{i}/key"),
                    finding,
                    check: "resources.duplicateKeyFound",
                    subject: key,
                });
            }
        } else {
            seen.insert(key, key_node.span);
        }
    }
}

/// `PermissionsValidator`'s scope check: every scope must be one Forge knows.
fn scopes(root: &Node, out: &mut Vec<Problem>) {
    let Some(scopes) = root.at(&["permissions", "scopes"]) else {
        return;
    };
    let known = data::scopes();
    let written: Vec<(String, &Node)> = match &scopes.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|s| s.as_str().map(|t| (t.to_owned(), s)))
            .collect(),
        Value::Map(entries) => entries
            .iter()
            .map(|e| (e.key.display_scalar(), &e.key))
            .collect(),
        _ => Vec::new(),
    };
    for (i, (scope, node)) in written.iter().enumerate() {
        if known.contains(scope.as_str()) {
            continue;
        }
        let fix = closest(scope, known.iter().copied())
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| "use a scope from Forge's scope reference".into());
        let pointer = match &scopes.value {
            Value::Seq(_) => format!("/permissions/scopes/{i}"),
            _ => format!("/permissions/scopes/{}", escape(scope)),
        };
        push(
            out,
            "permissions.invalidPermission",
            scope,
            &pointer,
            Some(node.span),
            format!("`{scope}` is not a scope Forge knows"),
            Some(fix),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_forms() {
        assert!(is_handler("index.run"));
        assert!(is_handler("src/resolvers/index.handler"));
        assert!(is_handler("módulo.ejecutar"));
        assert!(!is_handler("index"));
        assert!(!is_handler("index.run.now/x"));
        assert!(!is_handler("./index.run"));
        assert!(!is_handler("index."));
    }

    #[test]
    fn resource_keys() {
        assert_eq!(resource_key("main"), Some("main".into()));
        assert_eq!(resource_key("main/entry"), Some("main".into()));
        assert_eq!(resource_key("a/b/c"), None);
        assert_eq!(resource_key("/x"), None);
    }
}
