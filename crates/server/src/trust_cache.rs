//! The public trust documents, kept in memory for a short time. The trust read is the hottest
//! route (every Marketplace listing asks it), while badges change only on deploys. A deploy on
//! this instance drops the entry at once; other instances refresh theirs once it is older than
//! the TTL. A stale entry is still served while one request refreshes it, so that expiry never
//! sends a stampede of readers to the database at once (which showed as a 35 ms p99 on
//! PostgreSQL before).
//!
//! Well-formed keys that name no app are remembered too (anonymous readers would otherwise send
//! one query each), but apart from the documents and in a bounded space: a flood of unknown
//! keys costs at most `max-trust-negatives` entries and never evicts a document. A deploy or the
//! creation of an app drops its entry on this instance at once.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;

/// Documents beyond this are dropped wholesale rather than tracked for eviction. Only apps that
/// exist have documents, so this is a backstop, never reached by a marketplace's catalogue.
const MAX_ENTRIES: usize = 100_000;

/// How many groups of keys have an epoch of their own (see `TrustCache::epochs`).
const EPOCH_GROUPS: usize = 64;

/// A cached document, or the knowledge that the app does not exist.
pub type Cached = Option<Bytes>;

struct Entry {
    /// When the entry goes stale: the TTL shortened by up to a quarter at random, so that
    /// entries filled together do not all expire (and hit the database) together.
    stale_at: Instant,
    document: Bytes,
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

/// Well-formed keys that name no app, remembered for the TTL in a structure of their own with a
/// fixed capacity: anyone can ask for any number of unknown keys, and they must neither grow
/// memory without bound nor push the documents of real apps out. When it is full the oldest
/// key goes first, so a key is read from the database at most once per TTL as long as fewer
/// than `capacity` unknown keys are asked for within one TTL.
struct Negatives {
    capacity: usize,
    /// Key to (expiry, insertion number).
    keys: HashMap<Arc<str>, (Instant, u64)>,
    /// Keys in insertion order, with their insertion number (an entry whose number no longer
    /// matches was removed or inserted again since, and is skipped).
    order: VecDeque<(Arc<str>, u64)>,
    next: u64,
}

impl Negatives {
    fn new(capacity: usize) -> Negatives {
        Negatives {
            capacity: capacity.max(1),
            keys: HashMap::new(),
            order: VecDeque::new(),
            next: 0,
        }
    }

    fn fresh(&self, key: &str, now: Instant) -> bool {
        self.keys.get(key).is_some_and(|(until, _)| now < *until)
    }

    fn insert(&mut self, key: &str, until: Instant) {
        let key: Arc<str> = Arc::from(key);
        self.next += 1;
        self.keys.insert(key.clone(), (until, self.next));
        self.order.push_back((key, self.next));
        while self.keys.len() > self.capacity {
            let Some((oldest, number)) = self.order.pop_front() else {
                break;
            };
            if self.keys.get(&oldest).is_some_and(|(_, n)| *n == number) {
                self.keys.remove(&oldest);
            }
        }
        // Keys inserted again or removed leave stale places behind; keep them few.
        if self.order.len() > 2 * self.capacity {
            let keys = &self.keys;
            self.order
                .retain(|(key, number)| keys.get(key).is_some_and(|(_, n)| n == number));
        }
    }

    fn remove(&mut self, key: &str) {
        self.keys.remove(key);
    }

    fn len(&self) -> usize {
        self.keys.len()
    }
}

/// The cache.
pub struct TrustCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, Entry>>,
    negatives: Mutex<Negatives>,
    /// Counters that move on at every change (`forget` moves its key's, `clear` all of them),
    /// one per group of keys. A reader notes its key's before it reads the database and stores
    /// what it read only if it has not moved meanwhile: an answer read before a change committed
    /// is never cached after the change dropped the old one. Grouping keys keeps a deploy of one
    /// app from discarding the loads of (nearly) all others.
    epochs: Box<[AtomicU64]>,
    /// One gate per key being loaded, so that a crowd of readers missing the same key (at start,
    /// or after a deploy) sends one query to the database, not one each.
    loading: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Moves at every `forget` and `clear`: the directory's copy (`directory_cache`) is read
    /// again after any change this instance made to an app or its badges.
    changes: AtomicU64,
}

