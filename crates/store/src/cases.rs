//! Case rows: what follows an approval (annual reviews, escalations). Each case is one aggregate
//! of the domain model kept as a JSON document, with the columns the calendar and the queues
//! filter and sort on beside it. Writes carry the revision they read, so two concurrent edits
//! cannot both land; `unique_key` keeps one open case per app, program and key (a review's year,
//! a system escalation's cause).

use sqlx::{Any, Row};

use crate::{Connection, Store, StoreError};

/// The kinds of case.
pub const REVIEW: &str = "review";
pub const ESCALATION: &str = "escalation";

/// A case as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseRow {
    pub id: i64,
    pub kind: String,
    pub app_id: i64,
    pub app_key: String,
    pub partner_id: i64,
    pub program: String,
    /// The submission that granted the badge, whose thread the case speaks on.
    pub submission_id: Option<i64>,
    pub unique_key: Option<String>,
    pub state: String,
    pub ball: String,
    pub due_at: Option<String>,
    /// What the calendar and the queues sort on (a review's start, an escalation's opening).
    pub sort_at: String,
    /// The aggregate, as the domain model wrote it.
    pub document: String,
    pub revision: i64,
    pub opened_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

/// A new case.
#[derive(Clone, Debug)]
pub struct NewCase<'a> {
    pub kind: &'a str,
    pub app_id: i64,
    pub program: &'a str,
    pub submission_id: Option<i64>,
    pub unique_key: Option<&'a str>,
    pub write: CaseWrite<'a>,
}

/// The columns written from the aggregate at every change.
#[derive(Clone, Debug)]
pub struct CaseWrite<'a> {
    pub state: &'a str,
    pub ball: &'a str,
    pub due_at: Option<&'a str>,
    pub sort_at: &'a str,
    pub document: &'a str,
    pub now: &'a str,
    /// Decided: it no longer counts as open.
    pub closed: bool,
}

/// Which cases a list shows, by `sort_at` then id.
#[derive(Clone, Debug, Default)]
pub struct CaseFilter {
    pub kind: String,
    pub ball: Option<String>,
    pub program: Option<String>,
    pub state: Option<String>,
    /// Only this partner's apps (partners see only their own).
    pub partner_id: Option<i64>,
    pub app_id: Option<i64>,
    /// Only cases still open.
    pub open: bool,
    /// `sort_at` from (inclusive) and to (exclusive): a calendar's range.
    pub from: Option<String>,
    pub to: Option<String>,
    /// After this `(sort_at, id)`: the previous page's last row.
    pub after: Option<(String, i64)>,
    pub limit: i64,
}

const COLUMNS: &str = "c.id, c.kind, c.app_id, a.key AS app_key, a.partner_id, c.program, \
                       c.submission_id, c.unique_key, c.state, c.ball, c.due_at, c.sort_at, \
                       c.document, c.revision, c.opened_at, c.updated_at, c.closed_at";

