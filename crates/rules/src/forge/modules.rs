//! The module-level checks of Forge's validators that need no source tree beyond the references
//! (`references.rs`): modules Forge allows once, sub-pages, workflow validators and conditions,
//! triggers that ignore their own events, action references from Rovo and Automation modules,
//! remotes, LLM, SQL and object-store modules, compatibility, Connect settings.
//!
//! Each function mirrors one function of `@forge/manifest` (named in its doc comment) with the
//! same conditions, read with JavaScript's truthiness where Forge tests a value. Forge runs them
//! only when the schema passes; we run them always, so each skips values of the wrong type
//! instead of guessing. Every pass is linear in the manifest's size: keys are looked up in hash
//! sets built once.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use apptrust_yaml::{Node, Span, Value};

use super::Problem;
use super::references::{items, js_truthy_text, lists, push};
use super::schema::escape;

/// Runs every module-level check on the loaded manifest, then the permission checks
/// (`permissions.rs`).
pub(crate) fn check(root: &Node, out: &mut Vec<Problem>) {
    if let Some(modules) = root.get("modules").filter(|m| m.as_map().is_some()) {
        single_entries(modules, out);
        admin_pages(modules, out);
        workflows(modules, out);
        custom_fields(modules, out);
        triggers(modules, out);
        background_scripts(modules, out);
        action_validators(modules, out);
        action_references(modules, out);
        agent_connectors(modules, out);
        graph_connectors(root, modules, out);
        data_residency(root, modules, out);
        page_references(modules, out);
        module_scopes(root, modules, out);
        confluence_properties(modules, out);
        internal_fields(modules, out);
        llm(modules, out);
        storage_modules(modules, out);
        jql_functions(modules, out);
        entity_properties(modules, out);
    }
    remotes(root, out);
    remote_auth_scopes(root, out);
    compatibility(root, out);
    connect(root, out);
    super::permissions::check(root, out);
}

/// JavaScript's truthiness of a value that is present.
fn truthy(node: &Node) -> bool {
    matches!(node.value, Value::Map(_) | Value::Seq(_)) || js_truthy_text(node).is_some()
}

/// `module.<property>` is truthy.
fn has(module: &Node, property: &str) -> bool {
    module.get(property).is_some_and(truthy)
}

fn key_of(module: &Node) -> String {
    module
        .get("key")
        .map(Node::display_scalar)
        .unwrap_or_default()
}

/// Where Forge points for a module: its `key`, else the entry itself.
fn key_span(module: &Node) -> Option<Span> {
    Some(module.get("key").map_or(module.span, |k| k.span))
}

fn list<'a>(modules: &'a Node, kind: &str) -> &'a [Node] {
    modules.get(kind).and_then(Node::as_seq).unwrap_or_default()
}

fn pointer(kind: &str, i: usize) -> String {
    format!("/modules/{}/{i}", escape(kind))
}

/// The keys of the entries of some module types, for lookups.
fn keys(modules: &Node, kinds: &[&str]) -> HashSet<String> {
    kinds
        .iter()
        .flat_map(|kind| list(modules, kind))
        .filter_map(|m| m.get("key").map(Node::display_scalar))
        .collect()
}

/// The string items of a list value (others are skipped).
fn strings(node: Option<&Node>) -> impl Iterator<Item = (usize, &Node, &str)> {
    node.and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.as_str().map(|s| (i, n, s)))
}

/// `validateUiModificationsModule`, `validateJiraFullPage`, `validateGlobalUi`: modules an app
/// declares at most once; for a single page, `validateSubpagesInModule`; for `global:ui`, a
/// native render.
fn single_entries(modules: &Node, out: &mut Vec<Problem>) {
    for kind in [
        "jira:uiModifications",
        "jira:projectPage",
        "jira:projectSettingsPage",
        "jira:globalPage",
        "global:ui",
    ] {
        let entries = list(modules, kind);
        if entries.len() > 1 {
            push(
                out,
                "modules.singleEntryOfTheModule",
                kind,
                &pointer(kind, 1),
                key_span(&entries[1]),
                format!(
                    "`{kind}` is declared {} times; an app can declare it only once",
                    entries.len()
                ),
                Some(if kind.ends_with("Page") {
                    format!(
                        "keep one `{kind}` entry; it can hold several sub-pages under `pages` or `sections`"
                    )
                } else {
                    format!("keep one `{kind}` entry")
                }),
            );
        } else if let [only] = entries {
            if kind == "global:ui" {
                if only.get("render").and_then(Node::as_str) != Some("native") {
                    let key = key_of(only);
                    push(
                        out,
                        "modules.globalUi.renderMustBeNative",
                        &key,
                        &pointer(kind, 0),
                        key_span(only),
                        format!("the `global:ui` module `{key}` must be rendered natively"),
                        Some("set `render: native`".into()),
                    );
                }
            } else if kind != "jira:uiModifications" {
                sub_pages(only, &pointer(kind, 0), out);
            }
        }
    }
}

