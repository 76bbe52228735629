//! What re-evaluation after a rules-engine change reads and writes: the current evaluations an
//! *older* engine made (only older ones count, so that during a rolling upgrade the old build
//! does not undo the new one), retiring one, and the checks a badge move needs. The use case
//! itself is `apptrust_service::reevaluation`.

use apptrust_programs::AppVersion;
use apptrust_rules::ENGINE_VERSION;
use sqlx::{Any, Row};

use crate::variables::Variables;
use crate::versions::version_of;
use crate::{Connection, Store, StoreError};

/// Orders engine versions (`MAJOR.MINOR.PATCH+rules.N`). An unreadable one sorts first, so it
/// is redone.
fn engine_key(text: &str) -> Option<[u64; 4]> {
    let (semver, rules) = text.split_once("+rules.")?;
    let mut parts = semver.split('.').map(|p| p.parse::<u64>().ok());
    Some([
        parts.next()??,
        parts.next()??,
        parts.next()??,
        rules.parse().ok()?,
    ])
}

/// True when `stored` comes from an older engine than this build's.
pub fn is_older_engine(stored: &str) -> bool {
    engine_key(stored) < engine_key(ENGINE_VERSION)
}

/// A version whose current evaluation an older engine made.
#[derive(Clone, Debug)]
pub struct StaleVersion {
    pub evaluation_id: i64,
    pub version_id: i64,
    pub app_id: i64,
    pub environment_id: i64,
    pub environment: String,
    pub version: AppVersion,
    /// `platform`, `staff` or `partner`.
    pub reported_by: String,
}

impl Store {
    /// The engine versions older than this build's that current evaluations still carry, with
    /// how many each.
    pub async fn older_engines(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT engine_version, COUNT(*) AS n FROM evaluations WHERE current = 1 \
             GROUP BY engine_version",
        )
        .fetch_all(&self.read)
        .await?;
        let mut older = Vec::new();
        for row in &rows {
            let engine: String = row.try_get("engine_version")?;
            if is_older_engine(&engine) {
                older.push((engine, row.try_get("n")?));
            }
        }
        Ok(older)
    }

    /// How many versions still carry an evaluation from an older engine.
    pub async fn stale_evaluations(&self) -> Result<i64, StoreError> {
        Ok(self.older_engines().await?.iter().map(|(_, n)| n).sum())
    }

    /// Up to `size` versions whose current evaluation `engine` made, oldest first.
    pub async fn stale_versions(
        &self,
        engine: &str,
        size: i64,
    ) -> Result<Vec<StaleVersion>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT ev.id AS evaluation_id, v.id, v.app_id, v.environment_id, v.major, v.minor, \
               v.patch, v.reported_by, e.name AS env \
             FROM evaluations ev JOIN versions v ON v.id = ev.version_id \
             JOIN environments e ON e.id = v.environment_id \
             WHERE ev.current = 1 AND ev.engine_version = $1 ORDER BY v.id LIMIT $2",
        )
        .bind(engine)
        .bind(size)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StaleVersion {
                    evaluation_id: row.try_get("evaluation_id")?,
                    version_id: row.try_get("id")?,
                    app_id: row.try_get("app_id")?,
                    environment_id: row.try_get("environment_id")?,
                    environment: row.try_get("env")?,
                    version: version_of(row)?,
                    reported_by: row.try_get("reported_by")?,
                })
            })
            .collect()
    }

    /// A version's manifest and the variable values it was deployed with.
    pub async fn manifest_of_version(
        &self,
        version_id: i64,
    ) -> Result<(String, Variables), StoreError> {
        let row = sqlx::query::<Any>("SELECT manifest, variables FROM versions WHERE id = $1")
            .bind(version_id)
            .fetch_one(&self.read)
            .await?;
        let variables =
            Variables::from_stored(row.try_get::<Option<String>, _>("variables")?.as_deref())?;
        Ok((row.try_get("manifest")?, variables))
    }
}

/// Retires exactly the evaluation that was read; false when it is not current any more (a
/// deploy or another instance got there first).
pub async fn retire_evaluation_in(
    connection: &mut Connection,
    evaluation_id: i64,
) -> Result<bool, StoreError> {
    let retired =
        sqlx::query::<Any>("UPDATE evaluations SET current = 0 WHERE id = $1 AND current = 1")
            .bind(evaluation_id)
            .execute(connection)
            .await?;
    Ok(retired.rows_affected() == 1)
}

/// Takes the environment's row lock until the transaction ends, as a deploy does, so that a
/// deploy and a re-evaluation never overwrite each other's badge.
pub async fn lock_environment_in(
    connection: &mut Connection,
    environment_id: i64,
) -> Result<(), StoreError> {
    sqlx::query::<Any>("UPDATE environments SET deploy_count = deploy_count WHERE id = $1")
        .bind(environment_id)
        .execute(connection)
        .await?;
    Ok(())
}

/// How many versions of the environment are higher than `version`, counting only the
/// platform's when `platform_only`.
pub async fn count_higher_in(
    connection: &mut Connection,
    environment_id: i64,
    version: AppVersion,
    platform_only: bool,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<Any, i64>(
        "SELECT COUNT(*) FROM versions w WHERE w.environment_id = $1 \
         AND (w.major > $2 OR (w.major = $2 AND (w.minor > $3 \
              OR (w.minor = $3 AND w.patch > $4)))) \
         AND ($5 = 0 OR w.reported_by = 'platform')",
    )
    .bind(environment_id)
    .bind(i64::from(version.major))
    .bind(i64::from(version.minor))
    .bind(i64::from(version.patch))
    .bind(i64::from(platform_only))
    .fetch_one(connection)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_older_engines_are_stale() {
        assert!(is_older_engine("0.0.1+rules.0"));
        assert!(is_older_engine("garbage"));
        assert!(!is_older_engine(ENGINE_VERSION));
        assert!(!is_older_engine("999.0.0+rules.1"));
        let [a, b, c, r] = engine_key(ENGINE_VERSION).unwrap();
        assert!(is_older_engine(&format!("{a}.{b}.{c}+rules.{}", r.saturating_sub(1))) || r == 0);
        assert!(!is_older_engine(&format!("{a}.{b}.{c}+rules.{}", r + 1)));
    }
}
