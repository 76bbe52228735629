//! What the use cases of cases (annual reviews, escalations) share: reading an aggregate from
//! its row, writing it back with the columns the calendar and the queues use, and scheduling
//! its deadlines as durable timers in the move's transaction.

use apptrust_store::cases::{self, CaseRow, CaseWrite, NewCase};
use apptrust_store::timers::{NewTimer, schedule_in};
use apptrust_store::{Connection, Store, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::submissions::shown;

/// How often a move is made again after losing a race with another edit.
pub const ATTEMPTS: usize = 5;

/// An aggregate kept as a case.
pub trait Aggregate: Serialize + DeserializeOwned {
    /// The columns written beside it.
    fn columns(&self) -> Columns;
}

/// The columns of a case, as the domain spells them; times in seconds.
#[derive(Clone, Debug)]
pub struct Columns {
    pub state: String,
    pub ball: String,
    pub due: Option<i64>,
    pub sort_at: i64,
    pub closed: bool,
}

/// A case as read: the stored row and the aggregate.
#[derive(Clone, Debug)]
pub struct Loaded<T> {
    pub row: CaseRow,
    pub case: T,
}

/// Reads case `id` of `kind`; another kind's case is not found.
pub async fn load<T: Aggregate>(
    store: &Store,
    kind: &str,
    id: i64,
) -> Result<Loaded<T>, StoreError> {
    let row = store
        .case(id)
        .await?
        .filter(|row| row.kind == kind)
        .ok_or_else(|| StoreError::NotFound(format!("no {kind} {id}")))?;
    let case = serde_json::from_str(&row.document)
        .map_err(|e| StoreError::Corrupt(format!("{kind} {id}: {e}")))?;
    Ok(Loaded { row, case })
}

/// Writes a new case in the caller's transaction and returns its id; `None` when one with the
/// same unique key is open already.
pub async fn insert_in<T: Aggregate>(
    connection: &mut Connection,
    new: &NewCaseOf<'_>,
    case: &T,
    now: &str,
) -> Result<Option<i64>, StoreError> {
    let document = serde_json::to_string(case)?;
    let columns = case.columns();
    let (due, sort_at) = (columns.due.map(shown), shown(columns.sort_at));
    cases::insert_in(
        connection,
        &NewCase {
            kind: new.kind,
            app_id: new.app_id,
            program: new.program,
            submission_id: new.submission_id,
            unique_key: new.unique_key,
            write: write(&columns, due.as_deref(), &sort_at, &document, now),
        },
    )
    .await
}

/// Where a new case belongs.
#[derive(Clone, Debug)]
pub struct NewCaseOf<'a> {
    pub kind: &'a str,
    pub app_id: i64,
    pub program: &'a str,
    pub submission_id: Option<i64>,
    pub unique_key: Option<&'a str>,
}

/// Writes a changed case if nobody else did since `row` was read; false when someone did (read
/// it again and make the move on what they left).
pub async fn update_in<T: Aggregate>(
    connection: &mut Connection,
    row: &CaseRow,
    case: &T,
    now: &str,
) -> Result<bool, StoreError> {
    let document = serde_json::to_string(case)?;
    let columns = case.columns();
    let (due, sort_at) = (columns.due.map(shown), shown(columns.sort_at));
    cases::update_in(
        connection,
        row.id,
        row.revision,
        &write(&columns, due.as_deref(), &sort_at, &document, now),
    )
    .await
}

fn write<'a>(
    columns: &'a Columns,
    due: Option<&'a str>,
    sort_at: &'a str,
    document: &'a str,
    now: &'a str,
) -> CaseWrite<'a> {
    CaseWrite {
        state: &columns.state,
        ball: &columns.ball,
        due_at: due,
        sort_at,
        document,
        now,
        closed: columns.closed,
    }
}

/// Schedules one deadline of a case: timer `kind`, due at `due` (seconds), unique by `key`
/// (so a retried move schedules it once).
pub async fn schedule_deadline_in(
    connection: &mut Connection,
    kind: &str,
    subject: &str,
    key: &str,
    due: i64,
    payload: serde_json::Value,
    now: &str,
) -> Result<(), StoreError> {
    schedule_in(
        connection,
        now,
        &NewTimer {
            kind,
            due_at: shown(due),
            subject,
            idempotency_key: key,
            payload,
        },
    )
    .await?;
    Ok(())
}
