//! Orders and refunds made in the fake, and the webhook bodies Shopify sends for them
//! (`orders/create`, `orders/updated`, `refunds/create`, `inventory_levels/update`,
//! `products/update`), written in the REST resource shapes: `snake_case`, numeric ids, prices as
//! strings.

use serde_json::{Value, json};

use super::{ControlError, ItemRef, Shop};
use crate::ids::{
    InventoryItemId, LineItemId, LocationId, OrderId, ProductId, RefundId, RefundLineItemId, VariantId,
};

/// What happens to the stock of a refunded line (`restock_type`), and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restock {
    /// Not put back (`no_restock`).
    No,
    /// An unfulfilled line cancelled and put back at this location (`cancel`).
    Cancel(LocationId),
    /// A fulfilled line returned to this location (`return`).
    Return(LocationId),
}

impl Restock {
    fn wire(self) -> (&'static str, Option<LocationId>) {
        match self {
            Restock::No => ("no_restock", None),
            Restock::Cancel(at) => ("cancel", Some(at)),
            Restock::Return(at) => ("return", Some(at)),
        }
    }
}

/// How a sale was made: the order's `location_id` is set for point of sale, `null` online.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A point-of-sale order at the location the stock left.
    PointOfSale,
    /// An online order; the stock still leaves the given location, but the order does not say so.
    Online,
}

/// A sale made with [`crate::FakeShopify::sell`], with the webhook bodies Shopify would send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    /// The new order.
    pub order: OrderId,
    /// Its one line.
    pub line: LineItemId,
    /// The `orders/create` body.
    pub orders_create: Vec<u8>,
    /// The `inventory_levels/update` body for the level the sale moved; `None` for an untracked
    /// item, whose level does not move.
    pub inventory_levels_update: Option<Vec<u8>>,
}

/// A refund made with [`crate::FakeShopify::refund`], with the webhook bodies Shopify would send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refunded {
    /// The new refund.
    pub refund: RefundId,
    /// The `refunds/create` body.
    pub refunds_create: Vec<u8>,
    /// The `orders/updated` body, which carries every refund of the order so far.
    pub orders_updated: Vec<u8>,
    /// The `inventory_levels/update` body when stock went back; `None` otherwise.
    pub inventory_levels_update: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Order {
    number: u64,
    created_at: String,
    location: Option<LocationId>,
    lines: Vec<Line>,
    refunds: Vec<Refund>,
}

#[derive(Debug, Clone)]
struct Line {
    id: LineItemId,
    variant: VariantId,
    product: ProductId,
    sku: Option<String>,
    title: String,
    quantity: u32,
}

#[derive(Debug, Clone)]
struct Refund {
    id: RefundId,
    created_at: String,
    lines: Vec<RefundLine>,
}

#[derive(Debug, Clone)]
struct RefundLine {
    id: RefundLineItemId,
    line: LineItemId,
    quantity: u32,
    restock: Restock,
}

/// Now, as Shopify writes times in payloads.
fn now_text() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn to_bytes(value: &Value) -> Vec<u8> {
    // A `Value` always serialises.
    serde_json::to_vec(value).unwrap_or_default()
}

impl Shop {
    /// Sells `quantity` of `item` from `location`: `available` drops (for a tracked item) and an
    /// order with one line is recorded.
    pub(crate) fn sell(
        &mut self,
        item: ItemRef<'_>,
        location: LocationId,
        quantity: u32,
        channel: Channel,
    ) -> Result<Sale, ControlError> {
        let item = self.item(item)?;
        if !self.locations.contains_key(&location) {
            return Err(ControlError::UnknownLocation(location));
        }
        let (variant_id, variant) = self.variant_of(item).ok_or(ControlError::UnknownItem(item))?;
        let (product, sku, title) = (variant.product, variant.sku.clone(), variant.title.clone());
        let moved = self.adjust(item, location, -i64::from(quantity));
        let order = OrderId(self.next_id());
        let line = LineItemId(self.next_id());
        let number = self.next_order_number();
        let location_field = (channel == Channel::PointOfSale).then_some(location);
        self.orders.insert(
            order,
            Order {
                number,
                created_at: now_text(),
                location: location_field,
                lines: vec![Line { id: line, variant: variant_id, product, sku, title, quantity }],
                refunds: Vec::new(),
            },
        );
        let orders_create = to_bytes(&self.order_json(order)?);
        let inventory_levels_update =
            moved.then(|| self.inventory_level_json(item, location)).map(|v| to_bytes(&v));
        Ok(Sale { order, line, orders_create, inventory_levels_update })
    }

