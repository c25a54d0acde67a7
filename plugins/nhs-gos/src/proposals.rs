//! Draft claims proposed from ILS events.
//!
//! - `examination.finalised`: when the patient is eligible for an NHS sight test on the
//!   examination's date (by their date of birth and GOS facts), a GOS 1 draft — GOS 6 when the
//!   facts say the patient is housebound. Not eligible: nothing is proposed (most adults are
//!   private patients; a practice can still create a claim by hand).
//! - `order.created` with reason `new`: a GOS 3 draft linked to the order, unless the order is
//!   already cancelled. The event carries no patient and the SDK cannot read an order's
//!   prescription, so the draft says what to fill in. Remakes, returns and non-adapts are not a
//!   new supply and propose nothing.
//!
//! Each event is handled once (`seen/{event id}`), and each examination or order gets at most
//! one proposal.

use ils_plugin_sdk::host::{kv, log, orders};
use ils_plugin_sdk::{Error, Event, HostError};
use serde::Deserialize;

use crate::api;
use crate::claims::routes::new_draft;
use crate::claims::{ClaimFields, Form, LastTest, store};
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
    match orders::status(&o.order_id) {
        Ok(status) if status == "cancelled" => return Ok(()),
        Ok(_) => {}
        Err(HostError::NotFound) => return Ok(()),
        Err(other) => return Err(other.into()),
    }
    let mut fields = ClaimFields::new(Form::Gos3);
    fields.order_id = Some(o.order_id);
    let note = format!(
        "Proposed from new order {}: if the patient is eligible for a voucher, link the patient and enter the \
         prescription date, powers, supply date and retail price (the order event carries neither patient nor \
         prescription). Use GOS 4 instead if this replaces lost or damaged glasses.",
        o.number.as_deref().unwrap_or("(no job number)")
    );
    let claim = new_draft(fields, Some(source.into()), Some(note), on)?;
    store::remember_proposal(&record, &claim.id)
}
