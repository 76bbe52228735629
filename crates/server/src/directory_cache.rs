//! The app directory kept in memory for the directory page: a text search over 10,000 apps took
//! 150 to 230 ms in the database (a scan of every key and name), and is a scan of folded
//! strings here. The copy is trusted for `trust-cache-ms`, as the trust documents are: then the
//! first reader starts a re-read in the background and the page is served from the copy
//! meanwhile; a copy older than twice that is read again before answering (one reader reads,
//! the others wait for it). A directory larger than `MAX_APPS` is not copied: the page then
//! searches the database.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use apptrust_service::search::Directory;
use apptrust_store::{Store, StoreError};

/// The most apps kept in memory (about 150 bytes each with their folded text).
pub const MAX_APPS: usize = 200_000;

/// What was read, and when.
struct Copy {
    /// `None`: too many apps to keep.
    directory: Option<Arc<Directory>>,
    read_at: Instant,
}

/// The directory's copy.
pub struct DirectoryCache {
    ttl: Duration,
    copy: RwLock<Option<Arc<Copy>>>,
    refreshing: AtomicBool,
    gate: tokio::sync::Mutex<()>,
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

    /// The directory to search, or `None` when it is too large to keep (search the database).
    pub async fn get(
        self: &Arc<Self>,
        store: &Store,
    ) -> Result<Option<Arc<Directory>>, StoreError> {
        if let Some(copy) = self.current() {
            let age = copy.read_at.elapsed();
            if age < self.ttl {
                return Ok(copy.directory.clone());
            }
            if age < self.ttl * 2 {
                if !self.refreshing.swap(true, Ordering::AcqRel) {
                    let cache = Arc::clone(self);
                    let store = store.clone();
                    tokio::spawn(async move {
                        // A failed re-read leaves the copy to age out: the next reader past
                        // twice the TTL reads it itself.
                        let _ = cache.read(&store).await;
                        cache.refreshing.store(false, Ordering::Release);
                    });
                }
                return Ok(copy.directory.clone());
            }
        }
        let _held = self.gate.lock().await;
        if let Some(copy) = self.current()
            && copy.read_at.elapsed() < self.ttl
        {
            return Ok(copy.directory.clone());
        }
        self.read(store).await
    }

    async fn read(&self, store: &Store) -> Result<Option<Arc<Directory>>, StoreError> {
        let directory = store
            .directory(MAX_APPS)
            .await?
            .map(|apps| Arc::new(Directory::new(apps)));
        let copy = Arc::new(Copy {
            directory: directory.clone(),
            read_at: Instant::now(),
        });
        *self.copy.write().unwrap_or_else(|e| e.into_inner()) = Some(copy);
        Ok(directory)
    }

    /// Forgets the copy (an app was added on this instance): the next reader reads anew.
    pub fn forget(&self) {
        *self.copy.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
