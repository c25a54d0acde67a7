//! The events clinical records emit. They carry identifiers only: a consumer that needs a
//! patient's details reads them through the API, where the read is audited. Their payloads are
//! part of the OpenAPI document and of `docs/events.md`; a change that is not additive bumps the
//! version.

use ils_kernel::permissions::Action;
use ils_outbox::DomainEvent;
use ils_storage::ids::{ExaminationId, PatientId, PrescriptionId, UserId};
use serde::Serialize;

use crate::prescriptions::RxKind;

/// A patient was registered. Carries identifiers only: details are read (and audited) in ILS.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientCreated {
    /// The new patient's id; read the details with `GET /patients/{patient_id}`, where the read is audited.
    pub patient_id: PatientId,
    /// The practice's customer number.
    pub customer_number: String,
}
impl DomainEvent for PatientCreated {
    const TYPE: &'static str = "patient.created";
    const READ: Action = Action::PatientsRead;
}

/// A patient's record changed (or was deleted, i.e. restricted for retention).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientUpdated {
    /// The patient's id; read the record with `GET /patients/{patient_id}`, where the read is audited.
    pub patient_id: PatientId,
    /// Whether the record is now deleted (kept, restricted, until its retention date).
    pub deleted: bool,
}
impl DomainEvent for PatientUpdated {
    const TYPE: &'static str = "patient.updated";
    const READ: Action = Action::PatientsRead;
}

/// A prescription was recorded for a patient.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrescriptionCreated {
    /// The new prescription's id (`GET /prescriptions/{prescription_id}`).
    pub prescription_id: PrescriptionId,
    /// The id of the patient it was issued to.
    pub patient_id: PatientId,
    /// Spectacles or contact lenses.
    pub kind: RxKind,
}
impl DomainEvent for PrescriptionCreated {
    const TYPE: &'static str = "prescription.created";
    const READ: Action = Action::PatientsRead;
}

/// An examination was finalised (the NHS claims plugin proposes a sight-test claim from it).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExaminationFinalised {
    /// The finalised examination's id (`GET /examinations/{examination_id}`).
    pub examination_id: ExaminationId,
    /// The id of the patient examined.
    pub patient_id: PatientId,
    /// Whether it recorded a refraction (a prescription can follow).
    pub has_refraction: bool,
    /// When it took place (YYYY-MM-DD): the sight-test date.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub examined_on: jiff::civil::Date,
    /// Who examined (the performer), when recorded.
    pub examined_by: Option<UserId>,
}
impl DomainEvent for ExaminationFinalised {
    const TYPE: &'static str = "examination.finalised";
    const READ: Action = Action::PatientsRead;
}

/// Every event type this crate emits with the permission needed to read it, in the order the
/// host's catalogue lists them.
pub const EVENTS: &[(&str, Action)] = &[
    (PatientCreated::TYPE, PatientCreated::READ),
    (PatientUpdated::TYPE, PatientUpdated::READ),
    (PrescriptionCreated::TYPE, PrescriptionCreated::READ),
    (ExaminationFinalised::TYPE, ExaminationFinalised::READ),
];
