//! Webhook bodies as typed data, one type per topic family.
//!
//! The shapes are Shopify's webhook payloads (the REST resource shapes: `snake_case`, numeric
//! ids). Only what the sync uses is read; every other field is ignored, so additions on
//! Shopify's side never break parsing. A missing required field or a wrong type is an error
//! naming the topic and the field. No customer personal data is kept from orders.

use serde::{Deserialize, Serialize};

use super::Topic;
use crate::ids::{
    CustomerId, InventoryItemId, LineItemId, LocationId, OrderId, ProductId, RefundId, RefundLineItemId,
    ShopId, VariantId,
};

/// A parsed webhook body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Payload {
    /// `orders/create`, `orders/updated`, `orders/cancelled`.
    Order(Order),
    /// `refunds/create`.
    Refund(Refund),
    /// `products/update`.
    Product(Product),
    /// `products/delete`.
    ProductDeleted(ProductDeleted),
    /// `inventory_levels/update`.
    InventoryLevel(InventoryLevel),
    /// `app/uninstalled`: the shop that uninstalled.
    AppUninstalled(UninstalledShop),
    /// `customers/data_request`.
    CustomersDataRequest(CustomersDataRequest),
    /// `customers/redact`.
    CustomersRedact(CustomersRedact),
    /// `shop/redact`.
    ShopRedact(ShopRedact),
    /// A topic the plugin does not handle: the body is not read.
    Ignored,
}

/// A body that does not have its topic's shape.
#[derive(Debug, thiserror::Error)]
#[error("the {topic} webhook body is not valid: {source}")]
pub struct PayloadError {
    /// The topic whose shape was expected.
    pub topic: String,
    /// What serde_json found (names the missing field or the wrong type, with line and column).
    #[source]
    pub source: serde_json::Error,
}

impl Payload {
    /// Parses `body` as `topic`'s payload.
    pub fn parse(topic: &Topic, body: &[u8]) -> Result<Self, PayloadError> {
        fn read<'a, T: Deserialize<'a>>(topic: &Topic, body: &'a [u8]) -> Result<T, PayloadError> {
            serde_json::from_slice(body)
                .map_err(|source| PayloadError { topic: topic.as_str().to_owned(), source })
        }
        Ok(match topic {
            Topic::OrdersCreate | Topic::OrdersUpdated | Topic::OrdersCancelled => {
                Payload::Order(read(topic, body)?)
            }
            Topic::RefundsCreate => Payload::Refund(read(topic, body)?),
            Topic::ProductsUpdate => Payload::Product(read(topic, body)?),
            Topic::ProductsDelete => Payload::ProductDeleted(read(topic, body)?),
            Topic::InventoryLevelsUpdate => Payload::InventoryLevel(read(topic, body)?),
            Topic::AppUninstalled => Payload::AppUninstalled(read(topic, body)?),
            Topic::CustomersDataRequest => Payload::CustomersDataRequest(read(topic, body)?),
            Topic::CustomersRedact => Payload::CustomersRedact(read(topic, body)?),
            Topic::ShopRedact => Payload::ShopRedact(read(topic, body)?),
            Topic::Unknown(_) => Payload::Ignored,
        })
    }
}

/// An order's payment state (`financial_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinancialStatus {
    /// Awaiting payment.
    Pending,
    /// Payment authorised, not captured.
    Authorized,
    /// Partly paid.
    PartiallyPaid,
    /// Paid.
    Paid,
    /// Partly refunded.
    PartiallyRefunded,
    /// Refunded.
    Refunded,
    /// Authorisation voided.
    Voided,
    /// Authorisation expired.
    Expired,
    /// A value this version does not know.
    #[serde(other)]
    Unknown,
}

