//! Clinical records over HTTP: patients (with NHS numbers), prescriptions and examinations. The
//! records, their rules, stores and services are [`ils_clinical`]'s, re-exported here under their
//! old paths; this module keeps the handlers and the request bodies they read.

pub mod examinations;
pub mod patients;
pub mod prescriptions;

pub use ils_clinical::{events, nhs_number, parse_date, parse_past_date, retention, rx, today};

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogue_lists_every_clinical_event_in_order() {
        let all = crate::events::catalog::ALL;
        let start = all.iter().position(|e| *e == ils_clinical::events::EVENTS[0]).expect("listed");
        assert_eq!(&all[start..start + ils_clinical::events::EVENTS.len()], ils_clinical::events::EVENTS);
    }
}