    /// Refunds `quantity` of an order's line, restocking as `restock` says.
    pub(crate) fn refund(
        &mut self,
        order_id: OrderId,
        line_id: LineItemId,
        quantity: u32,
        restock: Restock,
    ) -> Result<Refunded, ControlError> {
        let order = self.orders.get(&order_id).ok_or(ControlError::UnknownOrder(order_id))?;
        let bad = ControlError::BadRefund { order: order_id, quantity };
        let line = order.lines.iter().find(|l| l.id == line_id).ok_or(bad.clone())?;
        let refunded: u32 = order
            .refunds
            .iter()
            .flat_map(|r| &r.lines)
            .filter(|r| r.line == line_id)
            .map(|r| r.quantity)
            .sum();
        if quantity == 0 || refunded + quantity > line.quantity {
            return Err(bad);
        }
        let variant = line.variant;
        let item = self.variants.get(&variant).map(|v| v.item);
        let (_, restock_at) = restock.wire();
        if let Some(at) = restock_at
            && !self.locations.contains_key(&at)
        {
            return Err(ControlError::UnknownLocation(at));
        }
        let refund_id = RefundId(self.next_id());
        let refund_line = RefundLineItemId(self.next_id());
        let refund = Refund {
            id: refund_id,
            created_at: now_text(),
            lines: vec![RefundLine { id: refund_line, line: line_id, quantity, restock }],
        };
        let moved = match (restock_at, item) {
            (Some(at), Some(item)) => self.adjust(item, at, i64::from(quantity)).then_some((item, at)),
            _ => None,
        };
        let order = self.orders.get_mut(&order_id).ok_or(ControlError::UnknownOrder(order_id))?;
        order.refunds.push(refund);
        let order = self.orders.get(&order_id).ok_or(ControlError::UnknownOrder(order_id))?;
        let refund = order.refunds.last().ok_or(ControlError::UnknownOrder(order_id))?;
        let refunds_create = to_bytes(&refund_json(order_id, order, refund));
        let orders_updated = to_bytes(&self.order_json(order_id)?);
        let inventory_levels_update = moved.map(|(item, at)| to_bytes(&self.inventory_level_json(item, at)));
        Ok(Refunded { refund: refund_id, refunds_create, orders_updated, inventory_levels_update })
    }

    /// The order as `orders/create` and `orders/updated` send it.
    pub(crate) fn order_json(&self, id: OrderId) -> Result<Value, ControlError> {
        let order = self.orders.get(&id).ok_or(ControlError::UnknownOrder(id))?;
        let refunded_all = !order.refunds.is_empty()
            && order.lines.iter().all(|l| {
                order
                    .refunds
                    .iter()
                    .flat_map(|r| &r.lines)
                    .filter(|r| r.line == l.id)
                    .map(|r| r.quantity)
                    .sum::<u32>()
                    == l.quantity
            });
        let financial_status = match (order.refunds.is_empty(), refunded_all) {
            (true, _) => "paid",
            (false, true) => "refunded",
            (false, false) => "partially_refunded",
        };
        let total: u32 = order.lines.iter().map(|l| l.quantity * 10).sum();
        Ok(json!({
            "id": id.0,
            "admin_graphql_api_id": id.gid(),
            "name": format!("#{}", order.number),
            "order_number": order.number,
            "created_at": order.created_at,
            "currency": "GBP",
            "financial_status": financial_status,
            "fulfillment_status": null,
            "cancelled_at": null,
            "cancel_reason": null,
            "location_id": order.location.map(|l| l.0),
            "test": false,
            "total_price": format!("{total}.00"),
            "line_items": order.lines.iter().map(line_json).collect::<Vec<_>>(),
            "refunds": order.refunds.iter().map(|r| refund_json(id, order, r)).collect::<Vec<_>>(),
        }))
    }

