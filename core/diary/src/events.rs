//! The events the diary emits. They carry identifiers and times, no patient details: a consumer
//! reads those through the API, where the read is audited. Their payloads are part of the OpenAPI
//! document and of `docs/events.md`; a change that is not additive bumps the version.

use serde::Serialize;

use ils_kernel::permissions::Action;
use ils_outbox::DomainEvent;
use ils_storage::ids::{
    AppointmentId, AppointmentTypeId, ClinicianId, OrderId, PatientId, RecallNoticeId, ReminderId, RoomId,
};
use ils_storage::text_enum;
use ils_storage::types::Timestamp;

use crate::recalls::plan::{Basis, Channel, Outcome, Stage};
use crate::status::AppointmentStatus;

/// Every event type this crate emits, with the permission needed to read it.
pub const EVENTS: &[(&str, Action)] = &[
    (AppointmentBooked::TYPE, AppointmentBooked::READ),
    (AppointmentCancelled::TYPE, AppointmentCancelled::READ),
    (AppointmentStatusChanged::TYPE, AppointmentStatusChanged::READ),
    (RecallSet::TYPE, RecallSet::READ),
    (RecallDue::TYPE, RecallDue::READ),
    (ReminderSent::TYPE, ReminderSent::READ),
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

/// A recall set, announced as `recall.set`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecallSet {
    /// The patient.
    pub patient_id: PatientId,
    /// The new due date (YYYY-MM-DD).
    pub due_on: String,
    /// How it was chosen.
    pub basis: Basis,
}
impl DomainEvent for RecallSet {
    const TYPE: &'static str = "recall.set";
    const READ: Action = Action::DiaryRead;
}

/// A recall notice went out (or, for a letter, is to be posted), announced as `recall.due`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecallDue {
    /// The notice.
    pub notice_id: RecallNoticeId,
    /// The patient.
    pub patient_id: PatientId,
    /// The due date (YYYY-MM-DD).
    pub due_on: String,
    /// Which stage.
    pub stage: Stage,
    /// By which channel.
    pub channel: Channel,
    /// What became of it.
    pub outcome: Outcome,
}
impl DomainEvent for RecallDue {
    const TYPE: &'static str = "recall.due";
    const READ: Action = Action::DiaryRead;
}

text_enum! {
    /// What a reminder is about.
    pub enum ReminderKind {
        /// An appointment soon.
        Appointment = "appointment",
        /// An order received back at the practice: the glasses are ready to collect.
        OrderReady = "order_ready",
    }
}

/// A reminder went to a patient (or, with no SMS provider, is recorded as not sent).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReminderSent {
    /// The reminder.
    pub reminder_id: ReminderId,
    /// The patient.
    pub patient_id: PatientId,
    /// What about.
    pub kind: ReminderKind,
    /// The appointment, for an appointment's reminder.
    pub appointment_id: Option<AppointmentId>,
    /// The order, for glasses ready.
    pub order_id: Option<OrderId>,
    /// By which channel.
    pub channel: Channel,
    /// What became of it.
    pub outcome: Outcome,
}
impl DomainEvent for ReminderSent {
    const TYPE: &'static str = "reminder.sent";
    const READ: Action = Action::DiaryRead;
}
