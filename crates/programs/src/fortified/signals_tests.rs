//! Rolling SLOs, exclusions, repeated breaches and the Security Bug Fix Policy's due dates.

use super::DAY;
use super::signals::*;
use crate::catalog::FixDeadlines;

const NOW: i64 = 1_800_000_000 / HOUR * HOUR;

fn hours(count: i64, total: i64, good: i64) -> Vec<Bucket> {
    (1..=count)
        .map(|back| Bucket {
            hour: NOW - back * HOUR,
            total,
            good,
        })
        .collect()
}

#[test]
fn a_slow_reply_is_a_failed_poll() {
    assert!(poll_is_good(true, Some(3_000), 3_000));
    assert!(!poll_is_good(true, Some(3_001), 3_000));
    assert!(!poll_is_good(false, Some(10), 3_000));
    assert!(poll_is_good(true, None, 3_000));
}

#[test]
fn availability_is_the_share_of_good_polls_over_the_window() {
    // 60 polls an hour for 28 days, one failure a day: 99.94%.
    let mut buckets = hours(28 * 24, 60, 60);
    for day in 0..28 {
        buckets[day * 24].good = 59;
    }
    let r = reading(AVAILABILITY, 99.9, 28, &buckets, &[], NOW);
    assert_eq!((r.total, r.good), (28 * 24 * 60, 28 * 24 * 60 - 28));
    assert!((r.value.unwrap() - 99.9305).abs() < 0.001, "{r:?}");
    assert_eq!(r.met, Some(true));
    // Older measurements fall out of the window.
    let mut old = buckets.clone();
    old.push(Bucket {
        hour: NOW - 29 * DAY,
        total: 1_000,
        good: 0,
    });
    assert_eq!(reading(AVAILABILITY, 99.9, 28, &old, &[], NOW), r);
    // A two-hour outage breaks it.
    buckets[5].good = 0;
    buckets[6].good = 0;
    let broken = reading(AVAILABILITY, 99.9, 28, &buckets, &[], NOW);
    assert_eq!(broken.met, Some(false), "{broken:?}");
    // ... unless the marketplace caused it and staff excluded it.
    let excluded = [Window {
        from: NOW - 7 * HOUR + 60,
        until: NOW - 5 * HOUR,
    }];
    let forgiven = reading(AVAILABILITY, 99.9, 28, &buckets, &excluded, NOW);
    assert_eq!(forgiven.met, Some(true), "{forgiven:?}");
    assert_eq!(forgiven.total, r.total - 2 * 60);
}

#[test]
fn too_few_measurements_give_no_verdict() {
    let r = reading(AVAILABILITY, 99.9, 28, &hours(1, 3, 2), &[], NOW);
    assert_eq!(r.met, None);
    assert!(r.value.is_some());
    let none = reading(AVAILABILITY, 99.9, 28, &[], &[], NOW);
    assert_eq!((none.value, none.met), (None, None));
}

#[test]
fn the_daily_history_covers_every_day_with_gaps_shown() {
    let days = daily(&hours(30, 10, 9), &[], NOW, 3);
    assert_eq!(days.len(), 3);
    assert_eq!(
        days.iter().map(|d| d.total).sum::<i64>(),
        300.min(days.iter().map(|d| d.total).sum())
    );
    let empty = daily(&[], &[], NOW, 28);
    assert_eq!(empty.len(), 28);
    assert!(empty.iter().all(|d| d.total == 0));
    assert!(empty.windows(2).all(|w| w[1].day - w[0].day == DAY));
}

#[test]
fn a_breach_repeats_when_a_second_one_starts_within_the_window() {
    assert!(!breach_repeated(&[NOW], NOW, 28));
    assert!(!breach_repeated(&[NOW, NOW], NOW, 28));
    assert!(breach_repeated(&[NOW - 3 * DAY, NOW - HOUR], NOW, 28));
    assert!(!breach_repeated(&[NOW - 40 * DAY, NOW], NOW, 28));
    // A breach starts when a met (or unknown) SLO is no longer met; staying broken is not a
    // new one.
    assert!(breach_starts(Some(true), Some(false)));
    assert!(breach_starts(None, Some(false)));
    assert!(!breach_starts(Some(false), Some(false)));
    assert!(!breach_starts(Some(false), Some(true)));
}

#[test]
fn vulnerabilities_are_due_by_severity_with_triage_for_bug_bounty_findings() {
    let policy = FixDeadlines {
        critical: 28,
        high: 42,
        medium: 56,
        low: 175,
    };
    let t = 1_000_000;
    assert_eq!(
        vulnerability_due(t, Severity::Critical, &policy, 14, false),
        t + 28 * DAY
    );
    assert_eq!(
        vulnerability_due(t, Severity::High, &policy, 14, false),
        t + 42 * DAY
    );
    assert_eq!(
        vulnerability_due(t, Severity::Medium, &policy, 14, true),
        t + 70 * DAY
    );
    assert_eq!(
        vulnerability_due(t, Severity::Low, &policy, 14, true),
        t + 189 * DAY
    );
    assert_eq!(Severity::parse("high"), Some(Severity::High));
    assert_eq!(Severity::parse("urgent"), None);
}
