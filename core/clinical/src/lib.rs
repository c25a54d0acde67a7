//! # ILS clinical records
//!
//! A practice's clinical records: [`patients`] (with their [`nhs_number`] and how long a record
//! is kept, [`retention`]), the [`prescriptions`] recorded for them in the values of [`rx`], and
//! eye [`examinations`], whose final refraction can become a prescription. Each module holds its
//! types, its store (the SQL) and its services; the [`events`] they emit are declared here too.
//!
//! A service takes a command of already-checked values and a [`UnitOfWork`](ils_outbox::UnitOfWork):
//! it writes the rows, the audit entries and the events through the unit, and the caller commits.
//! Reads of a record are audited as well, so they go through a unit too. The crate knows no HTTP:
//! the API's handlers (in `ils-core`) turn their request bodies into commands, and read the
//! tenant's power [`Steps`](rx::Steps) where a service needs them.
//!
//! ```
//! use ils_clinical::nhs_number::NhsNumber;
//! use ils_clinical::retention::retain_until;
//! use jiff::civil::date;
//!
//! let nhs = NhsNumber::parse("943 476 5919")?;
//! assert_eq!(nhs.digits(), "9434765919");
//! // A child's record is kept until their 25th birthday when that is later than ten years.
//! assert_eq!(retain_until(date(2020, 3, 15), date(2026, 11, 21)), date(2045, 3, 15));
//! assert!(ils_clinical::parse_date("issued_on", "2026-13-01").is_err());
//! # Ok::<(), ils_kernel::Error>(())
//! ```

pub mod consent;
pub mod events;
pub mod examinations;
pub mod nhs_number;
pub mod patients;
pub mod prescriptions;
pub mod retention;
pub mod rx;

use ils_kernel::{Error, Result};

/// Today's date in the server's time zone: what "not in the future" and a prescription's
/// sale restriction are judged against.
pub fn today() -> jiff::civil::Date {
    jiff::Zoned::now().date()
}

/// A `YYYY-MM-DD` date; anything else is an invalid `field`.
pub fn parse_date(field: &str, text: &str) -> Result<jiff::civil::Date> {
    text.trim().parse().map_err(|_| Error::invalid_field(field, "must be a date, YYYY-MM-DD"))
}

/// A `YYYY-MM-DD` date that is not in the future (an event that has happened) and not before
/// 1900 (no clinical record or living patient is older).
pub fn parse_past_date(field: &str, text: &str) -> Result<jiff::civil::Date> {
    let date = parse_date(field, text)?;
    if date > today() {
        return Err(Error::invalid_field(field, "is in the future"));
    }
    if date.year() < 1900 {
        return Err(Error::invalid_field(field, "is before 1900"));
    }
    Ok(date)
}
