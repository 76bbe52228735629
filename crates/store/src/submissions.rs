//! Submission rows. A submission is one aggregate (apptrust_programs::fortified::Submission)
//! kept as a JSON document, with the columns the queues filter and sort on beside it. Writes
//! carry the revision they read, so two concurrent edits cannot both land.

use sqlx::{Any, Row};

use crate::error::conflict_if_duplicate;
use crate::{Connection, Store, StoreError};

/// A submission as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmissionRow {
    pub id: i64,
    pub app_id: i64,
    pub app_key: String,
    pub partner_id: i64,
    /// The program's key (`cloud-fortified`).
    pub program: String,
    pub requirement_set: String,
    pub state: String,
    pub ball: String,
    pub due_at: Option<String>,
    /// The aggregate, as the domain model wrote it.
    pub document: String,
    pub revision: i64,
    pub opened_at: String,
    pub updated_at: String,
}

/// The columns written from the aggregate at every change.
#[derive(Clone, Debug)]
pub struct SubmissionWrite<'a> {
    pub state: &'a str,
    pub ball: &'a str,
    pub due_at: Option<&'a str>,
    pub document: &'a str,
    pub now: &'a str,
}

/// Which submissions a queue shows, oldest move first.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    pub ball: Option<String>,
    pub program: Option<String>,
    pub state: Option<String>,
    /// Only this partner's apps (partners see only their own).
    pub partner_id: Option<i64>,
    /// After this `(updated_at, id)`: the previous page's last row.
    pub after: Option<(String, i64)>,
    pub limit: i64,
}

const COLUMNS: &str = "s.id, s.app_id, a.key AS app_key, a.partner_id, s.program, \
                       s.requirement_set, s.state, s.ball, s.due_at, s.document, s.revision, \
                       s.opened_at, s.updated_at";

/// The columns of a queue's rows: everything but the document (left empty).
const QUEUE_COLUMNS: &str = "s.id, s.app_id, a.key AS app_key, a.partner_id, s.program, \
                             s.requirement_set, s.state, s.ball, s.due_at, '' AS document, \
                             s.revision, s.opened_at, s.updated_at";

