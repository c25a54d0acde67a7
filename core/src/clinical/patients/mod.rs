//! Patients of a practice: who they are, how to reach them, their NHS number and notes.
//! Deleting a record restricts it (retention rules keep clinical records for years) rather than
//! removing it; every read of a record is audited.

pub mod routes;
mod store;

use serde::Serialize;

use super::nhs_number::NhsNumber;
use crate::db::types::Timestamp;
use crate::error::{Error, Result};
use crate::ids::PatientId;

pub use store::{Search, get, get_active, insert, next_customer_number, search, update};

/// A patient's record.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Patient {
    /// Id.
    pub id: PatientId,
    /// The practice's own number for the patient.
    pub customer_number: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Date of birth (YYYY-MM-DD).
    #[schema(value_type = String, format = Date)]
    pub date_of_birth: jiff::civil::Date,
    /// NHS number (10 digits), if known.
    #[schema(value_type = Option<String>)]
    pub nhs_number: Option<NhsNumber>,
    /// E-mail address.
    pub email: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// Medical notes (conditions, medication, history relevant to eye care).
    pub medical_notes: String,
    /// Registered.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// Deleted (restricted, kept for retention) at.
    pub deleted_at: Option<Timestamp>,
}

/// Checked details of a patient (new, or a full replacement of the editable fields).
#[derive(Clone, Debug)]
pub struct Details {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Date of birth.
    pub date_of_birth: jiff::civil::Date,
    /// NHS number.
    pub nhs_number: Option<NhsNumber>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// Notes.
    pub medical_notes: String,
}

/// A name part: trimmed, 1–100 characters.
pub fn parse_name(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        return Err(Error::invalid_field(field, "must be 1–100 characters"));
    }
    Ok(value.to_owned())
}

/// A date of birth: `YYYY-MM-DD`, not in the future, not before 1900.
pub fn parse_date_of_birth(value: &str) -> Result<jiff::civil::Date> {
    let date = super::parse_past_date("date_of_birth", value)?;
    if date.year() < 1900 {
        return Err(Error::invalid_field("date_of_birth", "is before 1900"));
    }
    Ok(date)
}

/// An optional free-text field: trimmed, empty means absent, at most `max` characters.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => {
            Err(Error::invalid_field(field, format!("must be at most {max} characters")))
        }
        Some(v) => Ok(Some(v.to_owned())),
    }
}
