//! When a failed delivery is tried again: exponential gaps with jitter, for 24 hours.
//!
//! The gap after the n-th failed attempt is `FIRST_GAP * 2^(n-1)`, capped at `LONGEST_GAP`, with
//! up to a fifth taken off or added at random, so that a receiver that comes back after an outage
//! is not hit by every retry at the same instant. After `GIVE_UP_AFTER` from the first attempt the
//! delivery is marked failed; it can still be redelivered on request.

use time::Duration;

/// The gap after the first failed attempt.
pub const FIRST_GAP: Duration = Duration::seconds(10);
/// The longest gap between two attempts.
pub const LONGEST_GAP: Duration = Duration::hours(2);
/// How long after its first attempt a delivery keeps being retried.
pub const GIVE_UP_AFTER: Duration = Duration::hours(24);

/// The gap before the next attempt, after `failures` failed attempts (1 for the first failure),
/// or `None` when `elapsed` since the first attempt has reached [`GIVE_UP_AFTER`]. The last
/// attempt falls at `GIVE_UP_AFTER` at the latest, never beyond it. `jitter` is a random number
/// in `0..1000`.
pub fn next_gap(failures: u32, elapsed: Duration, jitter: u32) -> Option<Duration> {
    (elapsed < GIVE_UP_AFTER).then(|| {
        doubling_gap(failures, FIRST_GAP, LONGEST_GAP, jitter).min(GIVE_UP_AFTER - elapsed)
    })
}

/// `first * 2^(failures-1)`, at most `longest`, with up to a fifth taken off or added by
/// `jitter` (in `0..1000`): the one backoff shared by deliveries and timers.
pub fn doubling_gap(failures: u32, first: Duration, longest: Duration, jitter: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    let base = first
        .checked_mul(1 << doublings)
        .map_or(longest, |gap| gap.min(longest));
    // From 0.8x to 1.2x of the base gap.
    base * (0.8 + 0.4 * f64::from(jitter.min(999)) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_grow_then_stop_after_a_day() {
        let gaps: Vec<Duration> = (1..=12)
            .map(|n| next_gap(n, Duration::ZERO, 500).unwrap())
            .collect();
        assert_eq!(gaps[0], Duration::seconds(10));
        assert_eq!(gaps[1], Duration::seconds(20));
        assert!(gaps.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(gaps[11], LONGEST_GAP);
        assert_eq!(next_gap(3, Duration::hours(24), 500), None);
        // The last attempt falls on the deadline, not hours past it.
        let late = Duration::hours(24) - Duration::minutes(1);
        assert_eq!(next_gap(30, late, 999), Some(Duration::minutes(1)));
        assert!(next_gap(500, Duration::hours(23), 999).unwrap() <= LONGEST_GAP * 1.2);
    }

    #[test]
    fn jitter_spreads_a_gap_by_a_fifth_either_way() {
        assert_eq!(next_gap(1, Duration::ZERO, 0), Some(Duration::seconds(8)));
        assert!(next_gap(1, Duration::ZERO, 999).unwrap() < Duration::seconds(12));
    }

    #[test]
    fn retries_over_a_day_add_up_to_about_a_day() {
        let mut elapsed = Duration::ZERO;
        let mut attempts = 1;
        while let Some(gap) = next_gap(attempts, elapsed, 500) {
            elapsed += gap;
            attempts += 1;
        }
        assert_eq!(elapsed, GIVE_UP_AFTER);
        assert!((15..30).contains(&attempts), "{attempts} attempts");
    }
}
