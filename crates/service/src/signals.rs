//! Reliability signals for approval programs: health-check polls and installation callbacks
//! arrive in batches, are counted into hourly buckets (polls during announced downtime left
//! out), and each batch re-reads the rolling SLOs of what it touched. A breach repeated within
//! the window opens a system escalation against an app that carries the badge. Staff exclude
//! incidents the marketplace caused; partners announce downtime in advance.

use std::collections::BTreeMap;

use apptrust_programs::catalog::{Catalog, Criterion, Framework, Requirement, RequirementSet};
use apptrust_programs::fortified::signals::{
    self, AVAILABILITY, Bucket, Day, INSTALLATION_CALLBACKS, Reading, Window, hour_of, poll_is_good,
};
use apptrust_programs::fortified::{DAY, Source};
use apptrust_store::apps::App;
use apptrust_store::signals::{self as rows, DOWNTIME, EXCLUSION, HourRow, WindowRow};
use apptrust_store::{Actor, Connection, Store, StoreError, audit, badges};

use crate::badges::APPROVED;
use crate::escalations::{Raise, raise_in};
use crate::submissions::{SubmissionError, seconds, shown};

/// The program whose requirements the signals measure.
pub const PROGRAM: &str = "cloud-fortified";

/// The most measurements one request may carry (a named limit: a batch is one transaction).
pub const MAX_SIGNALS_PER_REQUEST: usize = 1_000;

/// How long before it starts downtime must be announced, in seconds (a decision: "announced
/// in advance" must not mean "announced when the outage began").
pub const DOWNTIME_NOTICE: i64 = DAY;

/// How many announced downtime windows an app may have that have not ended yet.
pub const MAX_PENDING_DOWNTIME: usize = 10;

/// How far in the future a measurement may be dated (clocks drift).
const FUTURE_SKEW: i64 = 300;

/// One health-check poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthCheck {
    pub at: i64,
    pub ok: bool,
    pub latency_ms: Option<u64>,
}

/// One installation callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Callback {
    pub at: i64,
    pub ok: bool,
}

/// A batch of measurements of one app.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub health_checks: Vec<HealthCheck>,
    pub installation_callbacks: Vec<Callback>,
}

/// What a batch did.
#[derive(Clone, Debug, PartialEq)]
pub struct Ingested {
    pub accepted: usize,
    /// Polls during downtime the partner announced: not counted.
    pub in_downtime: usize,
    /// The readings of the metrics the batch touched.
    pub readings: Vec<Reading>,
    /// The system escalations the batch opened.
    pub escalations: Vec<i64>,
}

/// The requirement that measures `metric` in `set`, with its criterion.
pub(crate) fn measured<'a>(
    set: &'a RequirementSet,
    metric: &str,
) -> Option<(&'a Requirement, &'a Criterion)> {
    set.requirements.iter().find_map(|r| {
        r.criterion
            .as_ref()
            .filter(|c| c.metric == metric)
            .map(|c| (r, c))
    })
}

/// The set an app is measured against: the one its badge stands on, else the one in force.
async fn set_of<'a>(
    connection: &mut Connection,
    catalog: &'a Catalog,
    app_id: i64,
    today: &str,
) -> Result<Option<&'a RequirementSet>, StoreError> {
    let Some(program) = catalog.program(PROGRAM) else {
        return Ok(None);
    };
    let held = badges::load_in(connection, app_id, &program.badge)
        .await?
        .and_then(|b| b.version);
    Ok(held
        .and_then(|v| program.set(&v))
        .or_else(|| program.set_in_force(today)))
}

