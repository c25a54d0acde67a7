//! The diary in the console (docs/adr/043-diary.md): a day's appointments with the moves the day
//! makes (arrived, in the room, done, cancelled, no-show) and starting the examination; booking
//! a patient into a free slot found by type, clinician and day; and, for company admins, setting
//! up clinicians, rooms, appointment types and the week's opening hours.
//!
//! Every page calls the diary API's handlers, so it is allowed, refused and audited exactly as the
//! same request to the API would be.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use jiff::civil::Date;
use serde::Deserialize;

use super::form::CsrfForm;
use super::page::{Chrome, FieldErrors, PageResult, Placing, Rename, given, refused, refused_with, render};
use super::session::Viewer;
use crate::http::clinical::patients::get_patient;
use crate::http::diary::{
    AllQuery, AppointmentTypeInput, BookingInput, ClinicianInput, DiaryQuery, MoveInput, RoomInput,
    SlotsQuery, WeekInput, add_appointment_type, add_clinician, add_room, book_appointment, free_slots,
    get_opening_hours, list_appointment_types, list_appointments, list_clinicians, list_rooms,
    move_appointment, set_opening_hours, start_examination,
};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use ils_clinical::patients::Patient;
use ils_diary::appointments::{AppointmentStatus, DiaryEntry, local_day, local_time};
use ils_diary::hours::{Hours, Opening};
use ils_diary::resources::{AppointmentType, Clinician, Profession, Room};
use ils_diary::slots::FreeSlot;
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_storage::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId, RoomId};
use ils_storage::types::Timestamp;

/// `?day=YYYY-MM-DD`; today when absent.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DayForm {
    #[serde(default)]
    day: String,
}

fn day_of(text: &str) -> Result<Date, Error> {
    match given(text) {
        Some(day) => ils_clinical::parse_date("day", &day),
        None => Ok(ils_clinical::today()),
    }
}

#[derive(Template)]
#[template(path = "console/diary.html")]
struct Day {
    chrome: Chrome,
    day: Date,
    entries: Vec<DiaryEntry>,
    may_book: bool,
    may_examine: bool,
    may_set_up: bool,
}

impl Day {
    fn time(&self, e: &DiaryEntry) -> String {
        format!("{}–{}", local_time(e.appointment.starts_at), local_time(e.appointment.ends_at))
    }

    fn status(&self, e: &DiaryEntry) -> &'static str {
        e.appointment.status.words()
    }

    /// The moves this appointment can make, as (status, button label, button class).
    fn moves(&self, e: &DiaryEntry) -> Vec<(&'static str, &'static str, &'static str)> {
        use AppointmentStatus::*;
        [
            (Arrived, "Arrived"),
            (InRoom, "In room"),
            (Done, "Done"),
            (NoShow, "No-show"),
            (Cancelled, "Cancel"),
        ]
        .into_iter()
        .filter(|(to, _)| e.appointment.status.can_move_to(*to))
        .map(|(to, label)| (to.as_str(), label, if to == Cancelled { "danger" } else { "secondary" }))
        .collect()
    }

    fn may_start(&self, e: &DiaryEntry) -> bool {
        self.may_examine
            && e.appointment.examination_id.is_none()
            && matches!(
                e.appointment.status,
                AppointmentStatus::Booked | AppointmentStatus::Arrived | AppointmentStatus::InRoom
            )
    }

    fn previous(&self) -> String {
        self.day.yesterday().map(|d| d.to_string()).unwrap_or_default()
    }

    fn next(&self) -> String {
        self.day.tomorrow().map(|d| d.to_string()).unwrap_or_default()
    }

    fn heading(&self) -> String {
        self.day.strftime("%A %-d %B %Y").to_string()
    }
}

