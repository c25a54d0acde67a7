//! Invoice, receipt and credit-note numbers: one sequence per practice and kind, without gaps.
//! The next number is taken by an update of the sequence's row in the transaction that uses it,
//! so a transaction that rolls back gives its number back, and two at once wait for each other
//! (the row lock on PostgreSQL, the single writer on SQLite).

use ils_kernel::Result;
use ils_storage::{TenantTx, execute, query, text_enum};

text_enum! {
    /// What a number numbers.
    pub enum NumberKind {
        /// A completed sale.
        Invoice = "invoice",
        /// A payment.
        Receipt = "receipt",
        /// A refund.
        CreditNote = "credit_note",
    }
}

/// The next number of `kind` for the transaction's practice, from 1.
pub async fn next(tx: &mut TenantTx, kind: NumberKind) -> Result<i64> {
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO till_numbers (tenant_id, kind, last) VALUES ($1, $2, 0) ON CONFLICT (tenant_id, kind) DO NOTHING",
        tenant,
        kind
    )?;
    let (next,): (i64,) = query!(
        tx,
        query_as,
        fetch_one,
        "UPDATE till_numbers SET last = last + 1 WHERE tenant_id = $1 AND kind = $2 RETURNING last",
        tenant,
        kind
    )?;
    Ok(next)
}
