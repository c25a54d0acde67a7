use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use ils_fake_shopify::{FakeShopify, NewVariant, Restock};
use ils_shopify_sync::ids::ShopDomain;
use ils_shopify_sync::webhook::payload::{Payload, RestockType};
use ils_shopify_sync::webhook::{Envelope, Topic, Verifier, WebhookError, WebhookSecret};

use crate::support::start;

type Received = Arc<Mutex<Vec<Result<(Envelope, Vec<u8>), WebhookError>>>>;

/// A receiver like the ILS host's hook: verifies with the core, answers 200 or 401.
async fn receiver(fake: &FakeShopify) -> (String, Received) {
    let secret = WebhookSecret::new(fake.webhook_secret()).unwrap();
    let verifier = Verifier::new(vec![secret], ShopDomain::parse(fake.domain()).unwrap()).unwrap();
    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hooks/shopify",
            axum::routing::post(
                |State((verifier, received)): State<(Verifier, Received)>,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let pairs = headers.iter().map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()));
                    let verdict = verifier.verify(pairs, &body).map(|e| (e, body.to_vec()));
                    let status = if verdict.is_ok() { StatusCode::OK } else { StatusCode::UNAUTHORIZED };
                    received.lock().unwrap().push(verdict);
                    status
                },
            ),
        )
        .with_state((verifier, received.clone()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let url = format!("http://{}/hooks/shopify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[tokio::test]
async fn a_sale_is_delivered_signed_and_the_core_verifies_and_reads_it() {
    let h = start().await;
    let front = h.fake.add_location("Shop front");
    let p = h.fake.add_product("Wayfarer", &[NewVariant::sku("RB-50")]);
    h.fake.set_available("RB-50", front, 9).unwrap();
    let (url, received) = receiver(&h.fake).await;

    let sale = h.fake.sell("RB-50", front, 2).unwrap();
    assert_eq!(h.fake.available("RB-50", front).unwrap(), Some(7));
    let sent = h.fake.send_webhook(&url, "orders/create", &sale.orders_create).await.unwrap();
    assert_eq!(sent.status, 200);

    let (envelope, body) = received.lock().unwrap()[0].as_ref().unwrap().clone();
    assert_eq!(envelope.topic, Topic::OrdersCreate);
    assert_eq!(envelope.api_version, "2026-04");
    assert_eq!(envelope.webhook_id.as_str(), sent.delivery.webhook_id);
    assert!(envelope.triggered_at.is_some() && envelope.event_id.is_some());
    let Payload::Order(order) = Payload::parse(&envelope.topic, &body).unwrap() else { panic!() };
    assert_eq!(order.id.0, sale.order.0);
    assert_eq!(order.location_id.map(|l| l.0), Some(front.0));
    assert_eq!(order.line_items[0].id.0, sale.line.0);
    assert_eq!(order.line_items[0].variant_id.map(|v| v.0), Some(p.variants[0].id.0));
    assert_eq!((order.line_items[0].sku.as_deref(), order.line_items[0].quantity), (Some("RB-50"), 2));

    let level = sale.inventory_levels_update.expect("a tracked level moved");
    let Payload::InventoryLevel(level) = Payload::parse(&Topic::InventoryLevelsUpdate, &level).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (level.inventory_item_id.0, level.location_id.0, level.available),
        (p.variants[0].inventory_item.0, front.0, Some(7))
    );
}

#[tokio::test]
async fn a_forged_signature_is_refused_and_a_replay_carries_the_same_id_and_bytes() {
    let h = start().await;
    let (url, received) = receiver(&h.fake).await;
    let body = br#"{"id": 788032119674292922}"#;

    let forged = h.fake.send_forged_webhook(&url, "products/delete", body).await.unwrap();
    assert_eq!(forged.status, 401);
    assert!(matches!(received.lock().unwrap()[0], Err(WebhookError::HmacMismatch)));

    let first = h.fake.send_webhook(&url, "products/delete", body).await.unwrap();
    let replay = h.fake.send(&url, first.delivery.clone()).await.unwrap();
    assert_eq!((first.status, replay.status), (200, 200));
    let got = received.lock().unwrap();
    let (a, b) = (got[1].as_ref().unwrap(), got[2].as_ref().unwrap());
    assert_eq!(a, b, "same envelope, same webhook id, same bytes");
    assert_ne!(first.delivery.webhook_id, h.fake.delivery("products/delete", body).webhook_id);
}

#[tokio::test]
async fn refunds_and_untracked_levels_read_as_the_core_expects() {
    let h = start().await;
    let front = h.fake.add_location("Shop front");
    let back = h.fake.add_location("Back room");
    h.fake.add_product("Wayfarer", &[NewVariant::sku("RB-50"), NewVariant::sku("CLOTH").untracked()]);
    h.fake.set_available("RB-50", front, 5).unwrap();
    h.fake.set_available("CLOTH", front, 5).unwrap();

    let sale = h.fake.sell_online("RB-50", front, 2).unwrap();
    let refund = h.fake.refund(sale.order, sale.line, 1, Restock::Return(back)).unwrap();
    assert_eq!(h.fake.available("RB-50", back).unwrap(), Some(1), "returned to the back room");
    let Payload::Refund(r) = Payload::parse(&Topic::RefundsCreate, &refund.refunds_create).unwrap() else {
        panic!()
    };
    assert_eq!((r.id.0, r.order_id.0), (refund.refund.0, sale.order.0));
    let line = &r.refund_line_items[0];
    assert_eq!(
        (line.line_item_id.0, line.quantity, line.restock_type),
        (sale.line.0, 1, Some(RestockType::Return))
    );
    assert_eq!(line.location_id.map(|l| l.0), Some(back.0));
    assert_eq!(line.line_item.as_ref().and_then(|l| l.sku.as_deref()), Some("RB-50"));

    let Payload::Order(order) = Payload::parse(&Topic::OrdersUpdated, &refund.orders_updated).unwrap() else {
        panic!()
    };
    assert_eq!(order.location_id, None, "an online order names no location");
    assert_eq!(order.refunds.len(), 1);
    assert!(h.fake.refund(sale.order, sale.line, 2, Restock::No).is_err(), "only one is left to refund");

    let cloth = h.fake.sell("CLOTH", front, 1).unwrap();
    assert_eq!(cloth.inventory_levels_update, None, "an untracked level does not move");
    let level = h.fake.inventory_level_payload("CLOTH", front).unwrap();
    let Payload::InventoryLevel(level) = Payload::parse(&Topic::InventoryLevelsUpdate, &level).unwrap()
    else {
        panic!()
    };
    assert_eq!(level.available, None);
}
