//! Recording a prescription and reading a patient's prescriptions, each audited.

use ils_kernel::Result;
use ils_kernel::audit::Event;
use ils_kernel::input::{Fields, optional_text};
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

/// A prescription's checked prescriber, PDs (in tenths of a mm) and notes.
type CheckedParts = (Option<String>, Option<(Option<u16>, Option<u16>)>, Option<String>);

/// Checks what [`record`] checks without the database — the expiry against the issue date (when
/// both dates were read), the prescriber, the PDs and the notes — noting each invalid field in
/// `f`, so that a caller that also reads the eyes and the dates names every error at once.
pub fn check(
    f: &mut Fields,
    kind: RxKind,
    issued_on: Option<jiff::civil::Date>,
    expires_on: Option<Option<jiff::civil::Date>>,
    prescriber: &str,
    (pd_right_mm, pd_left_mm): (Option<f64>, Option<f64>),
    notes: Option<&str>,
) -> CheckedParts {
    if let (Some(issued_on), Some(expires_on)) = (issued_on, expires_on) {
        f.check(check_expiry(kind, expires_on, issued_on, "the issue date"));
    }
    let prescriber = f.check(ils_kernel::input::name("prescriber", prescriber));
    let right = f.check(pd("pd_right_mm", pd_right_mm));
    let left = f.check(pd("pd_left_mm", pd_left_mm));
    let notes = f.check(optional_text("notes", notes, 2000)).map(Option::unwrap_or_default);
    (prescriber, right.zip(left), notes)
}

/// Records a prescription by the unit's actor: `prescription.created` in the audit log (with both
/// eyes written out) and as an event.
pub async fn record(uow: &mut UnitOfWork, cmd: RecordPrescription) -> Result<Prescription> {
    let mut f = Fields::new();
    let (prescriber, pd, notes) = check(
        &mut f,
        cmd.kind,
        Some(cmd.issued_on),
        Some(cmd.expires_on),
        &cmd.prescriber,
        (cmd.pd_right_mm, cmd.pd_left_mm),
        cmd.notes.as_deref(),
    );
    f.finish()?;
    let (Some(prescriber), Some(pd), Some(notes)) = (prescriber, pd, notes) else {
        return Err(ils_kernel::Error::Internal("a checked prescription lacks a part".into()));
    };
    let rx = Prescription {
        id: PrescriptionId::new(),
        patient_id: cmd.patient_id,
        kind: cmd.kind,
        right: cmd.right,
        left: cmd.left,
        pd,
        issued_on: cmd.issued_on,
        expires_on: cmd.expires_on,
        prescriber,
        notes,
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
