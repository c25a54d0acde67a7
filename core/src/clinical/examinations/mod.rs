//! Examinations over HTTP; the domain is [`ils_clinical::examinations`], re-exported here.

pub mod routes;

pub use ils_clinical::examinations::*;
