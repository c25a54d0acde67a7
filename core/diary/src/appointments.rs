//! Appointments: booking one for a patient with a clinician (and a room when its type needs
//! one), moving it through the day, reading a day of the diary, and starting the examination.
//!
//! ```text
//! booked ──▶ arrived ──▶ in_room ──▶ done
//!    │          │
//!    ├──────────┴─▶ cancelled
//!    └────────────▶ no_show
//! ```
//!
//! A live appointment (booked, arrived, in the room, done) holds its clinician and room for its
//! time; a cancelled one or a no-show frees them. The database refuses overlaps
//! (`appointments_clinician_free`, `appointments_room_free`); [`book`] checks first so the
//! answer names who is busy, and maps the database's refusal — two bookings racing — to the
//! same `409`.

use jiff::civil::Date;
use serde::Serialize;

use ils_clinical::examinations::{self, Examination, ExaminationValues, Pair};
use ils_clinical::patients;
use ils_kernel::audit::Event;
use ils_kernel::input::optional_text;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{
    AppointmentId, AppointmentTypeId, ClinicianId, ExaminationId, PatientId, RoomId, UserId,
};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query};

use crate::events::{AppointmentBooked, AppointmentCancelled, AppointmentStatusChanged};
use crate::resources::{self, AppointmentType, Clinician};
pub use crate::status::AppointmentStatus;
use crate::{hours, zone};

/// An appointment.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Appointment {
    /// The appointment's id.
    pub id: AppointmentId,
    /// The patient (`GET /patients/{patient_id}`).
    pub patient_id: PatientId,
    /// What kind of appointment.
    pub type_id: AppointmentTypeId,
    /// With whom.
    pub clinician_id: ClinicianId,
    /// Where, when its type needs a room.
    pub room_id: Option<RoomId>,
    /// Start (UTC).
    pub starts_at: Timestamp,
    /// End (UTC): the start plus the type's duration.
    pub ends_at: Timestamp,
    /// Where it is in the day.
    pub status: AppointmentStatus,
    /// Notes for the practice ("bring current glasses").
    pub notes: String,
    /// The examination started from it.
    pub examination_id: Option<ExaminationId>,
    /// Who booked it (none for an API key).
    pub booked_by: Option<UserId>,
    /// Booked.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// An appointment with the names the diary shows.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiaryEntry {
    /// The appointment.
    #[serde(flatten)]
    pub appointment: Appointment,
    /// The patient's name, as the record has it.
    pub patient_name: String,
    /// The type's name.
    pub type_name: String,
    /// The clinician's name.
    pub clinician_name: String,
    /// The room's name.
    pub room_name: Option<String>,
}

/// A booking to make, checked by [`book`].
#[derive(Clone, Debug)]
pub struct Booking {
    /// The patient; their record must not be deleted.
    pub patient_id: PatientId,
    /// An active appointment type.
    pub type_id: AppointmentTypeId,
    /// An active clinician whose profession may perform the type.
    pub clinician_id: ClinicianId,
    /// A room, for a type that needs one (the first free room is taken when absent).
    pub room_id: Option<RoomId>,
    /// When it starts; within opening hours, not in the past. It ends the type's duration later.
    pub starts_at: Timestamp,
    /// Notes, up to 2,000 characters.
    pub notes: Option<String>,
}

const COLUMNS: &str =
    "id, patient_id, type_id, clinician_id, room_id, starts_at, ends_at, status, notes, examination_id,
    booked_by, created_at, updated_at";
const LIVE: &str = "('booked', 'arrived', 'in_room', 'done')";

/// One appointment (no patient data: its read is not a read of the record).
pub async fn get(tx: &mut TenantTx, id: AppointmentId) -> Result<Appointment> {
    let tenant = tx.tenant_id();
    let sql = format!("SELECT {COLUMNS} FROM appointments WHERE tenant_id = $1 AND id = $2");
    let found: Option<Appointment> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    found.ok_or(Error::NotFound("appointment"))
}

