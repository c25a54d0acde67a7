//! Goods receipts: what arrived against a purchase order. One receipt is one unit of work: the
//! order is locked, each line's received quantity grows (never past what was ordered), the stock
//! at the order's location grows, the order's status follows, and the audit row and events
//! (`goods.received`, `purchase_order.status_changed`) commit with it.

use std::collections::HashSet;

use serde::Serialize;

use ils_kernel::audit::Event;
use ils_kernel::input::optional_text;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::{GoodsReceiptId, ItemId, PurchaseOrderId, UserId};
use ils_storage::types::Timestamp;
use ils_storage::{TenantTx, execute, query};

use super::lifecycle::{MAX_LINES, changed};
use super::{PurchaseOrderStatus, store};
use crate::events::{GoodsReceived, ReceivedLine};
use crate::levels::{self, Change, MovementKind};
use crate::{items, positive_quantity};

/// A recorded goods receipt.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoodsReceipt {
    /// The receipt's id (UUIDv7, so a purchase order's receipts sort by arrival).
    pub id: GoodsReceiptId,
    /// The purchase order.
    pub purchase_order_id: PurchaseOrderId,
    /// What arrived.
    pub lines: Vec<ReceiptLine>,
    /// Delivery note number, damage, anything worth keeping (up to 500 characters); empty when none.
    pub note: String,
    /// Who received it.
    pub received_by: Option<UserId>,
    /// When the goods were recorded as received (UTC).
    pub received_at: Timestamp,
    /// The purchase order's status as this answer was given.
    pub purchase_order_status: PurchaseOrderStatus,
}

/// One item of a receipt.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptLine {
    /// The item received, one line per item.
    pub item_id: ItemId,
    /// Units that arrived.
    pub quantity: i64,
}

/// A delivery to record against a purchase order, checked by [`receive`].
#[derive(Clone, Debug)]
pub struct ReceiveGoods {
    /// What arrived: at least one line, items of the order, one line per item, each at most what
    /// is still outstanding.
    pub lines: Vec<ReceiptLine>,
    /// Delivery note number, damage, anything worth keeping (up to 500 characters).
    pub note: Option<String>,
}