/// Counts a batch for `app` and re-reads its SLOs.
pub async fn ingest(
    store: &Store,
    catalog: &Catalog,
    app: &App,
    batch: &Batch,
    actor: &Actor,
) -> Result<Ingested, SubmissionError> {
    let count = batch.health_checks.len() + batch.installation_callbacks.len();
    let invalid = |m: String| SubmissionError::Store(StoreError::Invalid(m));
    if count > MAX_SIGNALS_PER_REQUEST {
        return Err(invalid(format!(
            "a batch holds at most {MAX_SIGNALS_PER_REQUEST} measurements; this one has {count}"
        )));
    }
    let now = store.clock().now().unix_timestamp();
    let stamp = store.now();
    let mut tx = store.begin().await?;
    let Some(set) = set_of(tx.connection(), catalog, app.id, &store.today()).await? else {
        return Err(invalid(format!(
            "no `{PROGRAM}` requirement set is in force"
        )));
    };
    let window_days = |metric| {
        measured(set, metric)
            .and_then(|(_, c)| c.window_days)
            .unwrap_or(28)
    };
    let oldest =
        now - i64::from(window_days(AVAILABILITY).max(window_days(INSTALLATION_CALLBACKS))) * DAY;
    for at in times_in(batch) {
        if at > now + FUTURE_SKEW || at < oldest {
            return Err(invalid(format!(
                "measurement at {} is outside the window the SLOs read ({} to now)",
                shown(at),
                shown(oldest)
            )));
        }
    }
    let first = times_in(batch).min().unwrap_or(now);
    let last = times_in(batch).max().unwrap_or(now);
    let downtime: Vec<Window> = windows(
        tx.connection(),
        app.id,
        &shown(first),
        Some(&shown(last + 1)),
    )
    .await?
    .into_iter()
    .filter(|(kind, _)| kind == DOWNTIME)
    .map(|(_, w)| w)
    .collect();
    let slow_after = measured(set, AVAILABILITY)
        .and_then(|(r, _)| r.slow_after_ms)
        .unwrap_or(3_000);
    let mut hours: BTreeMap<(&str, i64), (i64, i64)> = BTreeMap::new();
    let mut in_downtime = 0;
    let polls = batch.health_checks.iter().map(|h| {
        (
            AVAILABILITY,
            h.at,
            poll_is_good(h.ok, h.latency_ms, slow_after),
        )
    });
    let callbacks = batch
        .installation_callbacks
        .iter()
        .map(|c| (INSTALLATION_CALLBACKS, c.at, c.ok));
    for (metric, at, good) in polls.chain(callbacks) {
        if metric == AVAILABILITY && downtime.iter().any(|w| w.covers(at)) {
            in_downtime += 1;
            continue;
        }
        let entry = hours.entry((metric, hour_of(at))).or_default();
        entry.0 += 1;
        entry.1 += i64::from(good);
    }
    let mut touched: Vec<&str> = Vec::new();
    let mut before: BTreeMap<&str, Option<bool>> = BTreeMap::new();
    for metric in [AVAILABILITY, INSTALLATION_CALLBACKS] {
        let rows: Vec<HourRow> = hours
            .iter()
            .filter(|((m, _), _)| *m == metric)
            .map(|((_, hour), (total, good))| HourRow {
                hour: shown(*hour),
                total: *total,
                good: *good,
            })
            .collect();
        if !rows.is_empty() {
            let was = read(tx.connection(), set, app.id, metric, now).await?;
            before.insert(metric, was.and_then(|r| r.met));
            rows::add_hours_in(tx.connection(), app.id, metric, &rows).await?;
            touched.push(metric);
        }
    }
    let mut readings = Vec::new();
    let mut escalations = Vec::new();
    for metric in touched {
        let Some(reading) = read(tx.connection(), set, app.id, metric, now).await? else {
            continue;
        };
        let was = before.get(metric).copied().flatten();
        if signals::breach_starts(was, reading.met)
            && let Some(id) =
                breached(tx.connection(), catalog, app.id, &reading, now, &stamp).await?
        {
            escalations.push(id);
        }
        readings.push(reading);
    }
    audit::record(
        tx.connection(),
        &stamp,
        actor,
        "signals.ingest",
        &format!("app:{}", app.key),
        serde_json::json!({"accepted": count - in_downtime, "inDowntime": in_downtime}),
    )
    .await?;
    tx.commit().await?;
    Ok(Ingested {
        accepted: count - in_downtime,
        in_downtime,
        readings,
        escalations,
    })
}

/// The times of a batch's measurements.
fn times_in(batch: &Batch) -> impl Iterator<Item = i64> + '_ {
    batch
        .health_checks
        .iter()
        .map(|h| h.at)
        .chain(batch.installation_callbacks.iter().map(|c| c.at))
}