/// The live appointment of `clinician` (or in `room`) overlapping `[starts_at, ends_at)`, if any.
async fn clash(
    tx: &mut TenantTx,
    column: &'static str,
    id: sqlx::types::Uuid,
    starts_at: Timestamp,
    ends_at: Timestamp,
) -> Result<Option<Appointment>> {
    let tenant = tx.tenant_id();
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments WHERE tenant_id = $1 AND {column} = $2 AND status IN {LIVE}
           AND starts_at > $5 AND starts_at < $4 AND $3 < ends_at LIMIT 1"
    );
    Ok(query!(tx, query_as, fetch_optional, sql, tenant, id, starts_at, ends_at, reach_back(starts_at))?)
}

/// The earliest start of an appointment that could still be running at `at`: appointments are
/// at most [`resources::LONGEST_MINUTES`] long (the database holds them to it), so a search for
/// overlaps reads a bounded stretch of the index on start, however long the diary.
pub fn reach_back(at: Timestamp) -> Timestamp {
    at.minus(std::time::Duration::from_secs(60 * resources::LONGEST_MINUTES.unsigned_abs() as u64))
}

fn busy(who: &str, at: &Appointment) -> Error {
    Error::conflict(
        if who == "room" { "room_busy" } else { "clinician_busy" },
        format!(
            "The {who} is booked from {} to {} then: choose another time{}.",
            local_time(at.starts_at),
            local_time(at.ends_at),
            if who == "room" { " or room" } else { " or clinician" }
        ),
    )
}

/// `14:30` in the practice's time zone.
pub fn local_time(at: Timestamp) -> String {
    at.as_jiff().to_zoned(zone()).strftime("%H:%M").to_string()
}

/// The practice's day an instant falls on.
pub fn local_day(at: Timestamp) -> Date {
    at.as_jiff().to_zoned(zone()).date()
}

/// Checks that `[starts_at, ends_at)` lies within one of the day's opening sessions.
async fn check_open(tx: &mut TenantTx, starts_at: Timestamp, ends_at: Timestamp) -> Result<()> {
    let (start, end) = (starts_at.as_jiff().to_zoned(zone()), ends_at.as_jiff().to_zoned(zone()));
    let open = hours::get(tx, start.date()).await?;
    let fits = start.date() == end.date()
        && open.sessions_on(start.date()).iter().any(|s| s.opens <= start.time() && end.time() <= s.closes);
    if fits {
        Ok(())
    } else {
        Err(Error::invalid_field(
            "starts_at",
            format!(
                "the practice is not open from {} to {} on {}",
                local_time(starts_at),
                local_time(ends_at),
                start.date()
            ),
        ))
    }
}

/// Books an appointment: `appointment.booked` in the audit log and as an event. A clinician or
/// room already booked then is `409 clinician_busy` / `room_busy`, however the race is run.
pub async fn book(uow: &mut UnitOfWork, booking: Booking) -> Result<Appointment> {
    let notes = optional_text("notes", booking.notes.as_deref(), 2000)?.unwrap_or_default();
    if booking.starts_at < Timestamp::now() {
        return Err(Error::invalid_field("starts_at", "is in the past"));
    }
    let tx = uow.tx();
    patients::get_active(tx, booking.patient_id).await?;
    let kind: AppointmentType = resources::appointment_type(tx, booking.type_id)
        .await
        .map_err(unknown("type_id", "is not an appointment type of this practice"))?;
    if !kind.active {
        return Err(Error::invalid_field("type_id", format!("{} is no longer offered", kind.name)));
    }
    let clinician: Clinician = resources::clinician(tx, booking.clinician_id)
        .await
        .map_err(unknown("clinician_id", "is not a clinician of this practice"))?;
    if !kind.performable_by(&clinician) {
        return Err(Error::invalid_field(
            "clinician_id",
            format!("{} ({}) does not perform {}", clinician.name, clinician.profession, kind.name),
        ));
    }
    let starts_at = booking.starts_at;
    let duration = jiff::SignedDuration::from_mins(i64::from(kind.duration_minutes));
    let ends_at = Timestamp::from_jiff(
        starts_at
            .as_jiff()
            .checked_add(duration)
            .map_err(|_| Error::invalid_field("starts_at", "is out of range"))?,
    );
    check_open(tx, starts_at, ends_at).await?;
    if let Some(taken) = clash(tx, "clinician_id", booking.clinician_id.as_uuid(), starts_at, ends_at).await?
    {
        return Err(busy("clinician", &taken));
    }
    let room = match (kind.needs_room, booking.room_id) {
        (_, Some(room)) => {
            let found = resources::room(tx, room)
                .await
                .map_err(unknown("room_id", "is not a room of this practice"))?;
            if !found.active {
                return Err(Error::invalid_field("room_id", format!("{} is not in use", found.name)));
            }
            if let Some(taken) = clash(tx, "room_id", room.as_uuid(), starts_at, ends_at).await? {
                return Err(busy("room", &taken));
            }
            Some(room)
        }
        (true, None) => Some(free_room(tx, starts_at, ends_at).await?),
        (false, None) => None,
    };
    let tenant = tx.tenant_id();
    let id = AppointmentId::new();
    let now = Timestamp::now();
    let booked_by = uow.ctx().user_id;
    let tx = uow.tx();
    execute!(
        tx.conn(),
        "INSERT INTO appointments (tenant_id, id, patient_id, type_id, clinician_id, room_id, starts_at, ends_at, status,
            notes, booked_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'booked', $9, $10, $11, $11)",
        tenant,
        id,
        booking.patient_id,
        booking.type_id,
        booking.clinician_id,
        room,
        starts_at,
        ends_at,
        &notes,
        booked_by,
        now
    )
    .map_err(overlap)?;
    let event = Event::new("appointment.booked", "appointment", id).changes(serde_json::json!({
        "patient_id": booking.patient_id, "type_id": booking.type_id, "clinician_id": booking.clinician_id,
        "room_id": room, "starts_at": starts_at, "ends_at": ends_at,
    }));
    uow.audit(event).await?;
    uow.emit(&AppointmentBooked {
        appointment_id: id,
        patient_id: booking.patient_id,
        type_id: booking.type_id,
        clinician_id: booking.clinician_id,
        room_id: room,
        starts_at,
        ends_at,
    })
    .await?;
    get(uow.tx(), id).await
}

