//! Draft claims proposed from ILS events.
//!
//! - `examination.finalised`: when the patient is eligible for an NHS sight test on the
//!   examination's date (by their date of birth and GOS facts), a GOS 1 draft — GOS 6 when the
//!   facts say the patient is housebound. Not eligible: nothing is proposed (most adults are
//!   private patients; a practice can still create a claim by hand).
//! - `order.created` with reason `new`: a GOS 3 draft linked to the order, unless the order is
//!   already cancelled, filled from ILS ([`prefill`]): the patient and prescription from the
//!   event when it carries them, else from the order; the powers and lens type from the order;
//!   the prescription date from the prescription. The draft's note says what was filled and what
//!   is left. Remakes, returns and non-adapts are not a new supply and propose nothing.
//!
//! Each event is handled once (`seen/{event id}`), and each examination or order gets at most
//! one proposal.

use ils_plugin_sdk::host::orders::OrderStatus;
use ils_plugin_sdk::host::{kv, log};
use ils_plugin_sdk::{Error, Event};
use serde::Deserialize;

use crate::api;
use crate::claims::routes::new_draft;
use crate::claims::{ClaimFields, Form, LastTest, prefill, store};
use crate::date::{Date, today};
use crate::eligibility;
use crate::error::ApiError;
use crate::facts::{self, PatientId};

/// `examination.finalised`.
#[derive(Debug, Deserialize)]
pub struct ExaminationFinalised {
    /// The examination.
    pub examination_id: String,
    /// The patient.
    pub patient_id: PatientId,
    /// Whether it recorded a refraction.
    #[serde(default)]
    pub has_refraction: bool,
}

/// `order.created`.
#[derive(Debug, Deserialize)]
pub struct OrderCreated {
    /// The order.
    pub order_id: String,
    /// Its job number.
    #[serde(default)]
    pub number: Option<String>,
    /// `new`, `remake`, `return`, `non_adapt`.
    #[serde(default)]
    pub reason: Option<String>,
    /// The patient, when the event carries it (absent on a lab's copy).
    #[serde(default)]
    pub patient_id: Option<String>,
    /// The prescription the job was made from, when the event carries it.
    #[serde(default)]
    pub prescription_id: Option<String>,
}

fn to_error(e: ApiError) -> Error {
    match e {
        ApiError::Host(h) => h.into(),
        other => Error::new(other.to_string()),
    }
}

/// Handles one event; ids seen before change nothing.
pub fn handle(event: &Event) -> Result<(), Error> {
    let seen = format!("seen/{}", event.id);
    if kv::get(&seen)?.is_some() {
        return Ok(());
    }
    let on = Date::from_unix_ms(event.occurred_at_ms).unwrap_or_else(today);
    let source = format!("{}:{}", event.kind, event.id);
    match event.kind.as_str() {
        "examination.finalised" => examination(event.payload_as()?, on, &source).map_err(to_error)?,
        "order.created" => order(event.payload_as()?, on, &source).map_err(to_error)?,
        other => log::info(&format!("nhs-gos ignores {other}")),
    }
    kv::set(&seen, b"1")?;
    Ok(())
}

fn examination(e: ExaminationFinalised, on: Date, source: &str) -> Result<(), ApiError> {
    let record = format!("examination/{}", e.examination_id);
    if store::proposed_for(&record)?.is_some() {
        return Ok(());
    }
    let born = match api::date_of_birth(&e.patient_id) {
        Ok(b) => b,
        Err(ApiError::NotFound(_) | ApiError::Invalid(_)) => {
            log::warn(&format!(
                "examination {}: its patient cannot be read; no claim proposed",
                e.examination_id
            ));
            return Ok(());
        }
        Err(other) => return Err(other),
    };
    let facts = facts::get(&e.patient_id)?.unwrap_or_default();
    let Ok(judged) = eligibility::evaluate(&facts, born, on) else { return Ok(()) };
    let Some(first) = judged.sight_test.reasons.first() else {
        log::info(&format!(
            "examination {}: not eligible for an NHS sight test; no claim proposed",
            e.examination_id
        ));
        return Ok(());
    };
    let form = if facts.housebound { Form::Gos6 } else { Form::Gos1 };
    let last = last_proposed_test(&e.patient_id)?;
    let previous = last.filter(|d| *d < on);
    let mut fields = ClaimFields::new(form);
    fields.patient_id = Some(e.patient_id.clone());
    fields.examination_id = Some(e.examination_id);
    fields.test_date = Some(on);
    fields.eligibility = Some(first.category);
    fields.last_sight_test = previous.map(LastTest::On);
    let mut note = format!("Proposed from the finalised examination: {} ({}).", form.name(), first.words);
    match previous {
        Some(d) => note.push_str(&format!(
            " The last sight test is filled in from the previous NHS test proposed here ({d}): check it, a private \
             test since counts too. Add the signatures."
        )),
        None => note.push_str(" Fill in the last sight test date and the signatures."),
    }
    if e.has_refraction && judged.voucher.eligible {
        note.push_str(" The patient may also have a voucher (GOS 3) when glasses are ordered.");
    }
    let claim = new_draft(fields, Some(source.into()), Some(note), on)?;
    store::remember_proposal(&record, &claim.id)?;
    if last.is_none_or(|d| d < on) {
        kv::set(&last_test_key(&e.patient_id), on.to_string().as_bytes())?;
    }
    Ok(())
}

