//! When the practice is open: a week of sessions (a day closed for lunch has two), and
//! exceptions for particular days (closed on a bank holiday, late opening before Christmas).
//! Wall-clock times in the practice's time zone ([`crate::TIME_ZONE`]).

use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

use ils_kernel::audit::Event;
use ils_kernel::input::optional_text;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::{TenantTx, execute, query};

/// One opening session within a day, `opens` before `closes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Session {
    /// Opening time.
    pub opens: Time,
    /// Closing time.
    pub closes: Time,
}

impl Session {
    /// A session from `HH:MM` texts.
    pub fn parse(opens: &str, closes: &str) -> Result<Self> {
        let opens = hh_mm("opens", opens)?;
        let closes = hh_mm("closes", closes)?;
        if opens >= closes {
            return Err(Error::invalid_field("closes", "must be after the opening time"));
        }
        Ok(Self { opens, closes })
    }

    /// Its length in minutes.
    pub fn minutes(&self) -> i64 {
        minute_of_day(self.closes) - minute_of_day(self.opens)
    }
}

fn hh_mm(field: &str, text: &str) -> Result<Time> {
    let text = text.trim();
    let wrong = || Error::invalid_field(field, format!("{text:?} is not a time of day as HH:MM, e.g. 09:00"));
    let (h, m) = text.split_once(':').ok_or_else(wrong)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(wrong());
    }
    let (h, m): (i8, i8) = (h.parse().map_err(|_| wrong())?, m.parse().map_err(|_| wrong())?);
    Time::new(h, m, 0, 0).map_err(|_| wrong())
}

/// Minutes since midnight.
pub fn minute_of_day(time: Time) -> i64 {
    i64::from(time.hour()) * 60 + i64::from(time.minute())
}

fn text(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// A session as the API shows and takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// Day of the week, 1 = Monday … 7 = Sunday (ISO 8601).
    pub weekday: i16,
    /// Opening time, `HH:MM`.
    pub opens: String,
    /// Closing time, `HH:MM`.
    pub closes: String,
}

/// A day that is not like its weekday: closed all day, or open other hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// Opening time that day, `HH:MM`; absent when closed all day.
    pub opens: Option<String>,
    /// Closing time that day, `HH:MM`; absent when closed all day.
    pub closes: Option<String>,
    /// Why ("Boxing Day", "training afternoon").
    #[serde(default)]
    pub reason: String,
}

/// The week's sessions and the exceptions from `from` on.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hours {
    /// The week, by weekday then opening time.
    pub week: Vec<Opening>,
    /// Days that differ, by day.
    pub exceptions: Vec<Exception>,
}

impl Hours {
    /// The sessions the practice is open on `day`.
    pub fn sessions_on(&self, day: Date) -> Vec<Session> {
        let key = day.to_string();
        if let Some(exception) = self.exceptions.iter().find(|e| e.day == key) {
            return match (&exception.opens, &exception.closes) {
                (Some(o), Some(c)) => Session::parse(o, c).into_iter().collect(),
                _ => Vec::new(),
            };
        }
        let weekday = day.weekday().to_monday_one_offset();
        let mut sessions: Vec<Session> = self
            .week
            .iter()
            .filter(|o| i8::try_from(o.weekday).ok() == Some(weekday))
            .filter_map(|o| Session::parse(&o.opens, &o.closes).ok())
            .collect();
        sessions.sort();
        sessions
    }
}

/// Checks a week: weekdays 1–7, valid times, no two sessions of a day overlapping.
fn checked_week(week: &[Opening]) -> Result<Vec<(i16, Session)>> {
    let mut sessions = Vec::with_capacity(week.len());
    for (i, o) in week.iter().enumerate() {
        if !(1..=7).contains(&o.weekday) {
            return Err(Error::invalid_field(
                &format!("week[{i}].weekday"),
                "must be 1 (Monday) to 7 (Sunday)",
            ));
        }
        let session = Session::parse(&o.opens, &o.closes).map_err(|e| match e {
            Error::Invalid { fields, .. } if !fields.is_empty() => {
                Error::invalid_field(&format!("week[{i}].{}", fields[0].field), fields[0].message.clone())
            }
            other => other,
        })?;
        sessions.push((o.weekday, session));
    }
    sessions.sort();
    for pair in sessions.windows(2) {
        if pair[0].0 == pair[1].0 && pair[1].1.opens < pair[0].1.closes {
            return Err(Error::invalid_field(
                "week",
                format!("two sessions on weekday {} overlap", pair[0].0),
            ));
        }
    }
    Ok(sessions)
}

