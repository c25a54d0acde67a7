//! Purchasing for reports: purchase orders raised in a period with their lines and receipts
//! (paged), and the `purchase_lines` dataset — one row per line, with its lead time (from the
//! order being sent to the first receipt of the line's item) and fill rate.

use std::collections::HashMap;

use ils_host_api::services::{Page, PurchaseOrderRow};
use ils_kernel::error::Error;
use ils_records::reports::{PurchaseLine, Receipt, Value, engine};
use ils_storage::TenantTx;
use ils_storage::ids::{GoodsReceiptId, ItemId, LocationId, PurchaseOrderId, SupplierId};
use ils_storage::types::Timestamp;

use super::{Cursor, Listing, fetch, ms, page_of, time};

/// The purchase orders of a listing: raised in the period, after the cursor, oldest first.
macro_rules! orders_listed {
    () => {
        "FROM purchase_orders p
        WHERE p.tenant_id = $1 AND p.created_at >= $2 AND p.created_at < $3
            AND ($4 IS NULL OR (p.created_at, p.id) > ($4, $5))"
    };
}

const ORDERS: &str = concat!(
    "SELECT p.id, p.number, p.supplier_id, p.location_id, p.status, p.currency, p.created_at,
        p.sent_at, p.closed_at,
        (SELECT s.name FROM suppliers s WHERE s.id = p.supplier_id) AS supplier_name ",
    orders_listed!(),
    " ORDER BY p.created_at, p.id LIMIT $6"
);

