//! The events the till emits. They carry identifiers and amounts, no patient details: a consumer
//! reads those through the API, where the read is audited. Their payloads are part of the OpenAPI
//! document and of `docs/events.md`; a change that is not additive bumps the version.

use serde::Serialize;

use ils_kernel::permissions::Action;
use ils_outbox::DomainEvent;
use ils_storage::ids::{CreditNoteId, PatientId, PaymentId, SaleId};

use crate::kinds::PaymentMethod;

/// Every event type this crate emits, with the permission needed to read it.
pub const EVENTS: &[(&str, Action)] = &[
    (PaymentTaken::TYPE, PaymentTaken::READ),
    (SaleCompleted::TYPE, SaleCompleted::READ),
    (CreditNoteIssued::TYPE, CreditNoteIssued::READ),
];

/// A payment towards a sale was taken (a deposit, a balance, an NHS voucher).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentTaken {
    /// The sale (`GET /sales/{sale_id}`).
    pub sale_id: SaleId,
    /// The payment.
    pub payment_id: PaymentId,
    /// Its receipt number.
    pub receipt_number: i64,
    /// How it was paid.
    pub method: PaymentMethod,
    /// How much, in pence.
    pub amount_minor: i64,
}
impl DomainEvent for PaymentTaken {
    const TYPE: &'static str = "payment.taken";
    const READ: Action = Action::SalesRead;
}

/// A sale was paid in full and completed: it has its invoice number, and its stock moved.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleCompleted {
    /// The sale.
    pub sale_id: SaleId,
    /// Its invoice number.
    pub invoice_number: i64,
    /// The patient, if the sale is for one.
    pub patient_id: Option<PatientId>,
    /// The total, VAT included, in pence.
    pub total_minor: i64,
    /// The VAT in it, in pence.
    pub vat_minor: i64,
}
impl DomainEvent for SaleCompleted {
    const TYPE: &'static str = "sale.completed";
    const READ: Action = Action::SalesRead;
}

/// Lines of a completed sale were refunded.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditNoteIssued {
    /// The sale.
    pub sale_id: SaleId,
    /// The credit note.
    pub credit_note_id: CreditNoteId,
    /// Its number.
    pub number: i64,
    /// The amount refunded, VAT included, in pence.
    pub total_minor: i64,
    /// How it was refunded.
    pub refund_method: PaymentMethod,
}
impl DomainEvent for CreditNoteIssued {
    const TYPE: &'static str = "credit_note.issued";
    const READ: Action = Action::SalesRead;
}
