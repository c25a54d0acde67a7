use ils_shopify_sync::dedupe::{self, Seen};
use ils_shopify_sync::ids::{InventoryItemId, LocationId, OrderId, ShopDomain};
use ils_shopify_sync::privacy::{self, PrivacyAction};
use ils_shopify_sync::webhook::payload::{Payload, RestockType};
use ils_shopify_sync::webhook::{Envelope, Topic, Verifier, WebhookError, WebhookSecret};

use crate::fixture;

const SHOP: &str = "lenses.myshopify.com";

fn deliver(topic: &str, body: &[u8]) -> Result<Envelope, WebhookError> {
    let secret = WebhookSecret::new("hush").unwrap();
    let hmac = secret.sign(body);
    let verifier = Verifier::new(vec![secret], ShopDomain::parse(SHOP).unwrap()).unwrap();
    verifier.verify(
        [
            ("X-Shopify-Hmac-Sha256", hmac.as_str()),
            ("X-Shopify-Topic", topic),
            ("X-Shopify-Shop-Domain", SHOP),
            ("X-Shopify-Webhook-Id", "0f9d6c3e-5b1a-4c1e-9a53-8d7e0e2f7a11"),
            ("X-Shopify-API-Version", "2026-04"),
            ("X-Shopify-Triggered-At", "2026-04-10T20:15:47.123Z"),
        ],
        body,
    )
}

const FIXTURES: [(&str, &str); 11] = [
    ("orders/create", "orders-create.json"),
    ("orders/updated", "orders-updated.json"),
    ("orders/cancelled", "orders-cancelled.json"),
    ("refunds/create", "refunds-create.json"),
    ("products/update", "products-update.json"),
    ("products/delete", "products-delete.json"),
    ("inventory_levels/update", "inventory-levels-update.json"),
    ("app/uninstalled", "app-uninstalled.json"),
    ("customers/data_request", "customers-data-request.json"),
    ("customers/redact", "customers-redact.json"),
    ("shop/redact", "shop-redact.json"),
];

#[test]
fn every_handled_topic_verifies_and_parses_and_round_trips() {
    for (topic, file) in FIXTURES {
        let body = fixture(file);
        let envelope = deliver(topic, &body).unwrap();
        assert_eq!(envelope.topic.as_str(), topic);
        assert!(!matches!(envelope.topic, Topic::Unknown(_)), "{topic}");
        let payload = Payload::parse(&envelope.topic, &body).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_ne!(payload, Payload::Ignored, "{topic}");
        let again = serde_json::to_vec(&payload).unwrap();
        assert_eq!(Payload::parse(&envelope.topic, &again).unwrap(), payload, "{topic} round trip");
    }
}

#[test]
fn a_fixture_altered_by_one_byte_after_signing_is_refused() {
    let body = fixture("orders-create.json");
    let secret = WebhookSecret::new("hush").unwrap();
    let hmac = secret.sign(&body);
    let mut altered = body.clone();
    // "quantity": 2 becomes "quantity": 3 — what a tampering proxy would do.
    let at = altered.windows(13).position(|w| w == b"\"quantity\": 2").unwrap() + 12;
    altered[at] = b'3';
    let verifier = Verifier::new(vec![secret], ShopDomain::parse(SHOP).unwrap()).unwrap();
    let err = verifier
        .verify(
            [
                ("X-Shopify-Hmac-Sha256", hmac.as_str()),
                ("X-Shopify-Topic", "orders/create"),
                ("X-Shopify-Shop-Domain", SHOP),
                ("X-Shopify-Webhook-Id", "1"),
                ("X-Shopify-API-Version", "2026-04"),
            ],
            &altered,
        )
        .unwrap_err();
    assert_eq!(err, WebhookError::HmacMismatch);
}

#[test]
fn typed_payloads_carry_what_the_sync_needs() {
    let Payload::Refund(refund) =
        Payload::parse(&Topic::RefundsCreate, &fixture("refunds-create.json")).unwrap()
    else {
        panic!("not a refund")
    };
    assert_eq!(refund.order_id, OrderId(820982911946154508));
    let rli = &refund.refund_line_items[0];
    assert_eq!(
        (rli.quantity, rli.restock_type, rli.location_id),
        (1, Some(RestockType::Return), Some(LocationId(24826418)))
    );
    assert_eq!(rli.line_item.as_ref().unwrap().sku.as_deref(), Some("RB-2140-50"));

    let Payload::Product(product) =
        Payload::parse(&Topic::ProductsUpdate, &fixture("products-update.json")).unwrap()
    else {
        panic!("not a product")
    };
    assert_eq!(product.variants[0].inventory_item_id, InventoryItemId(342916));
    assert_eq!(product.variants[1].sku.as_deref(), Some(""));

    let Payload::InventoryLevel(level) =
        Payload::parse(&Topic::InventoryLevelsUpdate, &fixture("inventory-levels-update.json")).unwrap()
    else {
        panic!("not a level")
    };
    assert_eq!(
        (level.inventory_item_id, level.location_id, level.available),
        (InventoryItemId(271878346596884015), LocationId(24826418), Some(10))
    );
    // Shopify sends `available: null` for an untracked item.
    let untracked = br#"{"inventory_item_id":1,"location_id":2,"available":null}"#;
    let Payload::InventoryLevel(level) = Payload::parse(&Topic::InventoryLevelsUpdate, untracked).unwrap()
    else {
        panic!()
    };
    assert_eq!(level.available, None);
}

#[test]
fn the_privacy_topics_say_what_to_do() {
    let parse = |topic: Topic, file| Payload::parse(&topic, &fixture(file)).unwrap();
    let Payload::CustomersDataRequest(request) =
        parse(Topic::CustomersDataRequest, "customers-data-request.json")
    else {
        panic!()
    };
    assert_eq!(
        privacy::plan_data_request(&request),
        PrivacyAction::ReportOrders(vec![OrderId(299938), OrderId(280263), OrderId(220458)])
    );
    let Payload::CustomersRedact(redact) = parse(Topic::CustomersRedact, "customers-redact.json") else {
        panic!()
    };
    assert!(
        matches!(privacy::plan_customer_redact(&redact), PrivacyAction::NothingToRedact(orders) if orders.len() == 3)
    );
    let Payload::ShopRedact(shop) = parse(Topic::ShopRedact, "shop-redact.json") else { panic!() };
    assert_eq!(privacy::plan_shop_redact(&shop), PrivacyAction::EraseShop("{shop}.myshopify.com".into()));
}

#[test]
fn a_retried_delivery_is_handled_once() {
    let body = fixture("orders-create.json");
    let first = deliver("orders/create", &body).unwrap();
    let retry = deliver("orders/create", &body).unwrap();
    let key = dedupe::key(&first.shop_domain, &first.webhook_id);
    assert_eq!(key, dedupe::key(&retry.shop_domain, &retry.webhook_id));
    let now = 1_776_000_000;
    assert_eq!(dedupe::check(None, now), Seen::First);
    let stored = dedupe::record(now);
    assert_eq!(dedupe::check(Some(&stored), now + 600), Seen::Duplicate);
}
