//! Patients over HTTP; the domain is [`ils_clinical::patients`], re-exported here.

pub mod routes;

pub use ils_clinical::patients::*;
