//! The app directory kept in memory for the directory page: a text search over 10,000 apps took
//! 150 to 230 ms in the database (a scan of every key and name), and is a scan of folded
//! strings here.
//!
//! The copy is trusted for `trust-cache-ms`, as the trust documents are, and never after this
//! instance changed an app or its badges (the trust cache counts those changes: a copy read
//! before one is read again, by the first request after it, before answering). Past the TTL the
//! first reader starts a re-read in the background and the page is served from the copy
//! meanwhile; a copy older than twice the TTL is read again before answering, by one reader
//! while the others wait for it. So a change made on another instance shows within twice
//! `trust-cache-ms` plus one read. With `trust-cache-ms` 0, or a directory larger than
//! `MAX_APPS`, or when the copy cannot be read, the page searches the database.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use apptrust_service::search::Directory;
use apptrust_store::{Store, StoreError};

use crate::freshness::{Freshness, judge};
use crate::trust_cache::TrustCache;

/// The most apps kept in memory (about 150 bytes each with their folded text).
pub const MAX_APPS: usize = 200_000;

/// What was read, and when.
struct Copy {
    /// `None`: too many apps to keep.
    directory: Option<Arc<Directory>>,
    /// When the read began.
    read_at: Instant,
    /// The trust cache's count of changes when the read began.
    changes: u64,
}

/// The directory's copy.
pub struct DirectoryCache {
    ttl: Duration,
    copy: RwLock<Option<Arc<Copy>>>,
    refreshing: AtomicBool,
    gate: tokio::sync::Mutex<()>,
}

/// Clears the refreshing flag however the background re-read ends.
struct Refreshing<'a>(&'a AtomicBool);

impl Drop for Refreshing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl DirectoryCache {
    pub fn new(ttl: Duration) -> DirectoryCache {
        DirectoryCache {
            ttl,
            copy: RwLock::new(None),
            refreshing: AtomicBool::new(false),
            gate: tokio::sync::Mutex::new(()),
        }
    }

    fn current(&self) -> Option<Arc<Copy>> {
        self.copy.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The directory to search, or `None` when the page should search the database (no copy
    /// is kept, the directory is too large, or it could not be read).
    pub async fn get(
        self: &Arc<Self>,
        store: &Store,
        trust: &Arc<TrustCache>,
    ) -> Option<Arc<Directory>> {
        if self.ttl.is_zero() {
            return None;
        }
        if let Some(copy) = self.current()
            && copy.changes == trust.changes()
        {
            match judge(copy.read_at, self.ttl, &self.refreshing) {
                Freshness::Fresh => return copy.directory.clone(),
                Freshness::Refresh => {
                    let cache = Arc::clone(self);
                    let (store, trust) = (store.clone(), Arc::clone(trust));
                    tokio::spawn(async move {
                        let _flag = Refreshing(&cache.refreshing);
                        // A failed re-read leaves the copy to age out.
                        let _ = cache.read(&store, &trust).await;
                    });
                    return copy.directory.clone();
                }
                Freshness::Stale => {}
            }
        }
        let _held = self.gate.lock().await;
        if let Some(copy) = self.current()
            && copy.changes == trust.changes()
            && copy.read_at.elapsed() < self.ttl
        {
            return copy.directory.clone();
        }
        match self.read(store, trust).await {
            Ok(directory) => directory,
            Err(error) => {
                tracing::warn!(%error, "the directory could not be read; searching the database");
                None
            }
        }
    }

    async fn read(
        &self,
        store: &Store,
        trust: &TrustCache,
    ) -> Result<Option<Arc<Directory>>, StoreError> {
        let (read_at, changes) = (Instant::now(), trust.changes());
        let directory = store
            .directory(MAX_APPS)
            .await?
            .map(|apps| Arc::new(Directory::new(apps)));
        let copy = Arc::new(Copy {
            directory: directory.clone(),
            read_at,
            changes,
        });
        *self.copy.write().unwrap_or_else(|e| e.into_inner()) = Some(copy);
        Ok(directory)
    }
}
