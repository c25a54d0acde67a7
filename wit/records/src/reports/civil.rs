//! Civil-calendar arithmetic on UTC days (Howard Hinnant's algorithms), enough to select a
//! period and name a time's day, ISO week, month and year without a calendar dependency in
//! guests.

/// Milliseconds in a day.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) `days` after 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since the epoch of a `YYYY-MM-DD` date, if it is one.
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse::<i64>().ok()).flatten();
    let (y, m, d) = (num(&text[..4])?, num(&text[5..7])?, num(&text[8..])?);
    let days = days_from_civil(y, m, d);
    // Refuses 2026-02-30 and the like: the date must survive the round trip.
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// The UTC day a time (milliseconds since the epoch) falls on.
pub(crate) fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// `2026-03-07`.
pub(crate) fn day_name(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2026-03`.
pub(crate) fn month_name(days: i64) -> String {
    let (y, m, _) = civil_from_days(days);
    format!("{y:04}-{m:02}")
}

/// `2026`.
pub(crate) fn year_name(days: i64) -> String {
    format!("{:04}", civil_from_days(days).0)
}

/// The ISO 8601 week, `2026-W09`: weeks start on Monday and belong to the year of their
/// Thursday, so the first days of January may be in the previous year's last week.
pub(crate) fn iso_week_name(days: i64) -> String {
    // 1970-01-01 was a Thursday: Monday is 0.
    let weekday = (days + 3).rem_euclid(7);
    let thursday = days - weekday + 3;
    let (year, _, _) = civil_from_days(thursday);
    let week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
    format!("{year:04}-W{week:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_impossible_dates_are_refused() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-03-07").map(day_name).as_deref(), Some("2026-03-07"));
        assert_eq!(parse_date("2024-02-29").map(day_name).as_deref(), Some("2024-02-29"));
        assert_eq!(parse_date("2026-02-29"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("2026-1-01"), None);
        assert_eq!(parse_date("+026-01-01"), None);
        assert_eq!(day_name(-1), "1969-12-31");
    }

    #[test]
    fn iso_weeks_belong_to_the_year_of_their_thursday() {
        let week = |d: &str| iso_week_name(parse_date(d).unwrap());
        // 2027-01-01 is a Friday: its week's Thursday is 2026-12-31, and 2026 has 53 weeks.
        assert_eq!(week("2027-01-01"), "2026-W53");
        assert_eq!(week("2027-01-03"), "2026-W53");
        assert_eq!(week("2027-01-04"), "2027-W01");
        // 2024-12-30 is a Monday whose Thursday is in 2025.
        assert_eq!(week("2024-12-30"), "2025-W01");
        assert_eq!(week("2026-01-01"), "2026-W01");
        assert_eq!(week("2026-03-01"), "2026-W09");
        assert_eq!(week("2026-03-02"), "2026-W10");
    }
}
