use super::*;

fn verifier(secret: &str, shop: &str) -> Verifier {
    Verifier::new(vec![WebhookSecret::new(secret).unwrap()], ShopDomain::parse(shop).unwrap()).unwrap()
}

fn headers<'a>(hmac: &'a str, shop: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("X-Shopify-Hmac-Sha256", hmac),
        ("X-Shopify-Topic", "products/create"),
        ("X-Shopify-Shop-Domain", shop),
        ("X-Shopify-Webhook-Id", "123456789"),
        ("X-Shopify-API-Version", "2023-01"),
    ]
}

// Shopify/shopify-api-js, packages/shopify-api/lib/webhooks/__tests__/validate.test.ts: the body
// `{"foo": "bar"}` signed with the test config's `apiSecretKey: 'test_secret_key'`
// (lib/__tests__/test-helper / test-config) is expected to carry this HMAC.
const JS_SECRET: &str = "test_secret_key";
const JS_BODY: &[u8] = br#"{"foo": "bar"}"#;
const JS_HMAC: &str = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=";

// Shopify/shopify-api-php, tests/Webhooks/RegistryTest.php: `json_encode(['foo' => 'bar'])`
// processed with `apiSecretKey: 'steffi'` (tests/BaseTestCase.php) and this X-Shopify-Hmac-Sha256.
const PHP_SECRET: &str = "steffi";
const PHP_BODY: &[u8] = br#"{"foo":"bar"}"#;
const PHP_HMAC: &str = "/Redz4YXHLnSmmSN8grr5/Jl/Ua3d7yX3iWbjb8R8wo=";

#[test]
fn shopify_api_js_test_vector_verifies() {
    let envelope = verifier(JS_SECRET, "shop1.myshopify.io")
        .verify(headers(JS_HMAC, "shop1.myshopify.io"), JS_BODY)
        .unwrap();
    assert_eq!(envelope.topic, Topic::Unknown("products/create".into()));
    assert_eq!(envelope.webhook_id.as_str(), "123456789");
    assert_eq!(envelope.api_version, "2023-01");
    assert_eq!(envelope.shop_domain.as_str(), "shop1.myshopify.io");
    assert_eq!(WebhookSecret::new(JS_SECRET).unwrap().sign(JS_BODY), JS_HMAC);
}

#[test]
fn shopify_api_php_test_vector_verifies() {
    verifier(PHP_SECRET, "test-shop.myshopify.io")
        .verify(headers(PHP_HMAC, "test-shop.myshopify.io"), PHP_BODY)
        .unwrap();
    assert_eq!(WebhookSecret::new(PHP_SECRET).unwrap().sign(PHP_BODY), PHP_HMAC);
}

