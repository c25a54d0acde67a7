//! How often a schedule runs, when it runs next, and the period each run reports on: the last
//! whole day, ISO week (Monday to Sunday) or month before the run, in UTC. Schedules run at
//! 06:00 UTC, once the night's work is in.

use ils_storage::types::Timestamp;
use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use serde_json::Value;

use crate::calendar::{Month, day_of};

/// The hour (UTC) schedules run at.
const RUN_HOUR: i8 = 6;

/// How often a schedule runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Every {
    /// Each morning, on the day before.
    Day,
    /// Each Monday morning, on the week before.
    Week,
    /// On the first of each month, on the month before.
    Month,
}

impl Every {
    /// `day`, `week` or `month`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// The first day of the period a run on `today` reports on, and the first day after it.
    fn period(self, today: Date) -> (Date, Date) {
        match self {
            Self::Day => (today.yesterday().unwrap_or(today), today),
            Self::Week => {
                let monday = monday_of(today);
                (monday.checked_sub(7.days()).unwrap_or(monday), monday)
            }
            Self::Month => {
                let first = today.first_of_month();
                (Month::of_day(first.yesterday().unwrap_or(first)).first_day(), first)
            }
        }
    }

    /// `params` with `period` set to the whole period before `now`.
    pub fn fill(self, params: &Value, now: Timestamp) -> Value {
        let (start, end) = self.period(day_of(now));
        let mut params = match params {
            Value::Object(map) => map.clone(),
            _ => serde_json::Map::new(),
        };
        params.insert(
            "period".into(),
            serde_json::json!({ "start": start.to_string(), "end": end.to_string() }),
        );
        Value::Object(params)
    }

    /// The period in `params` (as [`Every::fill`] set it), in words: `2026-03-01 to 2026-03-31`.
    pub fn describe_period(self, params: &str) -> String {
        let params: Value = serde_json::from_str(params).unwrap_or(Value::Null);
        let day = |key: &str| params["period"][key].as_str().and_then(|d| d.parse::<Date>().ok());
        match (day("start"), day("end").and_then(|d| d.yesterday().ok())) {
            (Some(start), Some(last)) if start == last => start.to_string(),
            (Some(start), Some(last)) => format!("{start} to {last}"),
            _ => self.as_str().to_string(),
        }
    }

    /// The next run after `now`: 06:00 UTC the next day, the next Monday, or the next first of a
    /// month (today's, if that time has not come yet).
    pub fn next_after(self, now: Timestamp) -> Timestamp {
        let today = day_of(now);
        let candidate = match self {
            Self::Day => today,
            Self::Week => monday_of(today),
            Self::Month => today.first_of_month(),
        };
        let at = |d: Date| {
            let t = d.at(RUN_HOUR, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp());
            Timestamp::from_jiff(t.unwrap_or(jiff::Timestamp::MAX))
        };
        if at(candidate) > now {
            return at(candidate);
        }
        let next = match self {
            Self::Day => candidate.tomorrow().unwrap_or(candidate),
            Self::Week => candidate.checked_add(7.days()).unwrap_or(candidate),
            Self::Month => Month::of_day(candidate).next(),
        };
        at(next)
    }
}

fn monday_of(day: Date) -> Date {
    let back = i64::from(day.weekday().since(Weekday::Monday));
    day.checked_sub(back.days()).unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        Timestamp::from_jiff(text.parse().unwrap())
    }

    #[test]
    fn each_run_reports_on_the_whole_period_before_it() {
        let now = ts("2026-03-04T06:00:00Z"); // a Wednesday
        let period = |every: Every| every.fill(&serde_json::json!({"lab": "x"}), now);
        assert_eq!(
            period(Every::Day)["period"],
            serde_json::json!({"start": "2026-03-03", "end": "2026-03-04"})
        );
        assert_eq!(
            period(Every::Week)["period"],
            serde_json::json!({"start": "2026-02-23", "end": "2026-03-02"})
        );
        assert_eq!(
            period(Every::Month)["period"],
            serde_json::json!({"start": "2026-02-01", "end": "2026-03-01"})
        );
        assert_eq!(period(Every::Day)["lab"], "x", "other parameters are kept");
        let january = Every::Month.fill(&Value::Null, ts("2026-01-01T06:00:00Z"));
        assert_eq!(january["period"]["start"], "2025-12-01", "across a year");
        let text = Every::Month.fill(&Value::Null, now).to_string();
        assert_eq!(Every::Month.describe_period(&text), "2026-02-01 to 2026-02-28");
    }

    #[test]
    fn the_next_run_is_the_next_six_oclock_of_its_kind() {
        let now = ts("2026-03-04T07:00:00Z");
        assert_eq!(Every::Day.next_after(now), ts("2026-03-05T06:00:00Z"));
        assert_eq!(Every::Week.next_after(now), ts("2026-03-09T06:00:00Z"));
        assert_eq!(Every::Month.next_after(now), ts("2026-04-01T06:00:00Z"));
        assert_eq!(Every::Day.next_after(ts("2026-03-04T05:00:00Z")), ts("2026-03-04T06:00:00Z"));
        assert_eq!(Every::Month.next_after(ts("2026-12-15T00:00:00Z")), ts("2027-01-01T06:00:00Z"));
    }
}
