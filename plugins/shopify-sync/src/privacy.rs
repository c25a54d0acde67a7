//! What the three mandatory privacy topics ask of this plugin.
//!
//! Shopify requires every app to subscribe to `customers/data_request`, `customers/redact` and
//! `shop/redact`, to answer each delivery with 2xx, and to act within 30 days: give the shop
//! owner the customer's data, erase the customer's data (unless the law requires keeping it),
//! erase the shop's data (sent 48 hours after uninstall).
//!
//! This plugin keeps no customer's name, email, address or phone: order payloads are read for
//! ids, SKUs and quantities only. What it does keep that names an order is the idempotency key
//! of each stock movement and the dedupe entries. The `plan_*` functions say what the glue does with each.

use crate::ids::OrderId;
use crate::webhook::payload::{CustomersDataRequest, CustomersRedact, ShopRedact};

/// The glue's duty for one privacy delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivacyAction {
    /// Report to the shop owner what is held for these orders: the stock movements whose keys
    /// name them (SKU, quantity, date) — no personal data. With no orders: report "nothing held".
    ReportOrders(Vec<OrderId>),
    /// Nothing personal is held for these orders; the movements stay (stock history is the
    /// practice's own record), and nothing is erased. Acknowledge.
    NothingToRedact(Vec<OrderId>),
    /// Erase everything the plugin stores for the shop: its kv entries (dedupe records, cursors,
    /// the location map) and its configuration.
    EraseShop(String),
}

/// The action for `customers/data_request`.
pub fn plan_data_request(request: &CustomersDataRequest) -> PrivacyAction {
    PrivacyAction::ReportOrders(request.orders_requested.clone())
}

/// The action for `customers/redact`.
pub fn plan_customer_redact(request: &CustomersRedact) -> PrivacyAction {
    PrivacyAction::NothingToRedact(request.orders_to_redact.clone())
}

/// The action for `shop/redact`.
pub fn plan_shop_redact(request: &ShopRedact) -> PrivacyAction {
    PrivacyAction::EraseShop(request.shop_domain.clone())
}
