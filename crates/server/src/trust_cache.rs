//! The public trust documents, kept in memory for a short time. The trust read is the hottest
//! route (every Marketplace listing asks it), while badges change only on deploys. A deploy on
//! this instance drops the entry at once; other instances refresh theirs once it is older than
//! the TTL. A stale entry is still served while one request refreshes it, so that expiry never
//! sends a stampede of readers to the database at once (which showed as a 35 ms p99 on
//! PostgreSQL before).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;

/// Entries beyond this are dropped wholesale rather than tracked for eviction.
const MAX_ENTRIES: usize = 100_000;

/// A cached document, or the knowledge that the app does not exist.
pub type Cached = Option<Bytes>;

struct Entry {
    /// When the entry goes stale: the TTL shortened by up to a quarter at random, so that
    /// entries filled together do not all expire (and hit the database) together.
    stale_at: Instant,
    cached: Cached,
    /// Set when one reader has taken on refreshing a stale entry.
    refreshing: bool,
}

/// What the cache holds for an app.
pub enum Lookup {
    /// Nothing usable: read the database and `put` the result.
    Miss,
    /// Young enough: serve it.
    Fresh(Cached),
    /// Old: serve it; this caller should refresh it (no other caller was told to).
    Refresh(Cached),
}

/// The cache.
pub struct TrustCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, Entry>>,
    /// One gate per key being loaded, so that a crowd of readers missing the same key (at start,
    /// or after a deploy) sends one query to the database, not one each.
    loading: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl TrustCache {
    pub fn new(ttl: Duration) -> Self {
        TrustCache {
            ttl,
            entries: RwLock::new(HashMap::new()),
            loading: Mutex::new(HashMap::new()),
        }
    }

    /// Looks an app up; see [`Lookup`].
    pub fn get(&self, app_key: &str) -> Lookup {
        {
            let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
            match entries.get(app_key) {
                None => return Lookup::Miss,
                Some(e) if Instant::now() < e.stale_at || e.refreshing => {
                    return Lookup::Fresh(e.cached.clone());
                }
                Some(_) => {}
            }
        }
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        match entries.get_mut(app_key) {
            None => Lookup::Miss,
            Some(e) if e.refreshing => Lookup::Fresh(e.cached.clone()),
            Some(e) => {
                e.refreshing = true;
                Lookup::Refresh(e.cached.clone())
            }
        }
    }

    /// False when the TTL is zero: nothing is kept, so there is nothing to wait for either.
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// The gate to hold while loading `app_key` after a miss; look the key up again once holding
    /// it, since the previous holder has probably filled it.
    pub fn gate(&self, app_key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut loading = self.loading.lock().unwrap_or_else(|p| p.into_inner());
        loading.entry(app_key.to_string()).or_default().clone()
    }

    /// Drops the gate once nobody else waits on it.
    pub fn release_gate(&self, app_key: &str, gate: &Arc<tokio::sync::Mutex<()>>) {
        let mut loading = self.loading.lock().unwrap_or_else(|p| p.into_inner());
        // Two references: the map's and the caller's.
        if Arc::strong_count(gate) <= 2 {
            loading.remove(app_key);
        }
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
        let now = Instant::now();
        entries.insert(
            app_key.to_string(),
            Entry {
                stale_at: now + self.ttl.mul_f64(1.0 - jitter(app_key, now) / 4.0),
                cached,
                refreshing: false,
            },
        );
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

/// A number in [0, 1) that differs between keys and over time; spreading, not security.
fn jitter(key: &str, now: Instant) -> f64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    key.hash(&mut hasher);
    now.hash(&mut hasher);
    #[allow(clippy::cast_precision_loss)]
    let fraction = (hasher.finish() % 1_000_000) as f64 / 1_000_000.0;
    fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_entry_is_refreshed_by_one_reader_while_others_are_served() {
        let cache = TrustCache::new(Duration::from_millis(1));
        assert!(matches!(cache.get("a"), Lookup::Miss));
        cache.put("a", Some(Bytes::from_static(b"{}")));
        std::thread::sleep(Duration::from_millis(5));
        assert!(matches!(cache.get("a"), Lookup::Refresh(Some(_))));
        assert!(
            matches!(cache.get("a"), Lookup::Fresh(Some(_))),
            "only one refresher"
        );
        cache.put("a", None);
        assert!(matches!(cache.get("a"), Lookup::Fresh(None)));
        cache.forget("a");
        assert!(matches!(cache.get("a"), Lookup::Miss));
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TrustCache::new(Duration::ZERO);
        cache.put("a", None);
        assert!(matches!(cache.get("a"), Lookup::Miss));
    }
}