/// Receives goods against a sent (or partially received) purchase order: adds them to stock at
/// the order's location, moves the order to `partially_received` or `received`, and records
/// `goods.received` (audit and event). An order not awaiting goods answers
/// `purchase_order_not_receivable`; more than is outstanding answers `over_receipt`.
pub async fn receive(uow: &mut UnitOfWork, id: PurchaseOrderId, req: ReceiveGoods) -> Result<GoodsReceipt> {
    if req.lines.is_empty() || req.lines.len() > MAX_LINES {
        return Err(Error::invalid_field("lines", "must have at least one line"));
    }
    let mut seen = HashSet::new();
    let mut lines = Vec::with_capacity(req.lines.len());
    for (n, line) in req.lines.iter().enumerate() {
        let quantity = positive_quantity(&format!("lines[{n}].quantity"), line.quantity)?;
        if !seen.insert(line.item_id) {
            return Err(Error::invalid_field(&format!("lines[{n}].item_id"), "appears twice"));
        }
        lines.push(ReceiptLine { item_id: line.item_id, quantity });
    }
    // Stock rows are locked in item order, as everywhere, so that receipts cannot deadlock.
    lines.sort_by_key(|l| l.item_id);
    let note = optional_text("note", req.note.as_deref(), 500)?.unwrap_or_default();

    let (user, actor) = (uow.ctx().user_id, uow.actor().actor_id);
    let tx = uow.tx();
    let order = store::get_locked(tx, id).await?;
    if !order.status.accepts_receipts() {
        return Err(Error::conflict(
            "purchase_order_not_receivable",
            format!(
                "Purchase order {} is {}: goods are received only against sent orders.",
                order.number, order.status
            ),
        ));
    }
    for (n, line) in lines.iter().enumerate() {
        let Some(ordered) = order.lines.iter().find(|l| l.item_id == line.item_id) else {
            return Err(Error::invalid_field(
                &format!("lines[{n}].item_id"),
                "is not on this purchase order",
            ));
        };
        let outstanding = ordered.quantity - ordered.received_quantity;
        if line.quantity > outstanding || !store::receive_line(tx, id, line.item_id, line.quantity).await? {
            return Err(Error::conflict(
                "over_receipt",
                format!("Only {outstanding} of {} are outstanding on {}.", ordered.sku, order.number),
            ));
        }
    }
    let receipt_id = GoodsReceiptId::new();
    let now = Timestamp::now();
    insert(tx, receipt_id, id, &lines, &note, user, now).await?;
    for line in &lines {
        let item = items::get(tx, line.item_id).await?;
        let change = Change {
            item: &item,
            location: order.location_id,
            delta: line.quantity,
            kind: MovementKind::Receipt,
            reference: receipt_id.as_uuid(),
            actor,
        };
        levels::apply(tx, change).await?;
    }
    let after = store::get(tx, id).await?;
    let complete = after.lines.iter().all(|l| l.received_quantity == l.quantity);
    let status =
        if complete { PurchaseOrderStatus::Received } else { PurchaseOrderStatus::PartiallyReceived };
    if status != order.status {
        store::set_status(tx, id, order.status, status).await?;
        changed(uow, &order, status).await?;
    }
    let event = Event::new("goods.received", "goods_receipt", receipt_id).changes(serde_json::json!({
        "purchase_order_id": id, "lines": lines.iter().map(|l| serde_json::json!({ "item_id": l.item_id, "quantity": l.quantity })).collect::<Vec<_>>(),
        "note": note,
    }));
    uow.audit(event).await?;
    let received = GoodsReceived {
        goods_receipt_id: receipt_id,
        purchase_order_id: id,
        supplier_id: order.supplier_id,
        location_id: order.location_id,
        lines: lines.iter().map(|l| ReceivedLine { item_id: l.item_id, quantity: l.quantity }).collect(),
    };
    uow.emit(&received).await?;
    Ok(GoodsReceipt {
        id: receipt_id,
        purchase_order_id: id,
        lines,
        note,
        received_by: user,
        received_at: now,
        purchase_order_status: status,
    })
}

async fn insert(
    tx: &mut TenantTx,
    id: GoodsReceiptId,
    order: PurchaseOrderId,
    lines: &[ReceiptLine],
    note: &str,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<()> {
    let tenant = tx.tenant_id();
    execute!(
        tx.conn(),
        "INSERT INTO goods_receipts (tenant_id, id, purchase_order_id, note, received_by, received_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        tenant,
        id,
        order,
        note,
        by,
        at
    )?;
    for line in lines {
        execute!(
            tx.conn(),
            "INSERT INTO goods_receipt_lines (tenant_id, goods_receipt_id, item_id, quantity) VALUES ($1, $2, $3, $4)",
            tenant,
            id,
            line.item_id,
            line.quantity
        )?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ReceiptRow {
    id: GoodsReceiptId,
    note: String,
    received_by: Option<UserId>,
    received_at: Timestamp,
}

/// The goods received against a purchase order of the tenant, oldest first.
pub async fn list(tx: &mut TenantTx, id: PurchaseOrderId) -> Result<Vec<GoodsReceipt>> {
    let order = store::get(tx, id).await?;
    let tenant = tx.tenant_id();
    let rows: Vec<ReceiptRow> = query!(
        tx,
        query_as,
        fetch_all,
        "SELECT id, note, received_by, received_at FROM goods_receipts
         WHERE tenant_id = $1 AND purchase_order_id = $2 ORDER BY id",
        tenant,
        id
    )?;
    let mut receipts = Vec::with_capacity(rows.len());
    for row in rows {
        let lines: Vec<ReceiptLine> = query!(
            tx,
            query_as,
            fetch_all,
            "SELECT item_id, quantity FROM goods_receipt_lines WHERE tenant_id = $1 AND goods_receipt_id = $2
             ORDER BY item_id",
            tenant,
            row.id
        )?;
        receipts.push(GoodsReceipt {
            id: row.id,
            purchase_order_id: id,
            lines,
            note: row.note,
            received_by: row.received_by,
            received_at: row.received_at,
            purchase_order_status: order.status,
        });
    }
    Ok(receipts)
}
