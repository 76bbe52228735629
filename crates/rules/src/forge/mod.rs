//! Forge's own manifest validation, as `@forge/manifest` runs it before `forge deploy`: its JSON
//! schema, then the checks of its validators that need no source tree: module types and keys,
//! references to functions, endpoints and resources, handlers, scopes (`references.rs`); the
//! module-level checks (`modules.rs`) and content permissions (`permissions.rs`). Those still
//! unported are listed in `docs/reading-manifests.md`, "Forge's validation".
//!
//! A manifest Forge refuses can never be deployed, so it can never carry a badge: every problem
//! is a `MANIFEST_INVALID` finding and the verdict is `blocked`. The data comes from one pinned
//! version of the package ([`FORGE_MANIFEST_VERSION`]); the conformance test in
//! `crates/rules/tests/forge_validation.rs` compares the outcome with the package itself.

mod data;
mod describe;
mod locate;
mod modules;
mod permissions;
mod references;
mod schema;
mod suggest;

use apptrust_yaml::Node;

pub use data::FORGE_MANIFEST_VERSION;

use crate::finding::Finding;

/// One problem Forge's validation finds.
#[derive(Clone, Debug)]
pub struct Problem {
    /// Where it is, as a JSON pointer into the manifest (`/app/runtime/name`); for a schema
    /// problem, the place the schema validator reports (an alternative that fails as a whole is
    /// reported where the alternatives start).
    pub pointer: String,
    /// The finding a partner reads.
    pub finding: Finding,
    /// Which of Forge's checks it corresponds to: `schema`, or the name of the message in
    /// `@forge/manifest` (`modules.wrongFunctionReference`, ...).
    pub check: &'static str,
    /// What the check names (the undefined key, the unknown scope, ...); empty for schema problems.
    pub subject: String,
}

/// Every problem Forge's validation finds in a loaded (and interpolated) manifest, schema
/// problems first, each group in document order.
pub fn problems(root: &Node) -> Vec<Problem> {
    suggest::reset_budget();
    let mut out = Vec::new();
    for (pointer, error, cell) in schema::errors(root) {
        if let Some(Some(compiled)) = cell.get() {
            describe::describe(root, &pointer, &error, compiled, &mut out);
        }
    }
    references::check(root, &mut out);
    modules::check(root, &mut out);
    out
}
