//! # ILS stock
//!
//! Purchasing and stock for a tenant: the global supplier directory and the tenant's accounts
//! with suppliers ([`suppliers`]), the item catalogue ([`items`]), stock locations
//! ([`locations`]), stock per item per location with its ledger ([`levels`]), adjustments and
//! transfers ([`movements`]), purchase orders with goods receipts ([`purchase_orders`]), and stock
//! counts ([`counts`]), and — for a supplier on ILS — the purchase orders its customers send it
//! ([`received`]). The events it emits are in [`events`].
//!
//! Every change of a stock level goes through one guarded update in [`levels`]: stock never goes
//! below zero, even with concurrent writers on PostgreSQL, each change leaves one ledger row, and
//! the `stock.low` event is recorded when a change crosses the item's reorder point, all in the
//! caller's transaction. The database backs the invariants with constraints as well
//! (docs/adr/009).
//!
//! Services take a domain command and a [`UnitOfWork`](ils_outbox::UnitOfWork), check the command,
//! write through the unit and record the audit entry and events in it; reads take a
//! [`TenantTx`]. This crate knows no HTTP: the API in `ils-core` turns requests into commands.
//!
//! ```
//! use ils_stock::purchase_orders::PurchaseOrderStatus;
//!
//! assert!(PurchaseOrderStatus::Draft.can_move_to(PurchaseOrderStatus::Sent));
//! assert!(!PurchaseOrderStatus::Received.can_move_to(PurchaseOrderStatus::Cancelled));
//! assert_eq!(ils_stock::positive_quantity("quantity", 3)?, 3);
//! assert!(ils_stock::positive_quantity("quantity", 0).is_err());
//! # Ok::<(), ils_kernel::Error>(())
//! ```

pub mod counts;
pub mod events;
pub mod items;
pub mod levels;
pub mod locations;
pub mod movement_kind;
pub mod movements;
pub mod plugin_movements;
pub mod purchase_orders;
pub mod received;
pub mod suppliers;

use ils_kernel::{Error, Result};
use ils_storage::{Conn, TenantTx};

/// The largest quantity one line, adjustment or transfer may move.
pub const MAX_QUANTITY: i64 = 1_000_000;

/// A quantity of units that must be positive (1 to [`MAX_QUANTITY`]).
pub fn positive_quantity(field: &str, value: i64) -> Result<i64> {
    if !(1..=MAX_QUANTITY).contains(&value) {
        return Err(Error::invalid_field(field, format!("must be between 1 and {MAX_QUANTITY}")));
    }
    Ok(value)
}

/// The clause that locks the rows a `SELECT` reads until the transaction ends: PostgreSQL needs
/// it; SQLite write transactions are serial already (`BEGIN IMMEDIATE`).
pub(crate) fn row_lock(tx: &mut TenantTx) -> &'static str {
    match tx.conn() {
        Conn::Postgres(_) => " FOR UPDATE",
        Conn::Sqlite(_) => "",
    }
}
