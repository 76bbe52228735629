//! The data taken from Forge's `@forge/manifest` package, pinned in `data/forge-manifest/` with
//! the package version it came from (`scripts/update-forge-manifest-data` refreshes it all).

use std::collections::HashSet;
use std::sync::OnceLock;

/// The `@forge/manifest` version the schema, module types and scopes come from.
pub const FORGE_MANIFEST_VERSION: &str =
    include_str!("../../data/forge-manifest/VERSION").trim_ascii();

/// Forge's manifest JSON schema as published, without its layout whitespace (see `build.rs`).
pub(crate) const SCHEMA: &str = include_str!(concat!(env!("OUT_DIR"), "/manifest-schema.min.json"));

const MODULE_TYPES: &str = include_str!("../../data/forge-manifest/module-types.txt");
const SCOPES: &str = include_str!("../../data/forge-manifest/scopes.txt");
const DEPRECATED_SCOPES: &str = include_str!("../../data/forge-manifest/deprecated-scopes.txt");

fn lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// The module types Forge supports, as keys under `modules`.
pub(crate) fn module_types() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| lines(MODULE_TYPES).collect())
}

/// The scopes Forge accepts, current and deprecated.
pub(crate) fn scopes() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| lines(SCOPES).chain(lines(DEPRECATED_SCOPES)).collect())
}
