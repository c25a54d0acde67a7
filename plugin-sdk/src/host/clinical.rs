//! Patients and prescriptions, read only and audited (capability `clinical-read`).
//!
//! ILS writes every successful read to the tenant's audit log with the plugin as the reader, so
//! read what a feature needs, when it needs it.

use crate::HostError;

#[cfg(target_arch = "wasm32")]
use super::wit;

/// A patient (the fields plugins may see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    /// Id.
    pub id: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// NHS number.
    pub nhs_number: Option<String>,
}

/// One eye of a spectacle prescription. Powers are in hundredths of a dioptre (`-125` is
/// −1.25 D); ILS gives the cylinder in minus form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Eye {
    /// Sphere.
    pub sphere: i32,
    /// Cylinder (minus form), if any.
    pub cylinder: Option<i32>,
    /// Axis in degrees, 1 to 180, when there is a cylinder.
    pub axis: Option<u16>,
    /// Reading addition, if any.
    pub add: Option<i32>,
}

/// A spectacle prescription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prescription {
    /// Id.
    pub id: String,
    /// The patient it belongs to.
    pub patient_id: String,
    /// Date issued, `YYYY-MM-DD`.
    pub issued_on: String,
    /// Date it expires, `YYYY-MM-DD`, when set.
    pub expires_on: Option<String>,
    /// Right eye.
    pub right: Eye,
    /// Left eye.
    pub left: Eye,
}

#[cfg(target_arch = "wasm32")]
impl From<wit::clinical::Patient> for Patient {
    fn from(p: wit::clinical::Patient) -> Self {
        Self {
            id: p.id,
            given_name: p.given_name,
            family_name: p.family_name,
            date_of_birth: p.date_of_birth,
            nhs_number: p.nhs_number,
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl From<wit::clinical::Eye> for Eye {
    fn from(e: wit::clinical::Eye) -> Self {
        Self { sphere: e.sphere, cylinder: e.cylinder, axis: e.axis, add: e.add }
    }
}

#[cfg(target_arch = "wasm32")]
impl From<wit::clinical::Prescription> for Prescription {
    fn from(p: wit::clinical::Prescription) -> Self {
        Self {
            id: p.id,
            patient_id: p.patient_id,
            issued_on: p.issued_on,
            expires_on: p.expires_on,
            right: p.right.into(),
            left: p.left.into(),
        }
    }
}

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

/// One spectacle prescription of the tenant (audited): its patient, dates and powers.
///
/// [`HostError::Denied`] without `clinical-read`, [`HostError::NotFound`] for an id the tenant
/// does not have.
///
/// ```
/// use ils_plugin_sdk::host::clinical::{self, Eye, Prescription};
/// use ils_plugin_sdk::testing::MockHost;
///
/// let mock = MockHost::install();
/// mock.add_prescription(Prescription {
///     id: "rx-1".into(),
///     patient_id: "p-1".into(),
///     issued_on: "2025-04-01".into(),
///     expires_on: None,
///     right: Eye { sphere: -125, cylinder: Some(-50), axis: Some(90), add: None },
///     left: Eye { sphere: -100, ..Eye::default() },
/// });
/// let rx = clinical::prescription("rx-1").unwrap();
/// assert_eq!((rx.issued_on.as_str(), rx.right.sphere), ("2025-04-01", -125));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MockHost;

    fn rx() -> Prescription {
        Prescription {
            id: "rx-1".into(),
            patient_id: "p-1".into(),
            issued_on: "2025-04-01".into(),
            expires_on: Some("2027-04-01".into()),
            right: Eye { sphere: 525, cylinder: Some(-150), axis: Some(180), add: Some(200) },
            left: Eye { sphere: -1000, cylinder: None, axis: None, add: Some(200) },
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
