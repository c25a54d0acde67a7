//! What a practice books: its clinicians, its rooms, and the kinds of appointment it offers.
//! Company admins set them up; each change is audited. Nothing is deleted — a clinician who
//! leaves or a room no longer used is made inactive, so past appointments keep their names.

use serde::{Deserialize, Serialize};

use ils_kernel::audit::Event;
use ils_kernel::input::{Fields, name_up_to};
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{AppointmentTypeId, ClinicianId, RoomId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query, text_enum};

text_enum! {
    /// What a clinician is registered as.
    pub enum Profession {
        /// Optometrist (GOC registered; tests sight).
        Optometrist = "optometrist",
        /// Dispensing optician (GOC registered).
        DispensingOptician = "dispensing_optician",
        /// Contact lens optician (a dispensing optician with the speciality).
        ContactLensOptician = "contact_lens_optician",
        /// Ophthalmic medical practitioner (a doctor; GMC, not GOC, registered; tests sight).
        OphthalmicMedicalPractitioner = "ophthalmic_medical_practitioner",
        /// Optical assistant (not registered: pre-screening, collections, repairs).
        OpticalAssistant = "optical_assistant",
    }
}

impl Profession {
    /// Whether the General Optical Council registers this profession (so a GOC number is due).
    pub fn goc_registered(self) -> bool {
        matches!(
            self,
            Profession::Optometrist | Profession::DispensingOptician | Profession::ContactLensOptician
        )
    }
}

/// A clinician of the practice.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Clinician {
    /// The clinician's id.
    pub id: ClinicianId,
    /// Name as patients see it ("Priya Shah").
    pub name: String,
    /// What they are registered as.
    pub profession: Profession,
    /// GOC registration number (`01-12345`), for the GOC-registered professions.
    pub goc_number: Option<String>,
    /// Their ILS user, when they sign in.
    pub user_id: Option<UserId>,
    /// Bookable (an inactive clinician keeps their past appointments).
    pub active: bool,
    /// Added.
    pub created_at: Timestamp,
}

/// A clinician to add, checked by [`add_clinician`].
#[derive(Clone, Debug)]
pub struct NewClinician {
    /// 1–200 characters.
    pub name: String,
    /// What they are registered as.
    pub profession: Profession,
    /// `NN-NNNNN`; required for the GOC-registered professions, refused for the others.
    pub goc_number: Option<String>,
    /// Their ILS user in this tenant, if any.
    pub user_id: Option<UserId>,
}

/// A room or other bookable resource (a consulting room, the contact lens room, a visual fields
/// screener).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Room {
    /// The room's id.
    pub id: RoomId,
    /// Its name, unique in the practice ignoring case.
    pub name: String,
    /// Bookable.
    pub active: bool,
    /// Added.
    pub created_at: Timestamp,
}

/// A kind of appointment the practice offers.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointmentType {
    /// The type's id.
    pub id: AppointmentTypeId,
    /// Its name, unique in the practice ignoring case ("Sight test", "Contact lens check").
    pub name: String,
    /// How long one takes, 5–480 minutes.
    pub duration_minutes: i32,
    /// Who may perform it.
    pub professions: Vec<Profession>,
    /// Whether it takes a room as well as a clinician.
    pub needs_room: bool,
    /// Bookable.
    pub active: bool,
    /// Added.
    pub created_at: Timestamp,
}

impl AppointmentType {
    /// Whether `clinician` may perform appointments of this type.
    pub fn performable_by(&self, clinician: &Clinician) -> bool {
        clinician.active && self.professions.contains(&clinician.profession)
    }
}

/// The longest an appointment type may take, in minutes. The database keeps appointments to it
/// too, so a check for overlaps need look back no further than this from a time.
pub const LONGEST_MINUTES: i32 = 480;

/// An appointment type to add, checked by [`add_type`].
#[derive(Clone, Debug, Deserialize)]
pub struct NewAppointmentType {
    /// 1–100 characters.
    pub name: String,
    /// 5–480 minutes.
    pub duration_minutes: i32,
    /// At least one.
    pub professions: Vec<Profession>,
    /// Whether it takes a room.
    pub needs_room: bool,
}

#[derive(sqlx::FromRow)]
struct TypeRow {
    id: AppointmentTypeId,
    name: String,
    duration_minutes: i32,
    professions: sqlx::types::Json<Vec<Profession>>,
    needs_room: bool,
    active: bool,
    created_at: Timestamp,
}

