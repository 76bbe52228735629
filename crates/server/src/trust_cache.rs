//! The public trust documents, kept in memory for a short time. The trust read is the hottest
//! route (every Marketplace listing asks it), while badges change only on deploys. A deploy on
//! this instance drops the entry at once; other instances serve it for at most the TTL.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::body::Bytes;

/// Entries beyond this are dropped wholesale rather than tracked for eviction.
const MAX_ENTRIES: usize = 100_000;

/// A cached document, or the knowledge that the app does not exist.
pub type Cached = Option<Bytes>;

/// The cache.
pub struct TrustCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, (Instant, Cached)>>,
}

impl TrustCache {
    pub fn new(ttl: Duration) -> Self {
        TrustCache {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The fresh entry for an app, if any.
    pub fn get(&self, app_key: &str) -> Option<Cached> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(app_key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, cached)| cached.clone())
    }

    /// Stores an entry.
    pub fn put(&self, app_key: &str, cached: Cached) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(app_key.to_string(), (Instant::now(), cached));
    }

    /// Drops an app's entry after a change.
    pub fn forget(&self, app_key: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        entries.remove(app_key);
    }

    /// Drops everything (after a background job moved badges).
    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        entries.clear();
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}
