//! ILS clinical records: patients, prescriptions and eye examinations.
//!
//! (Being extracted from `ils-core`; see issue 11.)
