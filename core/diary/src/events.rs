//! The events the diary emits. They carry identifiers and times, no patient details: a consumer
//! reads those through the API, where the read is audited. Their payloads are part of the OpenAPI
//! document and of `docs/events.md`; a change that is not additive bumps the version.

use serde::Serialize;

use ils_kernel::permissions::Action;
use ils_outbox::DomainEvent;
use ils_storage::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId, RoomId};
use ils_storage::types::Timestamp;

use crate::status::AppointmentStatus;

/// Every event type this crate emits, with the permission needed to read it.
pub const EVENTS: &[(&str, Action)] = &[
    (AppointmentBooked::TYPE, AppointmentBooked::READ),
    (AppointmentCancelled::TYPE, AppointmentCancelled::READ),
    (AppointmentStatusChanged::TYPE, AppointmentStatusChanged::READ),
];

/// An appointment was booked.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointmentBooked {
    /// The appointment (`GET /appointments/{appointment_id}`).
    pub appointment_id: AppointmentId,
    /// The patient.
    pub patient_id: PatientId,
    /// Its type.
    pub type_id: AppointmentTypeId,
    /// The clinician.
    pub clinician_id: ClinicianId,
    /// The room, if it has one.
    pub room_id: Option<RoomId>,
    /// Start (UTC).
    pub starts_at: Timestamp,
    /// End (UTC).
    pub ends_at: Timestamp,
}
impl DomainEvent for AppointmentBooked {
    const TYPE: &'static str = "appointment.booked";
    const READ: Action = Action::DiaryRead;
}

/// An appointment was cancelled; its slot is free again.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointmentCancelled {
    /// The appointment.
    pub appointment_id: AppointmentId,
    /// The patient.
    pub patient_id: PatientId,
    /// When it would have started (UTC).
    pub starts_at: Timestamp,
}
impl DomainEvent for AppointmentCancelled {
    const TYPE: &'static str = "appointment.cancelled";
    const READ: Action = Action::DiaryRead;
}

/// An appointment moved on in the day (arrived, in the room, done, no-show).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointmentStatusChanged {
    /// The appointment.
    pub appointment_id: AppointmentId,
    /// Its status before.
    pub from: AppointmentStatus,
    /// Its status now.
    pub to: AppointmentStatus,
}
impl DomainEvent for AppointmentStatusChanged {
    const TYPE: &'static str = "appointment.status_changed";
    const READ: Action = Action::DiaryRead;
}
