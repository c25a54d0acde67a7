//! The export's readable summary: one [`Document`] of the shared renderer (`ils-documents`,
//! docs/adr/037) — the patient's details as labelled fields, then a table per kind of record and
//! the access log — rendered as `summary.pdf` (A4, fonts embedded) and, for screen readers and
//! anyone without a PDF reader, `summary.html`.

use ils_documents::{Cell, Column, Document, Field, Format, Section, Table};
use ils_kernel::{Error, Result};
use ils_storage::types::Timestamp;

use crate::held::Held;

fn or_dash(value: Option<&str>) -> String {
    value.map(str::to_owned).unwrap_or_else(|| "—".to_owned())
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

/// A table, or a line saying there is none of it.
fn table(title: &str, columns: Vec<Column>, rows: Vec<Vec<Cell>>) -> Section {
    if rows.is_empty() {
        Section::Text(format!("{title}: none held."))
    } else {
        Section::Table(Table { title: title.to_owned(), columns, rows })
    }
}

/// `at` as people read it: `2026-12-05 23:40 UTC`.
fn moment(at: Timestamp) -> String {
    at.as_jiff().strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// The summary of `held`, made at `generated_at`.
pub(crate) fn document(held: &Held, generated_at: Timestamp) -> Document {
    let p = &held.patient;
    let details = vec![
        Field::new("Customer number", &p.customer_number),
        Field::new("Name", &format!("{} {}", p.first_name, p.last_name)),
        Field::new("Date of birth", &p.date_of_birth.to_string()),
        Field::new("NHS number", &or_dash(p.nhs_number.map(|n| n.digits()).as_deref())),
        Field::new("E-mail", &or_dash(p.email.as_deref())),
        Field::new("Telephone", &or_dash(p.phone.as_deref())),
        Field::new("Address", &or_dash(p.address.as_deref())),
        Field::new("Postcode", &or_dash(p.postcode.as_deref())),
        Field::new("Medical notes", if p.medical_notes.is_empty() { "—" } else { &p.medical_notes }),
        Field::new("Registered", &moment(p.created_at)),
        Field::new("Kept until", &p.retain_until.to_string()),
        Field::new(
            "Next sight test due",
            &held.recall.as_ref().map(|r| r.due_on.to_string()).unwrap_or_else(|| "—".to_owned()),
        ),
    ];
    let examinations = held
        .examinations
        .iter()
        .map(|e| {
            let pair = |r: Option<&str>, l: Option<&str>| format!("R {} · L {}", or_dash(r), or_dash(l));
            let iop = |v: Option<i32>| v.map(|v| v.to_string());
            vec![
                text(e.examined_on.to_string()),
                text(pair(e.visual_acuity.right.as_deref(), e.visual_acuity.left.as_deref())),
                text(pair(iop(e.iop_mmhg.right).as_deref(), iop(e.iop_mmhg.left).as_deref())),
                text(e.notes.clone()),
            ]
        })
        .collect();
    let appointments = held
        .appointments
        .iter()
        .map(|a| {
            let at = a.appointment.starts_at;
            vec![
                text(format!(
                    "{} {}",
                    ils_diary::appointments::local_day(at),
                    ils_diary::appointments::local_time(at)
                )),
                text(a.type_name.clone()),
                text(a.clinician_name.clone()),
                text(a.appointment.status.words()),
            ]
        })
        .collect();
    let prescriptions = held
        .prescriptions
        .iter()
        .map(|rx| {
            vec![
                text(rx.issued_on.to_string()),
                text(rx.kind.as_str()),
                text(rx.right.written.clone()),
                text(rx.left.written.clone()),
                text(rx.prescriber.clone()),
            ]
        })
        .collect();
    let orders = held
        .orders
        .iter()
        .map(|o| {
            let o = &o.order;
            vec![
                text(o.number.clone()),
                text(moment(o.created_at)),
                text(o.status.to_string()),
                text(o.frame.description.clone()),
                Cell::Money { minor: o.price.amount_minor, currency: o.price.currency.clone() },
            ]
        })
        .collect();
    let consents = held
        .consents
        .iter()
        .map(|c| {
            vec![
                text(moment(c.recorded_at)),
                text(c.kind.as_str()),
                text(c.choice.as_str()),
                text(c.source.as_str()),
                text(c.wording.clone()),
            ]
        })
        .collect();
    let access = held
        .access
        .iter()
        .map(|a| {
            let who = match (&a.actor_name, a.actor_role) {
                (Some(name), Some(role)) => format!("{name} ({})", role.in_words()),
                (Some(name), None) => name.clone(),
                _ => a.actor_kind.as_str().to_owned(),
            };
            vec![text(moment(a.at)), text(who), text(a.action.clone())]
        })
        .collect();
    Document {
        title: format!("Records held on {} {}", p.first_name, p.last_name),
        organisation: held.practice.clone(),
        letterhead: None,
        period: None,
        generated_at: moment(generated_at),
        generated_at_ms: generated_at.as_jiff().as_millisecond(),
        sections: vec![
            Section::Text(format!(
                "{} holds the records below on you. This summary answers a subject access request; \
                 the JSON files beside it in the same zip hold the same records in full.",
                held.practice
            )),
            Section::Fields(details),
            table(
                "Eye examinations",
                vec![
                    Column::text("Date"),
                    Column::text("Visual acuity"),
                    Column::text("Eye pressure (mmHg)"),
                    Column::text("Notes"),
                ],
                examinations,
            ),
            table(
                "Appointments",
                vec![Column::text("When"), Column::text("For"), Column::text("With"), Column::text("Status")],
                appointments,
            ),
            table(
                "Prescriptions",
                vec![
                    Column::text("Issued"),
                    Column::text("Kind"),
                    Column::text("Right"),
                    Column::text("Left"),
                    Column::text("Prescriber"),
                ],
                prescriptions,
            ),
            table(
                "Orders",
                vec![
                    Column::text("Job"),
                    Column::text("Placed"),
                    Column::text("Status"),
                    Column::text("Frame"),
                    Column::number("Price"),
                ],
                orders,
            ),
            table(
                "Your choices (consent)",
                vec![
                    Column::text("Recorded"),
                    Column::text("About"),
                    Column::text("Choice"),
                    Column::text("Given"),
                    Column::text("Wording"),
                ],
                consents,
            ),
            table(
                "Who read or changed your record",
                vec![Column::text("When"), Column::text("Who"), Column::text("What")],
                access,
            ),
        ],
    }
}

/// The summary as `format` (PDF or HTML).
pub(crate) fn render(document: &Document, format: Format) -> Result<Vec<u8>> {
    ils_documents::render(document, format).map_err(|e| Error::Internal(format!("the export's summary: {e}")))
}
