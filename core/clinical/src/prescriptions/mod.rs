//! Prescriptions recorded for a patient: spectacles or contact lenses, right and left eye,
//! checked as [`crate::rx`] sets out, stored in minus-cylinder form and shown in either form.
//! A prescription is never edited: a new one is recorded instead.

mod service;
pub mod store;

use ils_kernel::Result;
use ils_storage::ids::{ExaminationId, PatientId, PrescriptionId, UserId};
use ils_storage::text_enum;
use ils_storage::types::Timestamp;
use serde::{Deserialize, Serialize};

use crate::rx::{CylinderForm, Eye, EyeRx, HorizontalBase, Prism, Steps, VerticalBase};

pub use service::{RecordPrescription, check, list_for_patient, read, record};
pub use store::{get, insert};

text_enum! {
    /// What the prescription is for.
    pub enum RxKind {
        /// Spectacle lenses (no statutory expiry in the UK).
        Spectacles = "spectacles",
        /// Contact lenses (the specification must carry an expiry date).
        ContactLenses = "contact_lenses",
    }
}

/// A monocular pupillary distance in mm (20–45, in 0.5 mm steps), checked, as tenths of a
/// millimetre; `field` names it in the error.
pub fn pd(field: &str, mm: Option<f64>) -> Result<Option<u16>> {
    ils_kernel::input::tenths_of_mm(field, mm, 20.0..=45.0)
}

/// One checked eye written out in the shape it was entered in (text powers, minus-cylinder
/// form): how it is kept in JSON columns.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredEye {
    sphere: String,
    cylinder: Option<String>,
    axis: Option<i64>,
    add: Option<String>,
    prism_horizontal: Option<PrismPart<HorizontalBase>>,
    prism_vertical: Option<PrismPart<VerticalBase>>,
}

impl StoredEye {
    fn of(rx: &EyeRx) -> Self {
        let prism = rx.prism();
        StoredEye {
            sphere: rx.sphere().to_string(),
            cylinder: rx.cylinder().map(|(c, _)| c.to_string()),
            axis: rx.cylinder().map(|(_, a)| i64::from(a.degrees())),
            add: rx.add().map(|a| a.to_string()),
            prism_horizontal: prism
                .horizontal
                .map(|(v, base)| PrismPart { amount: f64::from(v) / 100.0, base }),
            prism_vertical: prism.vertical.map(|(v, base)| PrismPart { amount: f64::from(v) / 100.0, base }),
        }
    }

    fn rx(&self, eye: Eye) -> Result<EyeRx> {
        let prism = Prism::new(
            self.prism_horizontal.as_ref().map(|p| (p.amount, p.base)),
            self.prism_vertical.as_ref().map(|p| (p.amount, p.base)),
        )?;
        let (cylinder, add) = (self.cylinder.as_deref(), self.add.as_deref());
        // Checked in the tenant's steps when entered, so read back in the finest.
        Ok(EyeRx::new(eye, &self.sphere, cylinder, self.axis, add, prism, Steps::Eighth)?)
    }
}

/// Both eyes, checked, kept in their input shape (minus-cylinder form): how an examination's
/// refraction and a lab order's prescription are stored (as JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredEyes {
    right: StoredEye,
    left: StoredEye,
}

impl StoredEyes {
    /// Both eyes of a checked prescription.
    pub fn of(right: &EyeRx, left: &EyeRx) -> Self {
        Self { right: StoredEye::of(right), left: StoredEye::of(left) }
    }

    /// The eyes checked again (a failure means a corrupt row).
    pub fn rx(&self) -> Result<(EyeRx, EyeRx)> {
        Ok((self.right.rx(Eye::Right)?, self.left.rx(Eye::Left)?))
    }

    /// Both eyes shown in `form`.
    pub fn views(&self, form: CylinderForm) -> Result<(EyeView, EyeView)> {
        let (right, left) = self.rx()?;
        Ok((EyeView::of(&right, Eye::Right, form), EyeView::of(&left, Eye::Left, form)))
    }
}

/// A recorded prescription.
#[derive(Clone, Debug)]
pub struct Prescription {
    /// Its id, assigned when recorded.
    pub id: PrescriptionId,
    /// The patient it was issued to.
    pub patient_id: PatientId,
    /// Spectacles or contact lenses.
    pub kind: RxKind,
    /// Right eye, in minus-cylinder form.
    pub right: EyeRx,
    /// Left eye, in minus-cylinder form.
    pub left: EyeRx,
    /// Monocular pupillary distances (right, left), in tenths of a millimetre.
    pub pd: (Option<u16>, Option<u16>),
    /// The date it was issued (not in the future); spectacle sales are restricted two years after it.
    pub issued_on: jiff::civil::Date,
    /// The day it expires (required for contact lenses).
    pub expires_on: Option<jiff::civil::Date>,
    /// Who prescribed it (name, and registration number where known).
    pub prescriber: String,
    /// Notes; empty when none.
    pub notes: String,
    /// The examination it was issued from, if any.
    pub examination_id: Option<ExaminationId>,
    /// The user who recorded it (none for an API key).
    pub created_by: Option<UserId>,
    /// When it was recorded in ILS (UTC). A prescription is never edited afterwards.
    pub created_at: Timestamp,
}

/// A prism component as shown.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrismPart<B> {
    /// Prism dioptres.
    pub amount: f64,
    /// Base direction.
    pub base: B,
}