#[test]
fn the_two_libraries_vectors_differ_only_by_a_space_and_do_not_cross_verify() {
    // The PHP body is the JS body without its space: a one-byte change must fail.
    let err = verifier(JS_SECRET, "shop1.myshopify.io")
        .verify(headers(JS_HMAC, "shop1.myshopify.io"), br#"{"foo":"bar"}"#)
        .unwrap_err();
    assert_eq!(err, WebhookError::HmacMismatch);
}

#[test]
fn a_body_altered_by_one_byte_is_refused() {
    let v = verifier(JS_SECRET, "shop1.myshopify.io");
    for i in 0..JS_BODY.len() {
        let mut body = JS_BODY.to_vec();
        body[i] ^= 0x01;
        assert_eq!(
            v.verify(headers(JS_HMAC, "shop1.myshopify.io"), &body),
            Err(WebhookError::HmacMismatch),
            "byte {i}"
        );
    }
}

#[test]
fn a_forged_hmac_is_refused() {
    // The right length, base64, one bit off.
    let mut forged = BASE64.decode(JS_HMAC).unwrap();
    forged[0] ^= 0x80;
    let forged = BASE64.encode(forged);
    let err = verifier(JS_SECRET, "shop1.myshopify.io")
        .verify(headers(&forged, "shop1.myshopify.io"), JS_BODY)
        .unwrap_err();
    assert_eq!(err, WebhookError::HmacMismatch);
    assert!(err.to_string().contains("does not match"));
}

#[test]
fn a_signature_made_with_another_secret_is_refused() {
    let err = verifier("not_the_secret", "shop1.myshopify.io")
        .verify(headers(JS_HMAC, "shop1.myshopify.io"), JS_BODY)
        .unwrap_err();
    assert_eq!(err, WebhookError::HmacMismatch);
}

#[test]
fn during_secret_rotation_either_secret_verifies() {
    let v = Verifier::new(
        vec![WebhookSecret::new("new").unwrap(), WebhookSecret::new(JS_SECRET).unwrap()],
        ShopDomain::parse("shop1.myshopify.io").unwrap(),
    )
    .unwrap();
    assert!(v.verify(headers(JS_HMAC, "shop1.myshopify.io"), JS_BODY).is_ok());
}

#[test]
fn a_truncated_or_non_base64_hmac_is_refused() {
    let v = verifier(JS_SECRET, "shop1.myshopify.io");
    let truncated = &JS_HMAC[..20];
    assert!(v.verify(headers(truncated, "shop1.myshopify.io"), JS_BODY).is_err());
    assert_eq!(
        v.verify(headers("whoops_this_is_wrong!", "shop1.myshopify.io"), JS_BODY),
        Err(WebhookError::InvalidHeader { header: HMAC_HEADER, reason: "not base64" })
    );
}

#[test]
fn each_missing_header_is_named() {
    let v = verifier(JS_SECRET, "shop1.myshopify.io");
    for (name, _) in headers(JS_HMAC, "shop1.myshopify.io") {
        let without: Vec<_> =
            headers(JS_HMAC, "shop1.myshopify.io").into_iter().filter(|(n, _)| *n != name).collect();
        let err = v.verify(without, JS_BODY).unwrap_err();
        assert_eq!(err.to_string(), format!("the webhook has no {name} header"));
        // A blank value counts as missing, as in shopify-api-js's `headers({topic: ''})` cases.
        let blank: Vec<_> = headers(JS_HMAC, "shop1.myshopify.io")
            .into_iter()
            .map(|(n, value)| (n, if n == name { " " } else { value }))
            .collect();
        assert_eq!(v.verify(blank, JS_BODY).unwrap_err().to_string(), err.to_string());
    }
}

#[test]
fn header_names_are_case_insensitive_and_optional_headers_are_read() {
    let mut hs: Vec<(String, &str)> = headers(JS_HMAC, "shop1.myshopify.io")
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect();
    hs.push(("x-shopify-triggered-at".into(), "2026-05-01T10:00:00.000Z"));
    hs.push(("X-SHOPIFY-EVENT-ID".into(), "98880550-7158-44d4-b7cd-2c97c8a091b5"));
    let e = verifier(JS_SECRET, "shop1.myshopify.io").verify(hs, JS_BODY).unwrap();
    assert_eq!(e.triggered_at.as_deref(), Some("2026-05-01T10:00:00.000Z"));
    assert_eq!(e.event_id.as_deref(), Some("98880550-7158-44d4-b7cd-2c97c8a091b5"));
}

#[test]
fn a_repeated_hmac_header_is_refused_even_if_one_copy_is_right() {
    let mut hs = headers(JS_HMAC, "shop1.myshopify.io");
    hs.push(("x-shopify-hmac-sha256", "AAAA"));
    assert_eq!(
        verifier(JS_SECRET, "shop1.myshopify.io").verify(hs, JS_BODY),
        Err(WebhookError::RepeatedHeader(HMAC_HEADER))
    );
}

#[test]
fn a_genuine_webhook_for_another_shop_is_refused() {
    let secret = WebhookSecret::new("shared").unwrap();
    let hmac = secret.sign(JS_BODY);
    let v = Verifier::new(vec![secret], ShopDomain::parse("mine.myshopify.com").unwrap()).unwrap();
    let err = v.verify(headers(&hmac, "theirs.myshopify.com"), JS_BODY).unwrap_err();
    assert!(matches!(err, WebhookError::WrongShop { .. }), "{err}");
}

#[test]
fn the_hmac_is_checked_before_any_other_header_is_read() {
    // Unsigned junk with a broken shop domain reports the signature, not the domain.
    let mut hs = headers("AAAA", "not a domain");
    hs.retain(|(n, _)| *n != "X-Shopify-Topic");
    assert_eq!(
        verifier(JS_SECRET, "shop1.myshopify.io").verify(hs, JS_BODY),
        Err(WebhookError::HmacMismatch)
    );
}

#[test]
fn an_empty_secret_or_no_secret_is_refused() {
    assert_eq!(WebhookSecret::new("").unwrap_err(), WebhookError::EmptySecret);
    let shop = ShopDomain::parse("a.myshopify.com").unwrap();
    assert_eq!(Verifier::new(vec![], shop).unwrap_err(), WebhookError::EmptySecret);
    assert_eq!(format!("{:?}", WebhookSecret::new("s3cret").unwrap()), "WebhookSecret(..)");
}

#[test]
fn topics_round_trip_and_unknown_topics_are_kept() {
    for (name, topic) in Topic::KNOWN {
        assert_eq!(Topic::parse(name), topic);
        assert_eq!(topic.as_str(), name);
    }
    assert_eq!(Topic::parse("carts/update"), Topic::Unknown("carts/update".into()));
    assert_eq!(Topic::parse("carts/update").as_str(), "carts/update");
    let privacy: Vec<_> = Topic::KNOWN.iter().filter(|(_, t)| t.is_privacy()).map(|(n, _)| *n).collect();
    assert_eq!(privacy, ["customers/data_request", "customers/redact", "shop/redact"]);
}
