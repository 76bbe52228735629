//! `!!timestamp`: `yaml` turns it into a JavaScript `Date`, which Forge then sees through
//! `JSON.stringify` as an ISO 8601 string (`2001-12-14T21:59:43.100Z`). Reproduced with
//! JavaScript's date arithmetic, quirks included: two-digit years are 19xx, out-of-range months
//! and days roll over, an offset under 30 is hours.

/// The parts matched by `yaml`'s timestamp pattern.
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
    /// The zone offset as written (`+5`, `-03:30`), if any and not `Z`.
    zone: Option<String>,
}

/// The ISO string of an explicitly tagged timestamp, or the error `yaml` raises for text that is
/// not one.
pub(super) fn timestamp(text: &str) -> Result<String, String> {
    let parts = parse(text).ok_or("!!timestamp expects a date, starting with yyyy-mm-dd")?;
    let year = if (0..=99).contains(&parts.year) {
        1900 + parts.year
    } else {
        parts.year
    };
    let day = days_from_civil(
        year + (parts.month - 1).div_euclid(12),
        (parts.month - 1).rem_euclid(12) + 1,
    ) + parts.day
        - 1;
    let time = ((parts.hour * 60 + parts.minute) * 60 + parts.second) * 1000 + parts.millis;
    let mut millis = day * 86_400_000 + time;
    if let Some(zone) = &parts.zone {
        let mut minutes = sexagesimal(zone);
        if minutes.abs() < 30 {
            minutes *= 60;
        }
        millis -= 60_000 * minutes;
    }
    Ok(iso_string(millis))
}

/// `^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:t|T|[ \t]+)([0-9]{1,2}):([0-9]{1,2}):`
/// `([0-9]{1,2}(\.[0-9]+)?)(?:[ \t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?)?$`
fn parse(text: &str) -> Option<Parts> {
    let mut rest = text;
    let year = digits(&mut rest, 4, 4)?;
    rest = rest.strip_prefix('-')?;
    let month = digits(&mut rest, 1, 2)?;
    rest = rest.strip_prefix('-')?;
    let day = digits(&mut rest, 1, 2)?;
    let mut parts = Parts {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        millis: 0,
        zone: None,
    };
    if rest.is_empty() {
        return Some(parts);
    }
    rest = match rest.strip_prefix(['t', 'T']) {
        Some(r) => r,
        None if rest.starts_with([' ', '\t']) => rest.trim_start_matches([' ', '\t']),
        None => return None,
    };
    parts.hour = digits(&mut rest, 1, 2)?;
    rest = rest.strip_prefix(':')?;
    parts.minute = digits(&mut rest, 1, 2)?;
    rest = rest.strip_prefix(':')?;
    parts.second = digits(&mut rest, 1, 2)?;
    if let Some(after_dot) = rest.strip_prefix('.') {
        let fraction: String = after_dot.chars().take_while(char::is_ascii_digit).collect();
        if fraction.is_empty() {
            return None;
        }
        rest = &after_dot[fraction.len()..];
        // Number((".5" + "00").substr(1, 3)): the first three digits, padded.
        let three: String = format!("{fraction}00").chars().take(3).collect();
        parts.millis = three.parse().ok()?;
    }
    rest = rest.trim_start_matches([' ', '\t']);
    if rest == "Z" || rest.is_empty() {
        return Some(parts);
    }
    let sign = rest.chars().next().filter(|c| matches!(c, '+' | '-'))?;
    let mut zone = &rest[1..];
    let b = zone.as_bytes();
    let hour_len = match b {
        [b'0'..=b'2', b'0'..=b'9', ..] => 2,
        [b'0'..=b'9', ..] => 1,
        _ => return None,
    };
    zone = &zone[hour_len..];
    if let Some(minutes) = zone.strip_prefix(':') {
        if minutes.len() != 2 || !minutes.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
    } else if !zone.is_empty() {
        return None;
    }
    parts.zone = Some(format!("{sign}{}", &rest[1..]));
    Some(parts)
}

/// Takes between `min` and `max` ASCII digits from the front of `rest`.
fn digits(rest: &mut &str, min: usize, max: usize) -> Option<i64> {
    let n = rest
        .bytes()
        .take(max)
        .take_while(u8::is_ascii_digit)
        .count();
    if n < min {
        return None;
    }
    let value = rest[..n].parse().ok()?;
    *rest = &rest[n..];
    Some(value)
}

/// `parseSexagesimal`: `-03:30` is -210.
fn sexagesimal(text: &str) -> i64 {
    let negative = text.starts_with('-');
    let digits = text.trim_start_matches(['-', '+']);
    let value = digits
        .split(':')
        .fold(0, |acc, part| acc * 60 + part.parse::<i64>().unwrap_or(0));
    if negative { -value } else { value }
}

/// Days from 1970-01-01 to the first day of `month` (1-12) of `year`, proleptic Gregorian.
fn days_from_civil(year: i64, month: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `Date.prototype.toISOString`.
fn iso_string(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let in_day = millis.rem_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!("{}{:06}", if year < 0 { '-' } else { '+' }, year.abs())
    };
    format!(
        "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_dates() {
        let cases = [
            ("2001-12-14", "2001-12-14T00:00:00.000Z"),
            ("2001-12-14t21:59:43.10-05:00", "2001-12-15T02:59:43.100Z"),
            ("2001-12-14 21:59:43.10 -5", "2001-12-15T02:59:43.100Z"),
            ("2001-12-15 2:59:43.10", "2001-12-15T02:59:43.100Z"),
            ("2002-12-14", "2002-12-14T00:00:00.000Z"),
            ("0099-01-01", "1999-01-01T00:00:00.000Z"),
            ("2001-13-01", "2002-01-01T00:00:00.000Z"),
            ("2001-02-30T25:00:00Z", "2001-03-03T01:00:00.000Z"),
            ("1960-01-01T00:00:00+01:00", "1959-12-31T23:00:00.000Z"),
        ];
        for (text, want) in cases {
            assert_eq!(timestamp(text).as_deref(), Ok(want), "{text}");
        }
        for bad in [
            "2001-1",
            "01-01-01",
            "2001-01-01T",
            "2001-01-01 1:2",
            "2001-01-01 x",
        ] {
            assert!(timestamp(bad).is_err(), "{bad}");
        }
    }
}
