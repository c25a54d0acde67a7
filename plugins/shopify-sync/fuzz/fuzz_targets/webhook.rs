//! A delivery from arbitrary bytes: the first byte picks a topic, the rest is the body.
//! Properties: verification never panics; a body signed with the secret verifies, and verifies
//! again; the same body with one byte flipped is refused; parsing never panics, and a payload it
//! accepts serialises and parses back to itself.
#![no_main]

use ils_shopify_sync::ids::ShopDomain;
use ils_shopify_sync::webhook::payload::Payload;
use ils_shopify_sync::webhook::{Topic, Verifier, WebhookError, WebhookSecret};
use libfuzzer_sys::fuzz_target;

const TOPICS: [&str; 12] = [
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "refunds/create",
    "products/update",
    "products/delete",
    "inventory_levels/update",
    "app/uninstalled",
    "customers/data_request",
    "customers/redact",
    "shop/redact",
    "carts/update",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let topic = TOPICS[pick as usize % TOPICS.len()];
    let secret = WebhookSecret::new("fuzz-secret").expect("non-empty");
    let signature = secret.sign(body);
    let shop = "fuzz.myshopify.com";
    let verifier = Verifier::new(vec![secret], ShopDomain::parse(shop).expect("valid")).expect("one secret");
    let headers = |hmac: &str| {
        vec![
            ("X-Shopify-Hmac-Sha256".to_owned(), hmac.to_owned()),
            ("X-Shopify-Topic".to_owned(), topic.to_owned()),
            ("X-Shopify-Shop-Domain".to_owned(), shop.to_owned()),
            ("X-Shopify-Webhook-Id".to_owned(), "fuzz-1".to_owned()),
            ("X-Shopify-API-Version".to_owned(), "2026-04".to_owned()),
        ]
    };
    let envelope = verifier.verify(headers(&signature), body).expect("a signed body verifies");
    assert_eq!(verifier.verify(headers(&signature), body).as_ref(), Ok(&envelope));
    if !body.is_empty() {
        let mut altered = body.to_vec();
        let at = pick as usize % altered.len();
        altered[at] ^= 0x01;
        assert_eq!(verifier.verify(headers(&signature), &altered), Err(WebhookError::HmacMismatch));
    }
    // Arbitrary header values: never a panic.
    let junk = String::from_utf8_lossy(body);
    let _ = verifier.verify(headers(&junk), body);

    let topic = Topic::parse(topic);
    let Ok(payload) = Payload::parse(&topic, body) else { return };
    let again = serde_json::to_vec(&payload).expect("a payload serialises");
    let reparsed = Payload::parse(&topic, &again).expect("a serialised payload parses");
    assert_eq!(reparsed, payload);
});
