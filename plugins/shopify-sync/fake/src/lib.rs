//! A fake Shopify shop for the Shopify sync plugin's tests, served on loopback.
//!
//! One [`FakeShopify`] is one shop: products and variants with SKUs and inventory items,
//! locations, the `available` quantity of each item at each location, and orders, all in memory
//! behind one lock. It serves, over HTTPS with a self-signed certificate for the shop's domain:
//!
//! - the GraphQL Admin API at `2026-04` ([`admin`]): the plugin's reads (variants, locations,
//!   inventory levels, with cursors), `inventorySetQuantities` with `changeFromQuantity`
//!   compare-and-swap and `@idempotent` keys, and bulk exports; a wrong token is 401 with
//!   Shopify's bare-string error, another version 404;
//! - a leaky cost bucket in front of it ([`throttle`], with the cost model), answering THROTTLED as
//!   Shopify does, on a clock a test can move ([`clock`]); every call is logged ([`requests`]);
//! - the bulk exports' JSONL at the `url` a finished operation gives.
//!
//! It also sends webhooks ([`webhook`]) signed as Shopify signs them, builds their bodies from its
//! own state ([`shop::orders`]), and lets a test change the shop behind the API's back (stock,
//! sell, refund, revoke the token, resize the bucket).
//!
//! The client under test connects the shop's domain to [`FakeShopify::addr`] and trusts
//! [`FakeShopify::cert_der`]; [`FakeShopify::client`] is a reqwest client set up so. A test in
//! another process starts the `ils-fake-shopify` binary instead, which prints what it needs and
//! serves the shop's controls over HTTP ([`remote`]).
//!
//! ```
//! use ils_fake_shopify::{FakeConfig, FakeShopify, NewVariant};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = FakeShopify::start(FakeConfig::default()).await?;
//! let front = fake.add_location("Shop front");
//! fake.add_product("Wayfarer frame", &[NewVariant::sku("RB-2140-50")]);
//! fake.set_available("RB-2140-50", front, 9)?;
//!
//! let query = serde_json::json!({
//!     "query": "query IlsLocations($first: Int!, $after: String) {
//!         locations(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { id name isActive } }
//!     }",
//!     "variables": { "first": 10 },
//! });
//! let answer = fake
//!     .client()
//!     .post(fake.endpoint())
//!     .header("X-Shopify-Access-Token", fake.access_token())
//!     .body(query.to_string())
//!     .send()
//!     .await?;
//! assert_eq!(answer.status(), 200);
//! let body: serde_json::Value = answer.json().await?;
//! assert_eq!(body["data"]["locations"]["nodes"][0]["name"], "Shop front");
//!
//! // A sale lowers `available` and gives the `orders/create` body to deliver.
//! let sale = fake.sell("RB-2140-50", front, 2)?;
//! assert_eq!(fake.available("RB-2140-50", front)?, Some(7));
//! let sent = fake.delivery("orders/create", &sale.orders_create);
//! assert_eq!(sent.hmac, ils_fake_shopify::webhook::sign(fake.webhook_secret().as_bytes(), &sale.orders_create));
//! # Ok(())
//! # }
//! ```

pub mod admin;
pub mod clock;
mod controls;
pub mod ids;
pub mod remote;
pub mod requests;
mod server;
pub mod shop;
pub mod throttle;
pub mod webhook;

pub use admin::bulk::BulkSettings;
pub use clock::{Clock, ManualClock};
pub use requests::{Outcome, RequestRecord};
pub use server::{FakeConfig, FakeShopify, StartError};
pub use shop::orders::{Refunded, Restock, Sale};
pub use shop::{AddedProduct, AddedVariant, ControlError, ItemRef, NewVariant};
pub use throttle::BucketSettings;
