//! Stock for reports: levels now and movements in a period, each valued at the item's last
//! received unit price — the price on the purchase order line of the latest goods receipt that
//! brought the item in, in that order's currency.

use ils_host_api::services::{MovementRow, Page, StockRow};
use ils_kernel::error::Error;
use ils_records::reports::{Money, Value};
use ils_storage::TenantTx;
use ils_storage::ids::{ItemId, LocationId, StockLevelId, StockMovementId};
use ils_storage::types::Timestamp;

use super::{Cursor, Listing, fetch, ms, page_of, text};

/// Each item's last received unit price and its currency (`$1` the tenant).
macro_rules! last_price {
    () => {
        "WITH last_price AS (
            SELECT item_id, unit_price_minor, currency FROM (
                SELECT rl.item_id, l.unit_price_minor, po.currency,
                    row_number() OVER (PARTITION BY rl.item_id ORDER BY r.received_at DESC, r.id DESC) AS n
                FROM goods_receipt_lines rl
                JOIN goods_receipts r ON r.tenant_id = rl.tenant_id AND r.id = rl.goods_receipt_id
                JOIN purchase_order_lines l ON l.tenant_id = r.tenant_id
                    AND l.purchase_order_id = r.purchase_order_id AND l.item_id = rl.item_id
                JOIN purchase_orders po ON po.tenant_id = r.tenant_id AND po.id = r.purchase_order_id
                WHERE rl.tenant_id = $1) AS latest
            WHERE n = 1) "
    };
}

/// Stock levels, by id (stable: a level keeps its id as its quantity changes).
pub(super) const LEVELS: &str = concat!(
    last_price!(),
    "SELECT l.id, l.item_id, i.sku, i.name, l.location_id, s.name AS location_name, l.quantity,
        i.reorder_point, p.unit_price_minor, p.currency
    FROM stock_levels l
    JOIN items i ON i.tenant_id = l.tenant_id AND i.id = l.item_id
    JOIN stock_locations s ON s.tenant_id = l.tenant_id AND s.id = l.location_id
    LEFT JOIN last_price p ON p.item_id = l.item_id
    WHERE l.tenant_id = $1 AND ($5 IS NULL OR l.id > $5)
    ORDER BY l.id LIMIT $6"
);

#[derive(sqlx::FromRow)]
pub(super) struct LevelSql {
    id: StockLevelId,
    item_id: ItemId,
    sku: String,
    name: String,
    location_id: LocationId,
    location_name: String,
    quantity: i64,
    reorder_point: i64,
    unit_price_minor: Option<i64>,
    currency: Option<String>,
}

/// A unit price with its currency, when the item was ever received.
fn unit_value(minor: Option<i64>, currency: Option<String>) -> Option<Money> {
    Some(Money { minor: minor?, currency: currency? })
}

impl LevelSql {
    fn place(&self) -> Cursor {
        Cursor { at: None, id: self.id.as_uuid() }
    }

    fn into_row(self) -> StockRow {
        StockRow {
            item_id: self.item_id.to_string(),
            sku: self.sku,
            name: self.name,
            location_id: self.location_id.to_string(),
            location_name: self.location_name,
            on_hand: self.quantity,
            reorder_point: self.reorder_point,
            unit_value: unit_value(self.unit_price_minor, self.currency),
        }
    }

    /// The `stock_levels` dataset's row, in its fields' order.
    pub(super) fn into_fields(self) -> Vec<Value> {
        let int = |v: Option<i64>| v.map_or(Value::Null, Value::Int);
        vec![
            Value::Text(self.sku),
            Value::Text(self.name),
            Value::Text(self.location_name),
            Value::Int(self.quantity),
            Value::Int(self.reorder_point),
            int(self.unit_price_minor),
            int(self.unit_price_minor.map(|p| p.saturating_mul(self.quantity))),
            text(self.currency),
            Value::Int(i64::from(self.quantity < self.reorder_point)),
        ]
    }
}

/// One page of stock levels.
pub(super) async fn levels_page(tx: &mut TenantTx, l: &Listing) -> Result<Page<StockRow>, Error> {
    let rows: Vec<LevelSql> = fetch(tx, LEVELS, l).await?;
    Ok(page_of(rows, l, LevelSql::place, LevelSql::into_row))
}

/// Stock movements made in the period, oldest first.
pub(super) const MOVEMENTS: &str = concat!(
    last_price!(),
    "SELECT m.id, m.created_at, m.item_id, i.sku, m.location_id, s.name AS location_name, m.kind, m.delta,
        m.quantity_after, p.unit_price_minor, p.currency
    FROM stock_movements m
    JOIN items i ON i.tenant_id = m.tenant_id AND i.id = m.item_id
    JOIN stock_locations s ON s.tenant_id = m.tenant_id AND s.id = m.location_id
    LEFT JOIN last_price p ON p.item_id = m.item_id
    WHERE m.tenant_id = $1 AND m.created_at >= $2 AND m.created_at < $3
        AND ($4 IS NULL OR (m.created_at, m.id) > ($4, $5))
    ORDER BY m.created_at, m.id LIMIT $6"
);

#[derive(sqlx::FromRow)]
pub(super) struct MovementSql {
    id: StockMovementId,
    created_at: Timestamp,
    item_id: ItemId,
    sku: String,
    location_id: LocationId,
    location_name: String,
    kind: String,
    delta: i64,
    quantity_after: i64,
    unit_price_minor: Option<i64>,
    currency: Option<String>,
}

impl MovementSql {
    fn place(&self) -> Cursor {
        Cursor { at: Some(self.created_at), id: self.id.as_uuid() }
    }

    fn into_row(self) -> MovementRow {
        let value = unit_value(self.unit_price_minor, self.currency)
            .map(|unit| Money { minor: unit.minor.saturating_mul(self.delta), currency: unit.currency });
        MovementRow {
            at_ms: ms(self.created_at),
            item_id: self.item_id.to_string(),
            sku: self.sku,
            location_id: self.location_id.to_string(),
            kind: self.kind,
            delta: self.delta,
            quantity_after: self.quantity_after,
            value,
        }
    }

    /// The `stock_movements` dataset's row, in its fields' order.
    pub(super) fn into_fields(self) -> Vec<Value> {
        let value = self.unit_price_minor.map(|p| p.saturating_mul(self.delta));
        vec![
            Value::Text(self.sku),
            Value::Text(self.location_name),
            Value::Text(self.kind),
            Value::Int(self.delta),
            value.map_or(Value::Null, Value::Int),
            Value::Time(ms(self.created_at)),
        ]
    }
}

/// One page of stock movements.
pub(super) async fn movements_page(tx: &mut TenantTx, l: &Listing) -> Result<Page<MovementRow>, Error> {
    let rows: Vec<MovementSql> = fetch(tx, MOVEMENTS, l).await?;
    Ok(page_of(rows, l, MovementSql::place, MovementSql::into_row))
}
