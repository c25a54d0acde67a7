//! Raising, revising and cancelling purchase orders: the services behind the people's moves.
//! Sending is in [`super::deliveries`], receipts, which make the other moves, in [`super::receipts`].

use std::collections::HashSet;

use ils_kernel::audit::Event;
use ils_kernel::input::{Fields, currency_code, optional_text};
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::TenantTx;
use ils_storage::ids::{ItemId, LocationId, PurchaseOrderId, SupplierId};

use super::store::{self, NewLine, NewOrder};
use super::{PurchaseOrder, PurchaseOrderStatus};
use crate::events::PurchaseOrderStatusChanged;
use crate::{items, locations, positive_quantity, suppliers};

/// The most lines one order may have.
pub const MAX_LINES: usize = 500;
/// The highest unit price, in minor units.
pub const MAX_UNIT_PRICE_MINOR: i64 = ils_kernel::input::MAX_AMOUNT_MINOR;

/// A purchase order as the caller gives it, for a new draft or a full replacement of one;
/// checked by [`raise`] and [`revise`].
#[derive(Clone, Debug)]
pub struct DraftOrder {
    /// The supplier; the tenant must have an account with it.
    pub supplier_id: SupplierId,
    /// Where the goods are to be delivered and stocked.
    pub location_id: LocationId,
    /// ISO 4217 currency code of the prices (`GBP`).
    pub currency: String,
    /// Notes to the supplier, up to 2,000 characters.
    pub notes: Option<String>,
    /// The lines: 1 to [`MAX_LINES`], one per item, in the order they appear.
    pub lines: Vec<DraftLine>,
}

/// One line of a [`DraftOrder`].
#[derive(Clone, Copy, Debug)]
pub struct DraftLine {
    /// The item to order, at most one line per item.
    pub item_id: ItemId,
    /// Units to order, 1 to [`crate::MAX_QUANTITY`].
    pub quantity: i64,
    /// Price per unit in minor units of the currency, 0 to [`MAX_UNIT_PRICE_MINOR`].
    pub unit_price_minor: i64,
}

impl DraftOrder {
    /// Checks the values; references are checked against the tenant's data in [`resolve`].
    fn checked(&self) -> Result<NewOrder> {
        let mut f = Fields::new();
        let currency = f.check(currency_code("currency", &self.currency));
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            f.add("lines", format!("must have 1–{MAX_LINES} lines"));
        }
        let mut seen = HashSet::new();
        let mut lines = Vec::with_capacity(self.lines.len());
        for (n, line) in self.lines.iter().enumerate() {
            let quantity = f.check(positive_quantity(&format!("lines[{n}].quantity"), line.quantity));
            if !(0..=MAX_UNIT_PRICE_MINOR).contains(&line.unit_price_minor) {
                f.add(
                    format!("lines[{n}].unit_price_minor"),
                    format!("must be between 0 and {MAX_UNIT_PRICE_MINOR}"),
                );
            }
            if !seen.insert(line.item_id) {
                f.add(format!("lines[{n}].item_id"), "is on another line already: one line per item");
            }
            if let Some(quantity) = quantity {
                lines.push(NewLine {
                    item_id: line.item_id,
                    quantity,
                    unit_price_minor: line.unit_price_minor,
                });
            }
        }
        let notes = f.check(optional_text("notes", self.notes.as_deref(), 2000));
        f.build(|| {
            Some(NewOrder {
                supplier_id: self.supplier_id,
                location_id: self.location_id,
                currency: currency?,
                notes: notes?.unwrap_or_default(),
                lines,
            })
        })
    }
}

/// Checks that the order's supplier account, location and items are the tenant's.
async fn resolve(tx: &mut TenantTx, order: &NewOrder) -> Result<()> {
    suppliers::account(tx, order.supplier_id).await?;
    locations::get(tx, order.location_id).await?;
    for line in &order.lines {
        items::get(tx, line.item_id).await?;
    }
    Ok(())
}

/// Raises a purchase order as a draft, numbered `PO-000123` style; records
/// `purchase_order.created`.
pub async fn raise(uow: &mut UnitOfWork, req: DraftOrder) -> Result<PurchaseOrder> {
    let order = req.checked()?;
    let created_by = uow.ctx().user_id;
    let tx = uow.tx();
    resolve(tx, &order).await?;
    let number = store::next_number(tx).await?;
    let id = store::insert(tx, &number, &order, created_by).await?;
    let created = store::get(tx, id).await?;
    let event = Event::new("purchase_order.created", "purchase_order", id).changes(serde_json::json!({
        "number": created.number, "supplier_id": created.supplier_id, "total_minor": created.total_minor,
        "currency": created.currency,
    }));
    uow.audit(event).await?;
    Ok(created)
}

/// Replaces a draft's supplier, location, currency, notes and lines; records
/// `purchase_order.updated`. An order past its draft answers `purchase_order_not_editable`.
pub async fn revise(uow: &mut UnitOfWork, id: PurchaseOrderId, req: DraftOrder) -> Result<PurchaseOrder> {
    let order = req.checked()?;
    let tx = uow.tx();
    let before = store::get_locked(tx, id).await?;
    if !before.status.is_editable() {
        return Err(Error::conflict(
            "purchase_order_not_editable",
            format!("Purchase order {} is {}: only drafts can be changed.", before.number, before.status),
        ));
    }
    resolve(tx, &order).await?;
    store::replace(tx, id, &order).await?;
    let after = store::get(tx, id).await?;
    let event = Event::new("purchase_order.updated", "purchase_order", id).changes(serde_json::json!({
        "total_minor": { "from": before.total_minor, "to": after.total_minor },
        "lines": { "from": before.lines.len(), "to": after.lines.len() },
    }));
    uow.audit(event).await?;
    Ok(after)
}

/// Cancels an order (a partially received one is closed short): locked, checked against
/// [`PurchaseOrderStatus::can_move_to`] (`invalid_transition` otherwise), audited, announced.
/// Sending is [`super::send`], which also records the delivery to the supplier.
pub async fn cancel(uow: &mut UnitOfWork, id: PurchaseOrderId) -> Result<PurchaseOrder> {
    let to = PurchaseOrderStatus::Cancelled;
    let tx = uow.tx();
    let order = store::get_locked(tx, id).await?;
    check_move(&order, to)?;
    store::set_status(tx, id, order.status, to).await?;
    changed(uow, &order, to).await?;
    store::get(uow.tx(), id).await
}

/// Refuses a move [`PurchaseOrderStatus::can_move_to`] does not allow, as `invalid_transition`.
pub(crate) fn check_move(order: &PurchaseOrder, to: PurchaseOrderStatus) -> Result<()> {
    if order.status.can_move_to(to) {
        return Ok(());
    }
    Err(Error::conflict(
        "invalid_transition",
        format!("Purchase order {} is {}: it cannot become {to}.", order.number, order.status),
    ))
}

/// Records a status change of `order` in the audit log and as an event.
pub(crate) async fn changed(
    uow: &mut UnitOfWork,
    order: &PurchaseOrder,
    to: PurchaseOrderStatus,
) -> Result<()> {
    let event = Event::new("purchase_order.status_changed", "purchase_order", order.id)
        .changes(serde_json::json!({ "status": { "from": order.status, "to": to } }));
    uow.audit(event).await?;
    let event = PurchaseOrderStatusChanged {
        purchase_order_id: order.id,
        number: order.number.clone(),
        from: order.status,
        to,
    };
    uow.emit(&event).await?;
    Ok(())
}