/// A reference in a booking to something the practice does not have is a wrong field, not a
/// missing page; other errors pass through.
fn unknown(field: &'static str, message: &'static str) -> impl Fn(Error) -> Error {
    move |error| match error {
        Error::NotFound(_) => Error::invalid_field(field, message),
        other => other,
    }
}

/// The database's refusal of an overlap, in the words [`book`] uses.
fn overlap(error: sqlx::Error) -> Error {
    let error = ils_storage::DbError::from(error);
    let room = error.concerns("appointments_room_free");
    let clinician = error.concerns("appointments_clinician_free");
    if room || clinician {
        let who = if room { "room" } else { "clinician" };
        return Error::conflict(
            if room { "room_busy" } else { "clinician_busy" },
            format!("The {who} was booked for that time a moment ago: choose another time."),
        );
    }
    Error::from(error)
}

/// The first active room free for `[starts_at, ends_at)`, by name.
async fn free_room(tx: &mut TenantTx, starts_at: Timestamp, ends_at: Timestamp) -> Result<RoomId> {
    let tenant = tx.tenant_id();
    let sql = format!(
        "SELECT DISTINCT room_id FROM appointments WHERE tenant_id = $1 AND room_id IS NOT NULL
           AND status IN {LIVE} AND starts_at > $4 AND starts_at < $3 AND $2 < ends_at"
    );
    let busy: Vec<RoomId> =
        query!(tx, query_scalar, fetch_all, sql, tenant, starts_at, ends_at, reach_back(starts_at))?;
    let rooms = resources::rooms(tx).await?;
    match rooms.into_iter().find(|room| !busy.contains(&room.id)) {
        Some(room) => Ok(room.id),
        None => Err(Error::conflict("room_busy", "Every room is booked then: choose another time.")),
    }
}

