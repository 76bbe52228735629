//! Durable timers: rows that say "do this kind of work about this record at this time".
//!
//! The service's timer runner claims due timers under a lease (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so that several instances share the work without waiting on each
//! other; SQLite has one writer anyway), and fires each in a [`Firing`]: a transaction that
//! first marks the timer fired, only if this runner still holds its lease, then carries the
//! work, and commits both together. A timer therefore takes effect exactly once, even when a
//! lease runs out and another instance claims it again: the second firing finds it fired and
//! does nothing. A firing whose work fails is rolled back and tried again later.

use serde_json::Value;
use sqlx::{Any, AnyConnection, Row};

use crate::{DatabaseKind, Store, StoreError};

/// A timer to schedule.
#[derive(Clone, Debug)]
pub struct NewTimer<'a> {
    /// What to do when it fires (the runner's handler for this kind does it).
    pub kind: &'a str,
    /// When, in the stored form (see [`Store::from_now`]).
    pub due_at: String,
    /// The record it is about (`version:12`, `submission:4`).
    pub subject: &'a str,
    /// Scheduling the same key twice schedules once: what makes retried use cases safe.
    pub idempotency_key: &'a str,
    /// Whatever the handler needs besides the subject.
    pub payload: Value,
}

/// A claimed timer, as its handler sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Timer {
    pub id: i64,
    pub kind: String,
    pub due_at: String,
    pub subject: String,
    pub payload: Value,
    /// Firings tried so far, this one included.
    pub attempts: i64,
}

/// How many timers are waiting, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerCounts {
    /// Not fired, due now or earlier.
    pub due: i64,
    /// Not fired, due later.
    pub scheduled: i64,
    /// Not fired and failed at least once.
    pub failing: i64,
}

