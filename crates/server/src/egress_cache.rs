//! The egress decisions' memory. A decision is asked for on every outbound request an app makes,
//! so it must not touch the database: each installation's state (its switch, the version in
//! force, its revision) is kept here with the version's compiled allow-list, and the bearer
//! tokens of the callers (the platform's egress proxy) are remembered too.
//!
//! Nothing here is trusted for longer than `egress-cache-ms` (250 ms by default). The first
//! request to find an entry that old starts re-reading it in the background (one query) and is
//! answered from it, as are the requests that arrive meanwhile; an entry older than twice
//! `egress-cache-ms` is never answered from (such a request reads before answering). So a change
//! made on another instance (a switch, a consent, a new minor version, an uninstall, a revoked
//! token) takes effect everywhere within `egress-cache-ms` plus one query, and never later than
//! twice `egress-cache-ms`. Requests that must read join the one read of that installation
//! under way, if any. The request path waits for the database only on a first read or
//! after such a long stall: a re-read in the request path put the database's latency under load
//! (100 to 700 ms on PostgreSQL with two instances) into the p99 of decisions. A change made on
//! this instance drops the entry at once, and a read that began before it is not remembered
//! after it (the cache's epoch moved).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use apptrust_rules::reach::VersionEgress;
use apptrust_store::installations::EgressState;
use apptrust_store::tokens::TokenHolder;

use crate::freshness::{Freshness, judge};

/// Entries beyond this are dropped wholesale: a backstop far above a site's installations.
const MAX_ENTRIES: usize = 200_000;

/// An installation as decisions see it.
pub struct Known {
    pub state: EgressState,
    /// The version in force's egress, or why there is none to allow anything by (no
    /// production version of the installed major; a manifest that cannot be read).
    pub egress: Result<Arc<VersionEgress>, String>,
    read_at: Instant,
    refreshing: AtomicBool,
}

impl Known {
    pub fn new(state: EgressState, egress: Result<Arc<VersionEgress>, String>) -> Known {
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
    /// Nothing usable: read it and `put` it (with the epoch given) before answering.
    Read(u64),
    /// Young enough (or being re-read, and not too old).
    Fresh(Arc<Known>),
    /// Old: answer from it, and re-read it in the background (this caller was chosen to).
    Refresh(Arc<Known>, u64),
}

struct Caller {
    holder: TokenHolder,
    read_at: Instant,
    refreshing: AtomicBool,
}

/// What the cache knows of a bearer token.
pub enum CallerLookup {
    /// Young enough (or being re-read, and not too old).
    Known(TokenHolder),
    /// Old: use it, and re-read it in the background (this caller was chosen to).
    Refresh(TokenHolder),
    /// Read it and `put_caller` it before answering.
    Read,
}

/// One read of an installation under way, shared by every request that needs it meanwhile.
pub struct Flight {
    /// The cache's epoch when the read began: what `put` is given.
    pub epoch: u64,
    /// The read's answer (`None`: no such installation); unset while it runs, and again
    /// after a failed read, so that the next waiter reads itself.
    pub answer: tokio::sync::OnceCell<Option<Arc<Known>>>,
}

/// Installations' egress and callers' tokens, each trusted for `ttl`.
pub struct EgressCache {
    ttl: Duration,
    installations: RwLock<HashMap<i64, Arc<Known>>>,
    /// Reads in flight, one per installation at most. Requests that must read (a first read,
    /// an entry past twice the TTL) join the read under way, background re-reads included,
    /// instead of each querying: on PostgreSQL with two busy instances, every stale request
    /// reading for itself queued the pool behind dozens of identical queries, which made
    /// re-reads late, which made more entries stale, and held a tenth of decisions for
    /// 50 to 500 ms.
    flights: std::sync::Mutex<HashMap<i64, Arc<Flight>>>,
    callers: RwLock<HashMap<String, Arc<Caller>>>,
    /// Moves at every `forget`: a read that began before is not remembered after.
    epoch: AtomicU64,
}

impl EgressCache {
    pub fn new(ttl: Duration) -> EgressCache {
        EgressCache {
            ttl,
            installations: RwLock::new(HashMap::new()),
            flights: std::sync::Mutex::new(HashMap::new()),
            callers: RwLock::new(HashMap::new()),
            epoch: AtomicU64::new(0),
        }
    }

