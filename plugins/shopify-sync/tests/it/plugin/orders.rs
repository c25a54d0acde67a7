use std::cell::RefCell;
use std::rc::Rc;

use ils_fake_shopify::{FakeShopify, Restock};
use ils_plugin_sdk::host::inventory;
use ils_plugin_sdk::testing::OutboundRequest;

use super::{all_ok, shop};

const SKU: &str = "RB-2140-50";

#[test]
fn an_order_arriving_as_create_then_updated_sells_once() {
    let s = shop();
    s.item(SKU, 9, Some(9));
    s.sync();
    let sale = s.fake.sell(SKU, s.front, 2).unwrap();
    assert_eq!(s.send("orders/create", &sale.orders_create).0, 200);
    // The same order again, as orders/updated (another delivery, another webhook id).
    let updated = s.fake.order_payload(sale.order).unwrap();
    assert_eq!(s.send("orders/updated", &updated).0, 200);
    all_ok(s.work());

    assert_eq!(s.ils(SKU), 7, "sold once");
    s.assert_agree(&[SKU]);
    let status = s.status();
    assert_eq!(status["movements"]["applied"], 1);
    assert_eq!(status["movements"]["already_applied"], 1);
}

#[test]
fn a_refund_restocks_once_whether_it_comes_as_a_refund_or_inside_the_order() {
    let s = shop();
    s.item(SKU, 9, Some(9));
    s.sync();
    let sale = s.fake.sell(SKU, s.front, 2).unwrap();
    s.send("orders/create", &sale.orders_create);
    let refund = s.fake.refund(sale.order, sale.line, 1, Restock::Return(s.front)).unwrap();
    s.send("refunds/create", &refund.refunds_create);
    s.send("orders/updated", &refund.orders_updated);
    // And Shopify retries the refund webhook as a new delivery after a timeout.
    s.send("refunds/create", &refund.refunds_create);
    all_ok(s.work());

    assert_eq!(s.ils(SKU), 8, "9 − 2 sold + 1 returned");
    s.assert_agree(&[SKU]);
}

#[test]
fn an_online_order_sells_from_the_default_location_and_an_unmatched_line_is_reported() {
    let s = shop();
    s.item(SKU, 9, Some(9));
    s.item("NOT-IN-ILS", 4, None);
    s.sync();
    let online = s.fake.sell_online(SKU, s.front, 1).unwrap();
    let stranger = s.fake.sell("NOT-IN-ILS", s.front, 1).unwrap();
    s.send("orders/create", &online.orders_create);
    s.send("orders/create", &stranger.orders_create);
    all_ok(s.work());
    assert_eq!(s.ils(SKU), 8);
    s.assert_agree(&[SKU]);
    let skipped = s.status()["recent_skipped_lines"].to_string();
    assert!(skipped.contains("NOT-IN-ILS is not matched"), "{skipped}");
}

#[test]
fn ils_stock_changes_are_pushed_and_a_sale_racing_the_push_is_not_overwritten() {
    let s = shop();
    s.item(SKU, 9, Some(9));
    s.sync();
    // A sale lands in Shopify between the plugin's read and its set.
    let raced = Rc::new(RefCell::new(None));
    let (slot, front) = (raced.clone(), s.front);
    s.intercept.set(Some(Rc::new(move |request: &OutboundRequest, fake: &FakeShopify| {
        let body = String::from_utf8_lossy(&request.body);
        if body.contains("IlsSetQuantities") && slot.borrow().is_none() {
            *slot.borrow_mut() = Some(fake.sell(SKU, front, 1).unwrap());
        }
    })));
    // ILS receives 5 more (a delivery booked in).
    let before = s.mock.stock();
    inventory::record_movements(&[inventory::StockMovement {
        key: "receipt-1".into(),
        item_id: format!("item-{SKU}"),
        location_id: super::FRONT.into(),
        delta: 5,
        kind: inventory::MovementKind::Adjustment,
        note: "delivery".into(),
    }])
    .unwrap();
    all_ok(s.stock_changed_since(&before));
    s.intercept.set(None);

    // The first set was refused as stale (9 became 8), re-read, and set from 8 to 14.
    assert_eq!(s.shopify(SKU), Some(14));
    let set_calls =
        s.fake.requests().iter().filter(|r| r.operation.as_deref() == Some("IlsSetQuantities")).count();
    assert_eq!(set_calls, 2, "one stale, one applied");
    // The raced sale reaches ILS as its order, and the two agree again.
    let sale = raced.borrow_mut().take().unwrap();
    s.send("orders/create", &sale.orders_create);
    all_ok(s.work());
    assert_eq!(s.ils(SKU), 13);
    s.assert_agree(&[SKU]);
}

#[test]
fn a_push_gives_up_after_three_stale_answers_and_says_so() {
    let s = shop();
    s.item(SKU, 9, Some(9));
    s.sync();
    // A sale lands before every set: each is stale.
    let front = s.front;
    s.intercept.set(Some(Rc::new(move |request: &OutboundRequest, fake: &FakeShopify| {
        if String::from_utf8_lossy(&request.body).contains("IlsSetQuantities") {
            fake.sell(SKU, front, 1).unwrap();
        }
    })));
    let before = s.mock.stock();
    inventory::record_movements(&[inventory::StockMovement {
        key: "receipt-1".into(),
        item_id: format!("item-{SKU}"),
        location_id: super::FRONT.into(),
        delta: 5,
        kind: inventory::MovementKind::Adjustment,
        note: "delivery".into(),
    }])
    .unwrap();
    all_ok(s.stock_changed_since(&before));
    s.intercept.set(None);

    let sets =
        s.fake.requests().iter().filter(|r| r.operation.as_deref() == Some("IlsSetQuantities")).count();
    assert_eq!(sets, 1 + ils_shopify_sync::plugin::sync::STALE_RETRIES as usize);
    assert_eq!(s.shopify(SKU), Some(5), "four sales, nothing overwritten");
    let errors = s.status()["recent_errors"].to_string();
    assert!(errors.contains("kept changing"), "{errors}");
}