/// The windows of an app that end after `since` (and start before `before`), as the domain
/// reads them.
async fn windows(
    connection: &mut Connection,
    app_id: i64,
    since: &str,
    before: Option<&str>,
) -> Result<Vec<(String, Window)>, StoreError> {
    Ok(rows::windows_in(connection, app_id, since, before)
        .await?
        .into_iter()
        .filter_map(|w| {
            Some((
                w.kind,
                Window {
                    from: seconds(&w.starts_at)?,
                    until: seconds(&w.ends_at)?,
                },
            ))
        })
        .collect())
}

/// The reading of `metric` at `now`, if `set` measures it.
pub(crate) async fn read(
    connection: &mut Connection,
    set: &RequirementSet,
    app_id: i64,
    metric: &str,
    now: i64,
) -> Result<Option<Reading>, StoreError> {
    let Some((_, criterion)) = measured(set, metric) else {
        return Ok(None);
    };
    let days = criterion.window_days.unwrap_or(28);
    let (buckets, excluded) = measurements(connection, app_id, metric, now, days).await?;
    Ok(Some(signals::reading(
        metric,
        criterion.threshold,
        days,
        &buckets,
        &excluded,
        now,
    )))
}

/// The buckets of `metric` over the `days` before `now`, and the exclusions that touch them.
async fn measurements(
    connection: &mut Connection,
    app_id: i64,
    metric: &str,
    now: i64,
    days: u32,
) -> Result<(Vec<Bucket>, Vec<Window>), StoreError> {
    let since = shown(hour_of(now - i64::from(days) * DAY));
    let buckets = rows::hours_in(connection, app_id, metric, &since)
        .await?
        .into_iter()
        .filter_map(|h| {
            Some(Bucket {
                hour: seconds(&h.hour)?,
                total: h.total,
                good: h.good,
            })
        })
        .collect();
    let excluded = windows(connection, app_id, &since, Some(&shown(now)))
        .await?
        .into_iter()
        .filter(|(kind, _)| kind == EXCLUSION)
        .map(|(_, w)| w)
        .collect();
    Ok((buckets, excluded))
}

/// Records that a breach started now; when one repeats within the window and the app carries the
/// badge, opens (once) a system escalation about it.
async fn breached(
    connection: &mut Connection,
    catalog: &Catalog,
    app_id: i64,
    reading: &Reading,
    now: i64,
    stamp: &str,
) -> Result<Option<i64>, SubmissionError> {
    rows::add_breach_in(connection, app_id, &reading.metric, &shown(now)).await?;
    let since = shown(now - i64::from(reading.window_days) * DAY);
    let days: Vec<i64> = rows::breaches_in(connection, app_id, &reading.metric, &since)
        .await?
        .iter()
        .filter_map(|d| seconds(d))
        .collect();
    if !signals::breach_repeated(&days, now, reading.window_days) {
        return Ok(None);
    }
    let cause = format!("slo-breach:{}", reading.metric);
    let reason = format!(
        "{} was {:.3}% over the last {} days (target {}%); breaches within the window: {}",
        reading.metric,
        reading.value.unwrap_or_default(),
        reading.window_days,
        reading.target,
        days.len()
    );
    escalate_in(connection, catalog, app_id, &cause, &reason, now, stamp).await
}

/// Opens a system escalation about `cause` against an app that carries the Cloud Fortified
/// badge; nothing for an app that does not, or while one about the cause is open.
pub async fn escalate_in(
    connection: &mut Connection,
    catalog: &Catalog,
    app_id: i64,
    cause: &str,
    reason: &str,
    at: i64,
    stamp: &str,
) -> Result<Option<i64>, SubmissionError> {
    let Some(program) = catalog.program(PROGRAM) else {
        return Ok(None);
    };
    let carries = badges::load_in(connection, app_id, &program.badge)
        .await?
        .is_some_and(|b| b.status == APPROVED);
    if !carries {
        return Ok(None);
    }
    raise_in(
        connection,
        catalog,
        app_id,
        &Raise {
            program: PROGRAM,
            source: Source::System,
            cause: Some(cause),
            unique_key: Some(cause),
            reason,
        },
        &Actor::system("signals"),
        at,
        stamp,
    )
    .await
}

