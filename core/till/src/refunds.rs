//! Refunds: credit notes on a completed sale. Each refunded line gives back its share of its
//! price and VAT for the units refunded — the last units what is left, so a line refunded whole
//! reverses exactly what it charged — stocked units go back into stock, and the money goes back
//! by cash or card, never more than was paid in money (an NHS voucher is not refunded as cash).

use serde::Deserialize;

use ils_kernel::audit::Event;
use ils_kernel::input::Fields;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{CreditNoteId, SaleId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query};

use crate::events::CreditNoteIssued;
use crate::kinds::{PaymentMethod, SaleStatus};
use crate::numbers::{self, NumberKind};
use crate::sales::{CreditLine, CreditNote, Line, Sale, load};

/// Units of one line to refund.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefundLine {
    /// The sale's line.
    pub line_no: i32,
    /// Units, at most those not yet refunded.
    pub quantity: i64,
}

/// A refund to make.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCreditNote {
    /// The lines and units refunded.
    pub lines: Vec<RefundLine>,
    /// How the money goes back: `cash` or `card`.
    pub refund_method: PaymentMethod,
    /// Why (1 to 500 characters).
    pub reason: String,
}

/// Refunds lines of a completed sale with a credit note: each line's share of its price and of
/// its VAT (the last units refunded take what is left, so a line refunded whole gives back
/// exactly what it took), stocked units back into stock, the next credit-note number, and
/// `credit_note.issued`. Money goes back by cash or card, never more than was paid in money: an
/// NHS voucher is not refunded as cash.
pub async fn credit(uow: &mut UnitOfWork, sale: SaleId, note: NewCreditNote) -> Result<(Sale, CreditNote)> {
    let current = load(uow.tx(), sale).await?;
    if current.status != SaleStatus::Completed {
        return Err(Error::Conflict {
            code: "sale_not_completed",
            message: "only a completed sale is refunded; change an open sale's lines instead".into(),
        });
    }
    let reason = note.reason.trim().to_owned();
    let mut f = Fields::new();
    if note.refund_method == PaymentMethod::NhsVoucher {
        f.add("refund_method", "money goes back by cash or card");
    }
    if reason.is_empty() || reason.chars().count() > 500 {
        f.add("reason", "must be 1 to 500 characters");
    }
    if note.lines.is_empty() {
        f.add("lines", "name at least one line to refund");
    }
    let mut refunds: Vec<CreditLine> = Vec::new();
    for (i, wanted) in note.lines.iter().enumerate() {
        let Some(line) = current.lines.iter().find(|l| l.line_no == wanted.line_no) else {
            f.add(format!("lines[{i}].line_no"), "is not a line of this sale");
            continue;
        };
        let left = i64::from(line.quantity) - line.refunded_quantity;
        if wanted.quantity < 1 || wanted.quantity > left || refunds.iter().any(|r| r.line_no == line.line_no)
        {
            f.add(
                format!("lines[{i}].quantity"),
                format!("must be 1 to the {left} not yet refunded, once per line"),
            );
            continue;
        }
        let (gross, vat) = share(uow.tx(), sale, line, wanted.quantity).await?;
        refunds.push(CreditLine {
            line_no: line.line_no,
            quantity: i32::try_from(wanted.quantity).unwrap_or(i32::MAX),
            gross_minor: gross,
            vat_minor: vat,
        });
    }
    f.finish()?;
    let total: i64 = refunds.iter().map(|r| r.gross_minor).sum();
    let vat: i64 = refunds.iter().map(|r| r.vat_minor).sum();
    let in_money: i64 = current
        .payments
        .iter()
        .filter(|p| p.method != PaymentMethod::NhsVoucher)
        .map(|p| p.amount_minor)
        .sum();
    if total < 1 || current.refunded_minor + total > in_money {
        return Err(Error::Conflict {
            code: "refund_beyond_money_paid",
            message: format!(
                "{total} pence to refund, but {} pence of this sale was paid in money and not yet refunded",
                in_money - current.refunded_minor
            ),
        });
    }
    let id = CreditNoteId::new();
    let number = numbers::next(uow.tx(), NumberKind::CreditNote).await?;
    let created_by = uow.ctx().user_id;
    let now = Timestamp::now();
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO credit_notes (tenant_id, id, sale_id, number, reason, refund_method, total_minor, vat_minor, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        tenant,
        id,
        sale,
        number,
        &reason,
        note.refund_method,
        total,
        vat,
        created_by,
        now
    )?;
    for r in &refunds {
        execute!(
            tx.conn(),
            "INSERT INTO credit_note_lines (tenant_id, credit_note_id, sale_id, line_no, quantity, gross_minor, vat_minor)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            tenant,
            id,
            sale,
            r.line_no,
            r.quantity,
            r.gross_minor,
            r.vat_minor
        )?;
    }
    execute!(
        tx.conn(),
        "UPDATE sales SET refunded_minor = refunded_minor + $3 WHERE tenant_id = $1 AND id = $2",
        tenant,
        sale,
        total
    )?;
    for r in &refunds {
        let line = current.lines.iter().find(|l| l.line_no == r.line_no);
        if let Some(Line { item_id: Some(item), location_id: Some(location), .. }) = line {
            ils_stock::movements::for_till(uow, *item, *location, i64::from(r.quantity), id.as_uuid())
                .await?;
        }
    }
    uow.emit(&CreditNoteIssued {
        sale_id: sale,
        credit_note_id: id,
        number,
        total_minor: total,
        refund_method: note.refund_method,
    })
    .await?;
    uow.audit(Event::new("sale.refunded", "sale", sale).changes(serde_json::json!({
        "credit_note": number, "total_minor": total, "refund_method": note.refund_method,
    })))
    .await?;
    let issued = CreditNote {
        id,
        number,
        reason,
        refund_method: note.refund_method,
        total_minor: total,
        vat_minor: vat,
        lines: refunds,
        created_by,
        created_at: now,
    };
    Ok((load(uow.tx(), sale).await?, issued))
}

/// A line's refund of `units`: its price and VAT pro rata, rounded down, and the last units the
/// remainder of both.
async fn share(tx: &mut TenantTx, sale: SaleId, line: &Line, units: i64) -> Result<(i64, i64)> {
    let quantity = i64::from(line.quantity);
    if line.refunded_quantity + units == quantity {
        let tenant = tx.tenant_id();
        let (gross, vat): (i64, i64) = query!(
            tx,
            query_as,
            fetch_one,
            "SELECT CAST(COALESCE(SUM(gross_minor), 0) AS BIGINT), CAST(COALESCE(SUM(vat_minor), 0) AS BIGINT) FROM credit_note_lines
             WHERE tenant_id = $1 AND sale_id = $2 AND line_no = $3",
            tenant,
            sale,
            line.line_no
        )?;
        return Ok((line.gross_minor - gross, line.vat_minor - vat));
    }
    Ok((line.gross_minor * units / quantity, line.vat_minor * units / quantity))
}
