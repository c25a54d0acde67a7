//! Stock per item per location, and the ledger of every change to it.
//!
//! `apply` is the only way stock changes. It adds the change with one guarded `UPDATE … SET
//! quantity = quantity + Δ WHERE quantity + Δ >= 0`: on PostgreSQL the update takes the row lock
//! and re-checks the condition against the latest committed quantity, so two clients drawing on
//! the same stock at once can neither drive it negative nor lose each other's change; SQLite
//! write transactions are serial. The `stock_never_negative` constraint backs it.

use serde::Serialize;
use uuid::Uuid;

use ils_kernel::page::{Page, PageRequest};
use ils_kernel::{Error, Result};
use ils_storage::ids::{ItemId, LocationId, StockLevelId, StockMovementId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query};

pub use crate::movement_kind::MovementKind;

use crate::events::{StockChanged, StockLow};
use crate::items::Item;

/// The stock of one item at one location.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockLevel {
    /// The level's id (UUIDv7). There is one level per item and location, made by the first movement there.
    pub id: StockLevelId,
    /// The item stocked; `sku` repeats its SKU so that a list reads without a lookup.
    pub item_id: ItemId,
    /// The item's SKU.
    pub sku: String,
    /// The location where the stock is kept.
    pub location_id: LocationId,
    /// Units in stock (never negative).
    pub quantity: i64,
    /// The item's reorder point.
    pub reorder_point: i64,
    /// Whether the quantity is at or below the reorder point.
    pub low: bool,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// One change of a stock level.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Movement {
    /// Id (time-ordered).
    pub id: StockMovementId,
    /// The item whose stock changed.
    pub item_id: ItemId,
    /// The location where the stock changed.
    pub location_id: LocationId,
    /// Units added (positive) or removed (negative); never zero.
    pub delta: i64,
    /// The stock at the location after the change.
    pub quantity_after: i64,
    /// What caused it.
    pub kind: MovementKind,
    /// The adjustment, transfer, goods receipt, stock count or plugin movement that caused it.
    pub reference_id: Uuid,
    /// The user or API key that made it.
    pub actor_id: Option<Uuid>,
    /// When the change was made (UTC).
    pub created_at: Timestamp,
}

/// Which stock levels to list; every filter left out matches all.
#[derive(Clone, Debug, Default)]
pub struct LevelFilter {
    /// Only this item.
    pub item_id: Option<ItemId>,
    /// Only this location.
    pub location_id: Option<LocationId>,
    /// Only levels at or below the item's reorder point.
    pub low: bool,
}

/// Which ledger rows to list; every filter left out matches all.
#[derive(Clone, Debug, Default)]
pub struct MovementFilter {
    /// Only this item.
    pub item_id: Option<ItemId>,
    /// Only this location.
    pub location_id: Option<LocationId>,
}

/// A change to make: `delta` units of `item` at `location`, because of `reference`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Change<'a> {
    pub(crate) item: &'a Item,
    pub(crate) location: LocationId,
    pub(crate) delta: i64,
    pub(crate) kind: MovementKind,
    pub(crate) reference: Uuid,
    pub(crate) actor: Option<Uuid>,
}

