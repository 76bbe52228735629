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

/// The part of a connection error a person needs.
fn connect_reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    }
}

impl DatabaseUrl {
    /// `host:port` of a PostgreSQL URL, for messages (never the credentials).
    pub fn address(&self) -> String {
        let parsed = url::Url::parse(&self.url);
        // A user part that did not parse as one would show up as a host and port.
        if let Ok(url) = &parsed
            && self.url.contains('@')
            && url.username().is_empty()
            && url.password().is_none()
        {
            return "(an address that does not parse)".to_string();
        }
        match parsed {
            Ok(url) => format!(
                "{}:{}",
                url.host_str()
                    .filter(|h| !h.is_empty())
                    .unwrap_or("localhost"),
                url.port().unwrap_or(5432)
            ),
            Err(_) => "(an unreadable address)".to_string(),
        }
    }

    /// The file of a SQLite URL.
    pub fn sqlite_path(&self) -> &str {
        let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
        path.split('?').next().unwrap_or(path)
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
            // One direct attempt first, so that a database that is down or refuses us is said
            // at once, with its address, rather than after the pool's acquire timeout.
            let first = tokio::time::timeout(
                settings.acquire_timeout,
                <sqlx::AnyConnection as sqlx::Connection>::connect(&url.url),
            )
            .await;
            match first {
                Ok(Ok(connection)) => {
                    let _ = sqlx::Connection::close(connection).await;
                }
                Ok(Err(error)) => {
                    return Err(StoreError::Connect(format!(
                        "cannot connect to PostgreSQL at {}: {}",
                        url.address(),
                        connect_reason(&error)
                    )));
                }
                Err(_) => {
                    return Err(StoreError::Connect(format!(
                        "PostgreSQL at {} did not answer within {} s",
                        url.address(),
                        settings.acquire_timeout.as_secs()
                    )));
                }
            }
            // Notices ("relation ... already exists, skipping" at every start) are not news:
            // the server sends warnings and errors only.
            let pool = options()
                .min_connections(settings.max_connections.min(8))
                .after_connect(|connection, _| {
                    Box::pin(async move {
                        connection
                            .execute("SET client_min_messages = warning")
                            .await?;
                        Ok(())
                    })
                })
                .connect(&url.url)
                .await?;
            Ok(Store {
                read: pool.clone(),
                write: pool,
                kind: url.kind,
                environment_locks: std::sync::Arc::default(),
                clock: std::sync::Arc::new(crate::clock::SystemClock),
                partner_reports_count: true,
            })
        }
        DatabaseKind::Sqlite => {
            let named = |error: StoreError| match error {
                StoreError::Database(e) => StoreError::Connect(format!(
                    "cannot open the SQLite database `{}`: {} (does its folder exist, and may \
                     this user write there?)",
                    url.sqlite_path(),
                    connect_reason(&e)
                )),
                other => other,
            };
            let write = sqlite_pool(options().max_connections(1), &url.url)
                .await
                .map_err(named)?;
            let read = sqlite_pool(options(), &url.url).await.map_err(named)?;
            Ok(Store {
                read,
                write,
                kind: url.kind,
                environment_locks: std::sync::Arc::default(),
                clock: std::sync::Arc::new(crate::clock::SystemClock),
                partner_reports_count: true,
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
                    // The busy timeout first, so that the other pragmas wait for a lock
                    // another connection holds instead of failing with "database is locked".
                    .execute(
                        "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                         PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
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
