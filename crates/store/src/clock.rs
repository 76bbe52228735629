//! Timestamps as the database stores them: RFC 3339 in UTC with milliseconds and a fixed width,
//! so that text order is time order on both databases.

use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// The current time.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

/// The time `seconds` from now (negative for the past).
pub fn from_now(seconds: i64) -> String {
    format(OffsetDateTime::now_utc() + time::Duration::seconds(seconds))
}

/// Reads an RFC 3339 time (any offset) into the stored form; `None` if it is not one.
pub fn parse(text: &str) -> Option<String> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        // A time that would fall beyond year 9999 in UTC is not one we can store.
        .and_then(|at| at.checked_to_offset(time::UtcOffset::UTC))
        .map(format)
}

/// Whole seconds from now until a stored time (negative when it has passed, 0 if unreadable).
pub fn seconds_until(stored: &str) -> i64 {
    OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339)
        .map(|at| (at - OffsetDateTime::now_utc()).whole_seconds())
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
        let a = super::from_now(-1);
        let b = super::now();
        assert_eq!(a.len(), 24);
        assert!(a < b);
    }
}
