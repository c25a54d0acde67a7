//! Turning Shopify orders and refunds into ILS stock movements, each exactly once.
//!
//! Rules:
//! - A sale: every order line takes its quantity out of ILS stock, keyed
//!   `shopify/{shop}/order/{order}/line/{line}/sale`. `orders/create`, `orders/updated` and
//!   `orders/cancelled` all give the same key for the same line, so whichever arrives first
//!   applies it and the others are no-ops in the host's idempotent stock API.
//! - A restock: every refund line whose `restock_type` is `cancel`, `return` or
//!   `legacy_restock` puts its quantity back, keyed
//!   `shopify/{shop}/order/{order}/line/{line}/restock/{refund line}`. The same refund arriving
//!   in `refunds/create` and inside an order's `refunds` gives the same key.
//! - A cancellation alone moves nothing: Shopify records what a cancel restocked as a refund
//!   with `restock_type: cancel`, and that refund is what restocks. Restocking on `cancelled_at`
//!   too would count it twice, or restock what the merchant chose not to.
//! - The item: the line's variant if it was matched, else the line's SKU if matched; neither
//!   means the line is skipped and reported.
//! - The location: a refund line's `location_id`, else the order's (point of sale), mapped
//!   through the location table; unmapped or absent, the tenant's default sales location.

use serde::Serialize;

use crate::ids::{IlsItemId, IlsLocationId, LineItemId, LocationId, OrderId, ShopDomain, Sku};
use crate::sync::locations::LocationMap;
use crate::sync::matching::Catalog;
use crate::webhook::payload::{LineItem, Order, Refund};

/// What a movement records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Sold in Shopify.
    Sale,
    /// Put back by a refund or cancellation.
    Restock,
}

/// One ILS stock movement to apply through the host's idempotent stock API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockMovement {
    /// Its idempotency key: applying twice is applying once.
    pub key: String,
    /// What it records.
    pub kind: MovementKind,
    /// The item.
    pub item: IlsItemId,
    /// Where.
    pub location: IlsLocationId,
    /// The change: negative for a sale, positive for a restock; never zero.
    pub delta: i64,
}

/// Why an order line moved no stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Neither its variant nor its SKU is matched to an ILS item.
    Unmatched {
        /// The line's SKU, if any.
        sku: Option<String>,
    },
    /// A refund line whose order line is not in the payload, so its item is unknown.
    UnknownLine,
    /// Nothing to move (quantity 0, or not restocked).
    NothingToMove,
}

/// A line that moved no stock, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The order.
    pub order: OrderId,
    /// The order line.
    pub line: LineItemId,
    /// Why.
    pub reason: SkipReason,
}

/// Movements to apply and lines that moved nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MovementPlan {
    /// To apply, in order.
    pub movements: Vec<StockMovement>,
    /// To report.
    pub skipped: Vec<Skipped>,
}

/// What the rules need besides the order.
#[derive(Debug, Clone)]
pub struct MovementContext<'a> {
    /// The shop, part of every key.
    pub shop: &'a ShopDomain,
    /// The matched items.
    pub catalog: &'a Catalog,
    /// The location table.
    pub locations: &'a LocationMap,
    /// Where online sales come from when no mapped location is named.
    pub default_location: &'a IlsLocationId,
}

impl MovementContext<'_> {
    fn item(&self, line: &LineItem) -> Option<&IlsItemId> {
        line.variant_id
            .and_then(|v| self.catalog.by_variant(v))
            .or_else(|| Sku::parse(line.sku.as_deref()).and_then(|sku| self.catalog.by_sku(&sku)))
    }

    fn location(&self, named: Option<LocationId>) -> IlsLocationId {
        named.and_then(|l| self.locations.ils(l)).unwrap_or(self.default_location).clone()
    }

    fn line_key(&self, order: OrderId, line: LineItemId) -> String {
        format!("shopify/{}/order/{order}/line/{line}", self.shop)
    }

    /// The movements of an order: a sale per line, and a restock per restocking line of each
    /// refund it carries.
    pub fn order(&self, order: &Order) -> MovementPlan {
        let mut plan = MovementPlan::default();
        for line in &order.line_items {
            let skip = |reason| Skipped { order: order.id, line: line.id, reason };
            if line.quantity == 0 {
                plan.skipped.push(skip(SkipReason::NothingToMove));
                continue;
            }
            let Some(item) = self.item(line) else {
                plan.skipped.push(skip(SkipReason::Unmatched { sku: line.sku.clone() }));
                continue;
            };
            plan.movements.push(StockMovement {
                key: format!("{}/sale", self.line_key(order.id, line.id)),
                kind: MovementKind::Sale,
                item: item.clone(),
                location: self.location(order.location_id),
                delta: -i64::from(line.quantity),
            });
        }
        for refund in &order.refunds {
            self.refund_into(refund, Some(order), &mut plan);
        }
        plan
    }

    /// The movements of a refund on its own (`refunds/create`). `order`, when the glue has it,
    /// supplies lines the refund does not embed.
    pub fn refund(&self, refund: &Refund, order: Option<&Order>) -> MovementPlan {
        let mut plan = MovementPlan::default();
        self.refund_into(refund, order, &mut plan);
        plan
    }

    fn refund_into(&self, refund: &Refund, order: Option<&Order>, plan: &mut MovementPlan) {
        for rli in &refund.refund_line_items {
            let skip = |reason| Skipped { order: refund.order_id, line: rli.line_item_id, reason };
            if rli.quantity == 0 || !rli.restock_type.is_some_and(|r| r.restocks()) {
                plan.skipped.push(skip(SkipReason::NothingToMove));
                continue;
            }
            let line = rli
                .line_item
                .as_ref()
                .or_else(|| order.and_then(|o| o.line_items.iter().find(|l| l.id == rli.line_item_id)));
            let Some(line) = line else {
                plan.skipped.push(skip(SkipReason::UnknownLine));
                continue;
            };
            let Some(item) = self.item(line) else {
                plan.skipped.push(skip(SkipReason::Unmatched { sku: line.sku.clone() }));
                continue;
            };
            let named = rli.location_id.or(order.and_then(|o| o.location_id));
            plan.movements.push(StockMovement {
                key: format!("{}/restock/{}", self.line_key(refund.order_id, rli.line_item_id), rli.id),
                kind: MovementKind::Restock,
                item: item.clone(),
                location: self.location(named),
                delta: i64::from(rli.quantity),
            });
        }
    }
}
