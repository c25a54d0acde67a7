//! What can be done with an examination: record a draft, change it (typed in, or a refraction
//! measured by a device), finalise it, issue the prescription from it, and read it. Every step is
//! audited through the unit of work.

use ils_kernel::audit::Event;
use ils_kernel::input::optional_text;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{ExaminationId, PatientId, PrescriptionId, UserId};
use ils_storage::types::Timestamp;

use super::store::{self, NewExamination, Refraction};
use super::{Examination, Pair, PupillaryDistance, parse_acuity};
use crate::events::{ExaminationFinalised, PrescriptionCreated};
use crate::patients;
use crate::prescriptions::{self, Prescription, RxKind, check_expiry, pd};
use crate::rx::{Axis, Eye, EyeRx, Power, Prism, Steps};

/// An examination's values as entered: the date and the refraction already checked (the
/// refraction in the tenant's steps); acuity, pressure and notes are checked here.
#[derive(Clone, Debug)]
pub struct ExaminationValues {
    /// When it took place (not in the future: see [`crate::parse_past_date`]).
    pub examined_on: jiff::civil::Date,
    /// Visual acuity per eye, as [`parse_acuity`] reads it.
    pub visual_acuity: Pair<String>,
    /// Intra-ocular pressure per eye, 1–80 mmHg.
    pub iop_mmhg: Pair<i32>,
    /// The final refraction, right and left eye.
    pub refraction: Option<(EyeRx, EyeRx)>,
    /// Notes, up to 10,000 characters.
    pub notes: Option<String>,
    /// Pupillary distances (checked here).
    pub pd: PupillaryDistance,
}

impl ExaminationValues {
    /// The values checked, as stored for `patient_id`, examined by `examined_by`.
    fn checked(self, patient_id: PatientId, examined_by: Option<UserId>) -> Result<NewExamination> {
        let va = self.visual_acuity;
        let visual_acuity = Pair {
            right: va.right.as_deref().map(|v| parse_acuity("visual_acuity.right", v)).transpose()?,
            left: va.left.as_deref().map(|v| parse_acuity("visual_acuity.left", v)).transpose()?,
        };
        let iop = self.iop_mmhg;
        for (field, value) in [("iop_mmhg.right", iop.right), ("iop_mmhg.left", iop.left)] {
            if value.is_some_and(|v| !(1..=80).contains(&v)) {
                return Err(Error::invalid_field(field, "must be 1–80 mmHg"));
            }
        }
        Ok(NewExamination {
            patient_id,
            examined_on: self.examined_on,
            visual_acuity,
            iop,
            refraction: self.refraction.map(|(right, left)| Refraction::of(&right, &left)),
            notes: optional_text("notes", self.notes.as_deref(), 10_000)?.unwrap_or_default(),
            pd: self.pd.checked("pd")?,
            examined_by,
        })
    }
}

/// Records a draft examination of a patient of the unit's tenant (not deleted), examined by the
/// unit's user: `examination.recorded` in the audit log.
pub async fn record(
    uow: &mut UnitOfWork,
    patient_id: PatientId,
    values: ExaminationValues,
) -> Result<Examination> {
    let new = values.checked(patient_id, uow.ctx().user_id)?;
    patients::get_active(uow.tx(), patient_id).await?;
    let id = store::insert(uow.tx(), &new).await?;
    let exam = store::get(uow.tx(), id).await?;
    let event = Event::new("examination.recorded", "examination", id)
        .changes(serde_json::json!({ "patient_id": patient_id }));
    uow.audit(event).await?;
    Ok(exam)
}

/// Replaces a draft examination's values, now examined by the unit's user; a finalised one is an
/// `already_finalised` conflict. Audited as `examination.updated`.
pub async fn update(
    uow: &mut UnitOfWork,
    id: ExaminationId,
    values: ExaminationValues,
) -> Result<Examination> {
    let before = store::get(uow.tx(), id).await?;
    let new = values.checked(before.patient_id, uow.ctx().user_id)?;
    let exam = store::update_draft(uow.tx(), id, &new).await?;
    let event = Event::new("examination.updated", "examination", id)
        .changes(serde_json::json!({ "patient_id": before.patient_id }));
    uow.audit(event).await?;
    Ok(exam)
}

