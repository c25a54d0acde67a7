//! Clinical records: patients (with NHS numbers), prescriptions and examinations.
//!

pub mod examinations;
pub mod nhs_number;
pub mod patients;
pub mod prescriptions;
pub mod retention;
pub mod rx;
