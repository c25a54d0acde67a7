//! Clinical records: patients (with NHS numbers), prescriptions and examinations.
//!
//! Prescriptions and examinations exist so far as checked domain types ([`rx`]); their storage
//! and routes follow.

pub mod nhs_number;
pub mod patients;
pub mod rx;