impl From<TypeRow> for AppointmentType {
    fn from(r: TypeRow) -> Self {
        AppointmentType {
            id: r.id,
            name: r.name,
            duration_minutes: r.duration_minutes,
            professions: r.professions.0,
            needs_room: r.needs_room,
            active: r.active,
            created_at: r.created_at,
        }
    }
}

const CLINICIAN_COLUMNS: &str = "id, name, profession, goc_number, user_id, active, created_at";
const TYPE_COLUMNS: &str = "id, name, duration_minutes, professions, needs_room, active, created_at";

/// A GOC registration number as the register shows it: two digits, a hyphen, five digits.
pub fn goc_number(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 8
        && bytes[2] == b'-'
        && bytes.iter().enumerate().all(|(i, b)| i == 2 || b.is_ascii_digit());
    if !shaped {
        return Err(Error::invalid_field(
            field,
            "must be a GOC number as the register shows it, e.g. 01-12345",
        ));
    }
    Ok(value.to_owned())
}

/// Adds a clinician; `clinician.added` in the audit log.
pub async fn add_clinician(uow: &mut UnitOfWork, new: NewClinician) -> Result<Clinician> {
    let mut f = Fields::new();
    let name = f.check(name_up_to("name", &new.name, 200));
    let goc = match (new.profession.goc_registered(), new.goc_number.as_deref().map(str::trim)) {
        (true, Some(n)) if !n.is_empty() => f.check(goc_number("goc_number", n).map(Some)),
        (true, _) => {
            f.add("goc_number", "is required for a GOC-registered clinician");
            None
        }
        (false, Some(n)) if !n.is_empty() => {
            f.add("goc_number", "only GOC-registered professions have one");
            None
        }
        (false, _) => Some(None),
    };
    let (name, goc) = f.build(|| Some((name?, goc?)))?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    if let Some(user) = new.user_id {
        let member: bool = query!(
            tx,
            query_scalar,
            fetch_one,
            "SELECT EXISTS (SELECT 1 FROM memberships WHERE tenant_id = $1 AND user_id = $2)",
            tenant,
            user
        )?;
        if !member {
            return Err(Error::invalid_field("user_id", "is not a user of this practice"));
        }
    }
    let id = ClinicianId::new();
    let now = Timestamp::now();
    execute!(
        tx.conn(),
        "INSERT INTO clinicians (tenant_id, id, name, profession, goc_number, user_id, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, true, $7, $7)",
        tenant,
        id,
        &name,
        new.profession,
        &goc,
        new.user_id,
        now
    )
    .map_err(|e| {
        Error::from(e).on_duplicate("goc_number_taken", "Another clinician of this practice has that GOC number.")
    })?;
    let event = Event::new("clinician.added", "clinician", id)
        .changes(serde_json::json!({ "name": name, "profession": new.profession, "goc_number": goc }));
    uow.audit(event).await?;
    clinician(uow.tx(), id).await
}

/// One clinician.
pub async fn clinician(tx: &mut TenantTx, id: ClinicianId) -> Result<Clinician> {
    let tenant = tx.tenant_id();
    let sql = format!("SELECT {CLINICIAN_COLUMNS} FROM clinicians WHERE tenant_id = $1 AND id = $2");
    let found: Option<Clinician> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    found.ok_or(Error::NotFound("clinician"))
}

/// The practice's clinicians by name; inactive ones too when `all`.
pub async fn clinicians(tx: &mut TenantTx, all: bool) -> Result<Vec<Clinician>> {
    let tenant = tx.tenant_id();
    let sql = format!(
        "SELECT {CLINICIAN_COLUMNS} FROM clinicians WHERE tenant_id = $1 AND ($2 OR active) ORDER BY name, id"
    );
    Ok(query!(tx, query_as, fetch_all, sql, tenant, all)?)
}

/// Makes a clinician bookable or not; `clinician.activated` / `clinician.deactivated`. Their
/// booked appointments stay: the practice moves or cancels them.
pub async fn set_clinician_active(uow: &mut UnitOfWork, id: ClinicianId, active: bool) -> Result<Clinician> {
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let changed = execute!(
        tx.conn(),
        "UPDATE clinicians SET active = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        tenant,
        id,
        active,
        Timestamp::now()
    )?;
    if changed == 0 {
        return Err(Error::NotFound("clinician"));
    }
    let action = if active { "clinician.activated" } else { "clinician.deactivated" };
    uow.audit(Event::new(action, "clinician", id)).await?;
    clinician(uow.tx(), id).await
}

