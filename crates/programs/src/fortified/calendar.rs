//! The annual review's calendar, in the partner's time zone (spec §4): the review takes the last
//! seven days of the month in which the app was first approved, every year; notice goes out 14
//! days before it starts; the partner has 28 days after it ends to resolve findings.
//!
//! Dates are civil dates where the partner lives, so a partner at UTC+14 approved late on 31
//! January (UTC) is reviewed in February, and a review week whose clocks change is still seven
//! calendar days long. Each boundary is the start of its day there (the first moment that
//! exists, on a day whose midnight a clock change skips).

use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// Days of notice before the review starts.
pub const NOTICE_DAYS: i64 = 14;
/// Days the review lasts: the last seven of the month.
pub const REVIEW_DAYS: i8 = 7;
/// Days after the review ends to resolve its findings.
pub const REMEDIATION_DAYS: i64 = 28;

/// A partner's time zone, read from its IANA name (`Pacific/Kiritimati`, `UTC`).
#[derive(Clone, Debug)]
pub struct PartnerZone {
    zone: TimeZone,
    name: String,
}

/// Why a time zone name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time zone of the IANA database (such as `Europe/Berlin` or `UTC`)")]
pub struct UnknownZone(pub String);

impl PartnerZone {
    /// The zone named `name`.
    pub fn named(name: &str) -> Result<PartnerZone, UnknownZone> {
        let zone = TimeZone::get(name).map_err(|_| UnknownZone(name.to_string()))?;
        Ok(PartnerZone {
            zone,
            name: name.to_string(),
        })
    }

    /// Its IANA name, as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The civil date there at `at` (seconds since the epoch).
    pub fn date_at(&self, at: i64) -> Date {
        jiff::Timestamp::from_second(at)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.zone.clone())
            .date()
    }

    /// The first moment of `date` there, in seconds since the epoch.
    pub fn start_of(&self, date: Date) -> i64 {
        date.to_zoned_datetime(self.zone.clone())
            .map(|z| z.timestamp().as_second())
            .unwrap_or_default()
    }
}

/// The dates of one year's review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewDates {
    /// The year of the review.
    pub year: i16,
    /// When notice goes out (seconds): 14 days before the review starts.
    pub notice_at: i64,
    /// When the review starts (seconds): the first of the month's last seven days.
    pub starts_at: i64,
    /// When the review ends (seconds): the first moment of the next month.
    pub ends_at: i64,
    /// When findings must be resolved by (seconds): 28 days after the review ends.
    pub remediation_due: i64,
    /// The first day of the review, there (`2027-03-25`).
    pub first_day: String,
}

impl ReviewDates {
    /// The review of `year` for an app first approved at `approved_at` (seconds), in `zone`.
    pub fn of_year(zone: &PartnerZone, approved_at: i64, year: i16) -> ReviewDates {
        let approved_on = zone.date_at(approved_at);
        let month = Date::new(year, approved_on.month(), 1).unwrap_or(approved_on);
        let last = month.last_of_month();
        let first_day = last
            .checked_sub(i64::from(REVIEW_DAYS - 1).days())
            .unwrap_or(last);
        let next_month = last.checked_add(1.day()).unwrap_or(last);
        let notice_day = first_day
            .checked_sub(NOTICE_DAYS.days())
            .unwrap_or(first_day);
        let due_day = next_month
            .checked_add(REMEDIATION_DAYS.days())
            .unwrap_or(next_month);
        ReviewDates {
            year,
            notice_at: zone.start_of(notice_day),
            starts_at: zone.start_of(first_day),
            ends_at: zone.start_of(next_month),
            remediation_due: zone.start_of(due_day),
            first_day: first_day.to_string(),
        }
    }

    /// The first review after an approval at `approved_at`: the next year's (an approval inside
    /// its own month's review week is not reviewed the same week).
    pub fn first(zone: &PartnerZone, approved_at: i64) -> ReviewDates {
        let year = zone.date_at(approved_at).year();
        ReviewDates::of_year(zone, approved_at, year.saturating_add(1))
    }

    /// The review the year after this one.
    pub fn next(&self, zone: &PartnerZone, approved_at: i64) -> ReviewDates {
        ReviewDates::of_year(zone, approved_at, self.year.saturating_add(1))
    }
}