fn last_test_key(patient_id: &PatientId) -> String {
    format!("last-test/{patient_id}")
}

/// The latest sight test date proposed for the patient, if any.
fn last_proposed_test(patient_id: &PatientId) -> Result<Option<Date>, ApiError> {
    Ok(kv::get(&last_test_key(patient_id))?
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| Date::parse(&s).ok()))
}

fn order(o: OrderCreated, on: Date, source: &str) -> Result<(), ApiError> {
    if api::config().voucher_proposals_from_orders == Some(false) {
        return Ok(());
    }
    let reason = o.reason.as_deref().unwrap_or("new");
    if reason != "new" {
        log::info(&format!(
            "order {}: a {reason} is not a new supply; no voucher claim proposed",
            o.order_id
        ));
        return Ok(());
    }
    let record = format!("order/{}", o.order_id);
    if store::proposed_for(&record)?.is_some() {
        return Ok(());
    }
    let order = match prefill::read_order(&o.order_id) {
        Ok(order) if order.status == OrderStatus::Cancelled => return Ok(()),
        Ok(order) => order,
        Err(ApiError::NotFound(_)) => return Ok(()),
        Err(other) => return Err(other),
    };
    let mut fields = ClaimFields::new(Form::Gos3);
    fields.order_id = Some(o.order_id);
    // The event's links first; the order's details fill what it leaves out.
    fields.patient_id = o.patient_id.as_deref().and_then(|p| PatientId::parse(p).ok());
    fields.prescription_id = o.prescription_id.filter(|p| !p.trim().is_empty());
    let job = o.number.as_deref().unwrap_or(&order.reference).to_string();
    let mut attempt = fields.clone();
    let filled = match prefill::fill(&mut attempt, Some(&order)) {
        Ok(filled) => {
            fields = attempt;
            filled
        }
        // A stale or mismatched prescription must not stop the proposal: say so instead.
        Err(e @ (ApiError::NotFound(_) | ApiError::Invalid(_))) => {
            fields.prescription_id = None;
            let mut again = prefill::fill(&mut fields, Some(&order))?;
            again.problems.push(e.to_string());
            again
        }
        Err(other) => return Err(other),
    };
    let claim = new_draft(fields.clone(), Some(source.into()), Some(order_note(&job, &fields, &filled)), on)?;
    store::remember_proposal(&record, &claim.id)
}

/// What the proposal from an order filled in, and what is left to do.
fn order_note(job: &str, fields: &ClaimFields, filled: &prefill::Filled) -> String {
    let mut note = format!("Proposed from new order {job}.");
    if !filled.filled.is_empty() {
        note.push_str(&format!(" Filled in from ILS: {}.", filled.filled.join("; ")));
    }
    if !filled.problems.is_empty() {
        note.push_str(&format!(" Could not fill in: {}.", filled.problems.join("; ")));
    }
    let mut todo = Vec::new();
    if fields.patient_id.is_none() {
        todo.push("link the patient");
    }
    if fields.prescription_date.is_none() {
        todo.push("enter the prescription date");
    }
    if fields.glasses.is_none() {
        todo.push("enter the powers and lens type");
    }
    todo.extend(["enter the supply date and retail price", "add any prism or tint supplements", "sign"]);
    note.push_str(&format!(
        " If the patient is eligible for a voucher: {}. Use GOS 4 instead if this replaces lost or damaged glasses.",
        todo.join(", ")
    ));
    note
}
