//! Leases for background jobs, so that when several server instances share one database each job
//! runs on exactly one of them at a time. A lease expires on its own if its holder dies.

use sqlx::Any;

use crate::{Store, StoreError};

impl Store {
    /// Takes (or renews) the lease on job `name` for `owner` for `seconds`. Returns false when
    /// another owner holds an unexpired lease.
    pub async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        seconds: i64,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let until = self.from_now(seconds);
        sqlx::query::<Any>(
            "INSERT INTO jobs (name, updated_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&now)
        .execute(&self.write)
        .await?;
        let taken = sqlx::query::<Any>(
            "UPDATE jobs SET lease_owner = $2, lease_until = $3, updated_at = $4 \
             WHERE name = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < $4)",
        )
        .bind(name)
        .bind(owner)
        .bind(&until)
        .bind(&now)
        .execute(&self.write)
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Gives a lease back early.
    pub async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE jobs SET lease_owner = NULL, lease_until = NULL, updated_at = $3 \
             WHERE name = $1 AND lease_owner = $2",
        )
        .bind(name)
        .bind(owner)
        .bind(self.now())
        .execute(&self.write)
        .await?;
        Ok(())
    }
}

/// Renews `owner`'s lease on job `name` until `until`, in the caller's transaction, so that the
/// work the transaction commits is done under the lease; false when the lease was lost.
pub async fn renew_lease_in(
    connection: &mut crate::Connection,
    name: &str,
    owner: &str,
    until: &str,
    now: &str,
) -> Result<bool, StoreError> {
    let renewed = sqlx::query::<sqlx::Any>(
        "UPDATE jobs SET lease_until = $3, updated_at = $4 \
         WHERE name = $1 AND lease_owner = $2 AND lease_until > $4",
    )
    .bind(name)
    .bind(owner)
    .bind(until)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(renewed.rows_affected() == 1)
}
