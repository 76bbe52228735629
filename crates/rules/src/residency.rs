//! The data residency report (requirement 2 of the program): for each remote, where it runs, what
//! it does and whether in-scope End-User Data could leave the host product's residency.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::context::Context;

/// The region keys Forge accepts in a remote's `baseUrl` map, besides `default`.
pub const REGIONS: [&str; 11] = [
    "EU", "US", "AU", "DE", "SG", "CA", "IN", "KR", "JP", "GB", "CH",
];

/// The residency picture of one manifest.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Residency {
    /// One row per remote.
    pub remotes: Vec<RemoteResidency>,
    /// Some remote may store in-scope End-User Data without a region map to keep it in region.
    pub eud_may_leave_residency: bool,
    /// Every remote with a region map lists the same regions.
    pub regions_consistent: bool,
}

/// The residency picture of one remote.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteResidency {
    /// The remote's key.
    pub key: Option<String>,
    /// Region keys of its `baseUrl` map (empty for a single URL).
    pub regions: Vec<String>,
    /// Standard regions its map does not list (empty for a single URL).
    pub missing_regions: Vec<String>,
    /// Region keys Forge does not know.
    pub unknown_regions: Vec<String>,
    /// `operations` as declared (empty means undeclared: any operation).
    pub operations: Vec<String>,
    /// `storage.inScopeEUD`, when declared.
    pub storage_in_scope_eud: Option<bool>,
    /// It may store in-scope End-User Data.
    pub stores_eud: bool,
    /// It stores in-scope End-User Data and has no region map to keep it in region.
    pub eud_may_leave_residency: bool,
    /// Where it is declared.
    pub line: u32,
}

/// Builds the report.
pub fn residency(cx: &Context<'_>) -> Residency {
    let remotes: Vec<RemoteResidency> = cx
        .manifest
        .remotes()
        .iter()
        .map(|r| {
            let regions: Vec<String> = r.regions().iter().map(|s| s.to_string()).collect();
            let listed: BTreeSet<&str> = r.regions().into_iter().collect();
            let storage = r.storage_in_scope_eud.and_then(|n| n.as_bool());
            let may_store = r.operations.is_empty() || r.operations.contains(&"storage");
            let stores_eud =
                may_store && storage.unwrap_or(cx.decisions.remote_storage_omitted_means_in_scope);
            let has_region_map = listed.iter().any(|k| *k != "default");
            RemoteResidency {
                key: r.key.map(str::to_string),
                missing_regions: if has_region_map {
                    REGIONS
                        .iter()
                        .filter(|k| !listed.contains(*k))
                        .map(|s| s.to_string())
                        .collect()
                } else {
                    Vec::new()
                },
                unknown_regions: listed
                    .iter()
                    .filter(|k| **k != "default" && !REGIONS.contains(k))
                    .map(|s| s.to_string())
                    .collect(),
                regions,
                operations: r.operations.iter().map(|s| s.to_string()).collect(),
                storage_in_scope_eud: storage,
                stores_eud,
                eud_may_leave_residency: stores_eud && !has_region_map,
                line: r.node.span.start.line,
            }
        })
        .collect();
    let region_sets: BTreeSet<BTreeSet<&str>> = remotes
        .iter()
        .filter(|r| !r.regions.is_empty())
        .map(|r| r.regions.iter().map(String::as_str).collect())
        .collect();
    Residency {
        eud_may_leave_residency: remotes.iter().any(|r| r.eud_may_leave_residency),
        regions_consistent: region_sets.len() <= 1,
        remotes,
    }
}