/// Moves an appointment on (arrived, in the room, done, cancelled, no-show); audited, and
/// announced (`appointment.cancelled` for a cancellation, else `appointment.status_changed`).
pub async fn move_to(uow: &mut UnitOfWork, id: AppointmentId, to: AppointmentStatus) -> Result<Appointment> {
    let tx = uow.tx();
    let before = get(tx, id).await?;
    if !before.status.can_move_to(to) {
        return Err(Error::conflict(
            "invalid_transition",
            format!("An appointment that is {} cannot become {to}.", before.status),
        ));
    }
    let tenant = tx.tenant_id();
    let moved = execute!(
        tx.conn(),
        "UPDATE appointments SET status = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2 AND status = $3",
        tenant,
        id,
        before.status,
        to,
        Timestamp::now()
    )
    .map_err(overlap)?;
    if moved == 0 {
        return Err(Error::conflict("appointment_changed", "The appointment changed meanwhile: look again."));
    }
    let event = Event::new("appointment.status_changed", "appointment", id)
        .changes(serde_json::json!({ "from_status": before.status, "to_status": to }));
    uow.audit(event).await?;
    if to == AppointmentStatus::Cancelled {
        uow.emit(&AppointmentCancelled {
            appointment_id: id,
            patient_id: before.patient_id,
            starts_at: before.starts_at,
        })
        .await?;
    } else {
        uow.emit(&AppointmentStatusChanged { appointment_id: id, from: before.status, to }).await?;
    }
    get(uow.tx(), id).await
}

/// Starts the examination of an appointment's patient (a draft, today, by the unit's user) and
/// puts the appointment in the room. An appointment that has one already is
/// `409 examination_already_started`; a cancelled, no-show or done one cannot start one.
pub async fn start_examination(
    uow: &mut UnitOfWork,
    id: AppointmentId,
) -> Result<(Appointment, Examination)> {
    let before = get(uow.tx(), id).await?;
    if before.examination_id.is_some() {
        return Err(Error::conflict(
            "examination_already_started",
            "This appointment's examination is started already: open it from the appointment.",
        ));
    }
    if !matches!(
        before.status,
        AppointmentStatus::Booked | AppointmentStatus::Arrived | AppointmentStatus::InRoom
    ) {
        return Err(Error::conflict(
            "invalid_transition",
            format!("An appointment that is {} cannot start an examination.", before.status),
        ));
    }
    let values = ExaminationValues {
        examined_on: ils_clinical::today(),
        visual_acuity: Pair::default(),
        iop_mmhg: Pair::default(),
        refraction: None,
        notes: None,
        pd: Default::default(),
    };
    let exam = examinations::record(uow, before.patient_id, values).await?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "UPDATE appointments SET examination_id = $3, status = 'in_room', updated_at = $4
         WHERE tenant_id = $1 AND id = $2 AND examination_id IS NULL",
        tenant,
        id,
        exam.id,
        Timestamp::now()
    )?;
    if before.status != AppointmentStatus::InRoom {
        let event = Event::new("appointment.status_changed", "appointment", id).changes(
            serde_json::json!({ "from_status": before.status, "to_status": AppointmentStatus::InRoom }),
        );
        uow.audit(event).await?;
        uow.emit(&AppointmentStatusChanged {
            appointment_id: id,
            from: before.status,
            to: AppointmentStatus::InRoom,
        })
        .await?;
    }
    Ok((get(uow.tx(), id).await?, exam))
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    #[sqlx(flatten)]
    appointment: Appointment,
    first_name: String,
    last_name: String,
    type_name: String,
    clinician_name: String,
    room_name: Option<String>,
}

/// Which appointments [`entries`] answers: each condition given narrows them.
#[derive(Default)]
struct Within {
    from: Option<Timestamp>,
    until: Option<Timestamp>,
    clinician: Option<ClinicianId>,
    patient: Option<PatientId>,
}

/// Appointments with their names, in time order, at most `limit`.
async fn entries(tx: &mut TenantTx, within: Within, limit: i64) -> Result<Vec<DiaryEntry>> {
    let tenant = tx.tenant_id();
    let sql = "SELECT a.id, a.patient_id, a.type_id, a.clinician_id, a.room_id, a.starts_at, a.ends_at, a.status, a.notes,
            a.examination_id, a.booked_by, a.created_at, a.updated_at,
            p.first_name, p.last_name, t.name AS type_name, c.name AS clinician_name, r.name AS room_name
        FROM appointments a
        JOIN patients p ON p.tenant_id = a.tenant_id AND p.id = a.patient_id
        JOIN appointment_types t ON t.tenant_id = a.tenant_id AND t.id = a.type_id
        JOIN clinicians c ON c.tenant_id = a.tenant_id AND c.id = a.clinician_id
        LEFT JOIN rooms r ON r.tenant_id = a.tenant_id AND r.id = a.room_id
        WHERE a.tenant_id = $1 AND ($2 IS NULL OR a.starts_at >= $2) AND ($3 IS NULL OR a.starts_at < $3)
          AND ($4 IS NULL OR a.clinician_id = $4) AND ($5 IS NULL OR a.patient_id = $5)
        ORDER BY a.starts_at, c.name, a.id
        LIMIT $6";
    let Within { from, until, clinician, patient } = within;
    let rows: Vec<EntryRow> =
        query!(tx, query_as, fetch_all, sql, tenant, from, until, clinician, patient, limit)?;
    Ok(rows
        .into_iter()
        .map(|r| DiaryEntry {
            appointment: r.appointment,
            patient_name: format!("{} {}", r.first_name, r.last_name),
            type_name: r.type_name,
            clinician_name: r.clinician_name,
            room_name: r.room_name,
        })
        .collect())
}

