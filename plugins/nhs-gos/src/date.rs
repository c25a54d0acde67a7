//! Civil dates (`YYYY-MM-DD`) and the little calendar arithmetic GOS needs: ages, intervals in
//! months and years, the financial year.
//!
//! Where adding months lands on a day the month does not have (31 August + 6 months), the rule
//! depends on what the date is for, so both are here: [`Date::add_months_not_before`] rolls to
//! the 1st of the next month (an interval is never shorter than stated) and
//! [`Date::add_months_not_after`] stays on the month's last day (a deadline is never later than
//! stated). Either way the practice is on the safe side of the rule.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A day of the Gregorian calendar, years 1900 to 2199.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date: write it as YYYY-MM-DD, such as 2025-04-01")]
pub struct DateError(pub String);

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

impl Date {
    /// The date, if it exists and its year is 1900–2199.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let ok = (1900..=2199).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        ok.then_some(Self { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let err = || DateError(text.chars().take(40).collect());
        let b = text.as_bytes();
        if !text.is_ascii() || b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let num = |s: &str| -> Result<u32, DateError> {
            if s.bytes().all(|c| c.is_ascii_digit()) { s.parse().map_err(|_| err()) } else { Err(err()) }
        };
        let (y, m, d) = (num(&text[0..4])?, num(&text[5..7])?, num(&text[8..10])?);
        let (Ok(y), Ok(m), Ok(d)) = (i32::try_from(y), u8::try_from(m), u8::try_from(d)) else {
            return Err(err());
        };
        Self::new(y, m, d).ok_or_else(err)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, if within range.
    pub fn from_days_since_epoch(days: i64) -> Option<Self> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self::new(i32::try_from(year).ok()?, u8::try_from(month).ok()?, u8::try_from(day).ok()?)
    }

    /// The UTC date of a Unix timestamp in milliseconds.
    pub fn from_unix_ms(ms: i64) -> Option<Self> {
        Self::from_days_since_epoch(ms.div_euclid(86_400_000))
    }

    /// The day before.
    pub fn pred(self) -> Option<Self> {
        Self::from_days_since_epoch(self.days_since_epoch() - 1)
    }

    /// Adds `months`; a day the target month lacks rolls to the 1st of the month after, so the
    /// result is never earlier than a full `months` later (31 Aug + 6 months = 1 Mar).
    pub fn add_months_not_before(self, months: u32) -> Option<Self> {
        let (y, m) = self.shift_month(months)?;
        match Self::new(y, m, self.day) {
            Some(d) => Some(d),
            None => {
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                Self::new(y, m, 1)
            }
        }
    }

    /// Adds `months`; a day the target month lacks becomes its last day, so the result is never
    /// later than `months` later (30 Nov + 3 months = 28 Feb).
    pub fn add_months_not_after(self, months: u32) -> Option<Self> {
        let (y, m) = self.shift_month(months)?;
        Self::new(y, m, self.day.min(days_in_month(y, m)))
    }

    fn shift_month(self, months: u32) -> Option<(i32, u8)> {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(months);
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let month = u8::try_from(index.rem_euclid(12) + 1).ok()?;
        Some((year, month))
    }

    /// Whole years of age on `on` for someone born on `self`. A 29 February birthday falls on
    /// 1 March in common years (Family Law Reform Act 1969 s.9: an age is attained at the start
    /// of the anniversary; in the UK that anniversary is taken as 1 March). `None` before birth.
    pub fn age_on(self, on: Date) -> Option<u32> {
        if on < self {
            return None;
        }
        let mut years = on.year - self.year;
        let birthday_this_year = match Self::new(on.year, self.month, self.day) {
            Some(d) => d,
            None => Self::new(on.year, 3, 1)?,
        };
        if on < birthday_this_year {
            years -= 1;
        }
        u32::try_from(years).ok()
    }

    /// The NHS financial year (1 April – 31 March) the date falls in.
    pub fn financial_year(self) -> FinancialYear {
        FinancialYear { start: if self.month >= 4 { self.year } else { self.year - 1 } }
    }

    /// The month, `YYYY-MM`.
    pub fn month_key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An NHS financial year, 1 April to 31 March, written `2024-25`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialYear {
    start: i32,
}

