//! Sales at the till: opened for a patient (and their order), lines added while open, payments
//! taken towards the total (a deposit when the order is placed, the balance at collection), the
//! sale completed once paid in full — its invoice number taken and its stocked lines' stock moved
//! in the same transaction — and refunds of completed lines as credit notes.
//!
//! Totals are the database's sums of the lines (`UPDATE … SET total_minor = (SELECT SUM …)`), and
//! each line's arithmetic is a CHECK in the schema; a payment never takes more than the balance
//! (a CHECK too), so money cannot be counted twice.

use serde::{Deserialize, Serialize};

use ils_clinical::patients;
use ils_kernel::audit::Event;
use ils_kernel::input::Fields;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{CreditNoteId, ItemId, LocationId, OrderId, PatientId, PaymentId, SaleId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query};

use crate::events::{PaymentTaken, SaleCompleted};
pub use crate::kinds::{LineKind, PaymentMethod, SaleStatus};
use crate::numbers::{self, NumberKind};
use crate::vat::{VatRate, vat_in};

/// The most lines a sale has.
pub const MAX_LINES: i64 = 100;
/// The highest unit price, in pence (£100,000).
pub const MAX_PRICE: i64 = 10_000_000;
/// The most units on a line.
pub const MAX_QUANTITY: i64 = 1000;

/// A line to add.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    /// What it sells.
    pub kind: LineKind,
    /// Words on the receipt (1 to 200 characters).
    pub description: String,
    /// The stock item sold, for goods taken from stock; its stock moves when the sale completes.
    #[serde(default)]
    pub item_id: Option<ItemId>,
    /// Where that stock is taken from (with `item_id`).
    #[serde(default)]
    pub location_id: Option<LocationId>,
    /// Units, 1 to 1,000.
    pub quantity: i64,
    /// The price of one, VAT included, in pence (0 to 10,000,000).
    pub unit_price_minor: i64,
    /// Taken off the line, in pence (at most its price × quantity).
    #[serde(default)]
    pub discount_minor: i64,
}

/// A line of a sale.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Line {
    /// Its number within the sale, from 1.
    pub line_no: i32,
    /// What it sells.
    pub kind: LineKind,
    /// Words on the receipt.
    pub description: String,
    /// The stock item, if from stock.
    pub item_id: Option<ItemId>,
    /// Where its stock is taken from.
    pub location_id: Option<LocationId>,
    /// Units.
    pub quantity: i32,
    /// The price of one, VAT included, in pence.
    pub unit_price_minor: i64,
    /// Taken off, in pence.
    pub discount_minor: i64,
    /// How VAT applies.
    pub vat_rate: VatRate,
    /// The rate, in per cent, when the line was added.
    pub vat_percent: i32,
    /// Price × quantity − discount: what the patient pays for it, VAT included, in pence.
    pub gross_minor: i64,
    /// The VAT within it, in pence.
    pub vat_minor: i64,
    /// Units refunded so far.
    #[sqlx(default)]
    pub refunded_quantity: i64,
}

/// A payment towards a sale.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payment {
    /// The payment.
    pub id: PaymentId,
    /// Its receipt number, without gaps per practice.
    pub receipt_number: i64,
    /// How it was paid.
    pub method: PaymentMethod,
    /// How much, in pence.
    pub amount_minor: i64,
    /// The voucher's number, a card slip's reference; empty when none.
    pub reference: String,
    /// Who took it.
    pub taken_by: Option<UserId>,
    /// When (UTC).
    pub taken_at: Timestamp,
}

/// A refunded line of a credit note.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditLine {
    /// The sale's line.
    pub line_no: i32,
    /// Units refunded.
    pub quantity: i32,
    /// Refunded, VAT included, in pence.
    pub gross_minor: i64,
    /// The VAT in it, in pence.
    pub vat_minor: i64,
}

/// A refund of lines of a completed sale.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditNote {
    /// The credit note.
    pub id: CreditNoteId,
    /// Its number, without gaps per practice.
    pub number: i64,
    /// Why.
    pub reason: String,
    /// How the money went back.
    pub refund_method: PaymentMethod,
    /// Refunded, VAT included, in pence.
    pub total_minor: i64,
    /// The VAT in it, in pence.
    pub vat_minor: i64,
    /// The lines refunded.
    pub lines: Vec<CreditLine>,
    /// Who refunded.
    pub created_by: Option<UserId>,
    /// When (UTC).
    pub created_at: Timestamp,
}

