//! The practice's diary over HTTP (docs/adr/043-diary.md): its clinicians, rooms, appointment
//! types and opening hours (company admins set them up), appointments (booked, moved through the
//! day, cancelled), free slots, and starting an examination from an appointment.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::problem::{ApiResult, Problem};
use crate::state::AppState;
use ils_clinical::examinations::Examination;
use ils_diary::appointments::{self, Appointment, AppointmentStatus, Booking, DiaryEntry};
use ils_diary::hours::{self, Exception, Hours, Opening};
use ils_diary::resources::{
    self, AppointmentType, Clinician, NewAppointmentType, NewClinician, Profession, Room,
};
use ils_diary::slots::{self, FreeSlot, SlotQuery};
use ils_kernel::permissions::Action;
use ils_outbox::UnitOfWork;
use ils_storage::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId, RoomId, UserId};
use ils_storage::types::Timestamp;
use ils_tenancy::auth::Principal;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clinicians, add_clinician))
        .routes(routes!(set_clinician_active))
        .routes(routes!(list_rooms, add_room))
        .routes(routes!(list_appointment_types, add_appointment_type))
        .routes(routes!(get_opening_hours, set_opening_hours))
        .routes(routes!(set_opening_exception))
        .routes(routes!(list_appointments, book_appointment))
        .routes(routes!(free_slots))
        .routes(routes!(get_appointment))
        .routes(routes!(move_appointment))
        .routes(routes!(start_examination))
        .routes(routes!(patient_appointments))
}

/// A clinician to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClinicianInput {
    /// Name as patients see it, 1–200 characters.
    pub(crate) name: String,
    /// What they are registered as.
    pub(crate) profession: Profession,
    /// GOC registration number (`01-12345`): required for optometrists, dispensing and contact
    /// lens opticians; refused for the others.
    pub(crate) goc_number: Option<String>,
    /// Their ILS user in this practice, if they sign in.
    pub(crate) user_id: Option<UserId>,
}

/// The practice's clinicians, by name.
#[utoipa::path(get, path = "/clinicians", tag = "diary", security(("bearer" = [])), params(AllQuery),
    responses((status = 200, description = "The clinicians", body = Vec<Clinician>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn list_clinicians(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<AllQuery>,
) -> ApiResult<Json<Vec<Clinician>>> {
    let ctx = principal.tenant(Action::DiaryRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(resources::clinicians(&mut tx, q.all.unwrap_or(false)).await?))
}

/// Whether to include what is no longer in use.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AllQuery {
    /// Include inactive clinicians too.
    pub(crate) all: Option<bool>,
}

/// Add a clinician.
#[utoipa::path(post, path = "/clinicians", tag = "diary", security(("bearer" = [])), request_body = ClinicianInput,
    responses((status = 201, description = "Added", body = Clinician),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 409, description = "Another clinician has that GOC number (`goc_number_taken`)", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn add_clinician(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<ClinicianInput>,
) -> ApiResult<(StatusCode, Json<Clinician>)> {
    let ctx = principal.tenant(Action::SettingsManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let new = NewClinician {
        name: input.name,
        profession: input.profession,
        goc_number: input.goc_number,
        user_id: input.user_id,
    };
    let clinician = resources::add_clinician(&mut uow, new).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(clinician)))
}

/// Bookable or not.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActiveInput {
    /// Whether the clinician may be booked.
    pub(crate) active: bool,
}

