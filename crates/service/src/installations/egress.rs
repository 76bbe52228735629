//! The effective egress of an installation: the version in force's allow-list, minus analytics
//! entries while the site's admins keep analytics egress off, with the version's residency
//! report joined to the site's location.
//!
//! Reading a version's egress means reading its manifest, so each version's is kept in memory
//! once read ([`VersionEgressCache`]): versions never change, so the cache never goes stale.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use apptrust_rules::reach::{ReachEntry, VersionEgress, version_egress};
use apptrust_store::evaluator::Evaluator;
use apptrust_store::{Store, StoreError};
use serde::Serialize;

/// How many destinations (entries of all the versions held, each a few hundred bytes) a cache
/// holds before it starts again empty: a deploy may declare tens of thousands, so the bound is
/// on them, not on versions.
pub const VERSION_EGRESS_CAPACITY: usize = 500_000;

/// Versions' egress, read once each.
#[derive(Debug, Default)]
pub struct VersionEgressCache {
    versions: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    by_id: HashMap<i64, Arc<VersionEgress>>,
    /// Destinations held, across versions.
    entries: usize,
}

impl VersionEgressCache {
    /// The egress of version `id`, read from its manifest on first use.
    pub async fn get(
        &self,
        store: &Store,
        evaluator: &Evaluator,
        id: i64,
    ) -> Result<Arc<VersionEgress>, StoreError> {
        if let Some(found) = self.lock().by_id.get(&id) {
            return Ok(found.clone());
        }
        let source = store.version_source(id).await?;
        let version = source.version;
        let read = evaluator
            .run(source.manifest.len(), move |options| {
                let options = source.variables.options(options);
                version_egress(source.manifest.as_bytes(), &options)
            })
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "version {version} (id {id}) cannot be read as a manifest"
                ))
            })?;
        let read = Arc::new(read);
        let size = read.reach.entries.len() + read.inventory.len() + 1;
        let mut held = self.lock();
        if held.entries + size > VERSION_EGRESS_CAPACITY {
            held.by_id.clear();
            held.entries = 0;
        }
        if held.by_id.insert(id, read.clone()).is_none() {
            held.entries += size;
        }
        Ok(read)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.versions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One remote against the site's residency.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteAtSite {
    pub key: Option<String>,
    /// The regions of its base URL map (empty for a single URL).
    pub regions: Vec<String>,
    /// Its map has a URL for the site's residency location.
    pub serves_site_region: bool,
    /// It may store in-scope End-User Data.
    pub stores_eud: bool,
    /// It may keep in-scope End-User Data outside the site's residency: it stores such data and
    /// has no URL for the site's location.
    pub eud_may_leave_residency: bool,
}

/// The version's residency report joined to the site's location.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteResidency {
    pub site_residency: String,
    /// Some remote may keep in-scope End-User Data outside the site's residency.
    pub eud_may_leave_residency: bool,
    pub remotes: Vec<RemoteAtSite>,
}

/// Joins a version's residency report to a site's location.
pub fn site_residency(egress: &VersionEgress, site_residency: &str) -> SiteResidency {
    let remotes: Vec<RemoteAtSite> = egress
        .residency
        .as_ref()
        .map(|r| {
            r.remotes
                .iter()
                .map(|remote| {
                    let serves = remote.regions.iter().any(|r| r == site_residency);
                    RemoteAtSite {
                        key: remote.key.clone(),
                        regions: remote.regions.clone(),
                        serves_site_region: serves,
                        stores_eud: remote.stores_eud,
                        eud_may_leave_residency: remote.stores_eud && !serves,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    SiteResidency {
        site_residency: site_residency.to_string(),
        eud_may_leave_residency: remotes.iter().any(|r| r.eud_may_leave_residency),
        remotes,
    }
}

/// The allow-list in force and what the switch keeps off.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectiveEntries {
    pub allowed: Vec<ReachEntry>,
    /// Analytics entries the site's admins switched off.
    pub switched_off: Vec<ReachEntry>,
}

/// Splits a version's allow-list by the analytics switch.
pub fn effective_entries(egress: &VersionEgress, allow_analytics: bool) -> EffectiveEntries {
    let (allowed, switched_off) = egress
        .reach
        .entries
        .iter()
        .cloned()
        .partition(|e| allow_analytics || !e.analytics);
    EffectiveEntries {
        allowed,
        switched_off,
    }
}