/// Schedules a timer inside the caller's transaction, so that it exists exactly when the change
/// that needs it does. Returns false when a timer with this key already exists.
pub async fn schedule_in(
    connection: &mut AnyConnection,
    now: &str,
    timer: &NewTimer<'_>,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query::<Any>(
        "INSERT INTO timers (kind, due_at, subject, idempotency_key, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(timer.kind)
    .bind(&timer.due_at)
    .bind(timer.subject)
    .bind(timer.idempotency_key)
    .bind(timer.payload.to_string())
    .bind(now)
    .execute(connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Makes a timer that is firing due again at `due_at`, in the firing's transaction: a recurring
/// timer keeps one row instead of leaving a fired row behind at every round.
pub async fn reschedule_in(
    connection: &mut AnyConnection,
    id: i64,
    due_at: &str,
) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "UPDATE timers SET fired_at = NULL, due_at = $2, attempts = 0, last_error = NULL \
         WHERE id = $1",
    )
    .bind(id)
    .bind(due_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// One timer being fired: a transaction that holds the timer's "fired" mark and the work.
pub struct Firing {
    tx: sqlx::Transaction<'static, Any>,
}

impl Firing {
    /// The transaction to do the work in.
    pub fn connection(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Commits the work and the mark together.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Schedules a timer on its own; see [`schedule_in`].
    pub async fn schedule_timer(&self, timer: &NewTimer<'_>) -> Result<bool, StoreError> {
        let mut connection = self.write.acquire().await?;
        schedule_in(&mut connection, &self.now(), timer).await
    }

    /// Makes the timer with this idempotency key due at `due_at` again if it has fired; false
    /// when there is no such timer or it is still pending. For a recurring timer whose chain an
    /// earlier build ended.
    pub async fn rearm_timer(
        &self,
        idempotency_key: &str,
        due_at: &str,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query::<Any>(
            "UPDATE timers SET fired_at = NULL, due_at = $2, attempts = 0, last_error = NULL, \
             lease_owner = NULL, lease_until = NULL \
             WHERE idempotency_key = $1 AND fired_at IS NOT NULL",
        )
        .bind(idempotency_key)
        .bind(due_at)
        .execute(&self.write)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Claims up to `limit` timers of the given `kinds` that are due and not leased by another
    /// runner, leasing them to `owner` for `lease_seconds`, earliest first. Only kinds the runner
    /// can fire: during a rolling upgrade an older instance leaves a new kind to the newer ones.
    pub async fn claim_due_timers(
        &self,
        owner: &str,
        kinds: &[&str],
        limit: i64,
        lease_seconds: i64,
    ) -> Result<Vec<Timer>, StoreError> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.now();
        let kind_list = (0..kinds.len())
            .map(|i| format!("${}", i + 5))
            .collect::<Vec<_>>()
            .join(", ");
        let skip_locked = match self.kind {
            DatabaseKind::Postgres => " FOR UPDATE SKIP LOCKED",
            DatabaseKind::Sqlite => "",
        };
        let sql = format!(
            "UPDATE timers SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM timers \
               WHERE fired_at IS NULL AND due_at <= $3 AND kind IN ({kind_list}) \
                 AND (lease_until IS NULL OR lease_until < $3) \
               ORDER BY due_at, id LIMIT $4{skip_locked}) \
             RETURNING id, kind, due_at, subject, payload, attempts"
        );
        let mut query = sqlx::query::<Any>(&sql)
            .bind(owner)
            .bind(self.from_now(lease_seconds))
            .bind(&now)
            .bind(limit);
        for kind in kinds {
            query = query.bind(*kind);
        }
        let rows = query.fetch_all(&self.write).await?;
        let mut timers = rows
            .iter()
            .map(|row| {
                Ok(Timer {
                    id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    due_at: row.try_get("due_at")?,
                    subject: row.try_get("subject")?,
                    payload: serde_json::from_str(&row.try_get::<String, _>("payload")?)?,
                    attempts: row.try_get("attempts")?,
                })
            })
            .collect::<Result<Vec<Timer>, StoreError>>()?;
        // RETURNING gives no order; fire the earliest first.
        timers.sort_by(|a, b| (&a.due_at, a.id).cmp(&(&b.due_at, b.id)));
        Ok(timers)
    }

    /// Starts firing a claimed timer: marks it fired in a new transaction, if `owner` still
    /// holds its lease and nobody fired it. `None` when the lease was lost: do no work.
    pub async fn begin_firing(
        &self,
        timer: &Timer,
        owner: &str,
    ) -> Result<Option<Firing>, StoreError> {
        let mut tx = self.write.begin().await?;
        let marked = sqlx::query::<Any>(
            "UPDATE timers SET fired_at = $3, lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2 AND fired_at IS NULL",
        )
        .bind(timer.id)
        .bind(owner)
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() == 1 {
            Ok(Some(Firing { tx }))
        } else {
            tx.rollback().await?;
            Ok(None)
        }
    }

    /// Records a failed firing and when to try again (its work was rolled back).
    pub async fn retry_timer(
        &self,
        timer: &Timer,
        owner: &str,
        error: &str,
        retry_at: &str,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(2000).collect();
        sqlx::query::<Any>(
            "UPDATE timers SET last_error = $3, due_at = $4, lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2 AND fired_at IS NULL",
        )
        .bind(timer.id)
        .bind(owner)
        .bind(&error)
        .bind(retry_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// How many timers wait, are due, or keep failing.
    pub async fn timer_counts(&self) -> Result<TimerCounts, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT \
               COALESCE(SUM(CASE WHEN due_at <= $1 THEN 1 ELSE 0 END), 0) AS due, \
               COALESCE(SUM(CASE WHEN due_at > $1 THEN 1 ELSE 0 END), 0) AS scheduled, \
               COALESCE(SUM(CASE WHEN last_error IS NOT NULL THEN 1 ELSE 0 END), 0) AS failing \
             FROM timers WHERE fired_at IS NULL",
        )
        .bind(self.now())
        .fetch_one(&self.read)
        .await?;
        Ok(TimerCounts {
            due: row.try_get("due")?,
            scheduled: row.try_get("scheduled")?,
            failing: row.try_get("failing")?,
        })
    }
}