/// The practice's opening hours, with the exceptions from `from` on.
pub async fn get(tx: &mut TenantTx, from: Date) -> Result<Hours> {
    let tenant = tx.tenant_id();
    let rows: Vec<(i16, String, String)> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT weekday, opens, closes FROM opening_hours WHERE tenant_id = $1 ORDER BY weekday, opens",
        tenant
    )?;
    let week = rows.into_iter().map(|(weekday, opens, closes)| Opening { weekday, opens, closes }).collect();
    let exceptions: Vec<Exception> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT day, opens, closes, reason FROM opening_exceptions WHERE tenant_id = $1 AND day >= $2 ORDER BY day",
        tenant,
        from.to_string()
    )?;
    Ok(Hours { week, exceptions })
}

/// Replaces the week's sessions; `opening_hours.changed`.
pub async fn set_week(uow: &mut UnitOfWork, week: &[Opening]) -> Result<()> {
    let sessions = checked_week(week)?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    execute!(tx.conn(), "DELETE FROM opening_hours WHERE tenant_id = $1", tenant)?;
    for (weekday, s) in &sessions {
        execute!(
            tx.conn(),
            "INSERT INTO opening_hours (tenant_id, weekday, opens, closes) VALUES ($1, $2, $3, $4)",
            tenant,
            *weekday,
            text(s.opens),
            text(s.closes)
        )?;
    }
    let shown: Vec<String> =
        sessions.iter().map(|(d, s)| format!("{d} {}–{}", text(s.opens), text(s.closes))).collect();
    uow.audit(
        Event::new("opening_hours.changed", "tenant", tenant).changes(serde_json::json!({ "week": shown })),
    )
    .await
}

/// Sets (or replaces) the exception for its day; `opening_hours.exception_set`.
pub async fn set_exception(uow: &mut UnitOfWork, exception: &Exception) -> Result<Exception> {
    let day: Date = exception
        .day
        .trim()
        .parse()
        .map_err(|_| Error::invalid_field("day", "must be a date, YYYY-MM-DD"))?;
    let session = match (exception.opens.as_deref(), exception.closes.as_deref()) {
        (None, None) => None,
        (Some(o), Some(c)) => Some(Session::parse(o, c)?),
        _ => return Err(Error::invalid_field("closes", "give both times, or neither for a day closed")),
    };
    let reason = optional_text("reason", Some(&exception.reason), 200)?.unwrap_or_default();
    let stored = Exception {
        day: day.to_string(),
        opens: session.map(|s| text(s.opens)),
        closes: session.map(|s| text(s.closes)),
        reason,
    };
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "DELETE FROM opening_exceptions WHERE tenant_id = $1 AND day = $2",
        tenant,
        &stored.day
    )?;
    execute!(
        tx.conn(),
        "INSERT INTO opening_exceptions (tenant_id, day, opens, closes, reason) VALUES ($1, $2, $3, $4, $5)",
        tenant,
        &stored.day,
        &stored.opens,
        &stored.closes,
        &stored.reason
    )?;
    let event = Event::new("opening_hours.exception_set", "tenant", tenant).changes(serde_json::json!({
        "day": stored.day, "opens": stored.opens, "closes": stored.closes,
    }));
    uow.audit(event).await?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn opening(weekday: i16, opens: &str, closes: &str) -> Opening {
        Opening { weekday, opens: opens.into(), closes: closes.into() }
    }

    #[test]
    fn a_day_has_its_weekdays_sessions_unless_an_exception_says_otherwise() {
        let hours = Hours {
            week: vec![
                opening(2, "14:00", "17:30"),
                opening(2, "09:00", "13:00"),
                opening(6, "09:00", "12:00"),
            ],
            exceptions: vec![
                Exception { day: "2026-12-29".into(), opens: None, closes: None, reason: "Christmas".into() },
                Exception {
                    day: "2026-12-26".into(),
                    opens: Some("10:00".into()),
                    closes: Some("11:00".into()),
                    reason: String::new(),
                },
            ],
        };
        // Tuesday 22 December: two sessions, in order.
        let tuesday = hours.sessions_on(date(2026, 12, 22));
        assert_eq!(tuesday.iter().map(Session::minutes).collect::<Vec<_>>(), [240, 210]);
        assert!(hours.sessions_on(date(2026, 12, 29)).is_empty(), "a Tuesday closed by exception");
        assert_eq!(hours.sessions_on(date(2026, 12, 26))[0].minutes(), 60, "a Saturday's other hours");
        assert!(hours.sessions_on(date(2026, 12, 21)).is_empty(), "closed on Mondays");
    }

    #[test]
    fn a_week_is_checked() {
        assert!(checked_week(&[opening(8, "09:00", "10:00")]).is_err());
        assert!(checked_week(&[opening(1, "9:00", "10:00")]).is_err());
        assert!(checked_week(&[opening(1, "09:00", "12:00"), opening(1, "11:00", "13:00")]).is_err());
        assert!(checked_week(&[opening(1, "09:00", "12:00"), opening(1, "12:00", "13:00")]).is_ok());
    }
}