/// A sale with its lines, payments and credit notes.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sale {
    /// The sale.
    pub id: SaleId,
    /// The patient, if for one.
    pub patient_id: Option<PatientId>,
    /// The order it pays for, if any.
    pub order_id: Option<OrderId>,
    /// Open or completed.
    pub status: SaleStatus,
    /// The invoice number, once completed.
    pub invoice_number: Option<i64>,
    /// The lines' total, VAT included, in pence.
    pub total_minor: i64,
    /// The VAT in it, in pence.
    pub vat_minor: i64,
    /// Paid so far, in pence.
    pub paid_minor: i64,
    /// Still to pay, in pence.
    pub balance_minor: i64,
    /// Refunded by credit notes, in pence.
    pub refunded_minor: i64,
    /// The lines.
    pub lines: Vec<Line>,
    /// The payments, in order.
    pub payments: Vec<Payment>,
    /// The credit notes, in order.
    pub credit_notes: Vec<CreditNote>,
    /// Who opened it.
    pub created_by: Option<UserId>,
    /// When it was opened (UTC).
    pub created_at: Timestamp,
    /// When it was completed (UTC).
    pub completed_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct SaleRow {
    id: SaleId,
    patient_id: Option<PatientId>,
    order_id: Option<OrderId>,
    status: SaleStatus,
    invoice_number: Option<i64>,
    total_minor: i64,
    vat_minor: i64,
    paid_minor: i64,
    refunded_minor: i64,
    created_by: Option<UserId>,
    created_at: Timestamp,
    completed_at: Option<Timestamp>,
}

const SALE: &str =
    "SELECT id, patient_id, order_id, status, invoice_number, total_minor, vat_minor, paid_minor,
    refunded_minor, created_by, created_at, completed_at FROM sales";

/// Opens a sale for `patient` (and their `order`), with `lines` to start with. The patient must
/// have an active record; the order must be theirs.
pub async fn open(
    uow: &mut UnitOfWork,
    patient: Option<PatientId>,
    order: Option<OrderId>,
    lines: Vec<NewLine>,
) -> Result<Sale> {
    if let Some(patient) = patient {
        patients::store::get_active(uow.tx(), patient).await?;
    }
    if let Some(order) = order {
        let found = ils_orders::store::get(uow.tx(), order).await?;
        if patient.is_some() && found.patient_id != patient {
            return Err(Error::invalid_field("order_id", "is another patient's order"));
        }
    }
    if i64::try_from(lines.len()).unwrap_or(i64::MAX) > MAX_LINES {
        return Err(Error::invalid_field("lines", format!("at most {MAX_LINES}")));
    }
    let id = SaleId::new();
    let actor = uow.ctx().user_id;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO sales (tenant_id, id, patient_id, order_id, status, invoice_number, total_minor, vat_minor,
            paid_minor, refunded_minor, created_by, created_at)
         VALUES ($1, $2, $3, $4, 'open', NULL, 0, 0, 0, 0, $5, $6)",
        tenant,
        id,
        patient,
        order,
        actor,
        Timestamp::now()
    )?;
    for line in lines {
        insert_line(uow.tx(), id, line).await?;
    }
    retotal(uow.tx(), id).await?;
    uow.audit(Event::new("sale.opened", "sale", id)).await?;
    load(uow.tx(), id).await
}

/// Adds a line to an open sale.
pub async fn add_line(uow: &mut UnitOfWork, sale: SaleId, line: NewLine) -> Result<Sale> {
    let row = open_row(uow.tx(), sale).await?;
    let line_no = insert_line(uow.tx(), row.id, line).await?;
    retotal(uow.tx(), sale).await?;
    uow.audit(Event::new("sale.line_added", "sale", sale).changes(serde_json::json!({ "line_no": line_no })))
        .await?;
    load(uow.tx(), sale).await
}

