//! Moving stock by hand: adjustments (never zero, always with a reason) and transfers between
//! two different locations. Each is one unit of work with its ledger rows, audit row and events.

use serde::Serialize;

use ils_kernel::Result;
use ils_kernel::audit::Event;
use ils_kernel::input::{Fields, optional_text};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{ItemId, LocationId, StockAdjustmentId, StockTransferId};
use ils_storage::types::Timestamp;
use ils_storage::{execute, text_enum};

use crate::levels::{self, Change, MovementKind};
use crate::{MAX_QUANTITY, items, locations, positive_quantity};

text_enum! {
    /// Why stock was adjusted.
    pub enum AdjustmentReason {
        /// Stock on hand when the tenant started using ILS.
        OpeningBalance = "opening_balance",
        /// Found (more than the books said).
        Found = "found",
        /// Damaged and written off.
        Damaged = "damaged",
        /// Lost or stolen.
        Lost = "lost",
        /// Used up (consumables, in production).
        Used = "used",
        /// Sent back to the supplier outside a purchase order.
        ReturnedToSupplier = "returned_to_supplier",
        /// Correcting a mistake.
        Correction = "correction",
    }
}

/// A recorded adjustment.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Adjustment {
    /// The adjustment's id (UUIDv7); the ledger movement it made carries it as `reference_id`.
    pub id: StockAdjustmentId,
    /// The item adjusted; with `location_id` it names the stock level that changed.
    pub item_id: ItemId,
    /// The location where the stock was adjusted.
    pub location_id: LocationId,
    /// Units added (positive) or removed (negative).
    pub quantity: i64,
    /// Why the stock was adjusted.
    pub reason: AdjustmentReason,
    /// Free-text details (up to 500 characters); empty when none.
    pub note: String,
    /// The stock at the location afterwards.
    pub quantity_after: i64,
    /// When the adjustment was made (UTC).
    pub created_at: Timestamp,
}

/// A recorded transfer.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    /// The transfer's id (UUIDv7); its two ledger movements carry it as `reference_id`.
    pub id: StockTransferId,
    /// The item moved from one location to the other.
    pub item_id: ItemId,
    /// Where the stock left.
    pub from_location_id: LocationId,
    /// Where it arrived.
    pub to_location_id: LocationId,
    /// Units moved.
    pub quantity: i64,
    /// Free-text details (up to 500 characters); empty when none.
    pub note: String,
    /// The stock left at the sending location.
    pub from_quantity_after: i64,
    /// The stock at the receiving location afterwards.
    pub to_quantity_after: i64,
    /// When the transfer was made (UTC).
    pub created_at: Timestamp,
}

/// An adjustment to make, checked by [`adjust`].
#[derive(Clone, Debug)]
pub struct AdjustStock {
    /// The item to adjust; it must be in the tenant's catalogue.
    pub item_id: ItemId,
    /// The location to adjust the stock at; it must be one of the tenant's.
    pub location_id: LocationId,
    /// Units to add (positive) or remove (negative): never zero, at most [`MAX_QUANTITY`] either way.
    pub quantity: i64,
    /// Why the stock is adjusted; required.
    pub reason: AdjustmentReason,
    /// Details, up to 500 characters.
    pub note: Option<String>,
}

/// A transfer to make, checked by [`transfer`].
#[derive(Clone, Debug)]
pub struct TransferStock {
    /// The item to move; it must be in the tenant's catalogue.
    pub item_id: ItemId,
    /// Where the stock leaves.
    pub from_location_id: LocationId,
    /// Where it arrives; must be another location.
    pub to_location_id: LocationId,
    /// Units moved, 1 to [`MAX_QUANTITY`].
    pub quantity: i64,
    /// Details, up to 500 characters.
    pub note: Option<String>,
}

