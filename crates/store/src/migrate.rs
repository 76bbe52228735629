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

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

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