/// Adds a room; `room.added`.
pub async fn add_room(uow: &mut UnitOfWork, name: &str) -> Result<Room> {
    let name = name_up_to("name", name, 100)?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let id = RoomId::new();
    execute!(
        tx.conn(),
        "INSERT INTO rooms (tenant_id, id, name, active, created_at) VALUES ($1, $2, $3, true, $4)",
        tenant,
        id,
        &name,
        Timestamp::now()
    )
    .map_err(|e| {
        Error::from(e).on_duplicate("room_exists", "The practice already has a room of that name.")
    })?;
    uow.audit(Event::new("room.added", "room", id).changes(serde_json::json!({ "name": name }))).await?;
    room(uow.tx(), id).await
}

/// One room.
pub async fn room(tx: &mut TenantTx, id: RoomId) -> Result<Room> {
    let tenant = tx.tenant_id();
    let found: Option<Room> = query!(
        tx,
        query_as,
        fetch_optional,
        "SELECT id, name, active, created_at FROM rooms WHERE tenant_id = $1 AND id = $2",
        tenant,
        id
    )?;
    found.ok_or(Error::NotFound("room"))
}

/// The practice's active rooms by name.
pub async fn rooms(tx: &mut TenantTx) -> Result<Vec<Room>> {
    let tenant = tx.tenant_id();
    Ok(query!(
        tx,
        query_as,
        fetch_all,
        "SELECT id, name, active, created_at FROM rooms WHERE tenant_id = $1 AND active ORDER BY name, id",
        tenant
    )?)
}

/// Adds an appointment type; `appointment_type.added`.
pub async fn add_type(uow: &mut UnitOfWork, new: NewAppointmentType) -> Result<AppointmentType> {
    let mut f = Fields::new();
    let name = f.check(name_up_to("name", &new.name, 100));
    if !(5..=LONGEST_MINUTES).contains(&new.duration_minutes) {
        f.add("duration_minutes", format!("must be between 5 and {LONGEST_MINUTES} minutes"));
    }
    let mut professions = new.professions.clone();
    professions.sort_by_key(|p| p.as_str());
    professions.dedup();
    if professions.is_empty() {
        f.add("professions", "name at least one profession that may perform it");
    }
    let name = f.build(|| name)?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let id = AppointmentTypeId::new();
    execute!(
        tx.conn(),
        "INSERT INTO appointment_types (tenant_id, id, name, duration_minutes, professions, needs_room, active, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, true, $7)",
        tenant,
        id,
        &name,
        new.duration_minutes,
        sqlx::types::Json(&professions),
        new.needs_room,
        Timestamp::now()
    )
    .map_err(|e| {
        Error::from(e).on_duplicate("appointment_type_exists", "The practice already has an appointment type of that name.")
    })?;
    let event = Event::new("appointment_type.added", "appointment_type", id).changes(serde_json::json!({
        "name": name, "duration_minutes": new.duration_minutes, "professions": professions, "needs_room": new.needs_room,
    }));
    uow.audit(event).await?;
    appointment_type(uow.tx(), id).await
}

/// One appointment type.
pub async fn appointment_type(tx: &mut TenantTx, id: AppointmentTypeId) -> Result<AppointmentType> {
    let tenant = tx.tenant_id();
    let sql = format!("SELECT {TYPE_COLUMNS} FROM appointment_types WHERE tenant_id = $1 AND id = $2");
    let found: Option<TypeRow> = query!(tx, query_as, fetch_optional, sql, tenant, id)?;
    Ok(found.ok_or(Error::NotFound("appointment type"))?.into())
}

/// The practice's active appointment types by name.
pub async fn appointment_types(tx: &mut TenantTx) -> Result<Vec<AppointmentType>> {
    let tenant = tx.tenant_id();
    let sql = format!(
        "SELECT {TYPE_COLUMNS} FROM appointment_types WHERE tenant_id = $1 AND active ORDER BY name, id"
    );
    let rows: Vec<TypeRow> = query!(tx, query_as, fetch_all, sql, tenant)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goc_numbers_have_the_registers_shape() {
        assert_eq!(goc_number("goc", " 01-12345 ").unwrap(), "01-12345");
        for wrong in ["0112345", "01-1234", "1-123456", "AB-12345", "01-12345 6"] {
            assert!(goc_number("goc", wrong).is_err(), "{wrong}");
        }
        assert!(Profession::Optometrist.goc_registered());
        assert!(!Profession::OphthalmicMedicalPractitioner.goc_registered());
        assert!(!Profession::OpticalAssistant.goc_registered());
    }
}
