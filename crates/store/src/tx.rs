//! Transactions for the use cases in `apptrust-service`: a use case opens one, passes its
//! connection to the repository functions that read and write rows, and commits once, so that a
//! change, its badge event, its notification and its audit entry land together or not at all.

use sqlx::Any;

use crate::{Store, StoreError};

/// The connection repository functions take: a transaction's, or a timer firing's.
pub type Connection = sqlx::AnyConnection;

/// A write transaction; rolled back when dropped without [`Tx::commit`].
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
}

impl Tx {
    /// The transaction's connection, for repository functions.
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.inner
    }

    /// Commits everything done in the transaction.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.inner.commit().await?;
        Ok(())
    }

    /// Undoes everything done in the transaction (dropping it does the same, later).
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.inner.rollback().await?;
        Ok(())
    }
}

/// Held while one deploy to an environment classifies and records; see [`Store::environment_turn`].
pub type EnvironmentTurn = tokio::sync::OwnedMutexGuard<()>;

impl Store {
    /// Opens a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(Tx {
            inner: self.write.begin().await?,
        })
    }

    /// Waits for this instance's turn to deploy to one environment of one app, so that
    /// deploys there do not keep invalidating each other's comparison; only another instance
    /// can get in between (the environment row's lock and the deploy's re-check handle that).
    pub async fn environment_turn(&self, app_id: i64, environment: &str) -> EnvironmentTurn {
        self.environment_locks
            .lock((app_id, environment.to_string()))
            .await
    }
}

impl Store {
    /// A connection of the read pool, for use cases that only read and call `*_in` functions.
    pub async fn reader(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.read.acquire().await?)
    }
}