/// Make a clinician bookable or not (one who left keeps their past appointments).
#[utoipa::path(put, path = "/clinicians/{clinician_id}/active", tag = "diary", security(("bearer" = [])),
    params(("clinician_id" = ClinicianId, Path, description = "The clinician")), request_body = ActiveInput,
    responses((status = 200, description = "Changed", body = Clinician),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such clinician in this tenant", body = Problem)))]
pub(crate) async fn set_clinician_active(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ClinicianId>,
    ApiJson(input): ApiJson<ActiveInput>,
) -> ApiResult<Json<Clinician>> {
    let ctx = principal.tenant(Action::SettingsManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let clinician = resources::set_clinician_active(&mut uow, id, input.active).await?;
    uow.commit().await?;
    Ok(Json(clinician))
}

/// A room to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoomInput {
    /// Its name, 1–100 characters, unique in the practice.
    pub(crate) name: String,
}

/// The practice's rooms in use, by name.
#[utoipa::path(get, path = "/rooms", tag = "diary", security(("bearer" = [])),
    responses((status = 200, description = "The rooms", body = Vec<Room>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn list_rooms(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<Room>>> {
    let ctx = principal.tenant(Action::DiaryRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(resources::rooms(&mut tx).await?))
}

/// Add a room.
#[utoipa::path(post, path = "/rooms", tag = "diary", security(("bearer" = [])), request_body = RoomInput,
    responses((status = 201, description = "Added", body = Room),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 409, description = "A room of that name exists (`room_exists`)", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn add_room(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<RoomInput>,
) -> ApiResult<(StatusCode, Json<Room>)> {
    let ctx = principal.tenant(Action::SettingsManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let room = resources::add_room(&mut uow, &input.name).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(room)))
}

/// An appointment type to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppointmentTypeInput {
    /// Its name, 1–100 characters, unique in the practice ("Sight test").
    pub(crate) name: String,
    /// How long one takes, 5–480 minutes.
    pub(crate) duration_minutes: i32,
    /// Who may perform it: at least one profession.
    pub(crate) professions: Vec<Profession>,
    /// Whether it takes a room as well as a clinician.
    pub(crate) needs_room: bool,
}

/// The appointment types the practice offers, by name.
#[utoipa::path(get, path = "/appointment-types", tag = "diary", security(("bearer" = [])),
    responses((status = 200, description = "The types", body = Vec<AppointmentType>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn list_appointment_types(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<AppointmentType>>> {
    let ctx = principal.tenant(Action::DiaryRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(resources::appointment_types(&mut tx).await?))
}

/// Add an appointment type.
#[utoipa::path(post, path = "/appointment-types", tag = "diary", security(("bearer" = [])), request_body = AppointmentTypeInput,
    responses((status = 201, description = "Added", body = AppointmentType),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 409, description = "A type of that name exists (`appointment_type_exists`)", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn add_appointment_type(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<AppointmentTypeInput>,
) -> ApiResult<(StatusCode, Json<AppointmentType>)> {
    let ctx = principal.tenant(Action::SettingsManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let new = NewAppointmentType {
        name: input.name,
        duration_minutes: input.duration_minutes,
        professions: input.professions,
        needs_room: input.needs_room,
    };
    let kind = resources::add_type(&mut uow, new).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(kind)))
}

/// The practice's opening hours: the week, and the exceptions from today on.
#[utoipa::path(get, path = "/opening-hours", tag = "diary", security(("bearer" = [])),
    responses((status = 200, description = "The hours", body = Hours),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem)))]
pub(crate) async fn get_opening_hours(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Hours>> {
    let ctx = principal.tenant(Action::DiaryRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(hours::get(&mut tx, ils_clinical::today()).await?))
}

/// The week's sessions.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WeekInput {
    /// Every session of the week; a day with none is closed.
    pub(crate) week: Vec<Opening>,
}

/// Replace the week's opening sessions.
#[utoipa::path(put, path = "/opening-hours", tag = "diary", security(("bearer" = [])), request_body = WeekInput,
    responses((status = 200, description = "The hours now", body = Hours),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn set_opening_hours(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<WeekInput>,
) -> ApiResult<Json<Hours>> {
    let ctx = principal.tenant(Action::SettingsManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    hours::set_week(&mut uow, &input.week).await?;
    let now = hours::get(uow.tx(), ils_clinical::today()).await?;
    uow.commit().await?;
    Ok(Json(now))
}

/// Set a day's exception: closed (no times) or other hours.
#[utoipa::path(post, path = "/opening-hours/exceptions", tag = "diary", security(("bearer" = [])), request_body = Exception,
    responses((status = 200, description = "Set", body = Exception),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn set_opening_exception(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<Exception>,
) -> ApiResult<Json<Exception>> {
    let ctx = principal.tenant(Action::SettingsManage)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let set = hours::set_exception(&mut uow, &input).await?;
    uow.commit().await?;
    Ok(Json(set))
}

/// An appointment to book.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BookingInput {
    /// The patient.
    pub(crate) patient_id: PatientId,
    /// The appointment type.
    pub(crate) type_id: AppointmentTypeId,
    /// The clinician; their profession must perform the type.
    pub(crate) clinician_id: ClinicianId,
    /// The room, for a type that needs one; the first free room is taken when absent.
    pub(crate) room_id: Option<RoomId>,
    /// Start, RFC 3339 (`2026-12-08T09:30:00Z`); within opening hours, not in the past.
    pub(crate) starts_at: Timestamp,
    /// Notes for the practice, up to 2,000 characters.
    pub(crate) notes: Option<String>,
}

/// Book an appointment. Two bookings of one clinician's or room's time, however close together,
/// give one `201` and one `409`.
#[utoipa::path(post, path = "/appointments", tag = "diary", security(("bearer" = [])), request_body = BookingInput,
    responses((status = 201, description = "Booked", body = Appointment),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this tenant", body = Problem),
              (status = 409, description = "The clinician or room is booked then (`clinician_busy`, `room_busy`), or the patient's record is deleted", body = Problem),
              (status = 422, description = "Invalid input: closed then, in the past, a clinician who does not perform the type …", body = Problem)))]
pub(crate) async fn book_appointment(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<BookingInput>,
) -> ApiResult<(StatusCode, Json<Appointment>)> {
    let ctx = principal.tenant(Action::DiaryBook)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let booking = Booking {
        patient_id: input.patient_id,
        type_id: input.type_id,
        clinician_id: input.clinician_id,
        room_id: input.room_id,
        starts_at: input.starts_at,
        notes: input.notes,
    };
    let appointment = appointments::book(&mut uow, booking).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(appointment)))
}

/// Which part of the diary.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DiaryQuery {
    /// The first day, `YYYY-MM-DD` (the practice's days, Europe/London).
    pub(crate) from: String,
    /// The day after the last, `YYYY-MM-DD`; the day after `from` when absent.
    pub(crate) to: Option<String>,
    /// Only this clinician's appointments.
    pub(crate) clinician_id: Option<ClinicianId>,
}

