//! Persistence for apptrust: one set of SQL statements that runs on SQLite (embedded, the default)
//! and on PostgreSQL (several server instances sharing one store), through sqlx's `Any` driver.
//! Each database has its own migration folder; the schemas are kept column-for-column alike.
//!
//! Every write that changes state also appends to the audit log in the same transaction, so the
//! log can never disagree with the data.

pub mod apps;
pub mod audit;
pub mod badges;
pub mod cases;
pub mod clock;
mod connect;
pub mod deliveries;
pub mod editions;
mod error;
pub mod evaluation;
pub mod evaluator;
pub mod filter;
pub mod installations;
pub mod jobs;
mod legacy_json;
mod locks;
mod migrate;
pub mod notifications;
pub mod partners;
pub mod reevaluate;
pub mod search;
pub mod secrets;
pub mod sessions;
pub mod signals;
pub mod sites;
pub mod submissions;
pub mod timers;
pub mod tokens;
pub mod trust;
mod tx;
pub mod users;
pub mod variables;
pub mod versions;
pub mod webhooks;

pub use connect::{DatabaseKind, DatabaseUrl, PoolSettings};
pub use error::StoreError;
pub use tx::{Connection, EnvironmentTurn, Tx};

use sqlx::AnyPool;

/// A handle on the database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    /// Reads. On SQLite several connections read in parallel beside the writer (WAL).
    read: AnyPool,
    /// Writes. On SQLite one connection, so writers queue in the pool instead of failing with
    /// `database is locked`; on PostgreSQL the same pool as `read`.
    write: AnyPool,
    kind: DatabaseKind,
    /// Deploys to one environment take turns on this instance.
    environment_locks: std::sync::Arc<locks::KeyedLocks>,
    /// Where every operation takes the time from (see [`clock`]).
    clock: std::sync::Arc<dyn clock::Clock>,
    /// Whether production versions reported by partners and staff move badges, or only those
    /// the platform reports (`count-partner-reported-deploys`).
    partner_reports_count: bool,
}

/// One page of a list ordered by id: the items after `after`, at most `limit` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub after: i64,
    pub limit: i64,
}

/// What the audit log records as the author of a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The user, when a person or their token made the change.
    pub user_id: Option<i64>,
    /// How the log names them: `user:3 (alice@example.com)`, `system:reevaluation`.
    pub label: String,
}

impl Actor {
    /// A background job or the command line acting on its own.
    pub fn system(what: &str) -> Actor {
        Actor {
            user_id: None,
            label: format!("system:{what}"),
        }
    }
}

impl Store {
    /// Opens the database (creating a SQLite file if needed). Does not migrate.
    pub async fn open(url: &DatabaseUrl, settings: &PoolSettings) -> Result<Store, StoreError> {
        connect::open(url, settings).await
    }

    /// Applies every pending migration. Safe to run from several instances at once.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrate::run(self).await
    }

    /// True when every migration this build knows has been applied.
    pub async fn is_migrated(&self) -> Result<bool, StoreError> {
        migrate::is_current(self).await
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Which database this is.
    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// The same store on another clock (the test clock of `apptrust serve --test-clock`).
    pub fn with_clock(mut self, clock: std::sync::Arc<dyn clock::Clock>) -> Store {
        self.clock = clock;
        self
    }

    /// The same store counting (or not) partner-reported production versions for badges.
    pub fn with_partner_reports_counting(mut self, count: bool) -> Store {
        self.partner_reports_count = count;
        self
    }

    /// Whether a production version reported by `reporter` (`platform`, `staff`, `partner`)
    /// moves badges.
    pub fn counts_for_badges(&self, reporter: &str) -> bool {
        self.partner_reports_count || reporter == "platform"
    }

    /// The clock every operation of this store takes the time from.
    pub fn clock(&self) -> &std::sync::Arc<dyn clock::Clock> {
        &self.clock
    }

    /// The current time, in the stored form.
    pub fn now(&self) -> String {
        clock::stored(self.clock.now())
    }

    /// Today on the store's clock, `YYYY-MM-DD` in UTC (requirement sets' dates are days).
    pub fn today(&self) -> String {
        self.now().chars().take(10).collect()
    }

    /// The time `seconds` from now (negative for the past), in the stored form.
    pub fn from_now(&self, seconds: i64) -> String {
        clock::stored(self.clock.now() + time::Duration::seconds(seconds))
    }

    /// Whole seconds from now until a stored time (negative when it has passed, 0 if
    /// unreadable).
    pub fn seconds_until(&self, stored: &str) -> i64 {
        clock::seconds_between(self.clock.now(), stored)
    }

    /// Closes every connection, waiting for queries in flight.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}