/// `validateSubpagesInModule`: sub-pages need Custom UI, and `pages` and `sections` exclude
/// each other.
fn sub_pages(module: &Node, pointer: &str, out: &mut Vec<Problem>) {
    let key = key_of(module);
    let with_pages = has(module, "pages") || has(module, "sections");
    if with_pages && has(module, "function") {
        push(
            out,
            "modules.subPages.subPagesWithUIKit",
            &key,
            pointer,
            key_span(module),
            format!(
                "the module `{key}` has sub-pages but is rendered by a UI Kit `function`; sub-pages need Custom UI"
            ),
            Some(
                "replace `function` with a `resource` (Custom UI), or remove `pages`/`sections`"
                    .into(),
            ),
        );
    }
    if has(module, "pages") && has(module, "sections") {
        push(
            out,
            "modules.subPages.invalidPagesAndSections",
            &key,
            pointer,
            key_span(module),
            format!("the module `{key}` declares both `pages` and `sections`"),
            Some("keep one of them".into()),
        );
    }
}

/// One role of `jira:adminPage`: its message name, how a person reads it, its entries.
type Group<'a> = (&'static str, &'static str, Vec<(usize, &'a Node)>);

/// `validateJiraFullAdminPage`: at most one `jira:adminPage` of each role (plain, get-started,
/// configuration); the plain one's sub-pages as above; no sub-pages on the other two.
fn admin_pages(modules: &Node, out: &mut Vec<Problem>) {
    const KIND: &str = "jira:adminPage";
    let entries = list(modules, KIND);
    let groups: [Group; 3] = [
        (
            "modules.singleEntryOfModuleWithoutConfigureAndStartedParams",
            "without `useAsGetStarted` or `useAsConfig`",
            entries
                .iter()
                .enumerate()
                .filter(|(_, m)| !has(m, "useAsGetStarted") && !has(m, "useAsConfig"))
                .collect(),
        ),
        (
            "modules.singleEntryOfModuleWithGetStartedParam",
            "with `useAsGetStarted`",
            entries
                .iter()
                .enumerate()
                .filter(|(_, m)| has(m, "useAsGetStarted"))
                .collect(),
        ),
        (
            "modules.singleEntryOfModuleWithConfigureParam",
            "with `useAsConfig`",
            entries
                .iter()
                .enumerate()
                .filter(|(_, m)| has(m, "useAsConfig"))
                .collect(),
        ),
    ];
    for (role, (check, which, group)) in groups.iter().enumerate() {
        if let [_, (i, second), ..] = group.as_slice() {
            push(
                out,
                check,
                KIND,
                &pointer(KIND, *i),
                key_span(second),
                format!(
                    "the app declares {} `{KIND}` modules {which}; at most one is allowed",
                    group.len()
                ),
                Some("merge them into one page, or give each a different role".into()),
            );
        } else if let [(i, only)] = group.as_slice() {
            if role == 0 {
                sub_pages(only, &pointer(KIND, *i), out);
            } else if has(only, "pages") || has(only, "sections") {
                push(
                    out,
                    "modules.subPages.invalidPagesAndSectionsForConfigurePages",
                    KIND,
                    &pointer(KIND, *i),
                    key_span(only),
                    format!(
                        "the `{KIND}` module `{}` is a get-started or configuration page and cannot have `pages` or `sections`",
                        key_of(only)
                    ),
                    Some("remove `pages`/`sections`, or move them to a plain admin page".into()),
                );
            }
        }
    }
}

/// `validateJiraWorkflowValidator` and `validateJiraWorkflowCondition`.
fn workflows(modules: &Node, out: &mut Vec<Problem>) {
    const VALIDATOR: &str = "jira:workflowValidator";
    for (i, module) in items(modules, VALIDATOR) {
        let key = key_of(module);
        let (expression, function) = (has(module, "expression"), has(module, "function"));
        if !expression && !function {
            push(
                out,
                "modules.jiraWorkflowValidator.missingProperty",
                &key,
                &pointer(VALIDATOR, i),
                key_span(module),
                format!(
                    "the workflow validator `{key}` has neither a `function` nor an `expression`"
                ),
                Some(
                    "add a `function` (a key under `modules.function`) or a Jira `expression`"
                        .into(),
                ),
            );
        }
        if expression && function {
            push(
                out,
                "modules.jiraWorkflowValidator.invalidProperty",
                &key,
                &pointer(VALIDATOR, i),
                key_span(module),
                format!("the workflow validator `{key}` has both a `function` and an `expression`"),
                Some("keep one of them".into()),
            );
        }
    }
    const CONDITION: &str = "jira:workflowCondition";
    for (i, module) in items(modules, CONDITION) {
        let blank = match module.get("expression").map(|e| &e.value) {
            Some(Value::Str(s)) => s.trim().is_empty(),
            Some(_) => !module.get("expression").is_some_and(truthy),
            None => true,
        };
        if blank {
            let key = key_of(module);
            push(
                out,
                "modules.jiraWorkflowCondition.missingExpression",
                &key,
                &pointer(CONDITION, i),
                key_span(module),
                format!("the workflow condition `{key}` has no `expression` (or a blank one)"),
                Some("write the Jira expression the condition evaluates".into()),
            );
        }
    }
}

