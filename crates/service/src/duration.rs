//! ISO 8601 durations as the test clock's `{"advance": "P3DT4H"}` takes them.
//!
//! Weeks, days, hours, minutes and seconds only (`P2W`, `P3DT4H`, `PT90M`, `PT0.5S`): years and
//! months have no fixed length, so a duration written with them would mean different spans on
//! different dates, and is refused with a message saying to use days.

use time::Duration;

/// The most a single duration may span: 100 years of days. Far beyond any timer, small enough
/// that adding it to a date never overflows.
pub const MAX_DURATION_DAYS: i64 = 36_525;

/// Reads an ISO 8601 duration such as `P3DT4H`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| format!("`{text}` is not an ISO 8601 duration such as P3DT4H: {why}");
    let rest = text
        .strip_prefix('P')
        .ok_or_else(|| bad("it must start with P"))?;
    if rest.is_empty() || rest == "T" {
        return Err(bad("it names no amount"));
    }
    let (date, time) = match rest.split_once('T') {
        Some((_, "")) => return Err(bad("nothing follows T")),
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let mut total = Duration::ZERO;
    for (part, units) in [(date, "WD"), (time.unwrap_or(""), "HMS")] {
        let mut last_unit = None::<usize>;
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || (c == '.' || c == ',') && units == "HMS" {
                number.push(if c == ',' { '.' } else { c });
                continue;
            }
            if units == "WD" && (c == 'Y' || c == 'M') {
                return Err(bad(
                    "years and months have no fixed length; write days (P30D) instead",
                ));
            }
            let Some(position) = units.find(c) else {
                return Err(bad(&format!("`{c}` is not a unit here")));
            };
            if last_unit.is_some_and(|last| position <= last) {
                return Err(bad("units must appear once each, largest first"));
            }
            last_unit = Some(position);
            if number.is_empty() {
                return Err(bad(&format!("`{c}` has no number before it")));
            }
            let amount = amount(&number, c).map_err(|why| bad(&why))?;
            total = total
                .checked_add(amount)
                .ok_or_else(|| bad("it is too long"))?;
            number.clear();
        }
        if !number.is_empty() {
            return Err(bad(&format!("`{number}` has no unit after it")));
        }
    }
    if total > Duration::days(MAX_DURATION_DAYS) {
        return Err(bad(&format!("it is longer than {MAX_DURATION_DAYS} days")));
    }
    Ok(total)
}

fn amount(number: &str, unit: char) -> Result<Duration, String> {
    let seconds_per_unit: f64 = match unit {
        'W' => 604_800.0,
        'D' => 86_400.0,
        'H' => 3_600.0,
        'M' => 60.0,
        _ => 1.0,
    };
    if number.contains('.') {
        if unit != 'S' {
            return Err("only seconds may have a fraction".into());
        }
        let seconds: f64 = number
            .parse()
            .map_err(|_| format!("`{number}` is not a number"))?;
        return Duration::checked_seconds_f64(seconds)
            .ok_or_else(|| format!("`{number}S` is too large"));
    }
    let whole: i64 = number
        .parse()
        .map_err(|_| format!("`{number}` is too large"))?;
    let seconds = whole
        .checked_mul(seconds_per_unit as i64)
        .ok_or_else(|| format!("`{number}{unit}` is too large"))?;
    Ok(Duration::seconds(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_weeks_days_and_times() {
        assert_eq!(parse("P3DT4H"), Ok(Duration::days(3) + Duration::hours(4)));
        assert_eq!(parse("P2W"), Ok(Duration::weeks(2)));
        assert_eq!(parse("PT90M"), Ok(Duration::minutes(90)));
        assert_eq!(parse("PT0.5S"), Ok(Duration::milliseconds(500)));
        assert_eq!(parse("PT1,5S"), Ok(Duration::milliseconds(1500)));
        assert_eq!(
            parse("P1DT2H3M4S"),
            Ok(Duration::days(1)
                + Duration::hours(2)
                + Duration::minutes(3)
                + Duration::seconds(4))
        );
        assert_eq!(parse("P0D"), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_what_is_not_a_fixed_duration() {
        for bad in [
            "",
            "3D",
            "P",
            "PT",
            "P1DT",
            "P1Y",
            "P2M",
            "P1H",
            "PT1D",
            "P1D2W",
            "P1DD",
            "PD",
            "P1.5D",
            "PT1.5H",
            "P-1D",
            "P99999999999999999999D",
            "P100000D",
            "P1DT1",
            "p1d",
        ] {
            assert!(parse(bad).is_err(), "{bad} was accepted");
        }
        assert!(parse("P1M").unwrap_err().contains("write days"));
    }
}
