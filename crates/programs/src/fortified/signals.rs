//! Automated signals instead of questionnaires (spec §2): rolling SLOs from health-check polls
//! and installation callbacks, repeated breaches, and vulnerabilities' due dates under the
//! Security Bug Fix Policy. Pure: measurements and times come in, readings come out.
//!
//! Measurements arrive as hourly buckets (how many, how many good), so a 28-day window is at
//! most 672 buckets per metric whatever the polling rate. Announced downtime is left out when
//! polls arrive; incidents the marketplace caused, excluded afterwards, leave out every hour
//! they touch.

use serde::{Deserialize, Serialize};

use super::DAY;
use crate::catalog::FixDeadlines;

/// An hour.
pub const HOUR: i64 = 3_600;

/// Fewer measurements than this in the window give no verdict: one failed poll out of three is
/// not an availability of 67%.
pub const MIN_SAMPLES: i64 = 100;

/// The metrics measured from signals, as requirement sets name them.
pub const AVAILABILITY: &str = "availability.percent";
pub const INSTALLATION_CALLBACKS: &str = "installation-callbacks.percent";

/// Measurements of one metric in one hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// The hour's start (seconds).
    pub hour: i64,
    pub total: i64,
    pub good: i64,
}

/// A stretch of time left out of the SLOs (seconds, `until` exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: i64,
    pub until: i64,
}

impl Window {
    /// Whether `at` falls inside.
    pub fn covers(&self, at: i64) -> bool {
        self.from <= at && at < self.until
    }

    /// Whether any of the hour starting at `hour` falls inside.
    pub fn touches_hour(&self, hour: i64) -> bool {
        self.from < hour + HOUR && hour < self.until
    }
}

/// Whether a health-check poll counts as good: it answered, and within `slow_after_ms`.
pub fn poll_is_good(ok: bool, latency_ms: Option<u64>, slow_after_ms: u32) -> bool {
    ok && latency_ms.is_none_or(|ms| ms <= u64::from(slow_after_ms))
}

/// The start of the hour `at` falls in.
pub fn hour_of(at: i64) -> i64 {
    at.div_euclid(HOUR) * HOUR
}

/// A metric over its rolling window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reading {
    pub metric: String,
    /// The target, in percent.
    pub target: f64,
    pub window_days: u32,
    pub total: i64,
    pub good: i64,
    /// In percent; `None` without measurements.
    pub value: Option<f64>,
    /// `None` with fewer than [`MIN_SAMPLES`] measurements.
    pub met: Option<bool>,
}

/// The reading of `metric` at `now` over the `window_days` before it, from `buckets`, leaving
/// out every hour an `excluded` window touches.
pub fn reading(
    metric: &str,
    target: f64,
    window_days: u32,
    buckets: &[Bucket],
    excluded: &[Window],
    now: i64,
) -> Reading {
    let since = now - i64::from(window_days) * DAY;
    let (total, good) = buckets
        .iter()
        .filter(|b| b.hour >= hour_of(since) && b.hour < now)
        .filter(|b| !excluded.iter().any(|w| w.touches_hour(b.hour)))
        .fold((0, 0), |(t, g), b| (t + b.total, g + b.good));
    let value = (total > 0).then(|| good as f64 * 100.0 / total as f64);
    Reading {
        metric: metric.to_string(),
        target,
        window_days,
        total,
        good,
        value,
        met: value.filter(|_| total >= MIN_SAMPLES).map(|v| v >= target),
    }
}

/// One day's measurements, for the SLO history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Day {
    /// The day's start (seconds, UTC).
    pub day: i64,
    pub total: i64,
    pub good: i64,
}

/// The `days` days up to `now`, oldest first, each with its measurements (excluded hours left
/// out); days without any are there with zeros, so a chart shows the gap.
pub fn daily(buckets: &[Bucket], excluded: &[Window], now: i64, days: u32) -> Vec<Day> {
    let today = now.div_euclid(DAY) * DAY;
    (0..i64::from(days))
        .rev()
        .map(|back| {
            let day = today - back * DAY;
            let (total, good) = buckets
                .iter()
                .filter(|b| b.hour >= day && b.hour < day + DAY)
                .filter(|b| !excluded.iter().any(|w| w.touches_hour(b.hour)))
                .fold((0, 0), |(t, g), b| (t + b.total, g + b.good));
            Day { day, total, good }
        })
        .collect()
}

/// Whether a breach repeats within the window before `now`: `breaches` are the moments an SLO
/// went from met (or unknown) to not met, so one long outage is one breach however long it
/// lasts; two of them or more within the window repeat.
pub fn breach_repeated(breaches: &[i64], now: i64, window_days: u32) -> bool {
    let since = now - i64::from(window_days) * DAY;
    let mut starts: Vec<i64> = breaches.iter().copied().filter(|d| *d >= since).collect();
    starts.sort_unstable();
    starts.dedup();
    starts.len() >= 2
}

/// Whether a reading going from `before` to `after` starts a breach.
pub fn breach_starts(before: Option<bool>, after: Option<bool>) -> bool {
    before != Some(false) && after == Some(false)
}

/// A vulnerability's severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    /// Reads a severity's name.
    pub fn parse(name: &str) -> Option<Severity> {
        [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ]
        .into_iter()
        .find(|s| crate::spelled(s) == name)
    }
}

/// When a vulnerability reported at `reported_at` must be fixed by: the Security Bug Fix
/// Policy's days for its severity, plus `triage_days` for a bug-bounty finding.
pub fn vulnerability_due(
    reported_at: i64,
    severity: Severity,
    deadlines: &FixDeadlines,
    triage_days: u32,
    from_bug_bounty: bool,
) -> i64 {
    let days = match severity {
        Severity::Critical => deadlines.critical,
        Severity::High => deadlines.high,
        Severity::Medium => deadlines.medium,
        Severity::Low => deadlines.low,
    };
    let triage = if from_bug_bounty { triage_days } else { 0 };
    reported_at + i64::from(days + triage) * DAY
}
