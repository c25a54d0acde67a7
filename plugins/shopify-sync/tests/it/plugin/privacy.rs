use super::{all_ok, shop};

const SKU: &str = "RB-2140-50";

#[test]
fn a_data_request_reports_the_orders_movements_and_a_customer_redaction_says_nothing_is_held() {
    let s = shop();
    s.item(SKU, 9, Some(9));
    s.sync();
    let sale = s.fake.sell(SKU, s.front, 2).unwrap();
    s.send("orders/create", &sale.orders_create);
    all_ok(s.work());

    let request = serde_json::json!({
        "shop_id": 954889, "shop_domain": super::DOMAIN, "orders_requested": [sale.order.0],
        "customer": { "id": 191167, "email": "john@example.com" }, "data_request": { "id": 9999 },
    });
    s.send("customers/data_request", request.to_string().as_bytes());
    let redact = serde_json::json!({
        "shop_id": 954889, "shop_domain": super::DOMAIN, "orders_to_redact": [sale.order.0],
        "customer": { "id": 191167 },
    });
    s.send("customers/redact", redact.to_string().as_bytes());
    all_ok(s.work());

    let report = &s.published("privacy_data_request")[0];
    assert_eq!(report["data_request_id"], 9999);
    let movements = &report["orders"][0]["movements"];
    assert_eq!(movements.as_array().unwrap().len(), 1);
    assert_eq!(movements[0]["delta"], -2);
    assert_eq!(movements[0]["kind"], "sale");
    assert!(!report.to_string().contains("john@example.com"));
    let redacted = &s.published("privacy_customer_redact")[0];
    assert_eq!(redacted["personal_data_held"], false);
    assert_eq!(s.ils(SKU), 7, "a redaction moves no stock");
}

#[test]
fn uninstalling_stops_the_sync_and_shop_redact_erases_the_plugins_data() {
    let s = shop();
    s.item(SKU, 9, Some(9));
    s.sync();
    s.send("app/uninstalled", br#"{"id":954889,"myshopify_domain":"lenses.myshopify.com"}"#);
    all_ok(s.work());
    assert_eq!(s.status()["installed"], false);

    // After uninstall, orders and ILS stock changes are answered and ignored.
    let calls = s.fake.requests().len();
    let sale = s.fake.sell(SKU, s.front, 1).unwrap();
    assert_eq!(s.send("orders/create", &sale.orders_create).1, serde_json::json!({ "ignored": true }));
    all_ok(s.work());
    assert_eq!(s.ils(SKU), 9);
    let before = s.mock.stock();
    ils_plugin_sdk::host::inventory::record_movements(&[ils_plugin_sdk::host::inventory::StockMovement {
        key: "count-1".into(),
        item_id: format!("item-{SKU}"),
        location_id: super::FRONT.into(),
        delta: -1,
        kind: ils_plugin_sdk::host::inventory::MovementKind::Adjustment,
        note: "count".into(),
    }])
    .unwrap();
    all_ok(s.stock_changed_since(&before));
    assert_eq!(s.fake.requests().len(), calls, "no call to Shopify after uninstall");

    // 48 hours later: shop/redact still arrives and is honoured.
    assert_eq!(
        s.send("shop/redact", br#"{"shop_id":954889,"shop_domain":"lenses.myshopify.com"}"#).1["queued"],
        true
    );
    all_ok(s.work());
    let erased = &s.published("privacy_shop_redact")[0];
    assert!(erased["erased_kv_entries"].as_u64().unwrap() > 3, "{erased}");
    let left = ils_plugin_sdk::host::kv::list_keys("", 1000).unwrap();
    assert_eq!(left, ["state/uninstalled"]);
}