    /// What is known of installation `id`.
    pub fn lookup(&self, id: i64) -> Lookup {
        // Read before the entry: an entry put after a forget that this read missed is
        // refused at `put` by the epoch.
        let epoch = self.epoch.load(Ordering::Acquire);
        let found = self
            .installations
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned();
        let Some(known) = found else {
            return Lookup::Read(epoch);
        };
        match judge(known.read_at, self.ttl, &known.refreshing) {
            Freshness::Fresh => Lookup::Fresh(known),
            Freshness::Refresh => Lookup::Refresh(known, epoch),
            Freshness::Stale => Lookup::Read(epoch),
        }
    }

    /// The read of installation `id` under way, or a new one begun at `epoch`.
    pub fn flight(&self, id: i64, epoch: u64) -> Arc<Flight> {
        self.flights
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_insert_with(|| {
                Arc::new(Flight {
                    epoch,
                    answer: tokio::sync::OnceCell::new(),
                })
            })
            .clone()
    }

    /// Ends `flight` (answered or failed): later requests start their own.
    pub fn land(&self, id: i64, flight: &Arc<Flight>) {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if flights.get(&id).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            flights.remove(&id);
        }
    }

    /// Remembers installation `id` as read by a request that looked it up at `epoch`; nothing
    /// if something was forgotten since (the read may predate the change).
    pub fn put(&self, id: i64, known: Arc<Known>, epoch: u64) {
        let mut map = self
            .installations
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if self.epoch.load(Ordering::Acquire) != epoch {
            map.remove(&id);
            return;
        }
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(id, known);
    }

    /// Forgets installation `id` (changed on this instance).
    pub fn forget(&self, id: i64) {
        let mut map = self
            .installations
            .write()
            .unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        map.remove(&id);
        // A read under way may predate the change: later requests must not join it.
        self.flights
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    /// Forgets every installation of app `app_id` (a production version landed on this
    /// instance: the version in force may have changed).
    pub fn forget_app(&self, app_id: i64) {
        let mut map = self
            .installations
            .write()
            .unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        map.retain(|_, known| known.state.app_id != app_id);
        // Which app a read under way is for is known only when it lands: drop them all.
        self.flights
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The holder of a bearer token, as for installations: trusted for `ttl`; then the first
    /// request starts re-reading it in the background, and no answer is older than twice
    /// `ttl`. (Every request re-reading at once sent a burst of queries each time the proxy's
    /// token expired, and showed as a 0.1 to 1 s p99 on PostgreSQL.) Keyed by the token itself:
    /// hashing it for every decision cost more than the decision.
    pub fn caller(&self, token: &str) -> CallerLookup {
        let callers = self.callers.read().unwrap_or_else(|e| e.into_inner());
        let Some(caller) = callers.get(token) else {
            return CallerLookup::Read;
        };
        match judge(caller.read_at, self.ttl, &caller.refreshing) {
            Freshness::Fresh => CallerLookup::Known(caller.holder.clone()),
            Freshness::Refresh => CallerLookup::Refresh(caller.holder.clone()),
            Freshness::Stale => CallerLookup::Read,
        }
    }

    /// Forgets a token that was refused when re-read.
    pub fn forget_caller(&self, token: &str) {
        self.callers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token);
    }

    /// Remembers a token's holder as just read.
    pub fn put_caller(&self, token: String, holder: TokenHolder) {
        let mut callers = self.callers.write().unwrap_or_else(|e| e.into_inner());
        if callers.len() >= MAX_ENTRIES {
            callers.clear();
        }
        callers.insert(
            token,
            Arc::new(Caller {
                holder,
                read_at: Instant::now(),
                refreshing: AtomicBool::new(false),
            }),
        );
    }
}
