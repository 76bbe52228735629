//! Shared by the timer tests and the timer benchmark (included with `#[path]`).

use apptrust_service::timers::Runner;

/// A new database `name` on the PostgreSQL server at `server` (through `psql`), as a URL.
pub fn postgres_database(server: &str, name: &str) -> String {
    let status = std::process::Command::new("psql")
        .args([
            server,
            "-v",
            "ON_ERROR_STOP=1",
            "-qc",
            &format!("CREATE DATABASE {name}"),
        ])
        .status()
        .expect("run psql");
    assert!(status.success(), "cannot create the database {name}");
    let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
    format!("{base}/{name}")
}

/// Runs each runner's rounds on its own task until it finds nothing due; the timers each fired.
pub async fn drain(runners: Vec<Runner>) -> Vec<usize> {
    let tasks: Vec<_> = runners
        .into_iter()
        .map(|runner| {
            tokio::spawn(async move {
                let mut fired = 0;
                loop {
                    let round = runner.round().await.expect("a round");
                    fired += round.fired;
                    if round.claimed == 0 {
                        return fired;
                    }
                }
            })
        })
        .collect();
    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await.expect("the runner's task"));
    }
    counts
}