impl FinancialYear {
    /// The year starting 1 April `start`.
    pub fn starting(start: i32) -> Option<Self> {
        (1900..=2198).contains(&start).then_some(Self { start })
    }

    /// Parses `2024-25` (also `2024/25`).
    pub fn parse(text: &str) -> Option<Self> {
        let (a, b) = text.split_once(['-', '/'])?;
        if a.len() != 4 || b.len() != 2 || !a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()) {
            return None;
        }
        let start: i32 = a.parse().ok()?;
        let end: i32 = b.parse().ok()?;
        if (start + 1) % 100 != end {
            return None;
        }
        Self::starting(start)
    }

    /// The calendar year it starts in.
    pub fn start_year(self) -> i32 {
        self.start
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.start, (self.start + 1) % 100)
    }
}

/// Today's date (UTC), from the host's wall clock (WASI). The rules take dates as arguments;
/// only the routes ask for today.
pub fn today() -> Date {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Date::from_unix_ms(ms).unwrap_or(Date { year: 1970, month: 1, day: 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn parses_only_real_dates() {
        assert_eq!(d("2024-02-29").to_string(), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "24-01-01",
            "2024-01-32",
            "",
            "２０２４-01-01",
            "+024-01-01",
            "2é4-01-01x",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn epoch_days_round_trip() {
        assert_eq!(d("1970-01-01").days_since_epoch(), 0);
        assert_eq!(d("2000-03-01").days_since_epoch(), 11_017);
        for s in ["1900-01-01", "1999-12-31", "2024-02-29", "2199-12-31"] {
            assert_eq!(Date::from_days_since_epoch(d(s).days_since_epoch()), Some(d(s)));
        }
        assert_eq!(Date::from_unix_ms(1_735_689_600_000), Some(d("2025-01-01")));
        assert_eq!(Date::from_days_since_epoch(i64::MAX), None);
    }

    #[test]
    fn age_turns_on_the_birthday() {
        let born = d("2009-06-15");
        assert_eq!(born.age_on(d("2025-06-14")), Some(15));
        assert_eq!(born.age_on(d("2025-06-15")), Some(16));
        assert_eq!(born.age_on(d("2009-06-14")), None);
    }

    #[test]
    fn a_29_february_birthday_is_1_march_in_common_years() {
        let born = d("2008-02-29");
        assert_eq!(born.age_on(d("2024-02-28")), Some(15));
        assert_eq!(born.age_on(d("2024-02-29")), Some(16), "leap year: the birthday itself");
        assert_eq!(born.age_on(d("2026-02-28")), Some(17));
        assert_eq!(born.age_on(d("2026-03-01")), Some(18));
    }

    #[test]
    fn month_arithmetic_keeps_the_practice_safe() {
        assert_eq!(d("2024-08-31").add_months_not_before(6), Some(d("2025-03-01")));
        assert_eq!(d("2024-02-29").add_months_not_before(12), Some(d("2025-03-01")));
        assert_eq!(d("2024-12-31").add_months_not_before(2), Some(d("2025-03-01")));
        assert_eq!(d("2025-03-01").pred(), Some(d("2025-02-28")));
        assert_eq!(d("2025-11-30").add_months_not_after(3), Some(d("2026-02-28")));
        assert_eq!(d("2025-01-15").add_months_not_after(3), Some(d("2025-04-15")));
        assert_eq!(d("2199-12-01").add_months_not_before(1), None);
    }

    #[test]
    fn financial_years_start_in_april() {
        assert_eq!(d("2025-03-31").financial_year().to_string(), "2024-25");
        assert_eq!(d("2025-04-01").financial_year().to_string(), "2025-26");
        assert_eq!(FinancialYear::parse("2099-00").map(|y| y.start_year()), Some(2099));
        assert_eq!(FinancialYear::parse("2024/25"), FinancialYear::starting(2024));
        for bad in ["2024-26", "2024", "24-25", "2024-2a", "abcd-ef"] {
            assert_eq!(FinancialYear::parse(bad), None, "{bad}");
        }
    }
}