/// An order's or line's fulfilment state (`fulfillment_status`; `null` is unfulfilled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentStatus {
    /// Every line fulfilled.
    Fulfilled,
    /// Some lines fulfilled.
    Partial,
    /// Restocked.
    Restocked,
    /// Nothing fulfilled (some payloads say so instead of `null`).
    Unfulfilled,
    /// A value this version does not know.
    #[serde(other)]
    Unknown,
}

/// A Shopify order, as the `orders/*` topics send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The order.
    pub id: OrderId,
    /// The shop-facing name, e.g. `#1001`.
    #[serde(default)]
    pub name: Option<String>,
    /// Payment state.
    #[serde(default)]
    pub financial_status: Option<FinancialStatus>,
    /// Fulfilment state (`None`: unfulfilled).
    #[serde(default)]
    pub fulfillment_status: Option<FulfillmentStatus>,
    /// When the order was cancelled (ISO 8601), if it was.
    #[serde(default)]
    pub cancelled_at: Option<String>,
    /// The location of a point-of-sale order; `None` for online orders.
    #[serde(default)]
    pub location_id: Option<LocationId>,
    /// The lines.
    pub line_items: Vec<LineItem>,
    /// Refunds so far (present in `orders/updated` and `orders/cancelled`).
    #[serde(default)]
    pub refunds: Vec<Refund>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    /// The line.
    pub id: LineItemId,
    /// The variant sold; `None` for a custom item or a deleted variant.
    #[serde(default)]
    pub variant_id: Option<VariantId>,
    /// The product sold, when known.
    #[serde(default)]
    pub product_id: Option<ProductId>,
    /// The SKU at the time of sale.
    #[serde(default)]
    pub sku: Option<String>,
    /// How many were ordered.
    pub quantity: u32,
    /// This line's fulfilment state.
    #[serde(default)]
    pub fulfillment_status: Option<FulfillmentStatus>,
}

/// What happened to the stock of a refunded line (`restock_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestockType {
    /// Not restocked: the stock stays gone.
    NoRestock,
    /// An unfulfilled line cancelled and put back.
    Cancel,
    /// A fulfilled line returned and put back.
    Return,
    /// Restocked by an old API without saying how.
    LegacyRestock,
    /// A value this version does not know: treated as not restocked.
    #[serde(other)]
    Unknown,
}

impl RestockType {
    /// Whether stock went back on the shelf.
    pub fn restocks(self) -> bool {
        matches!(self, RestockType::Cancel | RestockType::Return | RestockType::LegacyRestock)
    }
}

/// A refund (`refunds/create`, or an element of an order's `refunds`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// The refund.
    pub id: RefundId,
    /// The refunded order.
    pub order_id: OrderId,
    /// When it was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// The refunded quantities, line by line.
    #[serde(default)]
    pub refund_line_items: Vec<RefundLineItem>,
}

/// A quantity of one order line in a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundLineItem {
    /// This refund line.
    pub id: RefundLineItemId,
    /// The order line refunded.
    pub line_item_id: LineItemId,
    /// How many.
    pub quantity: u32,
    /// Whether and how the stock was put back; `None` is read as not restocked.
    #[serde(default)]
    pub restock_type: Option<RestockType>,
    /// Where the stock was put back, when it was.
    #[serde(default)]
    pub location_id: Option<LocationId>,
    /// The order line itself, which Shopify embeds (gives the SKU and variant without the order).
    #[serde(default)]
    pub line_item: Option<LineItem>,
}

/// A product, as `products/update` sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// The product.
    pub id: ProductId,
    /// Its title.
    #[serde(default)]
    pub title: Option<String>,
    /// Its variants.
    #[serde(default)]
    pub variants: Vec<Variant>,
}

/// A product variant in a product payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// The variant.
    pub id: VariantId,
    /// Its SKU, if it has one.
    #[serde(default)]
    pub sku: Option<String>,
    /// Its inventory item (where stock levels live).
    pub inventory_item_id: InventoryItemId,
}

/// `products/delete`: only the id remains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDeleted {
    /// The deleted product.
    pub id: ProductId,
}