/// One eye of a refraction measured by a device, in numbers.
#[derive(Clone, Copy, Debug)]
pub struct MeasuredEye {
    /// Sphere as the device gave it; checked against the tenant's power steps when recorded.
    pub sphere: Power,
    /// Cylinder (minus or plus form) with its axis, if the device gave a non-plano one.
    pub cylinder: Option<(Power, Option<Axis>)>,
    /// Reading addition, if the device gave one.
    pub add: Option<Power>,
}

/// A refraction measured by a refractor (and read by a driver plugin), for a draft examination.
#[derive(Clone, Debug)]
pub struct RecordRefraction {
    /// The draft examination.
    pub examination_id: ExaminationId,
    /// Right eye.
    pub right: MeasuredEye,
    /// Left eye.
    pub left: MeasuredEye,
    /// Pupillary distances the device measured; any it did not measure keep their value.
    pub pd: PupillaryDistance,
    /// Where the reading came from (driver and device), kept in the audit entry.
    pub source: serde_json::Value,
}

impl MeasuredEye {
    fn rx(self, eye: Eye, steps: Steps) -> Result<EyeRx> {
        Ok(EyeRx::measured(eye, self.sphere, self.cylinder, self.add, Prism::default(), steps)?)
    }
}

/// Replaces a draft examination's refraction with a measured one, checked like one typed in (in
/// the tenant's power `steps`), keeping everything else; the examiner stays, or becomes the unit's
/// user. A finalised examination is an `already_finalised` conflict. Audited as
/// `examination.updated` with the reading's source.
pub async fn record_refraction(
    uow: &mut UnitOfWork,
    cmd: RecordRefraction,
    steps: Steps,
) -> Result<Examination> {
    let id = cmd.examination_id;
    let before = store::get(uow.tx(), id).await?;
    let refraction = Refraction::of(&cmd.right.rx(Eye::Right, steps)?, &cmd.left.rx(Eye::Left, steps)?);
    let new = NewExamination {
        patient_id: before.patient_id,
        examined_on: before.examined_on,
        visual_acuity: before.visual_acuity,
        iop: before.iop_mmhg,
        refraction: Some(refraction),
        notes: before.notes,
        pd: merged(cmd.pd, before.pd).checked("pd")?,
        examined_by: before.examined_by.or(uow.ctx().user_id),
    };
    let exam = store::update_draft(uow.tx(), id, &new).await?;
    let event = Event::new("examination.updated", "examination", id)
        .changes(serde_json::json!({ "patient_id": before.patient_id, "refraction_from": cmd.source }));
    uow.audit(event).await?;
    Ok(exam)
}

/// The values measured, and where one was not, the value kept.
fn merged(measured: PupillaryDistance, kept: PupillaryDistance) -> PupillaryDistance {
    PupillaryDistance {
        distance_mm: measured.distance_mm.or(kept.distance_mm),
        right_mm: measured.right_mm.or(kept.right_mm),
        left_mm: measured.left_mm.or(kept.left_mm),
        near_mm: measured.near_mm.or(kept.near_mm),
        working_distance_cm: measured.working_distance_cm.or(kept.working_distance_cm),
    }
}

/// Finalises an examination; from then on it never changes. Audited, and announced as
/// [`ExaminationFinalised`].
pub async fn finalise(uow: &mut UnitOfWork, id: ExaminationId) -> Result<Examination> {
    let exam = store::finalise(uow.tx(), id).await?;
    uow.audit(Event::new("examination.finalised", "examination", id)).await?;
    let finalised = ExaminationFinalised {
        examination_id: id,
        patient_id: exam.patient_id,
        has_refraction: exam.refraction.is_some(),
        examined_on: exam.examined_on,
        examined_by: exam.examined_by,
    };
    uow.emit(&finalised).await?;
    Ok(exam)
}