/// `validateJiraCustomField`, the Connect half: `connectFieldProperty` only on a field migrated
/// from Connect.
fn custom_fields(modules: &Node, out: &mut Vec<Problem>) {
    const KIND: &str = "jira:customField";
    for (i, module) in items(modules, KIND) {
        let migrated = module.get("migratedFromConnect").and_then(Node::as_bool) == Some(true);
        if has(module, "connectFieldProperty") && !migrated {
            let key = key_of(module);
            push(
                out,
                "modules.customFields.connectFieldPropertyRequiresMigration",
                &key,
                &format!("{}/connectFieldProperty", pointer(KIND, i)),
                module.entry("connectFieldProperty").map(|e| e.key.span),
                format!("the custom field `{key}` sets `connectFieldProperty` but is not migrated from Connect"),
                Some("set `migratedFromConnect: true` if the field comes from a Connect app, else remove `connectFieldProperty`".into()),
            );
        }
    }
}

/// `validateJiraTriggers`: `ignoreSelf` filtering works only for Jira events (reported once per
/// trigger).
fn triggers(modules: &Node, out: &mut Vec<Problem>) {
    for (i, trigger) in items(modules, "trigger") {
        let events = trigger
            .get("events")
            .and_then(Node::as_seq)
            .unwrap_or_default();
        let is_jira = |event: &Node| event.as_str().is_some_and(|e| e.contains("jira"));
        let whole = trigger.at(&["filter", "ignoreSelf"]).is_some_and(truthy)
            && !events.iter().all(is_jira);
        let one = events.iter().any(|e| {
            e.as_map().is_some()
                && e.at(&["filter", "ignoreSelf"]).is_some_and(truthy)
                && !e
                    .get("eventType")
                    .and_then(Node::as_str)
                    .is_some_and(|t| t.contains("jira"))
        });
        if whole || one {
            let key = key_of(trigger);
            push(
                out,
                "modules.trigger.ignoreSelfFilteringWorksOnlyWithJiraEvents",
                "",
                &pointer("trigger", i),
                key_span(trigger),
                format!(
                    "the trigger `{key}` filters with `ignoreSelf`, which works only with Jira events"
                ),
                Some("remove `ignoreSelf`, or listen only to Jira events (`avi:jira:...`)".into()),
            );
        }
    }
}

/// `validateJiraGlobalBackgroundScript`: at least one `experience`; `all` alone.
fn background_scripts(modules: &Node, out: &mut Vec<Problem>) {
    const KIND: &str = "jira:globalBackgroundScript";
    for (i, module) in items(modules, KIND) {
        let key = key_of(module);
        let experience = module
            .get("experience")
            .and_then(Node::as_seq)
            .unwrap_or_default();
        if experience.is_empty() {
            push(
                out,
                "modules.jiraGlobalBackgroundScript.experienceRequired",
                &key,
                &pointer(KIND, i),
                key_span(module),
                format!("the background script `{key}` lists no `experience`"),
                Some("add `experience:` with at least one value, e.g. `all`".into()),
            );
        } else if experience.len() > 1 && experience.iter().any(|e| e.as_str() == Some("all")) {
            push(
                out,
                "modules.jiraGlobalBackgroundScript.experienceAllExclusive",
                &key,
                &format!("{}/experience", pointer(KIND, i)),
                module.entry("experience").map(|e| e.key.span),
                format!("the background script `{key}` lists `all` with other experiences"),
                Some("keep `all` alone, or list the experiences without `all`".into()),
            );
        }
    }
}

/// `validateJiraActionValidator`: one `jira:actionValidator` per action type.
fn action_validators(modules: &Node, out: &mut Vec<Problem>) {
    const KIND: &str = "jira:actionValidator";
    let entries = list(modules, KIND);
    if entries.len() <= 1 {
        return;
    }
    let action = |m: &Node| {
        m.get("action")
            .and_then(js_truthy_text)
            .unwrap_or_else(|| "unknown".into())
    };
    let mut count: HashMap<String, usize> = HashMap::new();
    for module in entries {
        *count.entry(action(module)).or_default() += 1;
    }
    for (i, module) in entries.iter().enumerate() {
        let action = action(module);
        if count[&action] > 1 {
            push(
                out,
                "modules.jiraActionValidator.limitPerActionType",
                &action,
                &pointer(KIND, i),
                key_span(module),
                format!(
                    "{} `{KIND}` modules validate the action `{action}`; only one is allowed per action",
                    count[&action]
                ),
                Some("merge their checks into one validator".into()),
            );
        }
    }
}

