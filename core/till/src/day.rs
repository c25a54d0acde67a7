//! The end-of-day report: for one of the practice's days (Europe/London), the takings by method
//! (payments taken, refunds given), the VAT of the sales completed less the credit notes issued,
//! and the cash to bank. Each figure is a sum the database makes over that day's rows.

use jiff::civil::Date;
use serde::Serialize;

use ils_kernel::Result;
use ils_kernel::audit::Event;
use ils_outbox::UnitOfWork;
use ils_storage::query;
use ils_storage::types::Timestamp;

use crate::kinds::PaymentMethod;
use crate::vat::{VatBand, VatRate};

/// One method's takings.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Takings {
    /// How.
    pub method: PaymentMethod,
    /// Payments taken, in pence.
    pub taken_minor: i64,
    /// Refunds given, in pence.
    pub refunded_minor: i64,
    /// Taken less refunded, in pence.
    pub net_minor: i64,
    /// How many payments.
    pub payments: i64,
}

/// The VAT of the day's sales, by rate, less its credit notes.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VatSummary {
    /// Standard-rated lines.
    pub standard: VatBand,
    /// Exempt lines.
    pub exempt: VatBand,
    /// Both.
    pub total: VatBand,
}

/// A day at the till.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndOfDay {
    /// The day (the practice's, Europe/London).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    /// Takings by method: cash, card, NHS voucher.
    pub takings: Vec<Takings>,
    /// Everything taken less everything refunded, in pence.
    pub net_takings_minor: i64,
    /// Cash taken less cash refunded: what goes to the bank, in pence.
    pub cash_to_bank_minor: i64,
    /// Of the day's payments, those towards sales still open (deposits held), in pence.
    pub deposits_held_minor: i64,
    /// Sales completed that day.
    pub sales_completed: i64,
    /// The first and last invoice numbers of the day, if any.
    pub invoice_numbers: Option<(i64, i64)>,
    /// Credit notes issued that day.
    pub credit_notes: i64,
    /// VAT of the sales completed less the credit notes issued.
    pub vat: VatSummary,
}

/// The report for `date`, audited (`till.day_read`).
pub async fn report(uow: &mut UnitOfWork, date: Date) -> Result<EndOfDay> {
    let (from, until) = bounds(date)?;
    let tx = uow.tx();
    let tenant = tx.tenant_id();
    let taken: Vec<(PaymentMethod, i64, i64)> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT method, CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT), COUNT(*) FROM sale_payments
         WHERE tenant_id = $1 AND taken_at >= $2 AND taken_at < $3 GROUP BY method",
        tenant,
        from,
        until
    )?;
    let refunded: Vec<(PaymentMethod, i64)> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT refund_method, CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) FROM credit_notes
         WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY refund_method",
        tenant,
        from,
        until
    )?;
    let (deposits,): (i64,) = query!(
        tx,
        query_as,
        fetch_one,
        "SELECT CAST(COALESCE(SUM(p.amount_minor), 0) AS BIGINT) FROM sale_payments p
         JOIN sales s ON s.tenant_id = p.tenant_id AND s.id = p.sale_id
         WHERE p.tenant_id = $1 AND p.taken_at >= $2 AND p.taken_at < $3 AND s.status = 'open'",
        tenant,
        from,
        until
    )?;
    let (completed, first, last): (i64, Option<i64>, Option<i64>) = query!(
        tx,
        query_as,
        fetch_one,
        "SELECT COUNT(*), MIN(invoice_number), MAX(invoice_number) FROM sales
         WHERE tenant_id = $1 AND completed_at >= $2 AND completed_at < $3",
        tenant,
        from,
        until
    )?;
    let sold: Vec<(VatRate, i64, i64)> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT l.vat_rate, CAST(COALESCE(SUM(l.gross_minor), 0) AS BIGINT), CAST(COALESCE(SUM(l.vat_minor), 0) AS BIGINT)
         FROM sale_lines l JOIN sales s ON s.tenant_id = l.tenant_id AND s.id = l.sale_id
         WHERE l.tenant_id = $1 AND s.completed_at >= $2 AND s.completed_at < $3 GROUP BY l.vat_rate",
        tenant,
        from,
        until
    )?;
    let credited: Vec<(VatRate, i64, i64)> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT l.vat_rate, CAST(COALESCE(SUM(c.gross_minor), 0) AS BIGINT), CAST(COALESCE(SUM(c.vat_minor), 0) AS BIGINT)
         FROM credit_note_lines c
         JOIN credit_notes n ON n.tenant_id = c.tenant_id AND n.id = c.credit_note_id
         JOIN sale_lines l ON l.tenant_id = c.tenant_id AND l.sale_id = c.sale_id AND l.line_no = c.line_no
         WHERE c.tenant_id = $1 AND n.created_at >= $2 AND n.created_at < $3 GROUP BY l.vat_rate",
        tenant,
        from,
        until
    )?;
    let (credit_notes,): (i64,) = query!(
        tx,
        query_as,
        fetch_one,
        "SELECT COUNT(*) FROM credit_notes WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3",
        tenant,
        from,
        until
    )?;
    let mut takings = Vec::new();
    for method in PaymentMethod::ALL {
        let (taken_minor, payments) =
            taken.iter().find(|(m, ..)| m == method).map(|(_, sum, n)| (*sum, *n)).unwrap_or((0, 0));
        let refunded_minor = refunded.iter().find(|(m, _)| m == method).map(|(_, sum)| *sum).unwrap_or(0);
        takings.push(Takings {
            method: *method,
            taken_minor,
            refunded_minor,
            net_minor: taken_minor - refunded_minor,
            payments,
        });
    }
    let mut vat = VatSummary::default();
    for (rate, gross, tax) in &sold {
        band(&mut vat, *rate).add(*gross, *tax);
        vat.total.add(*gross, *tax);
    }
    for (rate, gross, tax) in &credited {
        band(&mut vat, *rate).add(-gross, -tax);
        vat.total.add(-gross, -tax);
    }
    let cash = takings.iter().find(|t| t.method == PaymentMethod::Cash).map_or(0, |t| t.net_minor);
    let report = EndOfDay {
        date,
        net_takings_minor: takings.iter().map(|t| t.net_minor).sum(),
        takings,
        cash_to_bank_minor: cash,
        deposits_held_minor: deposits,
        sales_completed: completed,
        invoice_numbers: first.zip(last),
        credit_notes,
        vat,
    };
    uow.audit(
        Event::new("till.day_read", "tenant", tenant)
            .changes(serde_json::json!({ "date": date.to_string() })),
    )
    .await?;
    Ok(report)
}

fn band(vat: &mut VatSummary, rate: VatRate) -> &mut VatBand {
    match rate {
        VatRate::Standard => &mut vat.standard,
        VatRate::Exempt => &mut vat.exempt,
    }
}

/// The day's first instant and the next day's, in the practice's time zone.
pub fn bounds(date: Date) -> Result<(Timestamp, Timestamp)> {
    let zone = ils_diary::zone();
    let start = |d: Date| {
        d.to_zoned(zone.clone())
            .map(|z| Timestamp::from_jiff(z.timestamp()))
            .map_err(|e| ils_kernel::Error::Internal(format!("day: {e}")))
    };
    let next =
        date.tomorrow().map_err(|_| ils_kernel::Error::invalid_field("date", "is the last day there is"))?;
    Ok((start(date)?, start(next)?))
}
