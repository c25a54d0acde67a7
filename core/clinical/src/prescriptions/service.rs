//! Recording a prescription and reading a patient's prescriptions, each audited.

use ils_kernel::Result;
use ils_kernel::audit::Event;
use ils_kernel::input::optional_text;
use ils_outbox::UnitOfWork;
use ils_storage::ids::{PatientId, PrescriptionId};
use ils_storage::types::Timestamp;

use super::{Prescription, RxKind, check_expiry, pd, store};
use crate::events::PrescriptionCreated;
use crate::patients;
use crate::rx::EyeRx;

/// A prescription to record for a patient, its eyes already checked in the tenant's steps.
#[derive(Clone, Debug)]
pub struct RecordPrescription {
    /// The patient, who must be of the unit's tenant and not deleted.
    pub patient_id: PatientId,
    /// Spectacles or contact lenses (which must carry an expiry date).
    pub kind: RxKind,
    /// Right eye.
    pub right: EyeRx,
    /// Left eye.
    pub left: EyeRx,
    /// Right monocular PD in mm, checked by [`pd`].
    pub pd_right_mm: Option<f64>,
    /// Left monocular PD in mm, checked by [`pd`].
    pub pd_left_mm: Option<f64>,
    /// Date issued (not in the future: see [`crate::parse_past_date`]).
    pub issued_on: jiff::civil::Date,
    /// Expiry date, not before the issue date.
    pub expires_on: Option<jiff::civil::Date>,
    /// Who prescribed it (a name, and registration number where known).
    pub prescriber: String,
    /// Notes, up to 2,000 characters.
    pub notes: Option<String>,
}

/// Records a prescription by the unit's actor: `prescription.created` in the audit log (with both
/// eyes written out) and as an event.
pub async fn record(uow: &mut UnitOfWork, cmd: RecordPrescription) -> Result<Prescription> {
    check_expiry(cmd.kind, cmd.expires_on, cmd.issued_on, "the issue date")?;
    let prescriber = ils_kernel::input::name("prescriber", &cmd.prescriber)?;
    let rx = Prescription {
        id: PrescriptionId::new(),
        patient_id: cmd.patient_id,
        kind: cmd.kind,
        right: cmd.right,
        left: cmd.left,
        pd: (pd("pd_right_mm", cmd.pd_right_mm)?, pd("pd_left_mm", cmd.pd_left_mm)?),
        issued_on: cmd.issued_on,
        expires_on: cmd.expires_on,
        prescriber,
        notes: optional_text("notes", cmd.notes.as_deref(), 2000)?.unwrap_or_default(),
        examination_id: None,
        created_by: uow.ctx().user_id,
        created_at: Timestamp::now(),
    };
    patients::get_active(uow.tx(), rx.patient_id).await?;
    store::insert(uow.tx(), &rx).await?;
    let event = Event::new("prescription.created", "prescription", rx.id).changes(serde_json::json!({
        "patient_id": rx.patient_id, "kind": rx.kind, "right": rx.right.to_string(), "left": rx.left.to_string(),
    }));
    uow.audit(event).await?;
    uow.emit(&PrescriptionCreated { prescription_id: rx.id, patient_id: rx.patient_id, kind: rx.kind })
        .await?;
    Ok(rx)
}

/// A patient's prescriptions, newest first; the read is audited (`prescription.listed`) with the
/// ids returned. Another tenant's patient is not found.
pub async fn list_for_patient(uow: &mut UnitOfWork, patient_id: PatientId) -> Result<Vec<Prescription>> {
    patients::get_readable(uow.tx(), patient_id).await?;
    let all = store::for_patient(uow.tx(), patient_id).await?;
    let ids: Vec<String> = all.iter().map(|p| p.id.to_string()).collect();
    let event = Event::new("prescription.listed", "patient", patient_id)
        .changes(serde_json::json!({ "returned": ids }));
    uow.audit(event).await?;
    Ok(all)
}

/// One prescription, the read audited (`prescription.read`).
pub async fn read(uow: &mut UnitOfWork, id: PrescriptionId) -> Result<Prescription> {
    let rx = store::get(uow.tx(), id).await?;
    uow.audit(Event::new("prescription.read", "prescription", id)).await?;
    Ok(rx)
}