/// Takes a line off an open sale; not when what is already paid would be more than the total.
pub async fn remove_line(uow: &mut UnitOfWork, sale: SaleId, line_no: i32) -> Result<Sale> {
    let row = open_row(uow.tx(), sale).await?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let (gross,): (i64,) = query!(
        tx,
        query_as,
        fetch_optional,
        "SELECT gross_minor FROM sale_lines WHERE tenant_id = $1 AND sale_id = $2 AND line_no = $3",
        tenant,
        sale,
        line_no
    )?
    .ok_or(Error::NotFound("sale line"))?;
    if row.total_minor - gross < row.paid_minor {
        return Err(Error::Conflict {
            code: "sale_paid_beyond",
            message: "more than the total without this line is paid already; refund it by credit note once completed"
                .into(),
        });
    }
    execute!(
        tx.conn(),
        "DELETE FROM sale_lines WHERE tenant_id = $1 AND sale_id = $2 AND line_no = $3",
        tenant,
        sale,
        line_no
    )?;
    retotal(uow.tx(), sale).await?;
    uow.audit(
        Event::new("sale.line_removed", "sale", sale).changes(serde_json::json!({ "line_no": line_no })),
    )
    .await?;
    load(uow.tx(), sale).await
}

/// A payment to take.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPayment {
    /// How it is paid.
    pub method: PaymentMethod,
    /// How much, in pence: at least 1, at most the balance.
    pub amount_minor: i64,
    /// The NHS voucher's number (required for a voucher), or a card slip's reference (up to 100
    /// characters).
    #[serde(default)]
    pub reference: Option<String>,
}

/// Takes a payment towards an open sale, with the next receipt number; `payment.taken`.
pub async fn take_payment(
    uow: &mut UnitOfWork,
    sale: SaleId,
    payment: NewPayment,
) -> Result<(Sale, Payment)> {
    let row = open_row(uow.tx(), sale).await?;
    let balance = row.total_minor - row.paid_minor;
    let reference = payment.reference.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let mut f = Fields::new();
    if payment.amount_minor < 1 || payment.amount_minor > balance {
        f.add("amount_minor", format!("must be 1 to the balance, {balance} pence"));
    }
    if payment.method == PaymentMethod::NhsVoucher && reference.is_empty() {
        f.add("reference", "an NHS voucher's number is required");
    }
    if reference.chars().count() > 100 {
        f.add("reference", "must be at most 100 characters");
    }
    f.finish()?;
    let receipt_number = numbers::next(uow.tx(), NumberKind::Receipt).await?;
    let id = PaymentId::new();
    let taken_by = uow.ctx().user_id;
    let now = Timestamp::now();
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO sale_payments (tenant_id, id, sale_id, receipt_number, method, amount_minor, reference, taken_by, taken_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        tenant,
        id,
        sale,
        receipt_number,
        payment.method,
        payment.amount_minor,
        &reference,
        taken_by,
        now
    )?;
    execute!(
        tx.conn(),
        "UPDATE sales SET paid_minor = paid_minor + $3 WHERE tenant_id = $1 AND id = $2",
        tenant,
        sale,
        payment.amount_minor
    )?;
    uow.emit(&PaymentTaken {
        sale_id: sale,
        payment_id: id,
        receipt_number,
        method: payment.method,
        amount_minor: payment.amount_minor,
    })
    .await?;
    uow.audit(Event::new("sale.payment_taken", "sale", sale).changes(serde_json::json!({
        "receipt_number": receipt_number, "method": payment.method, "amount_minor": payment.amount_minor,
    })))
    .await?;
    let taken = Payment {
        id,
        receipt_number,
        method: payment.method,
        amount_minor: payment.amount_minor,
        reference,
        taken_by,
        taken_at: now,
    };
    Ok((load(uow.tx(), sale).await?, taken))
}

