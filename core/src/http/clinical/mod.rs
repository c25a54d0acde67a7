//! Clinical records over HTTP: patients, prescriptions and examinations. The records, their rules,
//! stores and services are [`ils_clinical`]'s; these handlers turn requests into its commands.

pub mod examinations;
pub mod patients;
pub mod prescriptions;
