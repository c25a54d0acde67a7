//! Clinical records: patients (with NHS numbers), prescriptions and examinations.
//!
//! This first part holds the domain types, checked as DOMAIN.md sets out; their storage and
//! routes follow.

pub mod nhs_number;
pub mod rx;