/// Completes a sale paid in full: its invoice number, its stocked lines' stock moved, and
/// `sale.completed`, all in the caller's transaction.
pub async fn complete(uow: &mut UnitOfWork, sale: SaleId) -> Result<Sale> {
    let row = open_row(uow.tx(), sale).await?;
    let lines = lines_of(uow.tx(), sale).await?;
    if lines.is_empty() {
        return Err(Error::invalid_field("lines", "a sale needs at least one line to complete"));
    }
    if row.paid_minor != row.total_minor {
        return Err(Error::Conflict {
            code: "sale_not_paid",
            message: format!("{} pence is still to pay", row.total_minor - row.paid_minor),
        });
    }
    for line in &lines {
        if let (Some(item), Some(location)) = (line.item_id, line.location_id) {
            let units = i64::from(line.quantity);
            ils_stock::movements::for_till(uow, item, location, -units, sale.as_uuid()).await?;
        }
    }
    let invoice_number = numbers::next(uow.tx(), NumberKind::Invoice).await?;
    let completed_by = uow.ctx().user_id;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "UPDATE sales SET status = 'completed', invoice_number = $3, completed_by = $4, completed_at = $5
         WHERE tenant_id = $1 AND id = $2 AND status = 'open'",
        tenant,
        sale,
        invoice_number,
        completed_by,
        Timestamp::now()
    )?;
    uow.emit(&SaleCompleted {
        sale_id: sale,
        invoice_number,
        patient_id: row.patient_id,
        total_minor: row.total_minor,
        vat_minor: row.vat_minor,
    })
    .await?;
    uow.audit(
        Event::new("sale.completed", "sale", sale)
            .changes(serde_json::json!({ "invoice_number": invoice_number })),
    )
    .await?;
    load(uow.tx(), sale).await
}

/// The sale, audited as a read of its patient's account.
pub async fn read(uow: &mut UnitOfWork, sale: SaleId) -> Result<Sale> {
    let found = load(uow.tx(), sale).await?;
    if let Some(patient) = found.patient_id {
        patients::store::get_readable(uow.tx(), patient).await?;
        uow.audit(
            Event::new("patient.sale_read", "patient", patient)
                .changes(serde_json::json!({ "sale_id": sale })),
        )
        .await?;
    }
    Ok(found)
}

/// The sale with its lines, payments and credit notes, unaudited.
pub async fn load(tx: &mut TenantTx, sale: SaleId) -> Result<Sale> {
    let tenant = tx.tenant_id();
    let sql = format!("{SALE} WHERE tenant_id = $1 AND id = $2");
    let row: SaleRow =
        query!(tx, query_as, fetch_optional, sql, tenant, sale)?.ok_or(Error::NotFound("sale"))?;
    let lines = lines_of(tx, sale).await?;
    let payments: Vec<Payment> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT id, receipt_number, method, amount_minor, reference, taken_by, taken_at FROM sale_payments
         WHERE tenant_id = $1 AND sale_id = $2 ORDER BY receipt_number",
        tenant,
        sale
    )?;
    let credit_notes = credit_notes_of(tx, sale).await?;
    Ok(Sale {
        id: row.id,
        patient_id: row.patient_id,
        order_id: row.order_id,
        status: row.status,
        invoice_number: row.invoice_number,
        total_minor: row.total_minor,
        vat_minor: row.vat_minor,
        paid_minor: row.paid_minor,
        balance_minor: row.total_minor - row.paid_minor,
        refunded_minor: row.refunded_minor,
        lines,
        payments,
        credit_notes,
        created_by: row.created_by,
        created_at: row.created_at,
        completed_at: row.completed_at,
    })
}

async fn lines_of(tx: &mut TenantTx, sale: SaleId) -> Result<Vec<Line>> {
    let tenant = tx.tenant_id();
    Ok(query!(
        tx,
        query_as,
        fetch_all,
        "SELECT l.line_no, l.kind, l.description, l.item_id, l.location_id, l.quantity, l.unit_price_minor,
                l.discount_minor, l.vat_rate, l.vat_percent, l.gross_minor, l.vat_minor,
                COALESCE((SELECT SUM(c.quantity) FROM credit_note_lines c
                          WHERE c.tenant_id = l.tenant_id AND c.sale_id = l.sale_id AND c.line_no = l.line_no), 0)
                    AS refunded_quantity
         FROM sale_lines l WHERE l.tenant_id = $1 AND l.sale_id = $2 ORDER BY l.line_no",
        tenant,
        sale
    )?)
}

#[derive(sqlx::FromRow)]
struct CreditRow {
    id: CreditNoteId,
    number: i64,
    reason: String,
    refund_method: PaymentMethod,
    total_minor: i64,
    vat_minor: i64,
    created_by: Option<UserId>,
    created_at: Timestamp,
}

