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
    (
        4,
        "badge_events reference index",
        include_str!("../migrations/sqlite/0004_badge_events_reference.sql"),
        include_str!("../migrations/postgres/0004_badge_events_reference.sql"),
    ),
    (
        5,
        "versions variables",
        include_str!("../migrations/sqlite/0005_versions_variables.sql"),
        include_str!("../migrations/postgres/0005_versions_variables.sql"),
    ),
    (
        6,
        "timers",
        include_str!("../migrations/sqlite/0006_timers.sql"),
        include_str!("../migrations/postgres/0006_timers.sql"),
    ),
    (
        7,
        "notifications",
        include_str!("../migrations/sqlite/0007_notifications.sql"),
        include_str!("../migrations/postgres/0007_notifications.sql"),
    ),
    (
        8,
        "deliveries",
        include_str!("../migrations/sqlite/0008_deliveries.sql"),
        include_str!("../migrations/postgres/0008_deliveries.sql"),
    ),
    (
        9,
        "reporters",
        include_str!("../migrations/sqlite/0009_reporters.sql"),
        include_str!("../migrations/postgres/0009_reporters.sql"),
    ),
    (
        10,
        "submissions",
        include_str!("../migrations/sqlite/0010_submissions.sql"),
        include_str!("../migrations/postgres/0010_submissions.sql"),
    ),
    (
        11,
        "cases",
        include_str!("../migrations/sqlite/0011_cases.sql"),
        include_str!("../migrations/postgres/0011_cases.sql"),
    ),
    (
        12,
        "signals",
        include_str!("../migrations/sqlite/0012_signals.sql"),
        include_str!("../migrations/postgres/0012_signals.sql"),
    ),
    (
        13,
        "editions",
        include_str!("../migrations/sqlite/0013_editions.sql"),
        include_str!("../migrations/postgres/0013_editions.sql"),
    ),
    (
        14,
        "queue_indexes",
        include_str!("../migrations/sqlite/0014_queue_indexes.sql"),
        include_str!("../migrations/postgres/0014_queue_indexes.sql"),
    ),
    (
        15,
        "installations",
        include_str!("../migrations/sqlite/0015_installations.sql"),
        include_str!("../migrations/postgres/0015_installations.sql"),
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
    match store.kind {
        DatabaseKind::Postgres => migrator(store.kind).run(&store.write).await?,
        DatabaseKind::Sqlite => run_sqlite(store).await?,
    }
    Ok(())
}

