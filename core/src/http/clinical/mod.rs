//! Clinical records over HTTP: patients, prescriptions and examinations. The records, their rules,
//! stores and services are [`ils_clinical`]'s; these handlers turn requests into its commands.

pub mod examinations;
pub mod patients;
pub mod prescriptions;

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogue_lists_every_clinical_event_in_order() {
        let all = crate::events::catalog::ALL;
        let start = all.iter().position(|e| *e == ils_clinical::events::EVENTS[0]).expect("listed");
        assert_eq!(&all[start..start + ils_clinical::events::EVENTS.len()], ils_clinical::events::EVENTS);
    }
}
