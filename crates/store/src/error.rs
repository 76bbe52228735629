//! What can go wrong in the store, in terms the API can map to a status code.

/// A store error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change clashes with existing data (a duplicate key, a version already deployed).
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this (a rule of this service's configuration, not of the data).
    #[error("{0}")]
    Forbidden(String),
    /// The request is well-formed but not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The server is at a limit (evaluation queue, contention on one environment); retry later.
    #[error("{0}")]
    Busy(String),
    /// The database could not be reached or opened at start: the message names it.
    #[error("{0}")]
    Connect(String),
    /// The server failed (a bug): the message is for the log, not the client.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database failed or refused.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data could not be read back (a bug or a hand-edited database).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Maps a unique-constraint violation to a conflict with the given message; other errors pass
/// through. Duplicates are caught by the database's constraints, not by a read before the write,
/// so that two concurrent requests cannot both pass the check.
pub(crate) fn conflict_if_duplicate(
    message: impl FnOnce() -> String,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(e) if e.is_unique_violation() => StoreError::Conflict(message()),
        _ => error.into(),
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}
