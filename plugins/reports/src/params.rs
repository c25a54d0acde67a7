//! Report parameters: what a user chooses before rendering, as JSON the host has checked
//! against the report's JSON Schema — and checked again here, since the schema cannot say that
//! a date exists or that the period runs forwards.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use serde::Deserialize;
use serde_json::{Value as Json, json};

/// The longest period a report covers: three years. Longer ones would draw unreadable weekly
/// charts; a user wanting more runs the report per year.
pub const MAX_DAYS: i32 = 1096;

/// Parameters of a report over a period: `{"period": {"start": "2026-01-01", "end":
/// "2026-04-01"}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    /// The period.
    pub period: DateRange,
}

/// A half-open period of UTC dates, `[start, end)`, as `ils:platform` reads them: `start` is
/// the first day, `end` the first day after. Exists only with `start < end` and at most
/// [`MAX_DAYS`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawRange")]
pub struct DateRange {
    start: Date,
    end: Date,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    start: String,
    end: String,
}

impl TryFrom<RawRange> for DateRange {
    type Error = String;

    fn try_from(raw: RawRange) -> Result<Self, String> {
        Self::new(date("start", &raw.start)?, date("end", &raw.end)?)
    }
}

/// A `YYYY-MM-DD` date that exists.
fn date(field: &str, text: &str) -> Result<Date, String> {
    let shape = text.len() == 10
        && text
            .bytes()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let invalid = || format!("period.{field} must be a date written YYYY-MM-DD, got {text:?}");
    if !shape {
        return Err(invalid());
    }
    Date::strptime("%Y-%m-%d", text).map_err(|_| invalid())
}

impl DateRange {
    /// `[start, end)`.
    pub fn new(start: Date, end: Date) -> Result<Self, String> {
        if start >= end {
            return Err("period.end must be after period.start (it is the first day after the period)".into());
        }
        let days = start.until(end).map_err(|e| e.to_string())?.get_days();
        if days > MAX_DAYS {
            return Err(format!("the period is {days} days; a report covers at most {MAX_DAYS}"));
        }
        Ok(Self { start, end })
    }

    /// The first day.
    pub fn start(&self) -> Date {
        self.start
    }

    /// The first day after the period.
    pub fn end(&self) -> Date {
        self.end
    }

    /// The period as the platform's reads take it.
    pub fn to_records(self) -> ils_records::reports::Period {
        ils_records::reports::Period::new(self.start.to_string(), self.end.to_string())
    }

    /// The last day in the period.
    pub fn last_day(&self) -> Date {
        self.end.yesterday().unwrap_or(self.start)
    }

    /// As people read it, both days included: `1 Jan 2026 – 31 Mar 2026`.
    pub fn display(&self) -> String {
        let last = self.last_day();
        if last == self.start {
            self.start.strftime("%-d %b %Y").to_string()
        } else {
            format!("{} – {}", self.start.strftime("%-d %b %Y"), last.strftime("%-d %b %Y"))
        }
    }

    /// The ISO weeks the period touches, as the platform labels `field:week` (`2026-W09`).
    pub fn weeks(&self) -> Vec<String> {
        let mut weeks = Vec::new();
        // From the Monday of the first day's week, a week at a time.
        let offset = i64::from(self.start.weekday().since(Weekday::Monday));
        let mut day = self.start.checked_sub(offset.days()).unwrap_or(self.start);
        while day < self.end {
            weeks.push(week_label(day));
            match day.checked_add(7.days()) {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        weeks
    }

    /// The months the period touches, as the platform labels `field:month` (`2026-03`).
    pub fn months(&self) -> Vec<String> {
        let mut months = Vec::new();
        let mut day = self.start.first_of_month();
        while day < self.end {
            months.push(day.strftime("%Y-%m").to_string());
            match day.checked_add(1.month()) {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        months
    }
}

/// `2026-W09`: the ISO week-numbering year and week of `day`.
pub fn week_label(day: Date) -> String {
    let week = day.iso_week_date();
    format!("{:04}-W{:02}", week.year(), week.week())
}

/// Parses a report's parameters.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, crate::ReportError> {
    serde_json::from_str(json).map_err(|e| crate::ReportError::InvalidParams(e.to_string()))
}

/// The JSON Schema (2020-12) of [`PeriodParams`], titled for a report.
pub(crate) fn period_schema(title: &str) -> Json {
    let day = |description: &str| {
        json!({
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "description": description,
        })
    };
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "additionalProperties": false,
        "required": ["period"],
        "properties": {
            "period": {
                "description": format!(
                    "The period reported on, in UTC dates: start is its first day, end the first day after it (at most {MAX_DAYS} days)."
                ),
                "type": "object",
                "additionalProperties": false,
                "required": ["start", "end"],
                "properties": {
                    "start": day("The first day of the period (YYYY-MM-DD)."),
                    "end": day("The first day after the period (YYYY-MM-DD)."),
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(json: &str) -> Result<PeriodParams, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn a_period_must_run_forwards_over_real_dates_and_name_nothing_else() {
        assert!(range(r#"{"period":{"start":"2026-01-01","end":"2026-04-01"}}"#).is_ok());
        let backwards = range(r#"{"period":{"start":"2026-04-01","end":"2026-01-01"}}"#);
        assert!(backwards.unwrap_err().contains("after period.start"));
        let empty = range(r#"{"period":{"start":"2026-04-01","end":"2026-04-01"}}"#);
        assert!(empty.is_err());
        assert!(
            range(r#"{"period":{"start":"2026-02-30","end":"2026-04-01"}}"#)
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(range(r#"{"period":{"start":"2026-1-1","end":"2026-04-01"}}"#).is_err());
        assert!(range(r#"{"period":{"start":"2026-01-01","end":"2026-04-01"},"x":1}"#).is_err());
        assert!(range(r#"{"period":{"start":"2026-01-01","end":"2026-04-01","x":1}}"#).is_err());
        assert!(
            range(r#"{"period":{"start":"2020-01-01","end":"2026-04-01"}}"#).unwrap_err().contains("at most")
        );
    }

    #[test]
    fn a_period_reads_with_its_last_day_and_lists_its_weeks_and_months() {
        let p = range(r#"{"period":{"start":"2026-01-01","end":"2026-04-01"}}"#).unwrap().period;
        assert_eq!(p.display(), "1 Jan 2026 – 31 Mar 2026");
        assert_eq!(p.months(), ["2026-01", "2026-02", "2026-03"]);
        let weeks = p.weeks();
        // 1 Jan 2026 is a Thursday in ISO week 2026-W01; 31 Mar 2026 is in 2026-W14.
        assert_eq!(weeks.first().map(String::as_str), Some("2026-W01"));
        assert_eq!(weeks.last().map(String::as_str), Some("2026-W14"));
        assert_eq!(weeks.len(), 14);
        // 1 Jan 2027 is a Friday, still in ISO week 2026-W53.
        assert_eq!(week_label(Date::constant(2027, 1, 1)), "2026-W53");
        let one_day = range(r#"{"period":{"start":"2026-03-02","end":"2026-03-03"}}"#).unwrap().period;
        assert_eq!(one_day.display(), "2 Mar 2026");
    }
}