/// SQLite changes a constraint by rebuilding the table, and its documented procedure for that
/// turns foreign keys off first: with them on, dropping the old table counts every row that
/// refers to it as a violation, and the migration cannot commit. The pragma cannot change
/// inside a transaction and the migrator runs each migration in one, so the migrations run on
/// a connection that has foreign keys off, followed by the integrity check the procedure asks
/// for. The connection is closed afterwards, so the pool opens a fresh one with foreign keys on.
async fn run_sqlite(store: &Store) -> Result<(), StoreError> {
    let mut connection = store.write.acquire().await?;
    connection.close_on_drop();
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *connection)
        .await?;
    let before: Option<i64> = latest_applied(&mut connection).await;
    migrator(store.kind).run(&mut *connection).await?;
    // The check runs after new migrations, and at every start after one that failed, until it
    // passes: the migrations have committed, so a failure must not be forgotten.
    let failed_before = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'apptrust_integrity_failed'",
    )
    .fetch_one(&mut *connection)
    .await?
        > 0;
    if failed_before || latest_applied(&mut connection).await != before {
        let broken: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(&mut *connection)
                .await?;
        if !broken.is_empty() {
            sqlx::query("CREATE TABLE IF NOT EXISTS apptrust_integrity_failed (at TEXT)")
                .execute(&mut *connection)
                .await?;
            return Err(StoreError::Corrupt(format!(
                "after migrating, rows of {} refer to rows that do not exist (`PRAGMA \
                 foreign_key_check` lists them); repair them, and the next start checks again",
                broken.join(", ")
            )));
        }
        sqlx::query("DROP TABLE IF EXISTS apptrust_integrity_failed")
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

async fn latest_applied(connection: &mut sqlx::AnyConnection) -> Option<i64> {
    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
        .fetch_one(connection)
        .await
        .ok()
        .flatten()
}

pub(crate) async fn is_current(store: &Store) -> Result<bool, StoreError> {
    let applied: Result<Option<i64>, sqlx::Error> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&store.read)
            .await;
    let latest = MIGRATIONS.last().map(|m| m.0);
    Ok(applied.ok().flatten() == latest)
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    /// A database in use at migration 8 (users with tokens, sessions and versions) takes
    /// migration 9, which rebuilds the users table on SQLite, without losing a row or a
    /// reference.
    #[tokio::test]
    async fn a_populated_sqlite_database_takes_the_users_rebuild() {
        use crate::{DatabaseUrl, PoolSettings, Store};
        let dir = std::env::temp_dir().join(format!("apptrust-migrate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("upgrade.db");
        let _ = std::fs::remove_file(&path);
        let url: DatabaseUrl = path.to_string_lossy().parse().unwrap();
        let store = Store::open(&url, &PoolSettings::default()).await.unwrap();
        let mut first_eight = super::migrator(store.kind);
        first_eight.migrations = std::borrow::Cow::Owned(first_eight.migrations[..8].to_vec());
        first_eight.run(&store.write).await.unwrap();
        let now = "2026-01-01T00:00:00.000000Z";
        for statement in [
            "INSERT INTO partners (id, key, name, created_at) VALUES (1, 'acme', 'Acme', ?1)",
            "INSERT INTO users (id, name, email, role, partner_id, created_at) \
             VALUES (1, 'Ann', 'ann@example.com', 'partner', 1, ?1)",
            "INSERT INTO users (id, name, email, role, created_at) \
             VALUES (2, 'Sam', 'sam@example.com', 'staff', ?1)",
            "INSERT INTO api_tokens (id, user_id, token_hash, label, created_at) \
             VALUES (1, 1, 'h1', 'ci', ?1)",
            "INSERT INTO sessions (id, user_id, session_hash, csrf_token, created_at, expires_at, \
             token_id) VALUES (1, 1, 's1', 'c1', ?1, ?1, 1)",
            "INSERT INTO apps (id, key, name, partner_id, framework, created_at) \
             VALUES (1, 'com.acme.a', 'A', 1, 'forge', ?1)",
            "INSERT INTO environments (id, app_id, name, created_at) \
             VALUES (1, 1, 'production', ?1)",
            "INSERT INTO versions (id, app_id, environment_id, major, minor, patch, manifest, \
             manifest_sha256, deployed_by, deployed_at) \
             VALUES (1, 1, 1, 1, 0, 0, 'app: {}', 'x', 2, ?1)",
        ] {
            sqlx::query(statement)
                .bind(now)
                .execute(&store.write)
                .await
                .unwrap();
        }

        store.migrate().await.unwrap();

        assert!(store.is_migrated().await.unwrap());
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&store.read)
            .await
            .unwrap();
        assert_eq!(users, 2);
        let reported: String = sqlx::query_scalar("SELECT reported_by FROM versions")
            .fetch_one(&store.read)
            .await
            .unwrap();
        assert_eq!(
            reported, "staff",
            "a staff member's deploy is recorded as such"
        );
        sqlx::query(
            "INSERT INTO users (name, email, role, created_at) \
             VALUES ('Pipeline', 'ci@example.com', 'platform', ?1)",
        )
        .bind(now)
        .execute(&store.write)
        .await
        .unwrap();
        // Foreign keys are on again for the connections that serve: a token of nobody is refused.
        let orphan = sqlx::query(
            "INSERT INTO api_tokens (user_id, token_hash, label, created_at) \
             VALUES (99, 'h2', 'x', ?1)",
        )
        .bind(now)
        .execute(&store.write)
        .await;
        assert!(orphan.is_err(), "{orphan:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A database whose rows refer to missing rows after migrating refuses to start, and keeps
    /// refusing at every start (the migrations have committed) until it is repaired.
    #[tokio::test]
    async fn a_failed_integrity_check_is_repeated_until_repaired() {
        use crate::{DatabaseUrl, PoolSettings, Store};
        let dir = std::env::temp_dir().join(format!("apptrust-integrity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("broken.db");
        let _ = std::fs::remove_file(&path);
        let url: DatabaseUrl = path.to_string_lossy().parse().unwrap();
        let store = Store::open(&url, &PoolSettings::default()).await.unwrap();
        let mut first_eight = super::migrator(store.kind);
        first_eight.migrations = std::borrow::Cow::Owned(first_eight.migrations[..8].to_vec());
        first_eight.run(&store.write).await.unwrap();
        // A token of a user who does not exist, written with foreign keys off.
        let mut connection = store.write.acquire().await.unwrap();
        connection.close_on_drop();
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *connection)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO api_tokens (user_id, token_hash, label, created_at) \
             VALUES (42, 'h', 'x', '2026-01-01T00:00:00.000000Z')",
        )
        .execute(&mut *connection)
        .await
        .unwrap();
        drop(connection);

        for _ in 0..2 {
            let refused = store.migrate().await;
            assert!(
                matches!(&refused, Err(crate::StoreError::Corrupt(m)) if m.contains("api_tokens")),
                "{refused:?}"
            );
        }
        sqlx::query("DELETE FROM api_tokens WHERE user_id = 42")
            .execute(&store.write)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The tables, indexes, triggers and columns a migration creates, by name, in order.
    fn created(sql: &str) -> Vec<String> {
        let words: Vec<String> = sql
            .lines()
            .map(|line| line.split("--").next().unwrap_or(""))
            .flat_map(str::split_whitespace)
            .map(|w| {
                w.trim_matches(|c: char| c == '(' || c == ';' || c == ',')
                    .to_lowercase()
            })
            .collect();
        let mut names = Vec::new();
        for (i, pair) in words.windows(2).enumerate() {
            let kind = match (pair[0].as_str(), pair[1].as_str()) {
                ("create", "table" | "index" | "trigger") | ("add", "column") => &pair[1],
                _ => continue,
            };
            let mut rest = words[i + 2..].iter().filter(|w| !w.is_empty());
            let mut name = rest.next().cloned().unwrap_or_default();
            if name == "if" {
                name = rest.nth(2).cloned().unwrap_or_default();
            }
            names.push(format!("{kind} {name}"));
        }
        names
    }

    /// The columns of the tables a migration creates, as `table.column`, in order.
    fn columns(sql: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut table: Option<String> = None;
        for line in sql.lines() {
            let line = line.split("--").next().unwrap_or("").trim().to_lowercase();
            if let Some(rest) = line.strip_prefix("create table ") {
                let name = rest.split_whitespace().next().unwrap_or("");
                table = Some(name.trim_matches('(').to_string());
                continue;
            }
            let Some(name) = &table else { continue };
            if line.starts_with(')') {
                table = None;
                continue;
            }
            let first = line.split_whitespace().next().unwrap_or("");
            let constraint = ["primary", "unique", "foreign", "check", "constraint"];
            if !first.is_empty() && !constraint.contains(&first) {
                out.push(format!("{name}.{first}"));
            }
        }
        out
    }

    #[test]
    fn migrations_are_numbered_in_order_and_alike_on_both_databases() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        for folder in ["sqlite", "postgres"] {
            let mut files: Vec<String> = std::fs::read_dir(dir.join(folder))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            assert_eq!(
                files.len(),
                MIGRATIONS.len(),
                "every {folder} file is listed"
            );
            for (n, ((version, _, sqlite, postgres), file)) in
                MIGRATIONS.iter().zip(&files).enumerate()
            {
                assert_eq!(*version, i64::try_from(n).unwrap() + 1, "numbered from 1");
                assert!(file.starts_with(&format!("{version:04}_")), "{file}");
                let text = std::fs::read_to_string(dir.join(folder).join(file)).unwrap();
                let listed = if folder == "sqlite" { sqlite } else { postgres };
                assert_eq!(
                    &text, listed,
                    "{folder}/{file} is the one listed as {version}"
                );
            }
        }
        assert!(columns(MIGRATIONS[0].2).contains(&"badge_events.reference".to_string()));
        for (version, _, sqlite, postgres) in MIGRATIONS {
            // A `*_rebuilt` table is how SQLite changes a constraint: it replaces the original.
            assert_eq!(
                created(sqlite)
                    .into_iter()
                    .filter(|n| !n.starts_with("trigger") && !n.ends_with("_rebuilt"))
                    .collect::<Vec<_>>(),
                created(postgres)
                    .into_iter()
                    .filter(|n| !n.starts_with("trigger"))
                    .collect::<Vec<_>>(),
                "migration {version} creates the same tables, indexes and columns on both"
            );
            assert_eq!(
                columns(sqlite)
                    .into_iter()
                    .filter(|c| !c.contains("_rebuilt."))
                    .collect::<Vec<_>>(),
                columns(postgres),
                "migration {version} creates tables with the same columns on both"
            );
        }
    }
}
