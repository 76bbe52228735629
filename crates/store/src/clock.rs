//! Time for the service: where it comes from ([`Clock`]) and how it is stored.
//!
//! Nothing in the service reads the system clock directly: the [`Store`](crate::Store) holds a
//! [`Clock`], and every operation takes the time from it. In production that is the
//! [`SystemClock`]; `apptrust serve --test-clock` runs on a [`TestClock`] that a staff member can
//! move forward, so that black-box tests go through weeks of timers in seconds.
//!
//! Timestamps are stored as RFC 3339 in UTC with milliseconds and a fixed width, so that text
//! order is time order on both databases.

use std::sync::Mutex;

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

/// The time source of the service.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// The current time, in UTC.
    fn now(&self) -> OffsetDateTime;

    /// The test clock, when this is one: the only clock that can be read and moved through the
    /// API.
    fn as_test(&self) -> Option<&TestClock> {
        None
    }
}

/// The machine's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that runs with the machine's but can be moved forward: its time is the machine's plus
/// an offset. It keeps running between moves (leases, retry pauses and timeouts still work), and
/// it never goes back, so that a timer that fired stays in the past.
#[derive(Debug, Default)]
pub struct TestClock {
    offset: Mutex<Duration>,
}

/// The last year the test clock may be moved into: far enough for any test, and far enough
/// from year 9999 that the clock running on, and every timer added to it, stay representable.
pub const LATEST_YEAR: i32 = 9000;

/// Why the test clock refused a move.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClockError {
    /// The test clock only moves forward.
    #[error("the test clock only moves forward: {asked} is before its time {now}")]
    Backwards {
        /// The time asked for (RFC 3339).
        asked: String,
        /// The clock's time (RFC 3339).
        now: String,
    },
    /// The move would leave the range of representable times.
    #[error("the test clock goes no further than the year 9000")]
    OutOfRange,
}

impl TestClock {
    /// A test clock showing the machine's time.
    pub fn new() -> TestClock {
        TestClock::default()
    }

    /// Moves the clock to `at`, which must not be before its current time.
    pub fn set(&self, at: OffsetDateTime) -> Result<OffsetDateTime, ClockError> {
        if at.year() > LATEST_YEAR {
            return Err(ClockError::OutOfRange);
        }
        let mut offset = self.lock();
        let real = OffsetDateTime::now_utc();
        let now = real + *offset;
        if at < now {
            return Err(ClockError::Backwards {
                asked: rfc3339(at),
                now: rfc3339(now),
            });
        }
        *offset = at - real;
        Ok(at)
    }

    /// Moves the clock forward by `by` (not negative).
    pub fn advance(&self, by: Duration) -> Result<OffsetDateTime, ClockError> {
        let mut offset = self.lock();
        let now = OffsetDateTime::now_utc() + *offset;
        if by.is_negative() {
            return Err(ClockError::Backwards {
                asked: now
                    .checked_add(by)
                    .map_or_else(|| "a time before year 1".into(), rfc3339),
                now: rfc3339(now),
            });
        }
        let at = now
            .checked_add(by)
            .filter(|at| at.year() <= LATEST_YEAR)
            .ok_or(ClockError::OutOfRange)?;
        *offset = offset.checked_add(by).ok_or(ClockError::OutOfRange)?;
        Ok(at)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Duration> {
        // The offset is a plain value: a panic elsewhere cannot leave it half-written.
        self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + *self.lock()
    }

    fn as_test(&self) -> Option<&TestClock> {
        Some(self)
    }
}

/// A time as RFC 3339 (`2026-12-02T15:04:05.123Z`), as the API shows times.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// `at` in the stored form.
pub fn stored(at: OffsetDateTime) -> String {
    format(at)
}

/// Reads an RFC 3339 time (any offset) into the stored form; `None` if it is not one.
pub fn parse(text: &str) -> Option<String> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        // A time that would fall beyond year 9999 in UTC is not one we can store.
        .and_then(|at| at.checked_to_offset(time::UtcOffset::UTC))
        .map(format)
}

/// Whole seconds from `now` until a stored time (negative when it has passed, 0 if unreadable).
pub fn seconds_between(now: OffsetDateTime, stored: &str) -> i64 {
    OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339)
        .map(|at| (at - now).whole_seconds())
        .unwrap_or(0)
}

/// A pseudo-random number of milliseconds below `bound`, to spread retries apart.
pub fn jitter_ms(bound: u32) -> u32 {
    let nanos = OffsetDateTime::now_utc().nanosecond();
    nanos % bound.max(1)
}

fn format(at: OffsetDateTime) -> String {
    // The format has no fallible parts for years 0..=9999; fall back to the epoch rather than panic.
    at.format(FORMAT)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_beyond_the_stored_range_are_refused_not_a_panic() {
        assert_eq!(super::parse("9999-12-31T23:59:59-01:00"), None);
        assert_eq!(
            super::parse("2030-01-01T02:00:00+02:00").as_deref(),
            Some("2030-01-01T00:00:00.000Z")
        );
    }

    #[test]
    fn timestamps_have_a_fixed_width_and_sort_as_text() {
        let now = OffsetDateTime::now_utc();
        let a = super::stored(now - Duration::seconds(1));
        let b = super::stored(now);
        assert_eq!(a.len(), 24);
        assert!(a < b);
    }

    #[test]
    fn the_test_clock_moves_forward_and_keeps_running() {
        let clock = TestClock::new();
        let start = clock.now();
        let later = clock
            .advance(Duration::days(3) + Duration::hours(4))
            .unwrap();
        assert!(later - start >= Duration::days(3) + Duration::hours(4));
        assert!(clock.now() >= later);
        let target = later + Duration::weeks(2);
        assert_eq!(clock.set(target).unwrap(), target);
        assert!(clock.now() >= target);
        assert!(clock.now() - target < Duration::seconds(5));
    }

    #[test]
    fn the_test_clock_never_goes_back() {
        let clock = TestClock::new();
        let now = clock.now();
        assert!(matches!(
            clock.set(now - Duration::hours(1)),
            Err(ClockError::Backwards { .. })
        ));
        assert!(matches!(
            clock.advance(Duration::seconds(-1)),
            Err(ClockError::Backwards { .. })
        ));
        assert!(clock.now() >= now);
    }

    #[test]
    fn only_the_test_clock_can_be_moved_through_the_api() {
        assert!(SystemClock.as_test().is_none());
        assert!(TestClock::new().as_test().is_some());
    }

    #[test]
    fn the_test_clock_stops_short_of_the_last_representable_year() {
        let clock = TestClock::new();
        let far = time::macros::datetime!(9999-12-31 23:59:59.5 UTC);
        assert_eq!(clock.set(far), Err(ClockError::OutOfRange));
        assert_eq!(
            clock.advance(Duration::days(3_000_000)),
            Err(ClockError::OutOfRange)
        );
        let _ = clock.now();
    }
}