/// `GET /diary?day=`.
pub(crate) async fn day(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<DayForm>,
) -> PageResult {
    let day = day_of(&form.day)?;
    let query = DiaryQuery { from: day.to_string(), to: None, clinician_id: None };
    let entries = list_appointments(State(state), viewer.principal.clone(), ApiQuery(query)).await?.0;
    let may = |action| viewer.principal.may(action);
    Ok(render(&Day {
        chrome: viewer.chrome.at("/diary"),
        day,
        entries,
        may_book: may(Action::DiaryBook),
        may_examine: may(Action::ExaminationsWrite),
        may_set_up: may(Action::SettingsManage),
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct MoveForm {
    status: AppointmentStatus,
}

/// `POST /diary/appointments/{id}/status`.
pub(crate) async fn move_on(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<AppointmentId>,
    CsrfForm(form): CsrfForm<MoveForm>,
) -> PageResult {
    let input = MoveInput { status: form.status };
    let moved = move_appointment(State(state), viewer.principal, ApiPath(id), ApiJson(input)).await?.0;
    Ok(Redirect::to(&format!("/diary?day={}", local_day(moved.starts_at))).into_response())
}

/// `POST /diary/appointments/{id}/examination`: starts it and opens it.
pub(crate) async fn examine(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<AppointmentId>,
    _: super::form::Csrf,
) -> PageResult {
    let started = start_examination(State(state), viewer.principal, ApiPath(id)).await?.1.0;
    Ok(Redirect::to(&format!("/examinations/{}", started.examination.id)).into_response())
}

/// The booking page's choices, as typed (a GET form, so it can be bookmarked).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct BookForm {
    #[serde(default)]
    patient: String,
    #[serde(default)]
    type_id: String,
    #[serde(default)]
    clinician_id: String,
    #[serde(default)]
    day: String,
}

#[derive(Template)]
#[template(path = "console/diary_book.html")]
struct Book {
    chrome: Chrome,
    patient: Patient,
    form: BookForm,
    types: Vec<AppointmentType>,
    clinicians: Vec<Clinician>,
    rooms: Vec<Room>,
    slots: Option<Vec<FreeSlot>>,
    errors: FieldErrors,
}

impl Book {
    fn slot_label(&self, slot: &FreeSlot) -> String {
        let who = self.clinicians.iter().find(|c| c.id == slot.clinician_id).map_or("", |c| c.name.as_str());
        let room = slot
            .room_id
            .and_then(|r| self.rooms.iter().find(|room| room.id == r))
            .map(|r| format!(", {}", r.name))
            .unwrap_or_default();
        format!("{} with {who}{room}", local_time(slot.starts_at))
    }
}

async fn book_page(
    state: &AppState,
    viewer: &Viewer,
    form: BookForm,
    errors: FieldErrors,
) -> Result<Book, super::ConsoleError> {
    let principal = viewer.principal.clone();
    let patient: PatientId = super::stock::chosen("patient", &form.patient)?;
    let patient = get_patient(State(state.clone()), principal.clone(), ApiPath(patient)).await?.0;
    let types = list_appointment_types(State(state.clone()), principal.clone()).await?.0;
    let clinicians =
        list_clinicians(State(state.clone()), principal.clone(), ApiQuery(AllQuery { all: None })).await?.0;
    let rooms = list_rooms(State(state.clone()), principal.clone()).await?.0;
    let mut errors = errors;
    let slots = match (given(&form.type_id), given(&form.day)) {
        (Some(kind), Some(day)) => {
            let query = SlotsQuery {
                type_id: super::stock::chosen("type_id", &kind)?,
                clinician_id: super::stock::filter("clinician_id", &form.clinician_id)?,
                from: day.clone(),
                to: None,
            };
            match free_slots(State(state.clone()), principal.clone(), ApiQuery(query)).await {
                Ok(found) => Some(found.0),
                Err(error) if matches!(error.0, Error::Invalid { .. }) => {
                    errors = FieldErrors::from_error(&error.0);
                    None
                }
                Err(error) => return Err(error.into()),
            }
        }
        _ => None,
    };
    Ok(Book { chrome: viewer.chrome.at("/diary"), patient, form, types, clinicians, rooms, slots, errors })
}

/// `GET /diary/book?patient=&type_id=&clinician_id=&day=`: choose, then see the free slots.
pub(crate) async fn book_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<BookForm>,
) -> PageResult {
    Ok(render(&book_page(&state, &viewer, form, FieldErrors::default()).await?))
}

/// A free slot chosen.
#[derive(Debug, Deserialize)]
pub(crate) struct SlotForm {
    patient: String,
    type_id: String,
    clinician_id: String,
    #[serde(default)]
    room_id: String,
    starts_at: String,
    #[serde(default)]
    day: String,
}

/// `POST /diary/book`: books the chosen slot, then shows the day. A slot taken meanwhile shows
/// the booking page again with why.
pub(crate) async fn book(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<SlotForm>,
) -> PageResult {
    let input = BookingInput {
        patient_id: super::stock::chosen("patient", &form.patient)?,
        type_id: super::stock::chosen::<AppointmentTypeId>("type_id", &form.type_id)?,
        clinician_id: super::stock::chosen::<ClinicianId>("clinician_id", &form.clinician_id)?,
        room_id: super::stock::filter::<RoomId>("room_id", &form.room_id)?,
        starts_at: form
            .starts_at
            .parse::<jiff::Timestamp>()
            .map(Timestamp::from_jiff)
            .map_err(|_| Error::invalid_field("starts_at", "choose a time"))?,
        notes: None,
    };
    match book_appointment(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await {
        Ok((_, booked)) => {
            Ok(Redirect::to(&format!("/diary?day={}", local_day(booked.0.starts_at))).into_response())
        }
        Err(error) => {
            let back = BookForm {
                patient: form.patient,
                type_id: form.type_id,
                clinician_id: String::new(),
                day: form.day,
            };
            let shown = book_page(&state, &viewer, back, FieldErrors::default()).await?;
            refused(error, |errors| Book { errors, ..shown })
        }
    }
}

#[derive(Template)]
#[template(path = "console/diary_setup.html")]
struct Setup {
    chrome: Chrome,
    clinicians: Vec<Clinician>,
    rooms: Vec<Room>,
    types: Vec<AppointmentType>,
    hours: Hours,
    form: SetupForm,
    errors: FieldErrors,
}

const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

impl Setup {
    fn professions(&self) -> Vec<(&'static str, &'static str)> {
        Profession::ALL.iter().map(|p| (p.as_str(), profession_words(*p))).collect()
    }

    fn profession(&self, p: &Profession) -> &'static str {
        profession_words(*p)
    }

    fn performers(&self, t: &AppointmentType) -> String {
        t.professions.iter().map(|p| profession_words(*p)).collect::<Vec<_>>().join(", ")
    }

    /// Each weekday with its (up to two) sessions as typed: `(number, name, [opens, closes, opens, closes])`.
    fn week(&self) -> Vec<(usize, &'static str, [String; 4])> {
        WEEKDAYS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let day = i16::try_from(i + 1).unwrap_or(1);
                let sessions: Vec<&Opening> = self.hours.week.iter().filter(|o| o.weekday == day).collect();
                let at = |n: usize, open: bool| {
                    sessions
                        .get(n)
                        .map(|o| if open { o.opens.clone() } else { o.closes.clone() })
                        .unwrap_or_default()
                };
                (i + 1, *name, [at(0, true), at(0, false), at(1, true), at(1, false)])
            })
            .collect()
    }
}

