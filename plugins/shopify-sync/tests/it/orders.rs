use std::collections::BTreeMap;

use ils_shopify_sync::ids::{
    IlsItemId, IlsLocationId, InventoryItemId, LocationId, ProductId, ShopDomain, VariantId,
};
use ils_shopify_sync::sync::locations::LocationMap;
use ils_shopify_sync::sync::matching::{Catalog, IlsItem, ShopifyVariant, match_by_sku};
use ils_shopify_sync::sync::movements::{
    MovementContext, MovementKind, MovementPlan, SkipReason, StockMovement,
};
use ils_shopify_sync::webhook::Topic;
use ils_shopify_sync::webhook::payload::{Order, Payload, Refund};

use crate::fixture;

fn order(file: &str, topic: Topic) -> Order {
    match Payload::parse(&topic, &fixture(file)).unwrap() {
        Payload::Order(o) => o,
        other => panic!("{other:?}"),
    }
}

fn refund() -> Refund {
    match Payload::parse(&Topic::RefundsCreate, &fixture("refunds-create.json")).unwrap() {
        Payload::Refund(r) => r,
        other => panic!("{other:?}"),
    }
}

struct World {
    shop: ShopDomain,
    catalog: Catalog,
    locations: LocationMap,
    default_location: IlsLocationId,
}

impl World {
    fn new() -> Self {
        // The frame is matched by SKU; the lens cloth too (its order line has no variant, so
        // its SKU is what finds it). "NOT-IN-ILS" is Shopify-only.
        let variants = [
            ShopifyVariant {
                id: VariantId(808950810),
                product_id: ProductId(632910392),
                sku: Some("RB-2140-50".into()),
                inventory_item_id: InventoryItemId(342916),
            },
            ShopifyVariant {
                id: VariantId(39072856),
                product_id: ProductId(1),
                sku: Some("CLOTH-1".into()),
                inventory_item_id: InventoryItemId(7),
            },
            ShopifyVariant {
                id: VariantId(457924702),
                product_id: ProductId(632910392),
                sku: Some("NOT-IN-ILS".into()),
                inventory_item_id: InventoryItemId(342917),
            },
        ];
        let items = [
            IlsItem { id: IlsItemId("frame-rb2140".into()), sku: Some("RB-2140-50".into()) },
            IlsItem { id: IlsItemId("cloth".into()), sku: Some("CLOTH-1".into()) },
        ];
        let report = match_by_sku(&variants, &items);
        assert_eq!(report.matched.len(), 2);
        Self {
            shop: ShopDomain::parse("lenses.myshopify.com").unwrap(),
            catalog: Catalog::new(&report.matched),
            locations: LocationMap::new([(LocationId(24826418), IlsLocationId("back-room".into()))]).unwrap(),
            default_location: IlsLocationId("web".into()),
        }
    }

    fn ctx(&self) -> MovementContext<'_> {
        MovementContext {
            shop: &self.shop,
            catalog: &self.catalog,
            locations: &self.locations,
            default_location: &self.default_location,
        }
    }
}

/// What the host's idempotent stock API does: a key applies once.
fn apply(ledger: &mut BTreeMap<String, StockMovement>, plan: &MovementPlan) {
    for m in &plan.movements {
        ledger.entry(m.key.clone()).or_insert_with(|| m.clone());
    }
}

fn stock(ledger: &BTreeMap<String, StockMovement>) -> BTreeMap<(String, String), i64> {
    let mut out = BTreeMap::new();
    for m in ledger.values() {
        *out.entry((m.item.0.clone(), m.location.0.clone())).or_insert(0) += m.delta;
    }
    out
}

#[test]
fn an_order_sells_each_matched_line_and_reports_the_unmatched_one() {
    let w = World::new();
    let plan = w.ctx().order(&order("orders-create.json", Topic::OrdersCreate));
    let moved: Vec<_> =
        plan.movements.iter().map(|m| (m.kind, m.item.0.as_str(), m.location.0.as_str(), m.delta)).collect();
    assert_eq!(
        moved,
        [(MovementKind::Sale, "frame-rb2140", "web", -2), (MovementKind::Sale, "cloth", "web", -1)]
    );
    assert_eq!(
        plan.movements[0].key,
        "shopify/lenses.myshopify.com/order/820982911946154508/line/866550311766439020/sale"
    );
    assert_eq!(plan.skipped.len(), 1);
    assert_eq!(plan.skipped[0].reason, SkipReason::Unmatched { sku: Some("NOT-IN-ILS".into()) });
}

