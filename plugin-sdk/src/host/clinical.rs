//! Patients and prescriptions, read only and audited (capability `clinical-read`).
//!
//! ILS writes every successful read to the tenant's audit log with the plugin as the reader, so
//! read what a feature needs, when it needs it.

pub use ils_records::clinical::{Examination, Eye, Patient, Prescription};

#[cfg(target_arch = "wasm32")]
use super::wit;
use crate::HostError;

/// One patient of the tenant (audited).
pub fn patient(id: &str) -> Result<Patient, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::clinical::get_patient(id).map(Into::into).map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("clinical-read")?;
        s.patients.get(id).cloned().ok_or(HostError::NotFound)
    })
}

/// One spectacle prescription of the tenant (audited): its patient, dates and powers (exact
/// [`ils_optics::Power`]s; cylinder in minus form).
///
/// [`HostError::Denied`] without `clinical-read`, [`HostError::NotFound`] for an id the tenant
/// does not have.
///
/// ```
/// use ils_optics::Power;
/// use ils_plugin_sdk::host::clinical::{self, Eye, Prescription};
/// use ils_plugin_sdk::testing::MockHost;
///
/// let d = |text| Power::parse("power", text, ils_optics::Steps::Eighth).unwrap();
/// let mock = MockHost::install();
/// mock.add_prescription(Prescription {
///     id: "rx-1".into(),
///     patient_id: "p-1".into(),
///     issued_on: "2025-04-01".into(),
///     expires_on: None,
///     right: Eye { sphere: d("-1.25"), cylinder: Some(d("-0.50")), axis: Some(90), add: None },
///     left: Eye { sphere: d("-1.12"), ..Eye::default() },
/// });
/// let rx = clinical::prescription("rx-1").unwrap();
/// assert_eq!((rx.issued_on.as_str(), rx.right.sphere.dioptres()), ("2025-04-01", -1.25));
/// assert_eq!(rx.left.sphere.eighths(), -9);
/// ```
pub fn prescription(id: &str) -> Result<Prescription, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::clinical::get_prescription(id).map(Into::into).map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("clinical-read")?;
        s.prescriptions.get(id).cloned().ok_or(HostError::NotFound)
    })
}

/// One examination of the tenant (audited): the date, who performed it, the patient's previous
/// sight test, the refraction and the prescription issued from it — what a GOS claim needs.
pub fn examination(id: &str) -> Result<Examination, HostError> {
    #[cfg(target_arch = "wasm32")]
    return wit::clinical::get_examination(id).map(Into::into).map_err(Into::into);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with(|s| {
        s.check("clinical-read")?;
        s.examinations.get(id).cloned().ok_or(HostError::NotFound)
    })
}

#[cfg(test)]
mod tests {
    use ils_optics::Power;

    use super::*;
    use crate::testing::MockHost;

    fn d(eighths: i32) -> Power {
        Power::from_eighths(eighths)
    }

    fn rx() -> Prescription {
        Prescription {
            id: "rx-1".into(),
            patient_id: "p-1".into(),
            issued_on: "2025-04-01".into(),
            expires_on: Some("2027-04-01".into()),
            right: Eye { sphere: d(42), cylinder: Some(d(-12)), axis: Some(180), add: Some(d(16)) },
            left: Eye { sphere: d(-80), cylinder: None, axis: None, add: Some(d(16)) },
        }
    }

    #[test]
    fn a_prescription_reads_as_seeded() {
        let mock = MockHost::install();
        mock.add_prescription(rx());
        assert_eq!(prescription("rx-1"), Ok(rx()));
    }

    #[test]
    fn an_unknown_prescription_is_not_found() {
        let mock = MockHost::install();
        mock.add_prescription(rx());
        assert_eq!(prescription("rx-2"), Err(HostError::NotFound));
    }

    #[test]
    fn prescriptions_need_clinical_read() {
        let mock = MockHost::install();
        mock.add_prescription(rx()).deny("clinical-read");
        assert!(matches!(prescription("rx-1"), Err(HostError::Denied(m)) if m.contains("clinical-read")));
        // Orders' capabilities do not open clinical records.
        let mock = MockHost::install();
        mock.add_prescription(rx()).deny("orders-read");
        assert!(prescription("rx-1").is_ok());
    }
}