impl TrustCache {
    /// A cache that keeps documents and negatives for `ttl`, and at most `max_negatives`
    /// negatives.
    pub fn new(ttl: Duration, max_negatives: usize) -> Self {
        TrustCache {
            ttl,
            entries: RwLock::new(HashMap::new()),
            negatives: Mutex::new(Negatives::new(max_negatives)),
            epochs: (0..EPOCH_GROUPS).map(|_| AtomicU64::new(0)).collect(),
            loading: Mutex::new(HashMap::new()),
            changes: AtomicU64::new(0),
        }
    }

    /// How many changes this instance has made to apps and badges (see `changes`).
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    /// Looks an app up; see [`Lookup`].
    pub fn get(&self, app_key: &str) -> Lookup {
        let stale = {
            let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
            match entries.get(app_key) {
                None => false,
                Some(e) if Instant::now() < e.stale_at || e.refreshing => {
                    return Lookup::Fresh(Some(e.document.clone()));
                }
                Some(_) => true,
            }
        };
        if stale {
            return self.claim_refresh(app_key);
        }
        let negatives = self.negatives.lock().unwrap_or_else(|p| p.into_inner());
        if negatives.fresh(app_key, Instant::now()) {
            Lookup::Fresh(None)
        } else {
            Lookup::Miss
        }
    }