#[test]
fn a_replayed_order_yields_the_same_keys() {
    let w = World::new();
    let o = order("orders-create.json", Topic::OrdersCreate);
    assert_eq!(w.ctx().order(&o), w.ctx().order(&o));
}

#[test]
fn create_then_updated_then_refund_webhook_sells_once_and_restocks_once() {
    let w = World::new();
    let mut ledger = BTreeMap::new();
    apply(&mut ledger, &w.ctx().order(&order("orders-create.json", Topic::OrdersCreate)));
    // orders/updated repeats the sale lines and carries the refund...
    apply(&mut ledger, &w.ctx().order(&order("orders-updated.json", Topic::OrdersUpdated)));
    // ...and refunds/create delivers the same refund on its own, twice (a retry).
    apply(&mut ledger, &w.ctx().refund(&refund(), None));
    apply(&mut ledger, &w.ctx().refund(&refund(), None));
    let stock = stock(&ledger);
    assert_eq!(stock[&("frame-rb2140".into(), "web".into())], -2, "sold twice over, counted once");
    assert_eq!(
        stock[&("frame-rb2140".into(), "back-room".into())],
        1,
        "the return went to its mapped location"
    );
    assert_eq!(stock[&("cloth".into(), "web".into())], -1, "no_restock puts nothing back");
    assert_eq!(ledger.len(), 3);
}

#[test]
fn arriving_out_of_order_gives_the_same_stock() {
    let w = World::new();
    let mut in_order = BTreeMap::new();
    apply(&mut in_order, &w.ctx().order(&order("orders-create.json", Topic::OrdersCreate)));
    apply(&mut in_order, &w.ctx().refund(&refund(), None));
    let mut reversed = BTreeMap::new();
    apply(&mut reversed, &w.ctx().refund(&refund(), None));
    apply(&mut reversed, &w.ctx().order(&order("orders-updated.json", Topic::OrdersUpdated)));
    apply(&mut reversed, &w.ctx().order(&order("orders-create.json", Topic::OrdersCreate)));
    assert_eq!(stock(&in_order), stock(&reversed));
}

#[test]
fn a_cancelled_order_restocks_what_its_cancel_refund_restocked_and_nothing_more() {
    let w = World::new();
    let mut ledger = BTreeMap::new();
    apply(&mut ledger, &w.ctx().order(&order("orders-create.json", Topic::OrdersCreate)));
    let cancelled = order("orders-cancelled.json", Topic::OrdersCancelled);
    assert!(cancelled.cancelled_at.is_some());
    apply(&mut ledger, &w.ctx().order(&cancelled));
    apply(&mut ledger, &w.ctx().order(&cancelled));
    let stock = stock(&ledger);
    assert_eq!(stock[&("frame-rb2140".into(), "web".into())], 0);
    assert_eq!(stock[&("cloth".into(), "web".into())], 0);
}

#[test]
fn a_cancellation_without_a_restocking_refund_moves_nothing_back() {
    let w = World::new();
    let mut cancelled = order("orders-cancelled.json", Topic::OrdersCancelled);
    cancelled.refunds.clear();
    let plan = w.ctx().order(&cancelled);
    assert!(plan.movements.iter().all(|m| m.kind == MovementKind::Sale));
}

#[test]
fn a_refund_line_without_its_order_line_is_reported_not_guessed() {
    let w = World::new();
    let mut r = refund();
    r.refund_line_items[0].line_item = None;
    let plan = w.ctx().refund(&r, None);
    assert!(plan.movements.is_empty());
    assert_eq!(plan.skipped[0].reason, SkipReason::UnknownLine);
    // With the order at hand, the line is found.
    let o = order("orders-create.json", Topic::OrdersCreate);
    assert_eq!(w.ctx().refund(&r, Some(&o)).movements.len(), 1);
}