fn row_of(row: &sqlx::any::AnyRow) -> Result<SubmissionRow, StoreError> {
    Ok(SubmissionRow {
        id: row.try_get("id")?,
        app_id: row.try_get("app_id")?,
        app_key: row.try_get("app_key")?,
        partner_id: row.try_get("partner_id")?,
        program: row.try_get("program")?,
        requirement_set: row.try_get("requirement_set")?,
        state: row.try_get("state")?,
        ball: row.try_get("ball")?,
        due_at: row.try_get("due_at")?,
        document: row.try_get("document")?,
        revision: row.try_get("revision")?,
        opened_at: row.try_get("opened_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Inserts a new submission (revision 1) and returns its id; a conflict when the app already
/// has an open submission to the program.
pub async fn insert_in(
    connection: &mut Connection,
    app_id: i64,
    program: &str,
    requirement_set: &str,
    write: &SubmissionWrite<'_>,
) -> Result<i64, StoreError> {
    sqlx::query_scalar::<Any, i64>(
        "INSERT INTO submissions (app_id, program, requirement_set, state, ball, due_at, \
           document, revision, opened_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) RETURNING id",
    )
    .bind(app_id)
    .bind(program)
    .bind(requirement_set)
    .bind(write.state)
    .bind(write.ball)
    .bind(write.due_at)
    .bind(write.document)
    .bind(write.now)
    .fetch_one(connection)
    .await
    .map_err(conflict_if_duplicate(|| {
        format!("the app already has an open submission to `{program}`; act on that one")
    }))
}

/// Writes a changed submission if it is still at `revision`; false when another edit landed
/// first (read it again and retry).
pub async fn update_in(
    connection: &mut Connection,
    id: i64,
    revision: i64,
    write: &SubmissionWrite<'_>,
) -> Result<bool, StoreError> {
    let updated = sqlx::query::<Any>(
        "UPDATE submissions SET state = $3, ball = $4, due_at = $5, document = $6, \
           revision = revision + 1, updated_at = $7 \
         WHERE id = $1 AND revision = $2",
    )
    .bind(id)
    .bind(revision)
    .bind(write.state)
    .bind(write.ball)
    .bind(write.due_at)
    .bind(write.document)
    .bind(write.now)
    .execute(connection)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// One submission, read in the caller's transaction.
pub async fn row_in(
    connection: &mut Connection,
    id: i64,
) -> Result<Option<SubmissionRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM submissions s JOIN apps a ON a.id = s.app_id WHERE s.id = $1"
    );
    sqlx::query::<Any>(&sql)
        .bind(id)
        .fetch_optional(connection)
        .await?
        .as_ref()
        .map(row_of)
        .transpose()
}

/// The app's latest submission to `program` in `state` (`approved`), if any.
pub async fn latest_in(
    connection: &mut Connection,
    app_id: i64,
    program: &str,
    state: &str,
) -> Result<Option<SubmissionRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM submissions s JOIN apps a ON a.id = s.app_id \
         WHERE s.app_id = $1 AND s.program = $2 AND s.state = $3 ORDER BY s.id DESC LIMIT 1"
    );
    sqlx::query::<Any>(&sql)
        .bind(app_id)
        .bind(program)
        .bind(state)
        .fetch_optional(connection)
        .await?
        .as_ref()
        .map(row_of)
        .transpose()
}

impl Store {
    /// One submission, read from the writer (a client that just acted sees its move).
    pub async fn submission(&self, id: i64) -> Result<Option<SubmissionRow>, StoreError> {
        let mut connection = self.write.acquire().await?;
        row_in(&mut connection, id).await
    }

    /// A queue of submissions, the one waiting longest since its last move first.
    pub async fn submission_queue(
        &self,
        filter: &QueueFilter,
    ) -> Result<Vec<SubmissionRow>, StoreError> {
        use crate::filter::{Value, Where};
        let mut conditions = Where::default();
        let text = |v: &str| Value::Text(v.to_string());
        if let Some(ball) = &filter.ball {
            conditions.equals("s.ball", text(ball));
        }
        if let Some(program) = &filter.program {
            conditions.equals("s.program", text(program));
        }
        if let Some(state) = &filter.state {
            conditions.equals("s.state", text(state));
        }
        if let Some(partner) = filter.partner_id {
            conditions.equals("a.partner_id", Value::Int(partner));
        }
        if let Some((at, id)) = &filter.after {
            conditions.clause(
                "s.updated_at > ? OR (s.updated_at = ? AND s.id > ?)",
                vec![text(at), text(at), Value::Int(*id)],
            );
        }
        // A queue shows summaries: the aggregate's document stays where it is.
        let sql = format!(
            "SELECT {QUEUE_COLUMNS} FROM submissions s JOIN apps a ON a.id = s.app_id {} \
             ORDER BY s.updated_at, s.id LIMIT ${}",
            conditions.sql(),
            conditions.next_placeholder()
        );
        let rows = conditions
            .bind(sqlx::query::<Any>(&sql))
            .bind(filter.limit)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(row_of).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DatabaseUrl, PoolSettings};

    async fn store() -> (Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "apptrust-submissions-{}-{}",
            std::process::id(),
            line!()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.db");
        let _ = std::fs::remove_file(&path);
        let url: DatabaseUrl = path.to_string_lossy().parse().unwrap();
        let store = Store::open(&url, &PoolSettings::default()).await.unwrap();
        store.migrate().await.unwrap();
        for statement in [
            "INSERT INTO partners (id, key, name, created_at) VALUES (1, 'acme', 'Acme', 'x')",
            "INSERT INTO apps (id, key, name, partner_id, framework, created_at) \
             VALUES (1, 'com.acme.a', 'A', 1, 'forge', 'x')",
        ] {
            sqlx::query(statement).execute(&store.write).await.unwrap();
        }
        (store, dir)
    }

    fn write<'a>(state: &'a str, ball: &'a str, now: &'a str) -> SubmissionWrite<'a> {
        SubmissionWrite {
            state,
            ball,
            due_at: None,
            document: "{}",
            now,
        }
    }

    #[tokio::test]
    async fn one_open_submission_per_program_and_no_lost_edit() {
        let (store, dir) = store().await;
        let mut tx = store.begin().await.unwrap();
        let id = insert_in(
            tx.connection(),
            1,
            "cloud-fortified",
            "cloud-fortified/2026-01",
            &write("submitted", "staff", "2026-01-01T00:00:00.000000Z"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let twice = insert_in(
            tx.connection(),
            1,
            "cloud-fortified",
            "cloud-fortified/2026-01",
            &write("submitted", "staff", "2026-01-01T00:00:00.000000Z"),
        )
        .await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
        drop(tx);

        // Two edits from the same revision: the second is refused.
        let mut tx = store.begin().await.unwrap();
        assert!(
            update_in(
                tx.connection(),
                id,
                1,
                &write("triage", "staff", "2026-01-02T00:00:00.000000Z")
            )
            .await
            .unwrap()
        );
        assert!(
            !update_in(
                tx.connection(),
                id,
                1,
                &write("rejected", "nobody", "2026-01-02T00:00:00.000000Z")
            )
            .await
            .unwrap()
        );
        tx.commit().await.unwrap();
        let row = store.submission(id).await.unwrap().unwrap();
        assert_eq!(
            (row.state.as_str(), row.revision, row.app_key.as_str()),
            ("triage", 2, "com.acme.a")
        );

        // The queue filters by ball, program, state and partner, oldest move first.
        let queue = |ball: &str, partner: Option<i64>| QueueFilter {
            ball: Some(ball.to_string()),
            partner_id: partner,
            limit: 10,
            ..QueueFilter::default()
        };
        assert_eq!(
            store
                .submission_queue(&queue("staff", None))
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store
                .submission_queue(&queue("partner", None))
                .await
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            store
                .submission_queue(&queue("staff", Some(2)))
                .await
                .unwrap()
                .len(),
            0
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
