//! The ILS Shopify sync plugin: a pure core that decides everything, and the component glue
//! ([`plugin`]) that does it on `ils:platform@0.2.0`.
//!
//! The plugin keeps a tenant's Shopify store and its ILS stock in step. The glue (WIT bindings
//! through the SDK, outbound HTTP, kv, the inbound webhook route, the work queue) lives in
//! [`plugin`] and owns no rule; the core modules hold the rules, so they are tested natively and
//! fuzzed:
//!
//! - [`webhook`]: verify a delivery's HMAC on the raw body, read its headers into an
//!   [`webhook::Envelope`], and its body into a typed [`webhook::payload::Payload`];
//! - [`dedupe`]: whether a delivery was already handled (Shopify retries, so duplicates happen);
//! - [`privacy`]: what the mandatory privacy topics ask of this plugin;
//! - [`graphql`]: Admin API requests at the pinned [`graphql::API_VERSION`], their responses, and
//!   the bulk export's JSONL;
//! - [`throttle`]: how long to wait before a query so the cost bucket admits it, and how to retry
//!   THROTTLED;
//! - [`sync`]: match variants to ILS items by SKU, map locations, find drift, and turn orders
//!   and refunds into stock movements with stable idempotency keys.
//!
//! A delivery, end to end:
//!
//! ```
//! use ils_shopify_sync::ids::ShopDomain;
//! use ils_shopify_sync::webhook::payload::Payload;
//! use ils_shopify_sync::webhook::{Topic, Verifier, WebhookSecret};
//!
//! let secret = WebhookSecret::new("app-secret")?;
//! let body = br#"{"inventory_item_id":271878346596884015,"location_id":24826418,"available":10}"#;
//! let signature = secret.sign(body); // what Shopify would send
//! let headers = [
//!     ("X-Shopify-Hmac-Sha256", signature.as_str()),
//!     ("X-Shopify-Topic", "inventory_levels/update"),
//!     ("X-Shopify-Shop-Domain", "lenses.myshopify.com"),
//!     ("X-Shopify-Webhook-Id", "b54557e4-8a5f-bf7d-70bc-d043aa000001"),
//!     ("X-Shopify-API-Version", "2026-04"),
//! ];
//! let verifier = Verifier::new(vec![secret], ShopDomain::parse("lenses.myshopify.com")?)?;
//! let envelope = verifier.verify(headers, body)?;
//! assert_eq!(envelope.topic, Topic::InventoryLevelsUpdate);
//! let Payload::InventoryLevel(level) = Payload::parse(&envelope.topic, body)? else { unreachable!() };
//! assert_eq!(level.available, Some(10));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod dedupe;
pub mod graphql;
pub mod ids;
pub mod plugin;
pub mod privacy;
pub mod sync;
pub mod throttle;
pub mod webhook;
