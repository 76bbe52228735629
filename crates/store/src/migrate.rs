//! Migrations, embedded in the binary: one folder per database, applied in order, each once.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{DatabaseKind, Store, StoreError};

/// (version, description, SQLite text, PostgreSQL text).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "credentials",
        include_str!("../migrations/sqlite/0002_credentials.sql"),
        include_str!("../migrations/postgres/0002_credentials.sql"),
    ),
    (
        3,
        "versions deployed_by index",
        include_str!("../migrations/sqlite/0003_versions_deployed_by.sql"),
        include_str!("../migrations/postgres/0003_versions_deployed_by.sql"),
    ),
];

fn migrator(kind: DatabaseKind) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sqlite, postgres)| {
            let sql = match kind {
                DatabaseKind::Sqlite => sqlite,
                DatabaseKind::Postgres => postgres,
            };
            Migration::new(
                *version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

pub(crate) async fn run(store: &Store) -> Result<(), StoreError> {
    migrator(store.kind).run(&store.write).await?;
    Ok(())
}

pub(crate) async fn is_current(store: &Store) -> Result<bool, StoreError> {
    let applied: Result<Option<i64>, sqlx::Error> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&store.read)
            .await;
    let latest = MIGRATIONS.last().map(|m| m.0);
    Ok(applied.ok().flatten() == latest)
}