const LINES: &str = concat!(
    "SELECT l.purchase_order_id, l.item_id, i.sku, l.quantity, l.received_quantity, l.unit_price_minor
    FROM purchase_order_lines l
    JOIN items i ON i.tenant_id = l.tenant_id AND i.id = l.item_id
    WHERE l.tenant_id = $1 AND l.purchase_order_id IN (SELECT p.id ",
    orders_listed!(),
    " ORDER BY p.created_at, p.id LIMIT $6)
    ORDER BY l.purchase_order_id, l.line_no"
);

const RECEIPTS: &str = concat!(
    "SELECT r.purchase_order_id, r.id, r.received_at, rl.item_id, rl.quantity
    FROM goods_receipts r
    JOIN goods_receipt_lines rl ON rl.tenant_id = r.tenant_id AND rl.goods_receipt_id = r.id
    WHERE r.tenant_id = $1 AND r.purchase_order_id IN (SELECT p.id ",
    orders_listed!(),
    " ORDER BY p.created_at, p.id LIMIT $6)
    ORDER BY r.received_at, r.id, rl.item_id"
);

#[derive(sqlx::FromRow)]
struct OrderSql {
    id: PurchaseOrderId,
    number: String,
    supplier_id: SupplierId,
    location_id: LocationId,
    supplier_name: String,
    status: String,
    currency: String,
    created_at: Timestamp,
    sent_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct LineSql {
    purchase_order_id: PurchaseOrderId,
    item_id: ItemId,
    sku: String,
    quantity: i64,
    received_quantity: i64,
    unit_price_minor: i64,
}

#[derive(sqlx::FromRow)]
struct ReceiptLineSql {
    purchase_order_id: PurchaseOrderId,
    id: GoodsReceiptId,
    received_at: Timestamp,
    item_id: ItemId,
    quantity: i64,
}

/// One page of purchase orders with their lines and receipts.
pub(super) async fn page(tx: &mut TenantTx, l: &Listing) -> Result<Page<PurchaseOrderRow>, Error> {
    let orders: Vec<OrderSql> = fetch(tx, ORDERS, l).await?;
    let mut lines: HashMap<PurchaseOrderId, Vec<PurchaseLine>> = HashMap::new();
    for line in fetch::<LineSql>(tx, LINES, l).await? {
        lines.entry(line.purchase_order_id).or_default().push(PurchaseLine {
            item_id: line.item_id.to_string(),
            sku: line.sku,
            quantity: line.quantity,
            received: line.received_quantity,
            unit_price_minor: line.unit_price_minor,
        });
    }
    let mut receipts: HashMap<PurchaseOrderId, Vec<Receipt>> = HashMap::new();
    for r in fetch::<ReceiptLineSql>(tx, RECEIPTS, l).await? {
        let of_order = receipts.entry(r.purchase_order_id).or_default();
        let id = r.id.to_string();
        if of_order.last().is_none_or(|last| last.id != id) {
            of_order.push(Receipt { id, received_at_ms: ms(r.received_at), lines: Vec::new() });
        }
        if let Some(receipt) = of_order.last_mut() {
            receipt.lines.push((r.item_id.to_string(), r.quantity));
        }
    }
    let place = |o: &OrderSql| Cursor { at: Some(o.created_at), id: o.id.as_uuid() };
    Ok(page_of(orders, l, place, |o| PurchaseOrderRow {
        id: o.id.to_string(),
        number: o.number,
        supplier_id: o.supplier_id.to_string(),
        supplier_name: o.supplier_name,
        location_id: o.location_id.to_string(),
        status: o.status,
        currency: o.currency,
        created_at_ms: ms(o.created_at),
        sent_at_ms: o.sent_at.map(ms),
        closed_at_ms: o.closed_at.map(ms),
        lines: lines.remove(&o.id).unwrap_or_default(),
        receipts: receipts.remove(&o.id).unwrap_or_default(),
    }))
}

/// Every line of the purchase orders a listing reads, with the first receipt of its item.
pub(super) const PURCHASE_LINES: &str = "SELECT
        (SELECT s.name FROM suppliers s WHERE s.id = p.supplier_id) AS supplier, p.number, p.status, i.sku,
        p.currency, l.quantity AS ordered, l.received_quantity AS received, l.unit_price_minor, p.created_at,
        p.sent_at,
        (SELECT min(r.received_at) FROM goods_receipts r
            JOIN goods_receipt_lines rl ON rl.tenant_id = r.tenant_id AND rl.goods_receipt_id = r.id
            WHERE r.tenant_id = l.tenant_id AND r.purchase_order_id = l.purchase_order_id
                AND rl.item_id = l.item_id) AS first_receipt_at
    FROM purchase_order_lines l
    JOIN purchase_orders p ON p.tenant_id = l.tenant_id AND p.id = l.purchase_order_id
    JOIN items i ON i.tenant_id = l.tenant_id AND i.id = l.item_id
    WHERE l.tenant_id = $1 AND p.created_at >= $2 AND p.created_at < $3
        AND ($4 IS NULL OR (p.created_at, p.id) > ($4, $5))
    ORDER BY p.created_at, p.id, l.line_no LIMIT $6";

#[derive(sqlx::FromRow)]
pub(super) struct PurchaseLineSql {
    supplier: String,
    number: String,
    status: String,
    sku: String,
    currency: String,
    ordered: i64,
    received: i64,
    unit_price_minor: i64,
    created_at: Timestamp,
    sent_at: Option<Timestamp>,
    first_receipt_at: Option<Timestamp>,
}

impl PurchaseLineSql {
    /// The `purchase_lines` dataset's row, in its fields' order.
    pub(super) fn into_fields(self) -> Vec<Value> {
        let lead_time = match (self.sent_at, self.first_receipt_at) {
            (Some(sent), Some(received)) => Value::Float(engine::days_between(ms(sent), ms(received))),
            _ => Value::Null,
        };
        // An order line's quantity is positive (a constraint), so the rate is defined.
        let fill_rate = self.received as f64 / self.ordered as f64;
        vec![
            Value::Text(self.supplier),
            Value::Text(self.number),
            Value::Text(self.status),
            Value::Text(self.sku),
            Value::Text(self.currency),
            Value::Int(self.ordered),
            Value::Int(self.received),
            Value::Int(self.unit_price_minor),
            Value::Time(ms(self.created_at)),
            time(self.sent_at),
            time(self.first_receipt_at),
            lead_time,
            Value::Float(fill_rate),
        ]
    }
}
