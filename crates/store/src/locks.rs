//! In-process locks by key, for work that must not interleave on one instance: two deploys to
//! the same environment classify and record one after the other, instead of racing and redoing
//! their comparison. (Across instances the database's row lock and the deploy's re-check keep
//! them correct.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::OwnedMutexGuard;

/// Forget unused keys once the table grows past this.
const SWEEP_AT: usize = 1024;

/// A lock's key: an app and one of its environments.
type Key = (i64, String);

/// A table of async mutexes, one per key in use.
#[derive(Debug, Default)]
pub(crate) struct KeyedLocks {
    table: Mutex<HashMap<Key, Weak<tokio::sync::Mutex<()>>>>,
}

impl KeyedLocks {
    /// Waits for and takes the lock of `key`; it is released when the guard is dropped.
    pub(crate) async fn lock(&self, key: Key) -> OwnedMutexGuard<()> {
        let mutex = {
            let mut table = self
                .table
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if table.len() >= SWEEP_AT {
                table.retain(|_, lock| lock.strong_count() > 0);
            }
            match table.get(&key).and_then(Weak::upgrade) {
                Some(mutex) => mutex,
                None => {
                    let mutex = Arc::new(tokio::sync::Mutex::new(()));
                    table.insert(key, Arc::downgrade(&mutex));
                    mutex
                }
            }
        };
        mutex.lock_owned().await
    }
}
