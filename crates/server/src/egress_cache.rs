//! The egress decisions' memory. A decision is asked for on every outbound request an app makes,
//! so it must not touch the database: each installation's state (its switch, the version in
//! force, its revision) is kept here with the version's compiled allow-list, and the bearer
//! tokens of the callers (the platform's egress proxy) are remembered too.
//!
//! Nothing here is trusted for longer than `egress-cache-ms` (250 ms by default). An entry that
//! old is still answered from while one request re-reads it in the background (one query), so
//! a change made on another instance (a switch, a consent, a new minor version, an uninstall,
//! a revoked token) takes effect everywhere within `egress-cache-ms` plus one query; a change
//! made on this instance drops the entry at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use apptrust_rules::reach::VersionEgress;
use apptrust_store::installations::EgressState;
use apptrust_store::tokens::TokenHolder;

/// Entries beyond this are dropped wholesale: a backstop far above a site's installations.
const MAX_ENTRIES: usize = 200_000;

/// An installation as decisions see it.
pub struct Known {
    pub state: EgressState,
    /// The version in force's egress; `None` when the installed major has no production
    /// version.
    pub egress: Option<Arc<VersionEgress>>,
    read_at: Instant,
    refreshing: AtomicBool,
}

impl Known {
    pub fn new(state: EgressState, egress: Option<Arc<VersionEgress>>) -> Known {
        Known {
            state,
            egress,
            read_at: Instant::now(),
            refreshing: AtomicBool::new(false),
        }
    }
}

/// What the cache holds for an installation.
pub enum Lookup {
    /// Nothing: read it and `put` it.
    Miss,
    /// Young enough.
    Fresh(Arc<Known>),
    /// Old: answer from it; this caller should re-read it (no other caller was told to).
    Refresh(Arc<Known>),
}

struct Caller {
    holder: TokenHolder,
    read_at: Instant,
}

/// Installations' egress and callers' tokens, each trusted for `ttl`.
pub struct EgressCache {
    ttl: Duration,
    installations: RwLock<HashMap<i64, Arc<Known>>>,
    callers: RwLock<HashMap<String, Arc<Caller>>>,
}

impl EgressCache {
    pub fn new(ttl: Duration) -> EgressCache {
        EgressCache {
            ttl,
            installations: RwLock::new(HashMap::new()),
            callers: RwLock::new(HashMap::new()),
        }
    }

    /// What is known of installation `id`.
    pub fn lookup(&self, id: i64) -> Lookup {
        let found = self
            .installations
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned();
        match found {
            None => Lookup::Miss,
            Some(known) if known.read_at.elapsed() < self.ttl => Lookup::Fresh(known),
            Some(known) => {
                if known.refreshing.swap(true, Ordering::AcqRel) {
                    Lookup::Fresh(known)
                } else {
                    Lookup::Refresh(known)
                }
            }
        }
    }

    /// Remembers installation `id` as just read.
    pub fn put(&self, id: i64, known: Arc<Known>) {
        let mut map = self
            .installations
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(id, known);
    }

    /// Forgets installation `id` (changed on this instance).
    pub fn forget(&self, id: i64) {
        self.installations
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    /// Forgets every installation of app `app_id` (a production version landed on this
    /// instance: the version in force may have changed).
    pub fn forget_app(&self, app_id: i64) {
        self.installations
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, known| known.state.app_id != app_id);
    }

    /// The holder of a token (by its hash) read less than `ttl` ago.
    pub fn caller(&self, token_hash: &str) -> Option<TokenHolder> {
        let callers = self.callers.read().unwrap_or_else(|e| e.into_inner());
        let caller = callers.get(token_hash)?;
        (caller.read_at.elapsed() < self.ttl).then(|| caller.holder.clone())
    }

    /// Remembers a token's holder as just read.
    pub fn put_caller(&self, token_hash: String, holder: TokenHolder) {
        let mut callers = self.callers.write().unwrap_or_else(|e| e.into_inner());
        if callers.len() >= MAX_ENTRIES {
            callers.clear();
        }
        callers.insert(
            token_hash,
            Arc::new(Caller {
                holder,
                read_at: Instant::now(),
            }),
        );
    }
}
