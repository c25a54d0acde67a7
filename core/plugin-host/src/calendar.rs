//! Calendar months and days in UTC: the periods metering counts by and quotas reset on.

use ils_storage::types::Timestamp;
use jiff::civil::Date;

/// A calendar month (UTC), named by its first day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Month(Date);

impl Month {
    /// The month `at` falls in.
    pub fn of(at: Timestamp) -> Self {
        Self::of_day(day_of(at))
    }

    /// The month `day` falls in.
    pub fn of_day(day: Date) -> Self {
        Self(day.first_of_month())
    }

    /// Its first day.
    pub fn first_day(self) -> Date {
        self.0
    }

    /// The first day of the next month.
    pub fn next(self) -> Date {
        self.0.last_of_month().tomorrow().unwrap_or(self.0)
    }

    /// When its count starts again from zero: the next month's first day, 00:00 UTC.
    pub fn resets_at(self) -> Timestamp {
        let next = self.next().to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp());
        Timestamp::from_jiff(next.unwrap_or(jiff::Timestamp::MAX))
    }
}

/// The day (UTC) `at` falls in.
pub fn day_of(at: Timestamp) -> Date {
    at.as_jiff().to_zoned(jiff::tz::TimeZone::UTC).date()
}