/// The diary for a range of days (at most 31), in time order, with names. Audited as a read of
/// the patients it names (`diary.read`).
#[utoipa::path(get, path = "/appointments", tag = "diary", security(("bearer" = [])), params(DiaryQuery),
    responses((status = 200, description = "The appointments", body = Vec<DiaryEntry>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid dates", body = Problem)))]
pub(crate) async fn list_appointments(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<DiaryQuery>,
) -> ApiResult<Json<Vec<DiaryEntry>>> {
    let ctx = principal.tenant(Action::DiaryRead)?;
    let (from, to) = days(&q.from, q.to.as_deref())?;
    let to = match to {
        Some(to) => to,
        None => from.tomorrow().map_err(|e| ils_kernel::Error::invalid_field("from", e.to_string()))?,
    };
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let entries = appointments::diary(&mut uow, from, to, q.clinician_id).await?;
    uow.commit().await?;
    Ok(Json(entries))
}

/// A query's `from` and optional `to` as dates (the diary crate judges the range).
fn days(from: &str, to: Option<&str>) -> ils_kernel::Result<(jiff::civil::Date, Option<jiff::civil::Date>)> {
    let from = ils_clinical::parse_date("from", from)?;
    let to = to.map(|to| ils_clinical::parse_date("to", to)).transpose()?;
    Ok((from, to))
}

/// Which free slots.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SlotsQuery {
    /// The appointment type.
    pub(crate) type_id: AppointmentTypeId,
    /// Only this clinician.
    pub(crate) clinician_id: Option<ClinicianId>,
    /// The first day, `YYYY-MM-DD`.
    pub(crate) from: String,
    /// The last day (included), `YYYY-MM-DD`; `from` when absent; at most 31 days.
    pub(crate) to: Option<String>,
}

/// When an appointment of a type could be booked: every 15 minutes within opening hours, with a
/// clinician who performs it free (and a room, when it needs one), after now.
#[utoipa::path(get, path = "/appointments/free-slots", tag = "diary", security(("bearer" = [])), params(SlotsQuery),
    responses((status = 200, description = "Free slots, in time order (at most 500)", body = Vec<FreeSlot>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 422, description = "Invalid type, clinician or dates", body = Problem)))]
