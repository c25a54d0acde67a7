//! Prescriptions over HTTP; the domain is [`ils_clinical::prescriptions`], re-exported here.

pub mod routes;

pub use ils_clinical::prescriptions::*;