/// `inventory_levels/update`: Shopify's `available` for one item at one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryLevel {
    /// The item.
    pub inventory_item_id: InventoryItemId,
    /// The location.
    pub location_id: LocationId,
    /// Available quantity; `None` when Shopify does not track this item's quantity.
    pub available: Option<i64>,
    /// When it changed (ISO 8601).
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// `app/uninstalled`: the shop resource; only its id and domain are read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UninstalledShop {
    /// The shop.
    pub id: ShopId,
    /// Its `*.myshopify.com` domain.
    #[serde(default)]
    pub myshopify_domain: Option<String>,
}

/// The customer a privacy request is about. Any field may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyCustomer {
    /// The customer.
    #[serde(default)]
    pub id: Option<CustomerId>,
    /// Their email.
    #[serde(default)]
    pub email: Option<String>,
    /// Their phone.
    #[serde(default)]
    pub phone: Option<String>,
}

/// The request id in `customers/data_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataRequest {
    /// The request.
    pub id: u64,
}

/// `customers/data_request`: a customer asked the shop for their data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomersDataRequest {
    /// The shop.
    pub shop_id: ShopId,
    /// The shop's domain.
    pub shop_domain: String,
    /// The customer.
    pub customer: PrivacyCustomer,
    /// The orders the request covers.
    #[serde(default)]
    pub orders_requested: Vec<OrderId>,
    /// The request's id.
    #[serde(default)]
    pub data_request: Option<DataRequest>,
}

/// `customers/redact`: erase what is held about a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomersRedact {
    /// The shop.
    pub shop_id: ShopId,
    /// The shop's domain.
    pub shop_domain: String,
    /// The customer.
    pub customer: PrivacyCustomer,
    /// The orders to redact.
    #[serde(default)]
    pub orders_to_redact: Vec<OrderId>,
}

/// `shop/redact`: 48 hours after uninstall, erase what is held about the shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopRedact {
    /// The shop.
    pub shop_id: ShopId,
    /// The shop's domain.
    pub shop_domain: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_required_field_names_the_topic_and_the_field() {
        let err = Payload::parse(&Topic::OrdersCreate, br#"{"id": 1}"#).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("the orders/create webhook body is not valid"), "{text}");
        assert!(text.contains("missing field `line_items`"), "{text}");
    }

    #[test]
    fn a_wrong_type_is_an_error_not_a_default() {
        let body = br#"{"id": 1, "line_items": [{"id": 2, "quantity": "three"}]}"#;
        let err = Payload::parse(&Topic::OrdersCreate, body).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
        let negative = br#"{"id": 1, "line_items": [{"id": 2, "quantity": -1}]}"#;
        assert!(Payload::parse(&Topic::OrdersCreate, negative).is_err());
    }

    #[test]
    fn unknown_statuses_and_fields_are_tolerated() {
        let body = br#"{"id": 1, "financial_status": "bartered", "brand_new_field": {"x": 1},
                        "line_items": [], "fulfillment_status": null}"#;
        let Payload::Order(order) = Payload::parse(&Topic::OrdersUpdated, body).unwrap() else {
            panic!("not an order")
        };
        assert_eq!(order.financial_status, Some(FinancialStatus::Unknown));
        assert_eq!(order.fulfillment_status, None);
    }

    #[test]
    fn an_unknown_topic_is_not_parsed() {
        let p = Payload::parse(&Topic::Unknown("carts/update".into()), b"not json").unwrap();
        assert_eq!(p, Payload::Ignored);
    }

    #[test]
    fn only_cancel_return_and_legacy_restock_put_stock_back() {
        use RestockType::*;
        let back: Vec<_> = [NoRestock, Cancel, Return, LegacyRestock, Unknown]
            .into_iter()
            .filter(|r| r.restocks())
            .collect();
        assert_eq!(back, [Cancel, Return, LegacyRestock]);
    }
}