fn row_of(row: &sqlx::any::AnyRow) -> Result<CaseRow, StoreError> {
    Ok(CaseRow {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        app_id: row.try_get("app_id")?,
        app_key: row.try_get("app_key")?,
        partner_id: row.try_get("partner_id")?,
        program: row.try_get("program")?,
        submission_id: row.try_get("submission_id")?,
        unique_key: row.try_get("unique_key")?,
        state: row.try_get("state")?,
        ball: row.try_get("ball")?,
        due_at: row.try_get("due_at")?,
        sort_at: row.try_get("sort_at")?,
        document: row.try_get("document")?,
        revision: row.try_get("revision")?,
        opened_at: row.try_get("opened_at")?,
        updated_at: row.try_get("updated_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}

/// Inserts a new case (revision 1) and returns its id; `None` when one with the same key is
/// already open (the insert is a no-op, so the caller's transaction stays usable on PostgreSQL).
pub async fn insert_in(
    connection: &mut Connection,
    case: &NewCase<'_>,
) -> Result<Option<i64>, StoreError> {
    let w = &case.write;
    Ok(sqlx::query_scalar::<Any, i64>(
        "INSERT INTO cases (kind, app_id, program, submission_id, unique_key, state, ball, \
           due_at, sort_at, document, revision, opened_at, updated_at, closed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, $12) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(case.kind)
    .bind(case.app_id)
    .bind(case.program)
    .bind(case.submission_id)
    .bind(case.unique_key)
    .bind(w.state)
    .bind(w.ball)
    .bind(w.due_at)
    .bind(w.sort_at)
    .bind(w.document)
    .bind(w.now)
    .bind(w.closed.then_some(w.now))
    .fetch_optional(connection)
    .await?)
}

/// Writes a changed case if it is still at `revision`; false when another edit landed first
/// (read it again and retry).
pub async fn update_in(
    connection: &mut Connection,
    id: i64,
    revision: i64,
    write: &CaseWrite<'_>,
) -> Result<bool, StoreError> {
    let updated = sqlx::query::<Any>(
        "UPDATE cases SET state = $3, ball = $4, due_at = $5, sort_at = $6, document = $7, \
           revision = revision + 1, updated_at = $8, \
           closed_at = CASE WHEN $9 = 1 THEN COALESCE(closed_at, $8) ELSE NULL END \
         WHERE id = $1 AND revision = $2",
    )
    .bind(id)
    .bind(revision)
    .bind(write.state)
    .bind(write.ball)
    .bind(write.due_at)
    .bind(write.sort_at)
    .bind(write.document)
    .bind(write.now)
    .bind(i64::from(write.closed))
    .execute(connection)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The open case of `kind` for an app and program with `unique_key`, if any; `None` as the key
/// finds the soonest open case of that kind.
pub async fn open_in(
    connection: &mut Connection,
    kind: &str,
    app_id: i64,
    program: &str,
    unique_key: Option<&str>,
) -> Result<Option<CaseRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM cases c JOIN apps a ON a.id = c.app_id \
         WHERE c.kind = $1 AND c.app_id = $2 AND c.program = $3 AND c.closed_at IS NULL \
           AND ($4 = '' OR c.unique_key = $4) \
         ORDER BY c.sort_at, c.id LIMIT 1"
    );
    sqlx::query::<Any>(&sql)
        .bind(kind)
        .bind(app_id)
        .bind(program)
        .bind(unique_key.unwrap_or_default())
        .fetch_optional(connection)
        .await?
        .as_ref()
        .map(row_of)
        .transpose()
}

/// Every open case of `kind` for an app and program, oldest first.
pub async fn open_all_in(
    connection: &mut Connection,
    kind: &str,
    app_id: i64,
    program: &str,
) -> Result<Vec<CaseRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM cases c JOIN apps a ON a.id = c.app_id \
         WHERE c.kind = $1 AND c.app_id = $2 AND c.program = $3 AND c.closed_at IS NULL \
         ORDER BY c.sort_at, c.id"
    );
    let rows = sqlx::query::<Any>(&sql)
        .bind(kind)
        .bind(app_id)
        .bind(program)
        .fetch_all(connection)
        .await?;
    rows.iter().map(row_of).collect()
}

/// The app's latest decided case of `kind` and `program` that ended in `state`, by date.
pub async fn latest_closed_in(
    connection: &mut Connection,
    kind: &str,
    app_id: i64,
    program: &str,
    state: &str,
) -> Result<Option<CaseRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM cases c JOIN apps a ON a.id = c.app_id \
         WHERE c.kind = $1 AND c.app_id = $2 AND c.program = $3 AND c.state = $4 \
           AND c.closed_at IS NOT NULL \
         ORDER BY c.sort_at DESC, c.id DESC LIMIT 1"
    );
    sqlx::query::<Any>(&sql)
        .bind(kind)
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
    /// One case, read from the writer (a client that just acted sees its move).
    pub async fn case(&self, id: i64) -> Result<Option<CaseRow>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM cases c JOIN apps a ON a.id = c.app_id WHERE c.id = $1");
        sqlx::query::<Any>(&sql)
            .bind(id)
            .fetch_optional(&self.write)
            .await?
            .as_ref()
            .map(row_of)
            .transpose()
    }

    /// A page of cases, by `sort_at` then id.
    pub async fn cases(&self, filter: &CaseFilter) -> Result<Vec<CaseRow>, StoreError> {
        use crate::filter::{Value, Where};
        let text = |v: &str| Value::Text(v.to_string());
        let mut conditions = Where::default();
        conditions.equals("c.kind", text(&filter.kind));
        for (column, value) in [
            ("c.ball", &filter.ball),
            ("c.program", &filter.program),
            ("c.state", &filter.state),
        ] {
            if let Some(value) = value {
                conditions.equals(column, text(value));
            }
        }
        if let Some(partner) = filter.partner_id {
            conditions.equals("a.partner_id", Value::Int(partner));
        }
        if let Some(app) = filter.app_id {
            conditions.equals("c.app_id", Value::Int(app));
        }
        if filter.open {
            conditions.raw("c.closed_at IS NULL");
        }
        if let Some(from) = &filter.from {
            conditions.clause("c.sort_at >= ?", vec![text(from)]);
        }
        if let Some(to) = &filter.to {
            conditions.clause("c.sort_at < ?", vec![text(to)]);
        }
        if let Some((at, id)) = &filter.after {
            conditions.clause(
                "c.sort_at > ? OR (c.sort_at = ? AND c.id > ?)",
                vec![text(at), text(at), Value::Int(*id)],
            );
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM cases c JOIN apps a ON a.id = c.app_id {} \
             ORDER BY c.sort_at, c.id LIMIT ${}",
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