/// Adjusts the stock of an item at a location through the ledger; records `stock.adjusted`.
/// Taking away more than is there answers `insufficient_stock`.
pub async fn adjust(uow: &mut UnitOfWork, req: AdjustStock) -> Result<Adjustment> {
    // A range, not `abs()`: `i64::MIN.abs()` overflows (a 500 once, found by Schemathesis).
    let mut f = Fields::new();
    if req.quantity == 0 || !(-MAX_QUANTITY..=MAX_QUANTITY).contains(&req.quantity) {
        f.add("quantity", format!("must not be zero, and at most {MAX_QUANTITY} either way"));
    }
    let note = f.check(optional_text("note", req.note.as_deref(), 500));
    let note = f.build(|| note)?.unwrap_or_default();
    let actor = uow.actor().actor_id;
    let tx = uow.tx();
    let item = items::get(tx, req.item_id).await?;
    locations::get(tx, req.location_id).await?;
    let id = StockAdjustmentId::new();
    let now = Timestamp::now();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO stock_adjustments (tenant_id, id, item_id, location_id, quantity, reason, note, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        tenant,
        id,
        item.id,
        req.location_id,
        req.quantity,
        req.reason,
        &note,
        actor,
        now
    )?;
    let change = Change {
        item: &item,
        location: req.location_id,
        delta: req.quantity,
        kind: MovementKind::Adjustment,
        reference: id.as_uuid(),
        actor,
    };
    let quantity_after = levels::apply(tx, change).await?;
    let event = Event::new("stock.adjusted", "stock_adjustment", id).changes(serde_json::json!({
        "item_id": item.id, "location_id": req.location_id, "quantity": req.quantity,
        "reason": req.reason, "note": note, "quantity_after": quantity_after,
    }));
    uow.audit(event).await?;
    Ok(Adjustment {
        id,
        item_id: item.id,
        location_id: req.location_id,
        quantity: req.quantity,
        reason: req.reason,
        note,
        quantity_after,
        created_at: now,
    })
}

/// Moves stock of an item from one location to another through the ledger; records
/// `stock.transferred`. Not enough stock at the sending location answers `insufficient_stock`.
pub async fn transfer(uow: &mut UnitOfWork, req: TransferStock) -> Result<Transfer> {
    let mut f = Fields::new();
    let quantity = f.check(positive_quantity("quantity", req.quantity));
    if req.from_location_id == req.to_location_id {
        f.add("to_location_id", "must differ from from_location_id");
    }
    let note = f.check(optional_text("note", req.note.as_deref(), 500));
    let (quantity, note) = f.build(|| Some((quantity?, note?.unwrap_or_default())))?;
    let actor = uow.actor().actor_id;
    let tx = uow.tx();
    let item = items::get(tx, req.item_id).await?;
    locations::get(tx, req.from_location_id).await?;
    locations::get(tx, req.to_location_id).await?;
    let id = StockTransferId::new();
    let now = Timestamp::now();
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO stock_transfers (tenant_id, id, item_id, from_location_id, to_location_id, quantity, note,
            created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        tenant,
        id,
        item.id,
        req.from_location_id,
        req.to_location_id,
        quantity,
        &note,
        actor,
        now
    )?;
    let leg =
        |location, delta, kind| Change { item: &item, location, delta, kind, reference: id.as_uuid(), actor };
    let out = leg(req.from_location_id, -quantity, MovementKind::TransferOut);
    let into = leg(req.to_location_id, quantity, MovementKind::TransferIn);
    // Rows are locked in one global order (item, then location) so that two transfers in
    // opposite directions cannot deadlock on PostgreSQL.
    let (from_after, to_after) = if req.from_location_id < req.to_location_id {
        let from_after = levels::apply(tx, out).await?;
        (from_after, levels::apply(tx, into).await?)
    } else {
        let to_after = levels::apply(tx, into).await?;
        (levels::apply(tx, out).await?, to_after)
    };
    let event = Event::new("stock.transferred", "stock_transfer", id).changes(serde_json::json!({
        "item_id": item.id, "from_location_id": req.from_location_id, "to_location_id": req.to_location_id,
        "quantity": quantity, "note": note,
    }));
    uow.audit(event).await?;
    Ok(Transfer {
        id,
        item_id: item.id,
        from_location_id: req.from_location_id,
        to_location_id: req.to_location_id,
        quantity,
        note,
        from_quantity_after: from_after,
        to_quantity_after: to_after,
        created_at: now,
    })
}

/// Moves stock for the till: `-quantity` of a stocked line sold (a `sale` movement), or
/// `+quantity` back for its refund (`return`), in the caller's unit of work so the sale and its
/// stock commit together. `reference` is the sale or credit note. Answers the quantity after,
/// or `insufficient_stock` when the location has fewer than are sold.
pub async fn for_till(
    uow: &mut UnitOfWork,
    item_id: ItemId,
    location_id: LocationId,
    delta: i64,
    reference: uuid::Uuid,
) -> Result<i64> {
    let actor = uow.actor().actor_id;
    let tx = uow.tx();
    let item = items::get(tx, item_id).await?;
    locations::get(tx, location_id).await?;
    let kind = if delta < 0 { MovementKind::Sale } else { MovementKind::Return };
    levels::apply(tx, Change { item: &item, location: location_id, delta, kind, reference, actor }).await
}