/// Every appointment of a patient, with names, in time order: for their subject-access export,
/// which is audited as a whole (so this is not).
pub async fn held_for(tx: &mut TenantTx, patient: PatientId) -> Result<Vec<DiaryEntry>> {
    entries(tx, Within { patient: Some(patient), ..Within::default() }, i64::MAX).await
}

/// The diary from `from` up to `to` (the practice's days, `to` excluded), optionally one
/// clinician's, in time order. It names patients, so it is audited as their records' reads are
/// (`diary.read`, with the patients' ids).
pub async fn diary(
    uow: &mut UnitOfWork,
    from: Date,
    to: Date,
    clinician: Option<ClinicianId>,
) -> Result<Vec<DiaryEntry>> {
    crate::check_days(from, to)?;
    let start = day_start(from)?;
    let end = day_start(to)?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let within = Within { from: Some(start), until: Some(end), clinician, patient: None };
    let entries = entries(tx, within, 2000).await?;
    let mut patients: Vec<PatientId> = entries.iter().map(|e| e.appointment.patient_id).collect();
    patients.sort();
    patients.dedup();
    let event = Event::new("diary.read", "tenant", tenant).changes(serde_json::json!({
        "from": from.to_string(), "to": to.to_string(), "clinician_id": clinician, "patient_ids": patients,
    }));
    uow.audit(event).await?;
    Ok(entries)
}

/// One patient's appointments, newest first, audited as a read of their record
/// (`patient.appointments_read`).
pub async fn for_patient(uow: &mut UnitOfWork, patient: PatientId) -> Result<Vec<Appointment>> {
    patients::get_readable(uow.tx(), patient).await?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments WHERE tenant_id = $1 AND patient_id = $2 ORDER BY starts_at DESC, id LIMIT 500"
    );
    let found: Vec<Appointment> = query!(tx, query_as, fetch_all, sql, tenant, patient)?;
    uow.audit(Event::new("patient.appointments_read", "patient", patient)).await?;
    Ok(found)
}

/// Removes every appointment of a patient whose record is being erased at the end of its
/// retention (the privacy crate's erasure); answers how many.
pub async fn remove_for_patient(tx: &mut TenantTx, patient: PatientId) -> Result<u64> {
    let tenant = tx.tenant_id();
    Ok(execute!(
        tx.conn(),
        "DELETE FROM appointments WHERE tenant_id = $1 AND patient_id = $2",
        tenant,
        patient
    )?)
}

/// Midnight at the start of the practice's `day`, as an instant.
pub fn day_start(day: Date) -> Result<Timestamp> {
    let zoned = day.to_zoned(zone()).map_err(|e| {
        Error::invalid_field("day", format!("{day} has no start in {}: {e}", crate::TIME_ZONE))
    })?;
    Ok(Timestamp::from_jiff(zoned.timestamp()))
}

#[cfg(test)]
mod tests {
    use super::AppointmentStatus::{self, *};

    #[test]
    fn the_days_moves_are_exactly_the_documented_ones() {
        let allowed = [
            (Booked, Arrived),
            (Booked, Cancelled),
            (Booked, NoShow),
            (Arrived, InRoom),
            (Arrived, Cancelled),
            (Arrived, NoShow),
            (InRoom, Done),
        ];
        for from in AppointmentStatus::ALL {
            for to in AppointmentStatus::ALL {
                assert_eq!(from.can_move_to(*to), allowed.contains(&(*from, *to)), "{from} -> {to}");
            }
        }
        assert!(Done.is_live() && Booked.is_live() && !Cancelled.is_live() && !NoShow.is_live());
    }
}