    /// `inventory_levels/update` for one level: `available` is `null` for an untracked item.
    pub(crate) fn inventory_level_json(&self, item: InventoryItemId, location: LocationId) -> Value {
        let available = self.levels.get(&(item, location)).copied().filter(|_| self.tracked(item));
        json!({
            "inventory_item_id": item.0,
            "location_id": location.0,
            "available": available,
            "updated_at": now_text(),
            "admin_graphql_api_id": format!("gid://shopify/InventoryLevel/{}?inventory_item_id={}", location.0, item.0),
        })
    }

    /// `products/update` for a product as it stands: its variants with their SKUs and inventory
    /// items (`inventory_quantity` is the sum of `available` where stocked).
    pub(crate) fn product_json(&self, product: ProductId) -> Result<Value, ControlError> {
        let p = self.products.get(&product).ok_or(ControlError::UnknownProduct(product))?;
        let variants: Vec<Value> = self
            .variants
            .iter()
            .filter(|(_, v)| v.product == product)
            .map(|(id, v)| {
                let tracked = self.tracked(v.item);
                let quantity: i64 =
                    self.levels.iter().filter(|((item, _), _)| *item == v.item).map(|(_, n)| n).sum();
                json!({
                    "id": id.0,
                    "admin_graphql_api_id": id.gid(),
                    "product_id": product.0,
                    "title": v.title,
                    "sku": v.sku,
                    "price": "10.00",
                    "inventory_item_id": v.item.0,
                    "inventory_management": if tracked { Some("shopify") } else { None },
                    "inventory_quantity": if tracked { quantity } else { 0 },
                })
            })
            .collect();
        let now = now_text();
        Ok(json!({
            "id": product.0,
            "admin_graphql_api_id": product.gid(),
            "title": p.title,
            "status": "active",
            "created_at": now,
            "updated_at": now,
            "variants": variants,
        }))
    }
}

fn line_json(line: &Line) -> Value {
    json!({
        "id": line.id.0,
        "admin_graphql_api_id": line.id.gid(),
        "variant_id": line.variant.0,
        "product_id": line.product.0,
        "sku": line.sku,
        "title": line.title,
        "quantity": line.quantity,
        "price": "10.00",
        "fulfillable_quantity": line.quantity,
        "fulfillment_status": null,
        "properties": [],
    })
}

fn refund_json(order_id: OrderId, order: &Order, refund: &Refund) -> Value {
    let lines: Vec<Value> = refund
        .lines
        .iter()
        .map(|r| {
            let (restock_type, location) = r.restock.wire();
            let mut line = json!({
                "id": r.id.0,
                "quantity": r.quantity,
                "line_item_id": r.line.0,
                "location_id": location.map(|l| l.0),
                "restock_type": restock_type,
                "subtotal": f64::from(r.quantity) * 10.0,
                "total_tax": 0.0,
            });
            if let Some(embedded) = order.lines.iter().find(|l| l.id == r.line) {
                line["line_item"] = line_json(embedded);
            }
            line
        })
        .collect();
    json!({
        "id": refund.id.0,
        "order_id": order_id.0,
        "created_at": refund.created_at,
        "processed_at": refund.created_at,
        "note": null,
        "user_id": null,
        "admin_graphql_api_id": refund.id.gid(),
        "duties": [],
        "order_adjustments": [],
        "transactions": [],
        "refund_line_items": lines,
    })
}