/// One eye as shown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EyeView {
    /// Sphere, e.g. `+3.00`.
    pub sphere: String,
    /// Cylinder in the requested form, e.g. `-1.00`.
    pub cylinder: Option<String>,
    /// Axis, 1–180.
    pub axis: Option<u16>,
    /// Reading addition.
    pub add: Option<String>,
    /// Horizontal prism.
    pub prism_horizontal: Option<PrismPart<HorizontalBase>>,
    /// Vertical prism.
    pub prism_vertical: Option<PrismPart<VerticalBase>>,
    /// Resultant prism: magnitude (Δ) and base in 0–360° notation.
    pub prism_compound: Option<(f64, f64)>,
    /// The whole eye written out, e.g. `+3.00/-1.00×90`.
    pub written: String,
}

impl EyeView {
    /// One eye shown in `form`.
    pub fn of(rx: &EyeRx, eye: Eye, form: CylinderForm) -> Self {
        let rx = rx.in_form(form);
        let prism = rx.prism();
        EyeView {
            sphere: rx.sphere().to_string(),
            cylinder: rx.cylinder().map(|(c, _)| c.to_string()),
            axis: rx.cylinder().map(|(_, a)| a.degrees()),
            add: rx.add().map(|a| a.to_string()),
            prism_horizontal: prism
                .horizontal
                .map(|(v, base)| PrismPart { amount: f64::from(v) / 100.0, base }),
            prism_vertical: prism.vertical.map(|(v, base)| PrismPart { amount: f64::from(v) / 100.0, base }),
            prism_compound: prism
                .compound(eye)
                .map(|(m, a)| ((m * 100.0).round() / 100.0, (a * 10.0).round() / 10.0)),
            written: rx.to_string(),
        }
    }
}

/// A prescription as the API shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrescriptionView {
    /// The prescription's id (UUIDv7, so ids sort by the time it was recorded).
    pub id: PrescriptionId,
    /// The patient it was issued to.
    pub patient_id: PatientId,
    /// Spectacles or contact lenses.
    pub kind: RxKind,
    /// The cylinder form the eyes are written in.
    pub cylinder_form: CylinderForm,
    /// Right eye.
    pub right: EyeView,
    /// Left eye.
    pub left: EyeView,
    /// Right monocular PD, mm.
    pub pd_right_mm: Option<f64>,
    /// Left monocular PD, mm.
    pub pd_left_mm: Option<f64>,
    /// Issued (YYYY-MM-DD).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub issued_on: jiff::civil::Date,
    /// Expires (YYYY-MM-DD).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub expires_on: Option<jiff::civil::Date>,
    /// True once expired (contact lenses), or, for spectacles, once over two years old: UK
    /// rules restrict sales against such a prescription.
    pub restricted_for_sale: bool,
    /// Who prescribed it.
    pub prescriber: String,
    /// Free-text notes (up to 2,000 characters); empty when none.
    pub notes: String,
    /// The examination it came from, if any.
    pub examination_id: Option<ExaminationId>,
    /// Who recorded it.
    pub created_by: Option<UserId>,
    /// When it was recorded in ILS (UTC). A prescription is never edited afterwards.
    pub created_at: Timestamp,
}

impl Prescription {
    /// The API view in `form`, judged against `today`.
    pub fn view(&self, form: CylinderForm, today: jiff::civil::Date) -> PrescriptionView {
        let restricted = match (self.kind, self.expires_on) {
            (_, Some(expires)) if expires < today => true,
            (RxKind::Spectacles, _) => self.issued_on.saturating_add(jiff::Span::new().years(2)) < today,
            _ => false,
        };
        PrescriptionView {
            id: self.id,
            patient_id: self.patient_id,
            kind: self.kind,
            cylinder_form: form,
            right: EyeView::of(&self.right, Eye::Right, form),
            left: EyeView::of(&self.left, Eye::Left, form),
            pd_right_mm: self.pd.0.map(|v| f64::from(v) / 10.0),
            pd_left_mm: self.pd.1.map(|v| f64::from(v) / 10.0),
            issued_on: self.issued_on,
            expires_on: self.expires_on,
            restricted_for_sale: restricted,
            prescriber: self.prescriber.clone(),
            notes: self.notes.clone(),
            examination_id: self.examination_id,
            created_by: self.created_by,
            created_at: self.created_at,
        }
    }
}

/// Checks a prescription's dates: a contact lens specification must expire, and nothing
/// expires before `from` (the issue date, or the examination it comes from); `from_what` says
/// which in the error.
pub(crate) fn check_expiry(
    kind: RxKind,
    expires_on: Option<jiff::civil::Date>,
    from: jiff::civil::Date,
    from_what: &str,
) -> Result<()> {
    use ils_kernel::Error;
    if kind == RxKind::ContactLenses && expires_on.is_none() {
        return Err(Error::invalid_field(
            "expires_on",
            "a contact lens specification must carry an expiry date",
        ));
    }
    if expires_on.is_some_and(|e| e < from) {
        return Err(Error::invalid_field("expires_on", format!("is before {from_what}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_eyes_keep_the_shape_they_were_entered_in() {
        let right = EyeRx::new(
            Eye::Right,
            "+2.00",
            Some("+1.00"),
            Some(180),
            Some("+2.00"),
            Prism::default(),
            Steps::Quarter,
        )
        .unwrap();
        let left =
            EyeRx::new(Eye::Left, "-1.00", None, None, None, Prism::default(), Steps::Quarter).unwrap();
        let json = serde_json::to_value(StoredEyes::of(&right, &left)).unwrap();
        assert_eq!(
            json["right"],
            serde_json::json!({ "sphere": "+3.00", "cylinder": "-1.00", "axis": 90, "add": "+2.00",
                "prism_horizontal": null, "prism_vertical": null })
        );
        let back: StoredEyes = serde_json::from_value(json).unwrap();
        assert_eq!(back.rx().unwrap(), (right, left));
    }
}