async fn credit_notes_of(tx: &mut TenantTx, sale: SaleId) -> Result<Vec<CreditNote>> {
    let tenant = tx.tenant_id();
    let rows: Vec<CreditRow> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT id, number, reason, refund_method, total_minor, vat_minor, created_by, created_at FROM credit_notes
         WHERE tenant_id = $1 AND sale_id = $2 ORDER BY number",
        tenant,
        sale
    )?;
    let mut notes = Vec::with_capacity(rows.len());
    for row in rows {
        let lines: Vec<CreditLine> = query!(
            tx,
            query_as,
            fetch_all,
            "SELECT line_no, quantity, gross_minor, vat_minor FROM credit_note_lines
             WHERE tenant_id = $1 AND credit_note_id = $2 ORDER BY line_no",
            tenant,
            row.id
        )?;
        notes.push(CreditNote {
            id: row.id,
            number: row.number,
            reason: row.reason,
            refund_method: row.refund_method,
            total_minor: row.total_minor,
            vat_minor: row.vat_minor,
            lines,
            created_by: row.created_by,
            created_at: row.created_at,
        });
    }
    Ok(notes)
}

/// The sale if it is open (to change or pay towards).
async fn open_row(tx: &mut TenantTx, sale: SaleId) -> Result<SaleRow> {
    let tenant = tx.tenant_id();
    let sql = format!("{SALE} WHERE tenant_id = $1 AND id = $2");
    let row: SaleRow =
        query!(tx, query_as, fetch_optional, sql, tenant, sale)?.ok_or(Error::NotFound("sale"))?;
    if row.status != SaleStatus::Open {
        return Err(Error::Conflict {
            code: "sale_completed",
            message: "the sale is completed; refund it with a credit note".into(),
        });
    }
    Ok(row)
}

/// Checks and inserts a line with the next line number; answers it.
async fn insert_line(tx: &mut TenantTx, sale: SaleId, line: NewLine) -> Result<i32> {
    let description = line.description.trim().to_owned();
    let mut f = Fields::new();
    if description.is_empty() || description.chars().count() > 200 {
        f.add("description", "must be 1 to 200 characters");
    }
    if !(1..=MAX_QUANTITY).contains(&line.quantity) {
        f.add("quantity", format!("must be 1 to {MAX_QUANTITY}"));
    }
    if !(0..=MAX_PRICE).contains(&line.unit_price_minor) {
        f.add("unit_price_minor", format!("must be 0 to {MAX_PRICE} pence"));
    }
    let gross_before = line.unit_price_minor.saturating_mul(line.quantity);
    if line.discount_minor < 0 || line.discount_minor > gross_before {
        f.add("discount_minor", "must be 0 to the line's price × quantity");
    }
    if line.item_id.is_some() != line.location_id.is_some() {
        f.add("location_id", "a stock item and the location it is taken from go together");
    }
    if line.item_id.is_some() && !line.kind.is_goods() {
        f.add("item_id", format!("a {} line is not goods from stock", line.kind));
    }
    f.finish()?;
    if let (Some(item), Some(location)) = (line.item_id, line.location_id) {
        ils_stock::items::get(tx, item).await?;
        ils_stock::locations::get(tx, location).await?;
    }
    let tenant = tx.tenant_id();
    let (count, last): (i64, Option<i32>) = query!(
        tx,
        query_as,
        fetch_one,
        "SELECT COUNT(*), MAX(line_no) FROM sale_lines WHERE tenant_id = $1 AND sale_id = $2",
        tenant,
        sale
    )?;
    if count >= MAX_LINES {
        return Err(Error::invalid_field("lines", format!("a sale has at most {MAX_LINES} lines")));
    }
    let line_no = last.unwrap_or(0) + 1;
    let rate = line.kind.vat();
    let percent = rate.percent();
    let gross = gross_before - line.discount_minor;
    execute!(
        tx.conn(),
        "INSERT INTO sale_lines (tenant_id, sale_id, line_no, kind, description, item_id, location_id, quantity,
            unit_price_minor, discount_minor, vat_rate, vat_percent, gross_minor, vat_minor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        tenant,
        sale,
        line_no,
        line.kind,
        &description,
        line.item_id,
        line.location_id,
        line.quantity,
        line.unit_price_minor,
        line.discount_minor,
        rate,
        percent,
        gross,
        vat_in(gross, percent)
    )?;
    Ok(line_no)
}

