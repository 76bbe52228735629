//! The black-box API suite: every test starts a real `apptrust serve` and speaks real HTTP to it.
//! Each test runs twice, against SQLite and against PostgreSQL (`scripts/test` starts a
//! throwaway PostgreSQL cluster and sets APPTRUST_TEST_POSTGRES_URL).

#![allow(clippy::unwrap_used)] // Test code: a panic is a failed test.

mod access;
mod bad_input;
mod crash;
mod credentials;
mod deploys;
mod escalations;
mod hostile_clients;
mod hostile_deploys;
mod installation_access;
mod installations;
mod installations_cli;
mod jobs;
mod logs;
mod notifications;
mod operations;
mod pages;
mod program_timers;
mod programs;
mod reads;
mod receivers;
mod reporters;
mod reviews;
mod scenario;
mod signals;
mod submissions;
mod support;
mod test_clock;
mod variables;
mod webhooks;

/// Declares each listed test function `fn(Db)` once per database.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::support::Db::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::support::Db::Postgres) } )*
        }
    };
}