pub(crate) async fn free_slots(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<SlotsQuery>,
) -> ApiResult<Json<Vec<FreeSlot>>> {
    let ctx = principal.tenant(Action::DiaryRead)?;
    let (from, to) = days(&q.from, q.to.as_deref())?;
    let query = SlotQuery { type_id: q.type_id, clinician_id: q.clinician_id, from, to: to.unwrap_or(from) };
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(slots::search(&mut tx, &query).await?))
}

/// One appointment.
#[utoipa::path(get, path = "/appointments/{appointment_id}", tag = "diary", security(("bearer" = [])),
    params(("appointment_id" = AppointmentId, Path, description = "The appointment")),
    responses((status = 200, description = "The appointment", body = Appointment),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such appointment in this tenant", body = Problem)))]
pub(crate) async fn get_appointment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<AppointmentId>,
) -> ApiResult<Json<Appointment>> {
    let ctx = principal.tenant(Action::DiaryRead)?;
    let mut tx = state.db.tenant_read(ctx.tenant_id).await?;
    Ok(Json(appointments::get(&mut tx, id).await?))
}

/// Where the appointment is to go.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoveInput {
    /// `arrived`, `in_room`, `done`, `cancelled` or `no_show`.
    pub(crate) status: AppointmentStatus,
}

/// Move an appointment on in the day, or cancel it (its slot is free again).
#[utoipa::path(post, path = "/appointments/{appointment_id}/status", tag = "diary", security(("bearer" = [])),
    params(("appointment_id" = AppointmentId, Path, description = "The appointment")), request_body = MoveInput,
    responses((status = 200, description = "Moved", body = Appointment),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such appointment in this tenant", body = Problem),
              (status = 409, description = "Not a move from its status (`invalid_transition`)", body = Problem),
              (status = 422, description = "Invalid input", body = Problem)))]
pub(crate) async fn move_appointment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<AppointmentId>,
    ApiJson(input): ApiJson<MoveInput>,
) -> ApiResult<Json<Appointment>> {
    let ctx = principal.tenant(Action::DiaryBook)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let appointment = appointments::move_to(&mut uow, id, input.status).await?;
    uow.commit().await?;
    Ok(Json(appointment))
}

/// The appointment with the examination started from it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Started {
    /// The appointment, now in the room.
    pub(crate) appointment: Appointment,
    /// The draft examination.
    pub(crate) examination: Examination,
}

/// Start the patient's examination from their appointment: a draft examination, today, by the
/// caller; the appointment is in the room.
#[utoipa::path(post, path = "/appointments/{appointment_id}/examination", tag = "diary", security(("bearer" = [])),
    params(("appointment_id" = AppointmentId, Path, description = "The appointment")),
    responses((status = 201, description = "Started", body = Started),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such appointment in this tenant", body = Problem),
              (status = 409, description = "Started already (`examination_already_started`), or the appointment is over", body = Problem)))]
pub(crate) async fn start_examination(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<AppointmentId>,
) -> ApiResult<(StatusCode, Json<Started>)> {
    let ctx = principal.tenant(Action::ExaminationsWrite)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let (appointment, examination) = appointments::start_examination(&mut uow, id).await?;
    uow.commit().await?;
    Ok((StatusCode::CREATED, Json(Started { appointment, examination })))
}

/// A patient's appointments, newest first; audited as a read of their record.
#[utoipa::path(get, path = "/patients/{patient_id}/appointments", tag = "diary", security(("bearer" = [])),
    params(("patient_id" = PatientId, Path, description = "The patient")),
    responses((status = 200, description = "The appointments", body = Vec<Appointment>),
              (status = 401, description = "Not signed in", body = Problem),
              (status = 403, description = "Not allowed", body = Problem),
              (status = 404, description = "No such patient in this tenant", body = Problem)))]
pub(crate) async fn patient_appointments(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<PatientId>,
) -> ApiResult<Json<Vec<Appointment>>> {
    let ctx = principal.tenant(Action::DiaryRead)?;
    let mut uow = UnitOfWork::begin(&state.db, &ctx).await?;
    let found = appointments::for_patient(&mut uow, id).await?;
    uow.commit().await?;
    Ok(Json(found))
}