/// What the prescription from an examination needs besides the refraction.
#[derive(Clone, Debug)]
pub struct Prescribe {
    /// The finalised examination with a refraction.
    pub examination_id: ExaminationId,
    /// Spectacles or contact lenses (which must carry an expiry date).
    pub kind: RxKind,
    /// The prescriber's name (and registration number).
    pub prescriber: String,
    /// Expiry, not before the examination.
    pub expires_on: Option<jiff::civil::Date>,
    /// Right monocular PD, mm.
    pub pd_right_mm: Option<f64>,
    /// Left monocular PD, mm.
    pub pd_left_mm: Option<f64>,
}

/// Issues the patient's prescription from a finalised examination's refraction, dated the day of
/// the examination. A draft is a `not_finalised` conflict, one without a refraction a
/// `no_refraction` conflict. Records `prescription.created` (audit and event).
pub async fn prescribe(uow: &mut UnitOfWork, cmd: Prescribe) -> Result<Prescription> {
    let prescriber = ils_kernel::input::name("prescriber", &cmd.prescriber)?;
    if cmd.kind == RxKind::ContactLenses && cmd.expires_on.is_none() {
        return Err(Error::invalid_field(
            "expires_on",
            "a contact lens specification must carry an expiry date",
        ));
    }
    let id = cmd.examination_id;
    let stored = store::get_stored(uow.tx(), id).await?;
    if stored.view.finalised_at.is_none() {
        return Err(Error::conflict("not_finalised", "Finalise the examination before prescribing from it."));
    }
    let refraction = stored.refraction.ok_or_else(|| {
        Error::conflict("no_refraction", "This examination has no refraction to prescribe from.")
    })?;
    check_expiry(cmd.kind, cmd.expires_on, stored.view.examined_on, "the examination")?;
    let (right, left) = refraction.rx()?;
    let rx = Prescription {
        id: PrescriptionId::new(),
        patient_id: stored.view.patient_id,
        kind: cmd.kind,
        right,
        left,
        pd: (pd("pd_right_mm", cmd.pd_right_mm)?, pd("pd_left_mm", cmd.pd_left_mm)?),
        issued_on: stored.view.examined_on,
        expires_on: cmd.expires_on,
        prescriber,
        notes: String::new(),
        examination_id: Some(id),
        created_by: uow.ctx().user_id,
        created_at: Timestamp::now(),
    };
    prescriptions::insert(uow.tx(), &rx).await?;
    let event = Event::new("prescription.created", "prescription", rx.id)
        .changes(serde_json::json!({ "patient_id": rx.patient_id, "examination_id": id, "kind": rx.kind }));
    uow.audit(event).await?;
    uow.emit(&PrescriptionCreated { prescription_id: rx.id, patient_id: rx.patient_id, kind: rx.kind })
        .await?;
    Ok(rx)
}

/// A patient's examinations, newest first; the read is audited (`examination.listed`) with the
/// ids returned. Another tenant's patient is not found.
pub async fn list_for_patient(uow: &mut UnitOfWork, patient_id: PatientId) -> Result<Vec<Examination>> {
    patients::get_readable(uow.tx(), patient_id).await?;
    let exams = store::for_patient(uow.tx(), patient_id).await?;
    let ids: Vec<String> = exams.iter().map(|e| e.id.to_string()).collect();
    let event = Event::new("examination.listed", "patient", patient_id)
        .changes(serde_json::json!({ "returned": ids }));
    uow.audit(event).await?;
    Ok(exams)
}

/// One examination, the read audited (`examination.read`).
pub async fn read(uow: &mut UnitOfWork, id: ExaminationId) -> Result<Examination> {
    let exam = store::get(uow.tx(), id).await?;
    uow.audit(Event::new("examination.read", "examination", id)).await?;
    Ok(exam)
}