    /// A stale document: the first caller to ask refreshes it, the others are served it.
    fn claim_refresh(&self, app_key: &str) -> Lookup {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        match entries.get_mut(app_key) {
            None => Lookup::Miss,
            Some(e) if e.refreshing => Lookup::Fresh(Some(e.document.clone())),
            Some(e) => {
                e.refreshing = true;
                Lookup::Refresh(Some(e.document.clone()))
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

    /// Where the cache stands for `app_key`; note it before reading the database, and pass it
    /// to `put`.
    pub fn epoch(&self, app_key: &str) -> u64 {
        self.epoch_of(app_key).load(Ordering::SeqCst)
    }

    fn epoch_of(&self, app_key: &str) -> &AtomicU64 {
        // FNV-1a: spreading, not security (a key's group only decides which loads a change
        // discards).
        let hash = app_key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let index = usize::try_from(hash % EPOCH_GROUPS as u64).unwrap_or(0);
        &self.epochs[index]
    }

    /// Stores what was read from the database when the cache stood at `epoch`; nothing when it
    /// has changed since (the answer may predate the change).
    pub fn put(&self, app_key: &str, cached: Cached, epoch: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let now = Instant::now();
        match cached {
            Some(document) => {
                let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
                if self.epoch_of(app_key).load(Ordering::SeqCst) != epoch {
                    // A stale copy being refreshed must not stay marked as such (it would be
                    // served for ever): drop it, and the next reader loads it again.
                    entries.remove(app_key);
                    return;
                }
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
                entries.insert(
                    app_key.to_string(),
                    Entry {
                        stale_at: now + self.ttl.mul_f64(1.0 - jitter(app_key, now) / 4.0),
                        document,
                        refreshing: false,
                    },
                );
                drop(entries);
                self.negatives
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(app_key);
            }
            None => {
                // Apps are never deleted, so a negative never replaces a document.
                let mut negatives = self.negatives.lock().unwrap_or_else(|p| p.into_inner());
                if self.epoch_of(app_key).load(Ordering::SeqCst) != epoch {
                    return;
                }
                negatives.insert(app_key, now + self.ttl);
            }
        }
    }

    /// Drops an app's entry after a change (a deploy, or the app's creation).
    pub fn forget(&self, app_key: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        let mut negatives = self.negatives.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(app_key);
        negatives.remove(app_key);
        self.epoch_of(app_key).fetch_add(1, Ordering::SeqCst);
        self.changes.fetch_add(1, Ordering::SeqCst);
    }

    /// Drops every document (after a background job moved badges). Negatives stay: no app
    /// came into being.
    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        entries.clear();
        for epoch in &*self.epochs {
            epoch.fetch_add(1, Ordering::SeqCst);
        }
        self.changes.fetch_add(1, Ordering::SeqCst);
    }

    /// How many documents are held.
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// How many unknown keys are remembered.
    pub fn negatives(&self) -> usize {
        self.negatives
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
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

    fn doc() -> Cached {
        Some(Bytes::from_static(b"{}"))
    }

    #[test]
    fn a_stale_entry_is_refreshed_by_one_reader_while_others_are_served() {
        let cache = TrustCache::new(Duration::from_millis(1), 10);
        assert!(matches!(cache.get("a"), Lookup::Miss));
        cache.put("a", doc(), cache.epoch("a"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(matches!(cache.get("a"), Lookup::Refresh(Some(_))));
        assert!(
            matches!(cache.get("a"), Lookup::Fresh(Some(_))),
            "only one refresher"
        );
        cache.forget("a");
        assert!(matches!(cache.get("a"), Lookup::Miss));
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TrustCache::new(Duration::ZERO, 10);
        cache.put("a", None, cache.epoch("a"));
        assert!(matches!(cache.get("a"), Lookup::Miss));
    }

    #[test]
    fn unknown_keys_are_bounded_on_their_own_and_never_evict_documents() {
        let cache = TrustCache::new(Duration::from_secs(60), 100);
        cache.put("hot", doc(), cache.epoch("hot"));
        for n in 0..10_000 {
            let key = format!("unknown-{n}");
            assert!(matches!(cache.get(&key), Lookup::Miss));
            cache.put(&key, None, cache.epoch(&key));
        }
        assert_eq!(cache.negatives(), 100, "bounded");
        assert_eq!(cache.len(), 1);
        assert!(matches!(cache.get("hot"), Lookup::Fresh(Some(_))));
        // The newest are kept (each asked for once per TTL); the oldest went first.
        assert!(matches!(cache.get("unknown-9999"), Lookup::Fresh(None)));
        assert!(matches!(cache.get("unknown-9900"), Lookup::Fresh(None)));
        assert!(matches!(cache.get("unknown-9899"), Lookup::Miss));
        assert!(matches!(cache.get("unknown-0"), Lookup::Miss));
        // Inserting the same keys again and again leaves no garbage behind.
        for _ in 0..50 {
            for n in 9900..10_000 {
                cache.put(
                    &format!("unknown-{n}"),
                    None,
                    cache.epoch(&format!("unknown-{n}")),
                );
            }
        }
        assert_eq!(cache.negatives(), 100);
        assert!(cache.negatives.lock().unwrap().order.len() <= 200);
    }

    #[test]
    fn a_negative_lasts_the_ttl_and_ends_when_the_app_is_created() {
        let cache = TrustCache::new(Duration::from_millis(30), 10);
        cache.put("late", None, cache.epoch("late"));
        assert!(matches!(cache.get("late"), Lookup::Fresh(None)));
        std::thread::sleep(Duration::from_millis(40));
        assert!(matches!(cache.get("late"), Lookup::Miss), "expired");
        cache.put("late", None, cache.epoch("late"));
        cache.forget("late");
        assert!(matches!(cache.get("late"), Lookup::Miss), "forgotten");
        assert_eq!(cache.negatives(), 0);
        cache.put("late", doc(), cache.epoch("late"));
        assert!(matches!(cache.get("late"), Lookup::Fresh(Some(_))));
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_cached_after_it() {
        let cache = TrustCache::new(Duration::from_secs(60), 10);
        let before = cache.epoch("racy");
        // The app is created (and forgotten) while a reader's query is in flight.
        cache.forget("racy");
        cache.put("racy", None, before);
        assert!(matches!(cache.get("racy"), Lookup::Miss));
        let before = cache.epoch("racy");
        cache.clear();
        cache.put("racy", doc(), before);
        assert!(matches!(cache.get("racy"), Lookup::Miss));
        // A change to an app of another group leaves the load alone.
        let other = (0..)
            .map(|n| format!("other-{n}"))
            .find(|k| !std::ptr::eq(cache.epoch_of(k), cache.epoch_of("racy")))
            .unwrap();
        let before = cache.epoch("racy");
        cache.forget(&other);
        cache.put("racy", doc(), before);
        assert!(matches!(cache.get("racy"), Lookup::Fresh(Some(_))));
    }

    #[test]
    fn a_refresh_overtaken_by_a_change_leaves_no_copy_marked_as_refreshing() {
        let cache = TrustCache::new(Duration::from_millis(1), 10);
        cache.put("a", doc(), cache.epoch("a"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(matches!(cache.get("a"), Lookup::Refresh(Some(_))));
        let before = cache.epoch("a");
        // Another app of the same group changes while this refresh reads the database.
        let same = (0..)
            .map(|n| format!("b-{n}"))
            .find(|k| std::ptr::eq(cache.epoch_of(k), cache.epoch_of("a")))
            .unwrap();
        cache.forget(&same);
        cache.put("a", doc(), before);
        assert!(matches!(cache.get("a"), Lookup::Miss), "loaded again");
    }
}
