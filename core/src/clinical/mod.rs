//! Clinical records: patients (with NHS numbers), prescriptions and examinations.
//!

pub mod examinations;
pub mod nhs_number;
pub mod patients;
pub mod prescriptions;
pub mod retention;
pub mod rx;

use crate::error::{Error, Result};

/// Today's date, in the server's time zone.
pub fn today() -> jiff::civil::Date {
    jiff::Zoned::now().date()
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(field: &str, text: &str) -> Result<jiff::civil::Date> {
    text.trim().parse().map_err(|_| Error::invalid_field(field, "must be a date, YYYY-MM-DD"))
}

/// A `YYYY-MM-DD` date that is not in the future (an event that has happened).
pub fn parse_past_date(field: &str, text: &str) -> Result<jiff::civil::Date> {
    let date = parse_date(field, text)?;
    if date > today() {
        return Err(Error::invalid_field(field, "is in the future"));
    }
    Ok(date)
}
