//! Clinical records: patients (with NHS numbers), prescriptions and examinations.
//!
//! Examinations (whose final refraction becomes a prescription) follow.

pub mod nhs_number;
pub mod patients;
pub mod prescriptions;
pub mod rx;
