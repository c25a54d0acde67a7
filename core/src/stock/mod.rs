//! Purchasing and stock: the global supplier directory and the tenant's accounts with suppliers,
//! the item catalogue, stock locations, stock per item per location with its ledger,
//! adjustments and transfers, purchase orders with goods receipts, and stock counts.
//!
//! Every change of a stock level goes through `levels::apply`: one guarded update (stock never
//! goes below zero, even with concurrent writers on PostgreSQL), one ledger row, and the
//! `stock.low` event when the change crosses the item's reorder point, all in the caller's
//! transaction. The database backs the invariants with constraints as well (docs/adr/009).

pub mod counts;
pub mod items;
pub mod levels;
pub mod locations;
pub mod movements;
pub mod purchase_orders;
pub mod suppliers;

use utoipa_axum::router::OpenApiRouter;

use crate::db::{Conn, TenantTx};
use crate::error::{Error, Result};
use crate::state::AppState;

/// The largest quantity one line, adjustment or transfer may move.
pub const MAX_QUANTITY: i64 = 1_000_000;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(suppliers::router())
        .merge(items::router())
        .merge(locations::router())
        .merge(levels::router())
        .merge(movements::router())
        .merge(purchase_orders::routes::router())
        .merge(counts::router())
}

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
