//! What can be done with a patient's record: register, read, find, replace the details, delete
//! (restrict). Each writes its audit entry, and each change its event, through the unit of work.

use ils_kernel::audit::Event;
use ils_kernel::input::optional_text;
use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::PatientId;

use super::{Details, Patient, Search, store};
use crate::events::{PatientCreated, PatientUpdated};

/// A patient to register.
#[derive(Clone, Debug)]
pub struct CreatePatient {
    /// The practice's number for the patient (up to 40 characters); the next `P000123` is
    /// assigned when absent.
    pub customer_number: Option<String>,
    /// The checked details.
    pub details: Details,
}

/// Registers a patient: `patient.created` in the audit log and as an event.
pub async fn create(uow: &mut UnitOfWork, cmd: CreatePatient) -> Result<Patient> {
    let given = optional_text("customer_number", cmd.customer_number.as_deref(), 40)?;
    let customer_number = match given {
        Some(number) => number,
        None => store::next_customer_number(uow.tx()).await?,
    };
    let patient = store::insert(uow.tx(), &customer_number, &cmd.details).await?;
    let event = Event::new("patient.created", "patient", patient.id)
        .changes(serde_json::json!({ "customer_number": patient.customer_number }));
    uow.audit(event).await?;
    let created = PatientCreated { patient_id: patient.id, customer_number: patient.customer_number.clone() };
    uow.emit(&created).await?;
    Ok(patient)
}

/// One patient's record, the read audited (`patient.read`). A deleted record is found only when
/// the caller `may_read_deleted` (company admins); otherwise it is not found. A record restricted
/// at the end of its retention is refused to everyone (`patient_restricted`).
pub async fn read(uow: &mut UnitOfWork, id: PatientId, may_read_deleted: bool) -> Result<Patient> {
    let patient = store::get(uow.tx(), id).await?;
    if patient.deleted_at.is_some() && !may_read_deleted {
        return Err(Error::NotFound("patient"));
    }
    patient.check_not_restricted()?;
    uow.audit(Event::new("patient.read", "patient", id)).await?;
    Ok(patient)
}

/// Patients matching `search`, a page at a time; the search is audited (`patient.searched`) with
/// what was asked and the ids returned.
pub async fn find(uow: &mut UnitOfWork, search: &Search, page: &PageRequest) -> Result<Page<Patient>> {
    let found = store::search(uow.tx(), search, page).await?;
    let ids: Vec<String> = found.items.iter().map(|p| p.id.to_string()).collect();
    let event = Event {
        action: "patient.searched",
        entity_type: "patient",
        entity_id: None,
        changes: serde_json::json!({
            "name": search.name, "date_of_birth": search.date_of_birth.map(|d| d.to_string()),
            "nhs_number": search.nhs_number.map(|n| n.digits()),
            "customer_number": search.customer_number, "returned": ids,
        }),
    };
    uow.audit(event).await?;
    Ok(found)
}

/// Replaces a patient's editable details (the customer number stays); a deleted record is a
/// `patient_deleted` conflict. Audited with the fields that changed.
pub async fn update(uow: &mut UnitOfWork, id: PatientId, details: Details) -> Result<Patient> {
    let before = store::get_active(uow.tx(), id).await?;
    let after = store::update(uow.tx(), id, &details, false).await?;
    uow.audit(Event::new("patient.updated", "patient", id).changes(changes(&before, &after))).await?;
    uow.emit(&PatientUpdated { patient_id: id, deleted: false }).await?;
    Ok(after)
}

/// Deletes a patient: the record is restricted and kept until its retention date. Deleting a
/// deleted record changes nothing and records nothing.
pub async fn delete(uow: &mut UnitOfWork, id: PatientId) -> Result<()> {
    let patient = store::get_readable(uow.tx(), id).await?;
    if patient.deleted_at.is_none() {
        store::update(uow.tx(), id, &patient.details(), true).await?;
        uow.audit(Event::new("patient.deleted", "patient", id)).await?;
        uow.emit(&PatientUpdated { patient_id: id, deleted: true }).await?;
    }
    Ok(())
}

/// The fields that changed, as `{field: {from, to}}`.
fn changes(before: &Patient, after: &Patient) -> serde_json::Value {
    let (b, a) =
        (serde_json::to_value(before).unwrap_or_default(), serde_json::to_value(after).unwrap_or_default());
    let mut out = serde_json::Map::new();
    for key in [
        "first_name",
        "last_name",
        "date_of_birth",
        "nhs_number",
        "email",
        "phone",
        "address",
        "postcode",
        "medical_notes",
    ] {
        if b[key] != a[key] {
            out.insert(key.to_owned(), serde_json::json!({ "from": b[key], "to": a[key] }));
        }
    }
    serde_json::Value::Object(out)
}
