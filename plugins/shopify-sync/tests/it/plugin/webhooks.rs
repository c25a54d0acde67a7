use ils_fake_shopify::webhook::{Delivery, sign};
use ils_plugin_sdk::testing::MockHost;
use ils_plugin_sdk::{Plugin, Request};
use ils_shopify_sync::plugin::ShopifySync;

use super::shop;

#[test]
fn a_forged_webhook_or_one_for_another_shop_changes_nothing() {
    let s = shop();
    s.item("RB-2140-50", 9, Some(9));
    s.sync();
    let sale = s.fake.sell("RB-2140-50", s.front, 2).unwrap();
    let published = s.mock.published().len();

    let forged = s.fake.delivery("orders/create", &sale.orders_create).forged();
    let (status, body) = s.deliver(&forged);
    assert_eq!(status, 401, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("HMAC"), "{body}");

    // Signed with the app's secret, but for a shop this tenant did not configure.
    let mut elsewhere = s.fake.delivery("orders/create", &sale.orders_create);
    elsewhere.shop_domain = "other-shop.myshopify.com".into();
    let (status, body) = s.deliver(&elsewhere);
    assert_eq!(status, 401, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("other-shop"), "{body}");

    assert_eq!(s.mock.published().len(), published, "nothing queued");
    assert!(s.work().is_empty());
    assert_eq!(s.ils("RB-2140-50"), 9, "ILS stock untouched");
    assert!(ils_plugin_sdk::host::kv::list_keys("webhook/", 10).unwrap().is_empty(), "no dedupe entry");
    assert_eq!(s.status()["webhooks"]["refused"], 2);
}

#[test]
fn a_replayed_webhook_is_a_duplicate_and_is_queued_once() {
    let s = shop();
    s.item("RB-2140-50", 9, Some(9));
    s.sync();
    let sale = s.fake.sell("RB-2140-50", s.front, 2).unwrap();
    let delivery = s.fake.delivery("orders/create", &sale.orders_create);

    assert_eq!(s.deliver(&delivery), (200, serde_json::json!({ "queued": true })));
    // Shopify's retry: the same bytes, the same X-Shopify-Webhook-Id.
    assert_eq!(s.deliver(&delivery), (200, serde_json::json!({ "duplicate": true })));
    assert_eq!(s.published("webhook_received").len(), 1);
    super::all_ok(s.work());
    assert_eq!(s.ils("RB-2140-50"), 7);
    s.assert_agree(&["RB-2140-50"]);
    let status = s.status();
    assert_eq!(
        (status["webhooks"]["handled"].as_u64(), status["webhooks"]["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn the_queue_carries_the_typed_payload_not_the_raw_body() {
    let s = shop();
    s.item("RB-2140-50", 9, Some(9));
    let sale = s.fake.sell("RB-2140-50", s.front, 1).unwrap();
    s.send("orders/create", &sale.orders_create);
    let queued = &s.published("webhook_received")[0];
    assert_eq!(queued["topic"], "orders/create");
    assert_eq!(queued["shop"], super::DOMAIN);
    assert_eq!(queued["payload"]["line_items"][0]["sku"], "RB-2140-50");
    // The raw body's prices, titles and customer never reach the queue.
    let raw: serde_json::Value = serde_json::from_slice(&sale.orders_create).unwrap();
    assert!(raw.as_object().unwrap().len() > queued["payload"].as_object().unwrap().len());
    assert!(queued["payload"].get("total_price").is_none());
}

#[test]
fn a_privacy_request_is_queued_without_the_customers_email_or_phone() {
    let s = shop();
    let body = br#"{"shop_id":954889,"shop_domain":"lenses.myshopify.com","orders_requested":[299938,280263],
        "customer":{"id":191167,"email":"john@example.com","phone":"555-625-1199"},"data_request":{"id":9999}}"#;
    assert_eq!(s.send("customers/data_request", body).0, 200);
    let queued = &s.published("webhook_received")[0];
    assert_eq!(queued["payload"]["customer"]["id"], 191167);
    assert!(
        queued["payload"]["customer"]["email"].is_null() && queued["payload"]["customer"]["phone"].is_null()
    );
    assert!(!queued.to_string().contains("john@example.com"));
}

#[test]
fn an_unknown_topic_is_acknowledged_and_not_queued() {
    let s = shop();
    let (status, body) = s.send("carts/update", br#"{"id":"x"}"#);
    assert_eq!((status, body), (200, serde_json::json!({ "ignored": true })));
    assert!(s.published("webhook_received").is_empty());
}

#[test]
fn a_body_signed_correctly_but_not_of_its_topics_shape_is_refused_and_reported() {
    let s = shop();
    let (status, body) = s.send("orders/create", br#"{"id": 1}"#);
    assert_eq!(status, 400, "{body}");
    assert!(s.published("webhook_received").is_empty());
    let errors = s.status()["recent_errors"].to_string();
    assert!(errors.contains("line_items"), "{errors}");
}

#[test]
fn during_secret_rotation_the_previous_secret_still_verifies() {
    let s = shop();
    s.mock
        .set_secret("webhook_secret", "the-new-secret")
        .set_secret("webhook_secret_previous", s.fake.webhook_secret());
    let body = br#"{"id":1,"myshopify_domain":"lenses.myshopify.com"}"#;
    assert_eq!(s.send("app/uninstalled", body).0, 200, "signed with the previous secret");
    let mut fresh: Delivery = s.fake.delivery("app/uninstalled", body);
    fresh.hmac = sign(b"the-new-secret", body);
    fresh.webhook_id.push_str("-2");
    assert_eq!(s.deliver(&fresh).0, 200, "signed with the new secret");
}

#[test]
fn the_signed_in_routes_need_a_caller_and_sync_needs_a_company_admin() {
    let _mock = MockHost::install();
    let get = |path: &str| Request { method: "GET".into(), path: path.into(), ..Request::default() };
    assert_eq!(ShopifySync::handle_http(get("/status")).status, 401, "the public hook has no caller");
    _mock.set_caller("u-1", &["dispenser"]);
    assert_eq!(ShopifySync::handle_http(get("/status")).status, 200);
    let post = Request { method: "POST".into(), path: "/sync".into(), ..Request::default() };
    assert_eq!(ShopifySync::handle_http(post).status, 403);
    assert_eq!(ShopifySync::handle_http(get("/webhooks")).status, 405);
    assert_eq!(ShopifySync::handle_http(get("/elsewhere")).status, 404);
}