/// `validateRovoAgentActions`, `validateRovoSkillActions`, `validateRovoMcpActions`,
/// `validateAutomationProviderActions`: every action a Rovo agent, skill or MCP server, or an
/// Automation action provider names must be declared under `modules.action`; at most 20 actions
/// across the action providers.
fn action_references(modules: &Node, out: &mut Vec<Problem>) {
    const MAX_AUTOMATION_ACTIONS: usize = 20;
    let actions = keys(modules, &["action"]);
    let sources: [(&str, &[&str], &'static str); 4] = [
        (
            "rovo:agent",
            &["actions"],
            "modules.rovo.incorrectAgentActionReference",
        ),
        (
            "rovo:skill",
            &["dependencies", "tools"],
            "modules.rovo.incorrectSkill",
        ),
        ("rovo:mcp", &["tools"], "modules.rovo.incorrectMcp"),
        (
            "automation:actionProvider",
            &["actions"],
            "modules.action.undefinedAutomationActionReference",
        ),
    ];
    for (kind, path, check) in sources {
        for (i, module) in items(modules, kind) {
            let key = key_of(module);
            for (j, node, action) in strings(module.at(path)) {
                if actions.contains(action) {
                    continue;
                }
                let fix = super::suggest::closest(action, actions.iter().map(String::as_str))
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| {
                        format!("declare an action with `key: {action}` under `modules.action`")
                    });
                push(
                    out,
                    check,
                    action,
                    &format!("{}/{}/{j}", pointer(kind, i), path.join("/")),
                    Some(node.span),
                    format!(
                        "the `{kind}` module `{key}` names the action `{action}`, which is not declared"
                    ),
                    Some(fix),
                );
            }
        }
    }
    let providers = list(modules, "automation:actionProvider");
    let total: usize = providers
        .iter()
        .map(|p| {
            p.get("actions")
                .and_then(Node::as_seq)
                .map_or(0, <[Node]>::len)
        })
        .sum();
    if total > MAX_AUTOMATION_ACTIONS {
        push(
            out,
            "modules.action.tooManyAutomationActions",
            "",
            "/modules/automation:actionProvider",
            modules
                .entry("automation:actionProvider")
                .map(|e| e.key.span),
            format!(
                "the `automation:actionProvider` modules list {total} actions; Forge allows at most {MAX_AUTOMATION_ACTIONS}"
            ),
            None,
        );
    }
}

/// `validateAgentConnectorRemoteEndpoints`: an agent connector's agent-to-agent endpoint must be
/// a declared endpoint with a `remote`.
fn agent_connectors(modules: &Node, out: &mut Vec<Problem>) {
    const KIND: &str = "rovo:agentConnector";
    let connectors = list(modules, KIND);
    if connectors.is_empty() {
        return;
    }
    let mut endpoints: HashMap<String, &Node> = HashMap::new();
    for (_, e) in items(modules, "endpoint") {
        if let Some(key) = e.get("key") {
            endpoints.entry(key.display_scalar()).or_insert(e);
        }
    }
    for (i, connector) in connectors.iter().enumerate() {
        let key = key_of(connector);
        let path = ["protocols", "agent2Agent", "jsonRpcTransport", "endpoint"];
        let target = connector.at(&path);
        let name = target.map(Node::display_scalar).unwrap_or_default();
        let here = format!("{}/{}", pointer(KIND, i), path.join("/"));
        let span = target.map(|t| t.span).or(key_span(connector));
        match target.and_then(|_| endpoints.get(&name)) {
            None => push(
                out,
                "modules.rovo.incorrectA2AEndpointReference",
                &name,
                &here,
                span,
                format!(
                    "the agent connector `{key}` names the endpoint `{name}`, which is not declared"
                ),
                Some(format!(
                    "declare an endpoint with `key: {name}` and a `remote` under `modules.endpoint`"
                )),
            ),
            Some(endpoint) if !has(endpoint, "remote") => push(
                out,
                "modules.rovo.incorrectA2AEndpointConfiguration",
                &name,
                &here,
                span,
                format!(
                    "the agent connector `{key}` uses the endpoint `{name}`, which has no `remote`; the agent-to-agent protocol needs a remote endpoint"
                ),
                Some("give the endpoint a `remote`".into()),
            ),
            Some(_) => {}
        }
    }
}

/// `validateGraphConnectorAuthProvider`: a graph connector's `auth.provider` must be declared
/// under `providers.auth`.
fn graph_connectors(root: &Node, modules: &Node, out: &mut Vec<Problem>) {
    const KIND: &str = "graph:connector";
    let connectors = list(modules, KIND);
    if connectors.is_empty() {
        return;
    }
    let providers: HashSet<String> = root
        .at(&["providers", "auth"])
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.get("key").map(Node::display_scalar))
        .collect();
    for (i, connector) in connectors.iter().enumerate() {
        let Some(provider) = connector.at(&["auth", "provider"]).filter(|p| truthy(p)) else {
            continue;
        };
        let name = provider.display_scalar();
        if !providers.contains(&name) {
            let key = key_of(connector);
            push(
                out,
                "modules.graphConnector.invalidAuthProvider",
                &name,
                &format!("{}/auth/provider", pointer(KIND, i)),
                Some(provider.span),
                format!(
                    "the graph connector `{key}` uses the auth provider `{name}`, which is not declared under `providers.auth`"
                ),
                Some(format!(
                    "declare a provider with `key: {name}` under `providers.auth`"
                )),
            );
        }
    }
}