/// One metric's SLO for the app's pages: the reading and its daily history over the window.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    pub reading: Reading,
    pub daily: Vec<Day>,
}

/// The SLOs that apply to `app` (installation callbacks only for Connect apps), with their
/// history, and the windows left out of them.
pub async fn slos(
    store: &Store,
    catalog: &Catalog,
    app: &App,
) -> Result<(Vec<Slo>, Vec<WindowRow>), StoreError> {
    let now = store.clock().now().unix_timestamp();
    let mut connection = store.reader().await?;
    let Some(set) = set_of(&mut connection, catalog, app.id, &store.today()).await? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let framework = if app.framework == "connect" {
        Framework::Connect
    } else {
        Framework::Forge
    };
    let mut slos = Vec::new();
    for metric in [AVAILABILITY, INSTALLATION_CALLBACKS] {
        let Some((requirement, criterion)) = measured(set, metric) else {
            continue;
        };
        if !requirement.frameworks.contains(&framework) {
            continue;
        }
        let days = criterion.window_days.unwrap_or(28);
        let (buckets, excluded) = measurements(&mut connection, app.id, metric, now, days).await?;
        slos.push(Slo {
            reading: signals::reading(metric, criterion.threshold, days, &buckets, &excluded, now),
            daily: signals::daily(&buckets, &excluded, now, days),
        });
    }
    let since = shown(now - 28 * DAY);
    let windows = rows::windows_in(&mut connection, app.id, &since, None).await?;
    Ok((slos, windows))
}

/// Records a window left out of the SLOs: downtime the partner announces (it must start in the
/// future: announced in advance) or an incident staff exclude (any time in the window).
pub async fn add_window(
    store: &Store,
    app: &App,
    kind: &str,
    (from, until): (i64, i64),
    reason: &str,
    actor: &Actor,
) -> Result<WindowRow, StoreError> {
    let now = store.clock().now().unix_timestamp();
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::Invalid("a window needs a reason".to_string()));
    }
    if until <= from {
        return Err(StoreError::Invalid(
            "`until` must come after `from`".to_string(),
        ));
    }
    if until - from > 7 * DAY {
        return Err(StoreError::Invalid(
            "a window lasts at most 7 days".to_string(),
        ));
    }
    if kind == DOWNTIME && from < now + DOWNTIME_NOTICE {
        return Err(StoreError::Invalid(
            "downtime is announced in advance: `from` must be at least 24 hours away".to_string(),
        ));
    }
    if kind == EXCLUSION && (until > now || from < now - 28 * DAY) {
        return Err(StoreError::Invalid(
            "an exclusion covers an incident that happened: within the last 28 days, ended"
                .to_string(),
        ));
    }
    let stamp = store.now();
    let mut tx = store.begin().await?;
    if kind == DOWNTIME {
        let pending = rows::windows_in(tx.connection(), app.id, &shown(now), None)
            .await?
            .iter()
            .filter(|w| w.kind == DOWNTIME)
            .count();
        if pending >= MAX_PENDING_DOWNTIME {
            return Err(StoreError::Invalid(format!(
                "an app may have at most {MAX_PENDING_DOWNTIME} announced downtime windows \
                 that have not ended"
            )));
        }
    }
    let id = rows::insert_window_in(
        tx.connection(),
        app.id,
        kind,
        &shown(from),
        &shown(until),
        reason,
        &actor.label,
        &stamp,
    )
    .await?;
    audit::record(
        tx.connection(),
        &stamp,
        actor,
        &format!("signals.{kind}"),
        &format!("app:{}", app.key),
        serde_json::json!({"from": shown(from), "until": shown(until), "reason": reason}),
    )
    .await?;
    tx.commit().await?;
    Ok(WindowRow {
        id,
        kind: kind.to_string(),
        starts_at: shown(from),
        ends_at: shown(until),
        reason: reason.to_string(),
        created_by: actor.label.clone(),
        created_at: stamp,
    })
}
