//! The shop's controls over plain HTTP on loopback, for a test in another process (the console's
//! browser tests start the `ils-fake-shopify` binary): what the shop is, a sale in the shop, and
//! what it holds now. A test delivers the sale's webhook itself, signed with the shop's secret.
//!
//! - `GET /shop` — the [`ShopInfo`] the binary printed;
//! - `POST /sell` `{"sku", "quantity"}` — a point-of-sale sale at the shop's location:
//!   `{"order_id", "line_id", "topic": "orders/create", "body"}` (the body as Shopify sends it);
//! - `GET /available/{sku}` — `{"available": n}` at the shop's location (`null`: not stocked or
//!   not tracked).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::FakeShopify;
use crate::ids::LocationId;
use crate::shop::{ControlError, NewVariant};

/// One seeded product: one tracked variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeededProduct {
    /// Its SKU.
    pub sku: String,
    /// The variant's id (numeric, as webhooks give it).
    pub variant_id: String,
    /// Its inventory item's id.
    pub inventory_item_id: String,
    /// `available` at the location when seeded.
    pub available: i64,
}

/// What a process talking to the fake needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopInfo {
    /// The shop's `*.myshopify.com` domain.
    pub domain: String,
    /// Where the shop's HTTPS listens (`127.0.0.1:port`).
    pub address: String,
    /// The `ILS_OUTBOUND_CONNECT_TO` entry that sends the shop's name there.
    pub connect_to: String,
    /// The certificate to trust, PEM (`ILS_OUTBOUND_EXTRA_ROOTS`).
    pub cert_pem: String,
    /// The Admin API token the shop accepts.
    pub access_token: String,
    /// The secret webhooks are signed with.
    pub webhook_secret: String,
    /// These controls' base URL (`http://127.0.0.1:port`).
    pub control: String,
    /// The one location, numeric id.
    pub location_id: String,
    /// Its name.
    pub location_name: String,
    /// The products seeded at start.
    pub products: Vec<SeededProduct>,
}

/// A fake shop with one location and its products, as the binary seeds it.
pub struct Seeded {
    /// The shop.
    pub fake: FakeShopify,
    /// Its location.
    pub location: LocationId,
    /// Its location's name.
    pub location_name: String,
    /// The products seeded.
    pub products: Vec<SeededProduct>,
}

impl Seeded {
    /// Adds a location named `location` and, for each `(sku, available)`, a product with one
    /// tracked variant holding `available` there.
    pub fn seed(fake: FakeShopify, location: &str, products: &[(String, i64)]) -> Result<Self, ControlError> {
        let at = fake.add_location(location);
        let mut seeded = Vec::new();
        for (sku, available) in products {
            let added = fake.add_product(&format!("Product {sku}"), &[NewVariant::sku(sku)]);
            let variant = &added.variants[0];
            fake.set_available(sku.as_str(), at, *available)?;
            seeded.push(SeededProduct {
                sku: sku.clone(),
                variant_id: variant.id.to_string(),
                inventory_item_id: variant.inventory_item.to_string(),
                available: *available,
            });
        }
        Ok(Self { fake, location: at, location_name: location.to_owned(), products: seeded })
    }

    /// What to tell the other process, with the controls at `control` (`http://…`).
    pub fn info(&self, control: &str) -> ShopInfo {
        let address = self.fake.addr().to_string();
        ShopInfo {
            domain: self.fake.domain().to_owned(),
            connect_to: format!("{}:443={address}", self.fake.domain()),
            address,
            cert_pem: self.fake.cert_pem(),
            access_token: self.fake.access_token().to_owned(),
            webhook_secret: self.fake.webhook_secret().to_owned(),
            control: control.to_owned(),
            location_id: self.location.to_string(),
            location_name: self.location_name.clone(),
            products: self.products.clone(),
        }
    }
}

struct Remote {
    shop: Seeded,
    info: ShopInfo,
}

/// The controls' routes for `shop`, which tells callers `info`.
pub fn router(shop: Seeded, info: ShopInfo) -> Router {
    Router::new()
        .route("/shop", get(shop_info))
        .route("/sell", post(sell))
        .route("/available/{sku}", get(available))
        .with_state(Arc::new(Remote { shop, info }))
}

async fn shop_info(State(remote): State<Arc<Remote>>) -> Json<ShopInfo> {
    Json(remote.info.clone())
}

fn refused(error: &ControlError) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": error.to_string() }))).into_response()
}

#[derive(Deserialize)]
struct Sell {
    sku: String,
    quantity: u32,
}

async fn sell(State(remote): State<Arc<Remote>>, Json(sell): Json<Sell>) -> Response {
    match remote.shop.fake.sell(sell.sku.as_str(), remote.shop.location, sell.quantity) {
        Ok(sale) => Json(json!({
            "order_id": sale.order.to_string(),
            "line_id": sale.line.to_string(),
            "topic": "orders/create",
            "body": String::from_utf8_lossy(&sale.orders_create),
        }))
        .into_response(),
        Err(e) => refused(&e),
    }
}

async fn available(State(remote): State<Arc<Remote>>, Path(sku): Path<String>) -> Response {
    match remote.shop.fake.available(sku.as_str(), remote.shop.location) {
        Ok(available) => Json(json!({ "available": available })).into_response(),
        Err(e) => refused(&e),
    }
}
