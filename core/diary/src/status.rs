//! Where an appointment is in the practice's day: the statuses and the moves between them.

use ils_storage::text_enum;

text_enum! {
    /// Where an appointment is in the practice's day.
    pub enum AppointmentStatus {
        /// In the diary.
        Booked = "booked",
        /// The patient is in the waiting room.
        Arrived = "arrived",
        /// With the clinician.
        InRoom = "in_room",
        /// Seen.
        Done = "done",
        /// Called off (by the patient or the practice); the slot is free again.
        Cancelled = "cancelled",
        /// The patient did not come; the slot is free again.
        NoShow = "no_show",
    }
}

impl AppointmentStatus {
    /// The status as a person reads it (`In room`, `No-show`).
    pub fn words(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "Booked",
            AppointmentStatus::Arrived => "Arrived",
            AppointmentStatus::InRoom => "In room",
            AppointmentStatus::Done => "Done",
            AppointmentStatus::Cancelled => "Cancelled",
            AppointmentStatus::NoShow => "No-show",
        }
    }

    /// Whether the appointment holds its clinician and room.
    pub fn is_live(self) -> bool {
        !matches!(self, AppointmentStatus::Cancelled | AppointmentStatus::NoShow)
    }

    /// Whether an appointment may go from this status to `to`.
    pub fn can_move_to(self, to: AppointmentStatus) -> bool {
        use AppointmentStatus::*;
        matches!(
            (self, to),
            (Booked, Arrived | Cancelled | NoShow) | (Arrived, InRoom | Cancelled | NoShow) | (InRoom, Done)
        )
    }
}