/// The sale's totals as the sums of its lines, computed by the database.
async fn retotal(tx: &mut TenantTx, sale: SaleId) -> Result<()> {
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "UPDATE sales SET
            total_minor = (SELECT CAST(COALESCE(SUM(gross_minor), 0) AS BIGINT) FROM sale_lines WHERE tenant_id = $1 AND sale_id = $2),
            vat_minor = (SELECT CAST(COALESCE(SUM(vat_minor), 0) AS BIGINT) FROM sale_lines WHERE tenant_id = $1 AND sale_id = $2)
         WHERE tenant_id = $1 AND id = $2",
        tenant,
        sale
    )?;
    Ok(())
}

/// Every sale of the patient, oldest first, with its lines, payments and credit notes, unaudited:
/// for a caller that audits the whole (the subject-access export).
pub async fn held_for(tx: &mut TenantTx, patient: PatientId) -> Result<Vec<Sale>> {
    let tenant = tx.tenant_id();
    let ids: Vec<(SaleId,)> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT id FROM sales WHERE tenant_id = $1 AND patient_id = $2 ORDER BY id",
        tenant,
        patient
    )?;
    let mut sales = Vec::with_capacity(ids.len());
    for (id,) in ids {
        sales.push(load(tx, id).await?);
    }
    Ok(sales)
}

/// Erasure: the patient's sales stay (the practice keeps its VAT records), no longer naming
/// them; how many.
pub async fn unlink_patient(tx: &mut TenantTx, patient: PatientId) -> Result<u64> {
    let tenant = tx.tenant_id();
    Ok(execute!(
        tx.conn(),
        "UPDATE sales SET patient_id = NULL WHERE tenant_id = $1 AND patient_id = $2",
        tenant,
        patient
    )?)
}

/// One sale in a list.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleEntry {
    /// The sale.
    pub id: SaleId,
    /// Open or completed.
    pub status: SaleStatus,
    /// The invoice number, once completed.
    pub invoice_number: Option<i64>,
    /// The patient, if for one.
    pub patient_id: Option<PatientId>,
    /// Their name ("Ann Lee").
    pub patient_name: Option<String>,
    /// The total, VAT included, in pence.
    pub total_minor: i64,
    /// Paid so far, in pence.
    pub paid_minor: i64,
    /// Refunded, in pence.
    pub refunded_minor: i64,
    /// When it was opened (UTC).
    pub created_at: Timestamp,
    /// When it was completed (UTC).
    pub completed_at: Option<Timestamp>,
}

/// The sales still open and those opened or completed in `[from, until)`, newest first (at most
/// 500); names patients, so the read is audited (`sales.listed`).
pub async fn list(uow: &mut UnitOfWork, from: Timestamp, until: Timestamp) -> Result<Vec<SaleEntry>> {
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let entries: Vec<SaleEntry> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT s.id, s.status, s.invoice_number, s.patient_id,
                CASE WHEN p.id IS NULL THEN NULL ELSE p.first_name || ' ' || p.last_name END AS patient_name,
                s.total_minor, s.paid_minor, s.refunded_minor, s.created_at, s.completed_at
         FROM sales s LEFT JOIN patients p ON p.tenant_id = s.tenant_id AND p.id = s.patient_id
         WHERE s.tenant_id = $1
           AND (s.status = 'open' OR (s.created_at >= $2 AND s.created_at < $3)
                OR (s.completed_at >= $2 AND s.completed_at < $3))
         ORDER BY s.id DESC LIMIT 500",
        tenant,
        from,
        until
    )?;
    uow.audit(Event::new("sales.listed", "tenant", tenant)).await?;
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_exempt_and_goods_standard_rated() {
        for kind in LineKind::ALL {
            let exempt =
                matches!(kind, LineKind::SightTest | LineKind::ContactLensCheck | LineKind::Dispensing);
            assert_eq!(kind.vat() == VatRate::Exempt, exempt, "{kind}");
        }
        assert!(LineKind::Frame.is_goods() && LineKind::Solution.is_goods());
        assert!(!LineKind::Repair.is_goods() && !LineKind::Dispensing.is_goods());
    }
}