fn remote_keys(root: &Node) -> HashSet<String> {
    root.get("remotes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.get("key").map(Node::display_scalar))
        .collect()
}

/// `validateDataResidencyMigration`: one `migration:dataResidency` module, naming a declared
/// remote.
fn data_residency(root: &Node, modules: &Node, out: &mut Vec<Problem>) {
    const KIND: &str = "migration:dataResidency";
    let entries = list(modules, KIND);
    if entries.len() > 1 {
        push(
            out,
            "modules.migration:dataResidency.moreThanOneRemote",
            "",
            &pointer(KIND, 1),
            key_span(&entries[1]),
            format!(
                "`{KIND}` is declared {} times; an app can declare it only once",
                entries.len()
            ),
            Some(format!("keep one `{KIND}` entry")),
        );
    } else if let [only] = entries {
        let remote = only.get("remote");
        let name = remote.map(Node::display_scalar).unwrap_or_default();
        if remote.is_none_or(|_| !remote_keys(root).contains(&name)) {
            push(
                out,
                "modules.migration:dataResidency.remoteNotFound",
                &name,
                &format!("{}/remote", pointer(KIND, 0)),
                remote.map(|r| r.span).or(key_span(only)),
                format!(
                    "the data residency migration uses the remote `{name}`, which is not declared under `remotes`"
                ),
                Some(format!(
                    "declare a remote with `key: {name}` under `remotes`"
                )),
            );
        }
    }
}

/// `validateJiraCommandModule` and `validateJiraTimeTrackingModule` (through
/// `validateModuleReferences`): a command's `target.page` must be a Jira page module's key, a
/// time-tracking provider's `adminPage` a `jira:adminPage` key. Forge's message has no name; the
/// check is named after the function.
fn page_references(modules: &Node, out: &mut Vec<Problem>) {
    const PAGES: [&str; 4] = [
        "jira:globalPage",
        "jira:adminPage",
        "jira:projectPage",
        "jira:projectSettingsPage",
    ];
    let cases: [(&str, &[&str], &[&str]); 2] = [
        ("jira:command", &["target", "page"], &PAGES),
        (
            "jira:timeTrackingProvider",
            &["adminPage"],
            &["jira:adminPage"],
        ),
    ];
    for (kind, path, targets) in cases {
        let entries = list(modules, kind);
        if entries.is_empty() {
            continue;
        }
        let known = keys(modules, targets);
        for (i, module) in entries.iter().enumerate() {
            let Some(target) = module.at(path) else {
                continue;
            };
            let name = target.display_scalar();
            if known.contains(&name) {
                continue;
            }
            let key = key_of(module);
            let types = targets
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ");
            push(
                out,
                "modules.validateModuleReferences",
                &name,
                &format!("{}/{}", pointer(kind, i), path.join("/")),
                Some(target.span),
                format!(
                    "the `{kind}` module `{key}` names the page `{name}`, which is not a declared {types} module"
                ),
                Some(format!("use the key of a {types} module")),
            );
        }
    }
}

/// `validateModuleScopes`: a `bitbucket:mergeCheck` needs the `read:pullrequest:bitbucket` scope.
fn module_scopes(root: &Node, modules: &Node, out: &mut Vec<Problem>) {
    const KIND: &str = "bitbucket:mergeCheck";
    const SCOPE: &str = "read:pullrequest:bitbucket";
    let entries = list(modules, KIND);
    if entries.is_empty() || scope_keys(root).any(|s| s == SCOPE) {
        return;
    }
    for (i, module) in entries.iter().enumerate() {
        let key = key_of(module);
        push(
            out,
            "modules.moduleScopesValidator.missingScopes",
            &key,
            &pointer(KIND, i),
            key_span(module),
            format!("the merge check `{key}` needs the `{SCOPE}` scope"),
            Some(format!("add `{SCOPE}` under `permissions.scopes`")),
        );
    }
}

/// The scopes, from a list or from a mapping's keys (`getAllScopeKeys`).
fn scope_keys(root: &Node) -> impl Iterator<Item = String> {
    let scopes = root.at(&["permissions", "scopes"]);
    let listed = scopes
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .map(Node::display_scalar);
    let mapped = scopes
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .map(|e| e.key.display_scalar());
    listed.chain(mapped)
}

/// `validateConfluenceModules`' `validatePropertyUniqueness` and `validateSingleProperty`, with
/// `validateJiraFullPageModule`'s and `validateGlobalFullPage`'s uniqueness of `routePrefix`:
/// routes unique per module type, one `confluence:globalSettings` page per role.
fn confluence_properties(modules: &Node, out: &mut Vec<Problem>) {
    let unique: [(&str, &str, &'static str); 7] = [
        (
            "confluence:spaceSettings",
            "route",
            "modules.confluence.propertyUniqueness",
        ),
        (
            "confluence:globalPage",
            "route",
            "modules.confluence.propertyUniqueness",
        ),
        (
            "confluence:spacePage",
            "route",
            "modules.confluence.propertyUniqueness",
        ),
        (
            "confluence:fullPage",
            "route",
            "modules.confluence.propertyUniqueness",
        ),
        (
            "confluence:fullPage",
            "routePrefix",
            "modules.confluence.propertyUniqueness",
        ),
        (
            "jira:fullPage",
            "routePrefix",
            "modules.jiraFullPageModule.propertyUniqueness",
        ),
        (
            "global:fullPage",
            "routePrefix",
            "modules.globalFullPage.propertyUniqueness",
        ),
    ];
    for (kind, property, check) in unique {
        let mut first: HashMap<String, usize> = HashMap::new();
        let mut repeated: Option<(usize, String)> = None;
        for (i, module) in items(modules, kind) {
            let Some(value) = module.get(property).and_then(js_truthy_text) else {
                continue;
            };
            match first.entry(value) {
                Entry::Occupied(seen) => {
                    repeated.get_or_insert((*seen.get(), seen.key().clone()));
                }
                Entry::Vacant(new) => {
                    new.insert(i);
                }
            }
        }
        if let Some((i, value)) = repeated {
            let module = &list(modules, kind)[i];
            push(
                out,
                check,
                kind,
                &format!("{}/{property}", pointer(kind, i)),
                module.get(property).map(|p| p.span),
                format!(
                    "two `{kind}` modules use the {property} `{value}`; it must be unique among them"
                ),
                Some(format!("give each `{kind}` module its own `{property}`")),
            );
        }
    }
    const SETTINGS: &str = "confluence:globalSettings";
    for property in ["useAsConfig", "useAsGetStarted"] {
        let with: Vec<(usize, &Node)> = items(modules, SETTINGS)
            .filter(|(_, m)| has(m, property))
            .collect();
        if let Some((i, last)) = with.last().filter(|_| with.len() > 1) {
            let names: Vec<String> = with
                .iter()
                .map(|(_, m)| format!("`{}`", key_of(m)))
                .collect();
            push(
                out,
                "modules.confluence.multipleProperty",
                SETTINGS,
                &format!("{}/{property}", pointer(SETTINGS, *i)),
                last.get(property).map(|p| p.span),
                format!(
                    "{} `{SETTINGS}` modules set `{property}` ({}); only one may",
                    with.len(),
                    names.join(", ")
                ),
                Some(format!("keep `{property}: true` on one of them")),
            );
        }
    }
}

/// `InternalFieldsValidator`: `resolvedResourceEntry` and `renderRuntimeType` are set by Forge,
/// never in a manifest (every module type but `function`).
fn internal_fields(modules: &Node, out: &mut Vec<Problem>) {
    for (kind, _, entries) in lists(modules) {
        if kind == "function" {
            continue;
        }
        for (i, module) in entries.iter().enumerate() {
            for field in ["resolvedResourceEntry", "renderRuntimeType"] {
                let Some(entry) = module.entry(field) else {
                    continue;
                };
                let key = module
                    .get("key")
                    .and_then(js_truthy_text)
                    .unwrap_or_else(|| format!("{kind}[{i}]"));
                push(
                    out,
                    "modules.internalFieldFound",
                    field,
                    &format!("{}/{field}", pointer(kind, i)),
                    Some(entry.key.span),
                    format!(
                        "`{field}` in the module `{key}` is set by Forge and cannot be written in the manifest"
                    ),
                    Some(format!("remove `{field}`")),
                );
            }
        }
    }
}

/// `LLMValidator`: one `llm` module, declaring one model.
fn llm(modules: &Node, out: &mut Vec<Problem>) {
    let entries = list(modules, "llm");
    if entries.len() > 1 {
        push(
            out,
            "modules.llm.tooManyModulesDeclared",
            "",
            "/modules/llm",
            modules.entry("llm").map(|e| e.key.span),
            format!(
                "the app declares {} `llm` modules; Forge allows one",
                entries.len()
            ),
            Some("declare one `llm` module".into()),
        );
    }
    // `llmModules.map(({ model }) => model).flat()`: a list of models counts its items, anything
    // else (even a missing model) counts once.
    let mut models: Vec<(Option<String>, Option<Span>)> = Vec::new();
    for module in entries {
        match module.get("model") {
            Some(Node {
                value: Value::Seq(items),
                ..
            }) => models.extend(
                items
                    .iter()
                    .map(|m| (Some(m.display_scalar()), Some(m.span))),
            ),
            Some(other) => models.push((Some(other.display_scalar()), Some(other.span))),
            None => models.push((None, key_span(module))),
        }
    }
    if models.len() > 1 {
        push(
            out,
            "modules.llm.tooManyModelsDeclared",
            "",
            "/modules/llm",
            modules.entry("llm").map(|e| e.key.span),
            format!(
                "the `llm` modules declare {} models; Forge allows one",
                models.len()
            ),
            Some("declare one model".into()),
        );
    }
    let mut seen: HashSet<&Option<String>> = HashSet::new();
    let mut reported: HashSet<&Option<String>> = HashSet::new();
    for (model, span) in &models {
        if !seen.insert(model) && reported.insert(model) {
            let name = model.as_deref().unwrap_or("undefined");
            push(
                out,
                "modules.llm.duplicateModel",
                name,
                "/modules/llm",
                *span,
                format!("the model `{name}` is declared twice"),
                Some("declare each model once".into()),
            );
        }
    }
}

/// `StorageValidator`'s module half: one `sql` module, one `objectStore` module. Forge's
/// messages have no name; the checks are named after the functions.
fn storage_modules(modules: &Node, out: &mut Vec<Problem>) {
    for (kind, check) in [
        ("sql", "StorageValidator.validateSqlModules"),
        ("objectStore", "StorageValidator.validateOsModules"),
    ] {
        let entries = list(modules, kind);
        if entries.len() > 1 {
            push(
                out,
                check,
                "",
                &format!("/modules/{kind}"),
                modules.entry(kind).map(|e| e.key.span),
                format!(
                    "the app declares {} `{kind}` modules; Forge allows one",
                    entries.len()
                ),
                Some(format!("declare one `{kind}` module")),
            );
        }
    }
}

/// `JqlFunctionValidator`: JQL function names unique regardless of case (one problem listing
/// them, as Forge names them).
fn jql_functions(modules: &Node, out: &mut Vec<Problem>) {
    const KIND: &str = "jira:jqlFunction";
    let names: Vec<(usize, &Node, &str)> = items(modules, KIND)
        .filter_map(|(i, m)| m.get("name").and_then(|n| n.as_str().map(|s| (i, n, s))))
        .collect();
    let mut left: HashMap<String, usize> = HashMap::new();
    for (_, _, name) in &names {
        *left.entry(name.to_lowercase()).or_default() += 1;
    }
    // Forge keeps each name that has a later one equal but for case, and shows the last kept.
    let mut order: Vec<String> = Vec::new();
    let mut shown: HashMap<String, (usize, &Node, &str)> = HashMap::new();
    for &(i, node, name) in &names {
        let lower = name.to_lowercase();
        let count = left.entry(lower.clone()).or_default();
        *count -= 1;
        if *count > 0 {
            if !shown.contains_key(&lower) {
                order.push(lower.clone());
            }
            shown.insert(lower, (i, node, name));
        }
    }
    let Some(first) = order.first() else {
        return;
    };
    let listed: Vec<&str> = order.iter().map(|l| shown[l].2).collect();
    let (i, node, _) = shown[first];
    push(
        out,
        "modules.jiraJqlFunction.duplicateFunctionNames",
        &listed.join(", "),
        &format!("{}/name", pointer(KIND, i)),
        Some(node.span),
        format!(
            "JQL function names must be unique regardless of case; repeated: {}",
            listed
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some("rename the repeated functions".into()),
    );
}

/// `EntityPropertyValidator`: at most 100 `values` across all `jira:entityProperty` modules.
fn entity_properties(modules: &Node, out: &mut Vec<Problem>) {
    const KIND: &str = "jira:entityProperty";
    const MAX: usize = 100;
    let total: usize = list(modules, KIND)
        .iter()
        .map(|m| {
            m.get("values")
                .and_then(Node::as_seq)
                .map_or(0, <[Node]>::len)
        })
        .sum();
    if total > MAX {
        push(
            out,
            "modules.jiraEntityProperty.maxExtractionsPerApp",
            "",
            &format!("/modules/{KIND}"),
            modules.entry(KIND).map(|e| e.key.span),
            format!(
                "the `{KIND}` modules declare {total} values together; Forge allows at most {MAX}"
            ),
            None,
        );
    }
}

/// `RemotesIsUserConfigurableValidator` and `DataClassificationValidator`: a remote has a
/// `baseUrl` or is `configurable`; a remote used for `storage` says whether it keeps in-scope
/// End-User Data.
fn remotes(root: &Node, out: &mut Vec<Problem>) {
    for (i, remote) in root
        .get("remotes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let key = key_of(remote);
        if remote.get("configurable").is_none() && remote.get("baseUrl").is_none() {
            push(
                out,
                "modules.remote.neitherBaseUrlNorUserConfigurationPresent",
                &key,
                &format!("/remotes/{i}"),
                key_span(remote),
                format!("the remote `{key}` has neither a `baseUrl` nor `configurable`"),
                Some(
                    "add the remote's `baseUrl`, or `configurable: true` to let admins set it"
                        .into(),
                ),
            );
        }
        let storage = strings(remote.get("operations")).any(|(_, _, o)| o == "storage");
        if storage && remote.at(&["storage", "inScopeEUD"]).is_none() {
            push(
                out,
                "app.remotes.missingRemotesStorageInScopeEUD",
                &key,
                &format!("/remotes/{i}/operations"),
                remote.entry("operations").map(|e| e.key.span),
                format!(
                    "the remote `{key}` is used for `storage` but does not say whether it keeps in-scope End-User Data"
                ),
                Some("add `storage: {inScopeEUD: true}` (or `false`)".into()),
            );
        }
    }
}

/// `RemoteAuthScopesValidator`: an endpoint or remote that asks for the app's or the user's
/// token needs at least one scope besides the token scopes.
fn remote_auth_scopes(root: &Node, out: &mut Vec<Problem>) {
    let endpoints = root
        .at(&["modules", "endpoint"])
        .and_then(Node::as_seq)
        .unwrap_or_default();
    let remotes = root
        .get("remotes")
        .and_then(Node::as_seq)
        .unwrap_or_default();
    let asks = |n: &Node| {
        ["appUserToken", "appSystemToken"]
            .iter()
            .any(|t| n.at(&["auth", t, "enabled"]).and_then(Node::as_bool) == Some(true))
    };
    if !endpoints.iter().chain(remotes).any(asks) {
        return;
    }
    if scope_keys(root).any(|s| s != "read:app-system-token" && s != "read:app-user-token") {
        return;
    }
    push(
        out,
        "app.remotes.missingAppScopesForRemoteAuth",
        "",
        "/permissions/scopes",
        root.at(&["permissions"])
            .and_then(|p| p.entry("scopes"))
            .map(|e| e.key.span)
            .or(Some(root.span)),
        "an endpoint or remote asks for an OAuth token, but the app declares no scope for it to carry".into(),
        Some("add the scopes the remote needs under `permissions.scopes`, or remove the token configuration".into()),
    );
}

/// `CompatibilityValidator`: one required product; full pages of the required product;
/// `global:fullPage` only with Jira and Confluence.
fn compatibility(root: &Node, out: &mut Vec<Problem>) {
    let Some(products) = root.at(&["app", "compatibility"]).and_then(Node::as_map) else {
        return;
    };
    let span = root
        .get("app")
        .and_then(|a| a.entry("compatibility"))
        .map(|e| e.key.span);
    let required = |name: &str| {
        products.iter().any(|e| {
            e.key.display_scalar() == name
                && e.value.get("required").and_then(Node::as_bool) == Some(true)
        })
    };
    let count = products
        .iter()
        .filter(|e| e.value.get("required").and_then(Node::as_bool) == Some(true))
        .count();
    if count > 1 {
        push(
            out,
            "app.compatibility.oneRequiredContext",
            "",
            "/app/compatibility",
            span,
            format!("{count} products have `required: true` in `app.compatibility`; only one may"),
            Some("keep `required: true` on the app's main product".into()),
        );
    }
    let modules = root.get("modules");
    let declares = |kind: &str| modules.is_some_and(|m| m.entry(kind).is_some());
    for (product, page, check, other) in [
        (
            "jira",
            "confluence:fullPage",
            "app.compatibility.invalidConfluenceModuleInJira",
            "jira:fullPage",
        ),
        (
            "confluence",
            "jira:fullPage",
            "app.compatibility.invalidJiraModuleInConfluence",
            "confluence:fullPage",
        ),
    ] {
        if required(product) && declares(page) {
            push(
                out,
                check,
                "",
                &format!("/modules/{}", escape(page)),
                modules.and_then(|m| m.entry(page)).map(|e| e.key.span),
                format!(
                    "the app requires {product} but declares `{page}`; full pages must match the required product"
                ),
                Some(format!(
                    "use `{other}`, or make the other product the required one"
                )),
            );
        }
    }
    if declares("global:fullPage") {
        for entry in products {
            let product = entry.key.display_scalar();
            if product != "jira" && product != "confluence" {
                push(
                    out,
                    "app.compatibility.invalidProduct",
                    &product,
                    &format!("/app/compatibility/{}", escape(&product)),
                    Some(entry.key.span),
                    format!(
                        "an app with `global:fullPage` can list only `jira` and `confluence` in `app.compatibility`, not `{product}`"
                    ),
                    Some(format!("remove `{product}`")),
                );
            }
        }
    }
}

/// `ConnectRemoteValidator` and `ConnectAuthenticationValidator`: Connect modules need
/// `app.connect.remote`, naming a declared remote that is not configurable; Connect
/// authentication needs Connect modules.
fn connect(root: &Node, out: &mut Vec<Problem>) {
    let Some(app) = root.get("app") else {
        return;
    };
    let connect_span = app.entry("connect").map(|e| e.key.span).or(Some(app.span));
    let modules = root.get("connectModules").is_some_and(truthy);
    let remote = app.at(&["connect", "remote"]).filter(|r| truthy(r));
    if modules {
        match remote {
            None => push(
                out,
                "app.missingAppConnectRemote",
                "",
                "/app/connect",
                connect_span,
                "the app declares `connectModules` but no `app.connect.remote`".into(),
                Some("add `app.connect.remote` with the key of the remote that serves the Connect modules".into()),
            ),
            Some(remote) => {
                let name = remote.display_scalar();
                let declared = root
                    .get("remotes")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .find(|r| r.get("key").map(Node::display_scalar).as_ref() == Some(&name));
                match declared {
                    None => push(
                        out,
                        "app.missingRemoteForConnect",
                        &name,
                        "/app/connect/remote",
                        Some(remote.span),
                        format!("`app.connect.remote` names the remote `{name}`, which is not declared under `remotes`"),
                        Some(format!("declare a remote with `key: {name}` under `remotes`")),
                    ),
                    Some(r) if has(r, "configurable") => push(
                        out,
                        "app.noConfigurableConnectRemote",
                        "",
                        "/app/connect/remote",
                        Some(remote.span),
                        format!("the Connect remote `{name}` is configurable; Connect remotes cannot be"),
                        Some("remove `configurable` from the remote".into()),
                    ),
                    Some(_) => {}
                }
            }
        }
    } else if app.at(&["connect", "authentication"]).is_some_and(truthy) {
        push(
            out,
            "app.missingConnectModules",
            "",
            "/app/connect/authentication",
            app.at(&["connect"])
                .and_then(|c| c.entry("authentication"))
                .map(|e| e.key.span),
            "`app.connect.authentication` is set but the app declares no `connectModules`".into(),
            Some("remove `app.connect.authentication`, or declare the Connect modules".into()),
        );
    }
}