fn profession_words(p: Profession) -> &'static str {
    match p {
        Profession::Optometrist => "Optometrist",
        Profession::DispensingOptician => "Dispensing optician",
        Profession::ContactLensOptician => "Contact lens optician",
        Profession::OphthalmicMedicalPractitioner => "Ophthalmic medical practitioner",
        Profession::OpticalAssistant => "Optical assistant",
    }
}

/// The set-up forms' fields, as typed (one struct: the page shows one set of errors).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    profession: String,
    #[serde(default)]
    goc_number: String,
    #[serde(default)]
    room_name: String,
    #[serde(default)]
    type_name: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    performers: Vec<String>,
    #[serde(default)]
    needs_room: Option<String>,
}

async fn setup_page(
    state: &AppState,
    viewer: &Viewer,
    form: SetupForm,
) -> Result<Setup, super::ConsoleError> {
    let principal = viewer.principal.clone();
    principal.tenant(Action::SettingsManage).map_err(crate::http::problem::ApiError)?;
    Ok(Setup {
        chrome: viewer.chrome.at("/diary"),
        clinicians: list_clinicians(
            State(state.clone()),
            principal.clone(),
            ApiQuery(AllQuery { all: Some(true) }),
        )
        .await?
        .0,
        rooms: list_rooms(State(state.clone()), principal.clone()).await?.0,
        types: list_appointment_types(State(state.clone()), principal.clone()).await?.0,
        hours: get_opening_hours(State(state.clone()), principal).await?.0,
        form,
        errors: FieldErrors::default(),
    })
}

