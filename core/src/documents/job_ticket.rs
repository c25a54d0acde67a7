//! A lab job ticket: the sheet that travels with a job on the lab floor, its job number as a
//! Code 128 barcode for the stations' scanners, with what the job is made to — the prescription,
//! the lenses, the frame, the centration — and when it is due. It names the patient only by the
//! practice's reference (the customer number), never by name: the sheet is seen by everyone on
//! the floor.

use ils_clinical::prescriptions::EyeView;
use ils_documents::{Barcode, Cell, Column, Field, Section, Table};
use ils_kernel::error::{Error, Result};
use ils_orders::Order;
use ils_storage::TenantTx;
use ils_storage::ids::OrderId;

use super::Letterhead;

/// Everything a job ticket prints, read in one transaction.
#[derive(Clone, Debug)]
pub struct JobTicket {
    /// Whose ticket it is.
    pub letterhead: Letterhead,
    /// The job.
    pub order: Order,
    /// The practice's reference for the patient: its customer number, or the reference a
    /// practice's order came with.
    pub patient_ref: Option<String>,
}

/// `single_vision` as people read it: `Single vision`.
fn words(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn mm(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.1} mm")).unwrap_or_else(|| "—".to_owned())
}

fn prism(eye: &EyeView) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &eye.prism_horizontal {
        parts.push(format!("{:.2}Δ base {}", p.amount, words(&format!("{:?}", p.base).to_lowercase())));
    }
    if let Some(p) = &eye.prism_vertical {
        parts.push(format!("{:.2}Δ base {}", p.amount, words(&format!("{:?}", p.base).to_lowercase())));
    }
    parts.join(", ")
}

fn eye_row(side: &str, eye: &EyeView) -> Vec<Cell> {
    let text = |v: Option<String>| Cell::Text(v.unwrap_or_default());
    vec![
        Cell::Text(side.to_owned()),
        Cell::Text(eye.sphere.clone()),
        text(eye.cylinder.clone()),
        text(eye.axis.map(|a| a.to_string())),
        text(eye.add.clone()),
        Cell::Text(prism(eye)),
    ]
}

impl JobTicket {
    /// Reads job `id` and what its ticket prints.
    pub async fn gather(tx: &mut TenantTx, id: OrderId) -> Result<Self> {
        let letterhead = Letterhead::read(tx).await?;
        let order = ils_orders::get(tx, id).await?;
        let patient_ref = match (&order.patient_ref, order.patient_id) {
            (Some(reference), _) => Some(reference.clone()),
            (None, Some(patient)) => Some(ils_clinical::patients::get(tx, patient).await?.customer_number),
            (None, None) => None,
        };
        Ok(Self { letterhead, order, patient_ref })
    }

    /// The ticket's file name: `J000123 ticket.pdf`.
    pub fn file_name(&self) -> String {
        format!("{} ticket.pdf", self.order.number)
    }

    /// The ticket as a PDF, as the job stands `at`.
    pub fn pdf(&self, at: ils_storage::types::Timestamp) -> Result<Vec<u8>> {
        let order = &self.order;
        let barcode = Barcode::code128(&order.number)
            .map_err(|e| Error::Internal(format!("job number {} as a barcode: {e}", order.number)))?;
        let mut job = vec![
            Field::new("Job number", &order.number),
            Field::new("Due", &super::day(order.due_on)),
            Field::new("Priority", &words(order.priority.as_str())),
            Field::new("Reason", &words(order.reason.as_str())),
            Field::new("Status", &words(order.status.as_str())),
        ];
        if let Some(counterpart) = &order.counterpart {
            job.push(Field::new(
                "Practice or lab",
                &format!("{} ({})", counterpart.name, counterpart.number),
            ));
        }
        if let Some(reference) = &self.patient_ref {
            job.push(Field::new("Patient reference", reference));
        }
        let rx = Table {
            title: "Prescription".into(),
            columns: ["Eye", "Sphere", "Cylinder", "Axis", "Add", "Prism"].map(Column::text).to_vec(),
            rows: vec![eye_row("Right", &order.rx.right), eye_row("Left", &order.rx.left)],
        };
        let lens = &order.lens;
        let coatings: Vec<String> = lens.coatings.iter().map(|c| words(c.as_str())).collect();
        let mut lenses = vec![
            Field::new(
                "Lens",
                &format!(
                    "{} {} {:.2}",
                    words(lens.lens_type.as_str()),
                    words(lens.material.as_str()),
                    lens.index
                ),
            ),
            Field::new(
                "Coatings",
                &if coatings.is_empty() { "None".to_owned() } else { coatings.join(", ") },
            ),
        ];
        if let Some(tint) = &lens.tint {
            lenses.push(Field::new("Tint", tint));
        }
        let frame = &order.frame;
        let m = &order.measurements;
        let fitting = vec![
            Field::new("Frame", &frame.description),
            Field::new(
                "Boxed A × B, DBL",
                &format!("{} × {}, {}", mm(frame.a_mm), mm(frame.b_mm), mm(frame.dbl_mm)),
            ),
            Field::new(
                "PD right / left",
                &format!("{} / {}", mm(Some(m.pd_right_mm)), mm(Some(m.pd_left_mm))),
            ),
            Field::new(
                "Heights right / left",
                &format!("{} / {}", mm(m.height_right_mm), mm(m.height_left_mm)),
            ),
        ];
        let mut sections = vec![
            Section::Barcode(barcode),
            Section::Fields(job),
            Section::Table(rx),
            Section::Fields(lenses),
            Section::Fields(fitting),
        ];
        if !order.notes.is_empty() {
            sections.push(Section::Fields(vec![Field::new("Notes", &order.notes)]));
        }
        let document = self.letterhead.document(format!("Job ticket {}", order.number), at, sections);
        super::pdf(&document)
    }
}