/// Applies a change to a stock level in the caller's transaction: the guarded update, the ledger
/// row, and `stock.low` when the change takes the stock from above the reorder point to at or
/// below it. Answers the quantity after the change, or an `insufficient_stock` conflict.
pub(crate) async fn apply(tx: &mut TenantTx, change: Change<'_>) -> Result<i64> {
    if change.delta == 0 {
        return Err(Error::Internal("a stock change of zero".into()));
    }
    let tenant = tx.tenant_id();
    let item = change.item;
    let now = Timestamp::now();
    execute!(
        tx.conn(),
        "INSERT INTO stock_levels (tenant_id, id, item_id, location_id, quantity, version, updated_at)
         VALUES ($1, $2, $3, $4, 0, 0, $5) ON CONFLICT (tenant_id, item_id, location_id) DO NOTHING",
        tenant,
        StockLevelId::new(),
        item.id,
        change.location,
        now
    )?;
    let after: Option<i64> = query!(
        tx,
        query_scalar,
        fetch_optional,
        "UPDATE stock_levels SET quantity = quantity + $4, version = version + 1, updated_at = $5
         WHERE tenant_id = $1 AND item_id = $2 AND location_id = $3 AND quantity + $4 >= 0
         RETURNING quantity",
        tenant,
        item.id,
        change.location,
        change.delta,
        now
    )?;
    let Some(after) = after else {
        let have = quantity(tx, item.id, change.location).await?;
        return Err(Error::conflict(
            "insufficient_stock",
            format!("Only {have} of {} in stock at that location; {} needed.", item.sku, -change.delta),
        ));
    };
    execute!(
        tx.conn(),
        "INSERT INTO stock_movements (tenant_id, id, item_id, location_id, delta, quantity_after, kind,
            reference_id, actor_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        tenant,
        StockMovementId::new(),
        item.id,
        change.location,
        change.delta,
        after,
        change.kind,
        change.reference,
        change.actor,
        now
    )?;
    let changed = StockChanged {
        item_id: item.id,
        sku: item.sku.clone(),
        location_id: change.location,
        delta: change.delta,
        quantity: after,
        kind: change.kind,
    };
    ils_outbox::emit(tx, &changed).await?;
    let before = after - change.delta;
    if before > item.reorder_point && after <= item.reorder_point {
        let low = StockLow {
            item_id: item.id,
            sku: item.sku.clone(),
            location_id: change.location,
            quantity: after,
            reorder_point: item.reorder_point,
        };
        ils_outbox::emit(tx, &low).await?;
    }
    Ok(after)
}

/// The stock of `item` at `location` (0 where there has never been any).
pub async fn quantity(tx: &mut TenantTx, item: ItemId, location: LocationId) -> Result<i64> {
    let tenant = tx.tenant_id();
    let q: Option<i64> = query!(
        tx,
        query_scalar,
        fetch_optional,
        "SELECT quantity FROM stock_levels WHERE tenant_id = $1 AND item_id = $2 AND location_id = $3",
        tenant,
        item,
        location
    )?;
    Ok(q.unwrap_or(0))
}

/// Stock levels matching `filter`, by item and location, a page at a time.
pub async fn list(tx: &mut TenantTx, filter: &LevelFilter, page: &PageRequest) -> Result<Page<StockLevel>> {
    let after: Option<StockLevelId> = page.after()?;
    let tenant = tx.tenant_id();
    let rows: Vec<StockLevel> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT l.id, l.item_id, i.sku, l.location_id, l.quantity, i.reorder_point,
                l.quantity <= i.reorder_point AS low, l.updated_at
         FROM stock_levels l JOIN items i ON i.tenant_id = l.tenant_id AND i.id = l.item_id
         WHERE l.tenant_id = $1 AND ($2 IS NULL OR l.id > $2) AND ($3 IS NULL OR l.item_id = $3)
           AND ($4 IS NULL OR l.location_id = $4) AND (NOT $5 OR l.quantity <= i.reorder_point)
         ORDER BY l.id LIMIT $6",
        tenant,
        after,
        filter.item_id,
        filter.location_id,
        filter.low,
        page.fetch_limit()
    )?;
    Ok(page.finish(rows, |l| l.id.as_uuid()))
}

/// The stock ledger rows matching `filter`, oldest first, a page at a time.
pub async fn movements(
    tx: &mut TenantTx,
    filter: &MovementFilter,
    page: &PageRequest,
) -> Result<Page<Movement>> {
    let after: Option<StockMovementId> = page.after()?;
    let tenant = tx.tenant_id();
    let rows: Vec<Movement> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT id, item_id, location_id, delta, quantity_after, kind, reference_id, actor_id, created_at
         FROM stock_movements
         WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) AND ($3 IS NULL OR item_id = $3)
           AND ($4 IS NULL OR location_id = $4)
         ORDER BY id LIMIT $5",
        tenant,
        after,
        filter.item_id,
        filter.location_id,
        page.fetch_limit()
    )?;
    Ok(page.finish(rows, |m| m.id.as_uuid()))
}
