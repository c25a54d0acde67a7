//! Patients of a practice: who they are, how to reach them, their NHS number and notes.
//! Deleting a record restricts it (retention rules keep clinical records for years) rather than
//! removing it; every read of a record is audited.

pub mod routes;
pub(crate) mod store;

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
    /// The last visit: the latest examination or prescription (YYYY-MM-DD).
    #[schema(value_type = Option<String>, format = Date)]
    pub last_visit_on: Option<jiff::civil::Date>,
    /// Until when the record must be kept (10 years after the last visit — or registration —,
    /// or to the 25th birthday if later); a deleted record stays restricted until then.
    #[schema(value_type = String, format = Date)]
    pub retain_until: jiff::civil::Date,
    /// Deleted (restricted, kept for retention) at.
    pub deleted_at: Option<Timestamp>,
}

impl Patient {
    /// The editable part of the record, as it stands.
    pub fn details(&self) -> Details {
        Details {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            date_of_birth: self.date_of_birth,
            nhs_number: self.nhs_number,
            email: self.email.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            postcode: self.postcode.clone(),
            medical_notes: self.medical_notes.clone(),
        }
    }
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
    crate::input::required_text(field, value, 100)
}

/// A date of birth: `YYYY-MM-DD`, not in the future, not before 1900.
pub fn parse_date_of_birth(value: &str) -> Result<jiff::civil::Date> {
    let date = super::parse_past_date("date_of_birth", value)?;
    if date.year() < 1900 {
        return Err(Error::invalid_field("date_of_birth", "is before 1900"));
    }
    Ok(date)
}

pub use crate::input::optional_text;
