//! Which database a URL names, and opening pools on it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use crate::{Store, StoreError};

/// The two supported databases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    /// The name used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            DatabaseKind::Sqlite => "sqlite",
            DatabaseKind::Postgres => "postgres",
        }
    }
}

/// A database location: a `postgres://` URL, a `sqlite://` URL, or a plain file path (SQLite).
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    kind: DatabaseKind,
    url: String,
}

impl DatabaseUrl {
    /// Which database.
    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// The URL with any password hidden, for messages: the one in the user part and the
    /// values of query parameters that carry secrets (`?password=`, `sslpassword=`, ...). A
    /// PostgreSQL URL that does not parse as a URL (sqlx could not connect with it either) is
    /// shown as `postgres://***`. SQLite paths hold no secrets and are shown as they are.
    pub fn redacted(&self) -> String {
        if self.kind == DatabaseKind::Sqlite {
            return self.url.clone();
        }
        let Ok(mut url) = url::Url::parse(&self.url) else {
            return "postgres://***".to_string();
        };
        // A user part that did not parse as one (an unencoded `/` in a password reads as a
        // port): show nothing of it.
        if self.url.contains('@') && url.username().is_empty() && url.password().is_none() {
            return "postgres://***".to_string();
        }
        if url.password().is_some() && url.set_password(Some("***")).is_err() {
            return "postgres://***".to_string();
        }
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(key, value)| {
                    let value = if is_secret_parameter(&key) {
                        "***".to_string()
                    } else {
                        value.into_owned()
                    };
                    (key.into_owned(), value)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        url.to_string()
    }
}

/// Query parameters whose values are secrets.
fn is_secret_parameter(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "secret", "token", "key"]
        .iter()
        .any(|word| key.contains(word))
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl FromStr for DatabaseUrl {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(DatabaseUrl {
                kind: DatabaseKind::Postgres,
                url: text.to_string(),
            });
        }
        let path = text.strip_prefix("sqlite://").unwrap_or(text);
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() || path.contains(":memory:") || path.contains("mode=memory") {
            return Err(StoreError::Invalid(
                "the database must be a `postgres://` URL or a SQLite file path; an in-memory \
                 SQLite database would vanish with the server"
                    .to_string(),
            ));
        }
        if text.contains("://") && !text.starts_with("sqlite://") {
            return Err(StoreError::Invalid(format!(
                "unsupported database URL `{}`: use `postgres://...` or a SQLite file path",
                text.split("://").next().unwrap_or(text)
            )));
        }
        Ok(DatabaseUrl {
            kind: DatabaseKind::Sqlite,
            url: format!("sqlite://{path}?mode=rwc"),
        })
    }
}

/// Connection pool sizes.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    /// Connections per server instance (PostgreSQL), or readers (SQLite).
    pub max_connections: u32,
    /// How long a request waits for a free connection before failing.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

pub(crate) async fn open(url: &DatabaseUrl, settings: &PoolSettings) -> Result<Store, StoreError> {
    sqlx::any::install_default_drivers();
    let options = || {
        AnyPoolOptions::new()
            .acquire_timeout(settings.acquire_timeout)
            .max_connections(settings.max_connections)
    };
    match url.kind {
        DatabaseKind::Postgres => {
            // A few connections are opened at start and kept: opening one costs a PostgreSQL
            // backend process, and a burst of first requests opening many at once showed as a
            // 50 ms p99 on an otherwise idle server.
            let pool = options()
                .min_connections(settings.max_connections.min(8))
                .connect(&url.url)
                .await?;
            Ok(Store {
                read: pool.clone(),
                write: pool,
                kind: url.kind,
                environment_locks: std::sync::Arc::default(),
            })
        }
        DatabaseKind::Sqlite => {
            let write = sqlite_pool(options().max_connections(1), &url.url).await?;
            let read = sqlite_pool(options(), &url.url).await?;
            Ok(Store {
                read,
                write,
                kind: url.kind,
                environment_locks: std::sync::Arc::default(),
            })
        }
    }
}

async fn sqlite_pool(options: AnyPoolOptions, url: &str) -> Result<AnyPool, StoreError> {
    // WAL lets readers run beside the writer; `synchronous = FULL` makes every acknowledged
    // commit durable even if the machine loses power, not only if the process dies.
    Ok(options
        .after_connect(|connection, _| {
            Box::pin(async move {
                connection
                    .execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                    )
                    .await?;
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths_name_the_right_database() {
        let pg: DatabaseUrl = "postgres://app:secret@127.0.0.1/trust".parse().unwrap();
        assert_eq!(pg.kind(), DatabaseKind::Postgres);
        assert_eq!(pg.redacted(), "postgres://app:***@127.0.0.1/trust");
        let query: DatabaseUrl =
            "postgres://app@db/trust?sslmode=require&password=hunter2&sslpassword=x"
                .parse()
                .unwrap();
        assert_eq!(
            query.redacted(),
            "postgres://app@db/trust?sslmode=require&password=***&sslpassword=***"
        );
        assert!(!format!("{query} {query:?}").contains("hunter2"));
        for odd in [
            "postgres://u:pa?ss@h/db",
            "postgres://app@db/x?password=hunter2&application_name=a@b",
            "postgres://u:2024/hunter2@h/db",
        ] {
            let shown = odd.parse::<DatabaseUrl>().unwrap().redacted();
            assert!(
                !shown.contains("hunter2") && !shown.contains("ss@"),
                "{shown}"
            );
        }
        let file: DatabaseUrl = "data/apptrust.db".parse().unwrap();
        assert_eq!(file.kind(), DatabaseKind::Sqlite);
        assert!("sqlite::memory:".parse::<DatabaseUrl>().is_err());
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
    }
}
