//! The recall rules that need no database: how a due date is chosen, when each stage of
//! notices falls, and which stage is still to send.

use jiff::civil::Date;

use ils_kernel::{Error, Result};
use ils_storage::text_enum;

text_enum! {
    /// How a recall's due date was chosen.
    pub enum Basis {
        /// The default period for the patient's age, from their examination.
        Age = "age",
        /// The clinician's period, from their examination.
        Clinician = "clinician",
        /// A date set by hand.
        Date = "date",
    }
}

text_enum! {
    /// A recall notice's place in the sequence.
    pub enum Stage {
        /// The test is due soon: book it.
        Due = "due",
        /// The due date has passed.
        FirstReminder = "first_reminder",
        /// The last notice for this due date.
        Final = "final",
    }
}

text_enum! {
    /// How a notice reaches the patient.
    pub enum Channel {
        /// E-mail, through the mail queue.
        Email = "email",
        /// A text message, through an SMS provider plugin.
        Sms = "sms",
        /// A letter the practice posts.
        Post = "post",
    }
}

text_enum! {
    /// What became of a notice.
    pub enum Outcome {
        /// Queued for sending (e-mail).
        Queued = "queued",
        /// A letter for the practice to print and post.
        ToPost = "to_post",
        /// Not sent: the patient chose a channel for which the record has no address or number.
        NoAddress = "no_address",
        /// Not sent: the patient chose text messages, and no SMS provider is enabled.
        NoSmsProvider = "no_sms_provider",
    }
}

impl Stage {
    fn rank(self) -> usize {
        Stage::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The stage as a person reads it.
    pub fn words(self) -> &'static str {
        match self {
            Stage::Due => "Due",
            Stage::FirstReminder => "First reminder",
            Stage::Final => "Final reminder",
        }
    }
}

/// When the stages fall, in days from the due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The "due" notice goes this many days before the due date.
    pub due_lead_days: i64,
    /// The first reminder, this many days after it.
    pub first_reminder_after_days: i64,
    /// The final reminder, this many days after it.
    pub final_after_days: i64,
}

impl Default for Plan {
    fn default() -> Self {
        Self { due_lead_days: 28, first_reminder_after_days: 28, final_after_days: 56 }
    }
}

impl Plan {
    /// The latest stage reached on `today` for a recall due on `due_on`, if any.
    pub fn stage_on(&self, due_on: Date, today: Date) -> Option<Stage> {
        let days = due_on.until(today).map(|span| span.get_days() as i64).ok()?;
        if days >= self.final_after_days {
            Some(Stage::Final)
        } else if days >= self.first_reminder_after_days {
            Some(Stage::FirstReminder)
        } else if days >= -self.due_lead_days {
            Some(Stage::Due)
        } else {
            None
        }
    }

    /// The last due date a sweep on `today` has anything to send for.
    pub fn horizon(&self, today: Date) -> Date {
        today.checked_add(jiff::Span::new().days(self.due_lead_days)).unwrap_or(today)
    }
}

/// The default recall period for a patient of `age` (years) on their examination day, with why:
/// the NHS minimum intervals by age — under 16 and 70 or over a year, otherwise two years.
/// Conditions that shorten it (diabetes, glaucoma in the family) are the clinician's to set.
pub fn default_months(age: i16) -> (u8, &'static str) {
    match age {
        ..16 => (12, "under 16: 1 year"),
        16..70 => (24, "aged 16 to 69: 2 years"),
        _ => (12, "aged 70 or over: 1 year"),
    }
}

/// `months` after `on`, rolled to the 1st of the next month when that day does not exist (31
/// August + 6 months is 1 March), so a recall never falls before the interval has passed.
pub fn due_after(on: Date, months: u8) -> Result<Date> {
    let span = jiff::Span::new().months(i64::from(months));
    let landed = on.checked_add(span).map_err(|e| Error::invalid_field("months", e.to_string()))?;
    if landed.day() == on.day() {
        return Ok(landed);
    }
    let first = landed.first_of_month();
    first.checked_add(jiff::Span::new().months(1)).map_err(|e| Error::invalid_field("months", e.to_string()))
}

/// Whole years from `born` to `on`.
pub fn age_on(born: Date, on: Date) -> i16 {
    born.until((jiff::Unit::Year, on)).map(|span| span.get_years()).unwrap_or(0)
}

/// Whether `stage` is still to send, given the stages already sent: not when it or a later one
/// went (a sweep that missed a stage does not send it late).
pub fn still_to_send(stage: Stage, sent: &[Stage]) -> bool {
    sent.iter().all(|s| s.rank() < stage.rank())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_default_period_follows_the_age_on_the_examination_day() {
        assert_eq!(default_months(6).0, 12);
        assert_eq!(default_months(15).0, 12);
        assert_eq!(default_months(16).0, 24);
        assert_eq!(default_months(69).0, 24);
        assert_eq!(default_months(70).0, 12);
        let born = date(1956, 12, 10);
        assert_eq!(age_on(born, date(2026, 12, 9)), 69);
        assert_eq!(age_on(born, date(2026, 12, 10)), 70);
    }

    #[test]
    fn a_due_date_that_does_not_exist_rolls_forward_never_back() {
        assert_eq!(due_after(date(2026, 8, 31), 6).unwrap(), date(2027, 3, 1));
        assert_eq!(due_after(date(2026, 3, 15), 24).unwrap(), date(2028, 3, 15));
        assert_eq!(due_after(date(2028, 2, 29), 12).unwrap(), date(2029, 3, 1));
        assert_eq!(due_after(date(2026, 1, 31), 1).unwrap(), date(2026, 3, 1));
    }

    #[test]
    fn stages_fall_around_the_due_date_and_none_is_sent_late() {
        let plan = Plan::default();
        let due = date(2027, 6, 30);
        assert_eq!(plan.stage_on(due, date(2027, 6, 1)), None);
        assert_eq!(plan.stage_on(due, date(2027, 6, 2)), Some(Stage::Due));
        assert_eq!(plan.stage_on(due, date(2027, 7, 27)), Some(Stage::Due));
        assert_eq!(plan.stage_on(due, date(2027, 7, 28)), Some(Stage::FirstReminder));
        assert_eq!(plan.stage_on(due, date(2027, 8, 25)), Some(Stage::Final));
        assert!(still_to_send(Stage::Due, &[]));
        assert!(!still_to_send(Stage::Due, &[Stage::Due]));
        assert!(still_to_send(Stage::FirstReminder, &[Stage::Due]));
        assert!(!still_to_send(Stage::FirstReminder, &[Stage::Final]), "a later stage went");
        assert_eq!(plan.horizon(date(2027, 6, 2)), due);
    }
}
