//! # ILS diary
//!
//! A practice's diary: the [`resources`] it books — clinicians (with their GOC numbers), rooms
//! and appointment types (how long, who may perform them, whether they need a room) — its
//! opening [`hours`] with exceptions, the [`appointments`] themselves, and the [`slots`] still
//! free; and [`recalls`], when each patient's next sight test is due and the notices that say
//! so; [`reminders`] of an appointment tomorrow and of glasses ready; and the [`messages`]
//! patients receive, in the practice's words. The [`events`] it emits are declared here too.
//!
//! No clinician and no room is ever in two live appointments at once, and the database says so:
//! an exclusion constraint on PostgreSQL, triggers on SQLite (docs/adr/043-diary.md). Code checks
//! first to answer in words, but two bookings racing for one slot are settled by the database:
//! one is written, the other is a `409`.
//!
//! Times are instants (UTC) in storage and in the API; the practice's wall clock — opening hours,
//! "Tuesday's diary" — is [`TIME_ZONE`].
//!
//! ```
//! use ils_diary::hours::Session;
//!
//! let morning = Session::parse("09:00", "13:00")?;
//! assert_eq!(morning.minutes(), 240);
//! assert!(Session::parse("13:00", "09:00").is_err());
//! # Ok::<(), ils_kernel::Error>(())
//! ```

pub mod appointments;
pub mod events;
pub mod hours;
pub mod messages;
pub mod phone;
pub mod recalls;
pub mod reminders;
pub mod resources;
pub mod slots;
pub mod status;

/// The practices' time zone: opening hours and days are wall-clock times here.
pub const TIME_ZONE: &str = "Europe/London";

/// [`TIME_ZONE`] as a `jiff` zone (its rules are built in).
pub fn zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(TIME_ZONE).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// The most days one look at the diary or one free-slot search covers.
pub const MAX_DAYS: i32 = 31;

/// Refuses a range of days `[from, until)` that is empty or longer than [`MAX_DAYS`] (naming
/// `to`, the field a person would change).
pub fn check_days(from: jiff::civil::Date, until: jiff::civil::Date) -> ils_kernel::Result<()> {
    let days = from.until(until).map(|span| span.get_days()).unwrap_or(-1);
    if (1..=MAX_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(ils_kernel::Error::invalid_field(
            "to",
            format!("must not be before from, nor more than {MAX_DAYS} days after it"),
        ))
    }
}
