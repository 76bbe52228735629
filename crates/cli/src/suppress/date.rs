//! Calendar dates for waiver expiry: `until=YYYY-MM-DD` and today's date in UTC.
//!
//! Hand-rolled rather than taken from a date crate: the checker-only build stays small, and all
//! that is needed is a strict parse, a comparison and the civil date of the system clock.

use std::fmt;

/// A day of the proleptic Gregorian calendar. Ordered by time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Reads exactly `YYYY-MM-DD` naming a real day (no leap day in 2023, no 31 April).
    pub fn parse(text: &str) -> Result<Date, String> {
        let bad = || format!("`{text}` is not a date of the form YYYY-MM-DD");
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(bad());
        }
        let number = |range: std::ops::Range<usize>| -> Result<u16, String> {
            let part = &text[range];
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        if !(1..=12).contains(&month) {
            return Err(format!("`{text}` has no month {month}"));
        }
        let month = u8::try_from(month).map_err(|_| bad())?;
        if day == 0 || day > u16::from(days_in_month(year, month)) {
            return Err(format!("`{text}` is not a day of that month"));
        }
        let day = u8::try_from(day).map_err(|_| bad())?;
        Ok(Date { year, month, day })
    }

    /// Today in UTC, from the system clock. UTC so that a CI run and a laptop in another time
    /// zone agree on whether a waiver has expired.
    pub fn today_utc() -> Date {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days_since_epoch(i64::try_from(seconds / 86_400).unwrap_or(0))
    }

    /// The civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: u16::try_from(year.clamp(0, 9_999)).unwrap_or(9_999),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    #[test]
    fn parses_real_days_only() {
        let date = Date::parse("2024-02-29").expect("leap day");
        assert_eq!(date.to_string(), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "2024-01-0a",
            "+024-01-01",
            "",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn orders_by_time() {
        let parse = |s| Date::parse(s).expect("date");
        assert!(parse("2024-12-31") < parse("2025-01-01"));
        assert!(parse("2025-01-09") < parse("2025-01-10"));
        assert!(parse("2025-02-01") > parse("2025-01-31"));
    }

    #[test]
    fn converts_days_since_the_epoch() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(19_782).to_string(),
            "2024-02-29"
        );
        assert_eq!(
            Date::from_days_since_epoch(20_454).to_string(),
            "2026-01-01"
        );
    }
}
