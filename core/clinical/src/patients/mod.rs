//! Patients of a practice: who they are, how to reach them, their NHS number and notes.
//! Deleting a record restricts it (retention rules keep clinical records for years) rather than
//! removing it; every read of a record is audited.

mod service;
pub mod store;

use ils_kernel::Result;
use ils_storage::ids::PatientId;
use ils_storage::types::Timestamp;
use serde::Serialize;

use crate::nhs_number::NhsNumber;

pub use ils_kernel::input::optional_text;
pub use service::{CreatePatient, create, delete, find, read, update};
pub use store::{Search, get, get_active, get_readable, insert, next_customer_number, search};

/// A patient's record.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Patient {
    /// The patient's id (UUIDv7, so ids sort by registration time).
    pub id: PatientId,
    /// The practice's own number for the patient.
    pub customer_number: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Date of birth (YYYY-MM-DD).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date_of_birth: jiff::civil::Date,
    /// NHS number (10 digits), if known.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub nhs_number: Option<NhsNumber>,
    /// E-mail address.
    pub email: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Postcode, stored upper case (up to 10 characters); absent when not given.
    pub postcode: Option<String>,
    /// Medical notes (conditions, medication, history relevant to eye care).
    pub medical_notes: String,
    /// When the patient was registered (UTC); never changes. Without a visit, retention counts from it.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// The last visit: the latest examination or prescription (YYYY-MM-DD).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub last_visit_on: Option<jiff::civil::Date>,
    /// Until when the record must be kept (10 years after the last visit — or registration —,
    /// or to the 25th birthday if later); a deleted record stays restricted until then.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub retain_until: jiff::civil::Date,
    /// Deleted (restricted, kept for retention) at.
    pub deleted_at: Option<Timestamp>,
    /// The day the record was restricted for being past `retain_until` (YYYY-MM-DD): it is hidden
    /// and cannot be read or changed, only exported by a company admin, until it is erased.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub restricted_on: Option<jiff::civil::Date>,
}

impl Patient {
    /// Refuses a restricted record (`patient_restricted`), naming the day it was restricted.
    pub fn check_not_restricted(&self) -> Result<()> {
        match self.restricted_on {
            Some(on) => Err(ils_kernel::Error::forbidden(
                "patient_restricted",
                format!(
                    "This record passed its retention date ({}) and has been restricted since {on}: \
                     it can no longer be read or changed, and will be erased. A company admin can \
                     still export it for a subject access request.",
                    self.retain_until
                ),
            )),
            None => Ok(()),
        }
    }

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
    /// Given name, checked by [`parse_name`].
    pub first_name: String,
    /// Family name, checked by [`parse_name`].
    pub last_name: String,
    /// Date of birth, checked by [`parse_date_of_birth`].
    pub date_of_birth: jiff::civil::Date,
    /// NHS number, if known.
    pub nhs_number: Option<NhsNumber>,
    /// E-mail address, already checked and normalised.
    pub email: Option<String>,
    /// Telephone number (up to 30 characters).
    pub phone: Option<String>,
    /// Postal address (up to 500 characters).
    pub address: Option<String>,
    /// Postcode, upper case (up to 10 characters).
    pub postcode: Option<String>,
    /// Medical notes; empty when none.
    pub medical_notes: String,
}

/// A name part: trimmed, 1–100 characters.
pub fn parse_name(field: &str, value: &str) -> Result<String> {
    ils_kernel::input::name_up_to(field, value, 100)
}

/// A date of birth: `YYYY-MM-DD`, not in the future, not before 1900.
pub fn parse_date_of_birth(value: &str) -> Result<jiff::civil::Date> {
    crate::parse_past_date("date_of_birth", value)
}