/// `GET /diary/setup`.
pub(crate) async fn setup(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&setup_page(&state, &viewer, SetupForm::default()).await?))
}

/// `POST /diary/setup/clinicians`.
pub(crate) async fn add_clinician_page(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> PageResult {
    let profession = form
        .profession
        .parse::<Profession>()
        .map_err(|_| Error::invalid_field("profession", "choose a profession"));
    let result = match profession {
        Ok(profession) => {
            let input = ClinicianInput {
                name: form.name.clone(),
                profession,
                goc_number: given(&form.goc_number),
                user_id: None,
            };
            add_clinician(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await.map(|_| ())
        }
        Err(error) => Err(error.into()),
    };
    setup_answer(&state, &viewer, form, result, None).await
}

/// `POST /diary/setup/rooms`.
pub(crate) async fn add_room_page(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> PageResult {
    let input = RoomInput { name: form.room_name.clone() };
    let result = add_room(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await.map(|_| ());
    let rename = |field: &str| (field == "name").then(|| "room_name".to_owned());
    setup_answer(&state, &viewer, form, result, Some(&rename)).await
}

/// `POST /diary/setup/types`.
pub(crate) async fn add_type_page(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> PageResult {
    let minutes = form
        .duration_minutes
        .trim()
        .parse::<i32>()
        .map_err(|_| Error::invalid_field("duration_minutes", "must be a number of minutes, e.g. 30"));
    let professions: Result<Vec<Profession>, Error> = form
        .performers
        .iter()
        .map(|p| p.parse().map_err(|_| Error::invalid_field("performers", "choose who may perform it")))
        .collect();
    let result = match (minutes, professions) {
        (Ok(duration_minutes), Ok(professions)) => {
            let input = AppointmentTypeInput {
                name: form.type_name.clone(),
                duration_minutes,
                professions,
                needs_room: form.needs_room.is_some(),
            };
            add_appointment_type(State(state.clone()), viewer.principal.clone(), ApiJson(input))
                .await
                .map(|_| ())
        }
        (Err(e), _) | (_, Err(e)) => Err(e.into()),
    };
    let rename = |field: &str| match field {
        "name" => Some("type_name".to_owned()),
        "professions" => Some("performers".to_owned()),
        _ => None,
    };
    setup_answer(&state, &viewer, form, result, Some(&rename)).await
}

/// The week as typed: `w{day}_{n}` for n in 0..4 (first session's times, then the second's).
pub(crate) type WeekForm = std::collections::HashMap<String, String>;

/// `POST /diary/setup/hours`.
pub(crate) async fn set_hours_page(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(typed): CsrfForm<WeekForm>,
) -> PageResult {
    let mut week = Vec::new();
    for day in 1..=7_i16 {
        for session in 0..2 {
            let get = |n: i32| typed.get(&format!("w{day}_{}", session * 2 + n)).and_then(|v| given(v));
            if let (Some(opens), Some(closes)) = (get(0), get(1)) {
                week.push(Opening { weekday: day, opens, closes });
            }
        }
    }
    let result =
        set_opening_hours(State(state.clone()), viewer.principal.clone(), ApiJson(WeekInput { week }))
            .await
            .map(|_| ());
    setup_answer(&state, &viewer, SetupForm::default(), result, None).await
}

async fn setup_answer(
    state: &AppState,
    viewer: &Viewer,
    form: SetupForm,
    result: Result<(), crate::http::problem::ApiError>,
    rename: Option<Rename<'_>>,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to("/diary/setup").into_response()),
        Err(error) => {
            let shown = setup_page(state, viewer, form).await?;
            refused_with(error, Placing { rename, ..Placing::default() }, |errors| Setup { errors, ..shown })
        }
    }
}
