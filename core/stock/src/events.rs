//! The events purchasing and stock emit. Their payloads are part of the OpenAPI document and of
//! `docs/events.md`; a change that is not additive bumps the version.

use serde::Serialize;

use ils_kernel::permissions::Action;
use ils_outbox::DomainEvent;
use ils_storage::ids::{
    GoodsReceiptId, ItemId, LocationId, PurchaseOrderId, ReceivedOrderId, StockCountId, SupplierId,
};

use crate::movement_kind::MovementKind;
use crate::purchase_orders::PurchaseOrderStatus;

/// Every event type this crate emits, with the permission needed to read it, in the order the
/// host's catalogue lists them.
pub const EVENTS: &[(&str, Action)] = &[
    (StockLow::TYPE, StockLow::READ),
    (StockChanged::TYPE, StockChanged::READ),
    (GoodsReceived::TYPE, GoodsReceived::READ),
    (PurchaseOrderStatusChanged::TYPE, PurchaseOrderStatusChanged::READ),
    (StockCountFinalised::TYPE, StockCountFinalised::READ),
    (PurchaseOrderReceived::TYPE, PurchaseOrderReceived::READ),
];

/// A change took an item's stock at a location to or below its reorder point (it was above
/// before). Emitted once per crossing, not again while the stock stays low.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockLow {
    /// The item now low (`GET /items/{item_id}`).
    pub item_id: ItemId,
    /// Its SKU.
    pub sku: String,
    /// The location where it is low.
    pub location_id: LocationId,
    /// The stock there now.
    pub quantity: i64,
    /// The item's reorder point.
    pub reorder_point: i64,
}
impl DomainEvent for StockLow {
    const TYPE: &'static str = "stock.low";
    const READ: Action = Action::StockRead;
}

/// The stock of an item at a location changed, for any reason (adjustment, transfer, receipt,
/// count, a sale or return recorded by a plugin). One event per ledger row, so a subscriber such
/// as a web shop can keep its own count equal to ILS's.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockChanged {
    /// The item (`GET /items/{item_id}`).
    pub item_id: ItemId,
    /// Its SKU.
    pub sku: String,
    /// The location.
    pub location_id: LocationId,
    /// Units added (positive) or removed (negative).
    pub delta: i64,
    /// The stock there after the change.
    pub quantity: i64,
    /// What caused it: `adjustment`, `transfer_out`, `transfer_in`, `receipt`, `count`, `sale`, `return`.
    pub kind: MovementKind,
}
impl DomainEvent for StockChanged {
    const TYPE: &'static str = "stock.changed";
    const READ: Action = Action::StockRead;
}

/// Goods were received against a purchase order and added to stock.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoodsReceived {
    /// The new receipt's id (listed by `GET /purchase-orders/{purchase_order_id}/receipts`).
    pub goods_receipt_id: GoodsReceiptId,
    /// The purchase order.
    pub purchase_order_id: PurchaseOrderId,
    /// The supplier the order was placed with.
    pub supplier_id: SupplierId,
    /// Where the goods went.
    pub location_id: LocationId,
    /// What arrived.
    pub lines: Vec<ReceivedLine>,
}
impl DomainEvent for GoodsReceived {
    const TYPE: &'static str = "goods.received";
    const READ: Action = Action::StockRead;
}

/// One item of a [`GoodsReceived`] event.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceivedLine {
    /// The item received; one line per item.
    pub item_id: ItemId,
    /// How many units arrived.
    pub quantity: i64,
}

/// A purchase order moved from one status to another.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurchaseOrderStatusChanged {
    /// The purchase order.
    pub purchase_order_id: PurchaseOrderId,
    /// Its number (`PO-000123`).
    pub number: String,
    /// The status before.
    pub from: PurchaseOrderStatus,
    /// The status now.
    pub to: PurchaseOrderStatus,
}
impl DomainEvent for PurchaseOrderStatusChanged {
    const TYPE: &'static str = "purchase_order.status_changed";
    const READ: Action = Action::StockRead;
}

/// A stock count was finalised and its counted quantities applied.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockCountFinalised {
    /// The finalised count's id (`GET /stock-counts/{stock_count_id}`).
    pub stock_count_id: StockCountId,
    /// The location counted.
    pub location_id: LocationId,
    /// Whether a company admin finalised it although stock moved during the count.
    pub overridden: bool,
    /// How many items' stock the count changed.
    pub items_changed: usize,
}
impl DomainEvent for StockCountFinalised {
    const TYPE: &'static str = "stock_count.finalised";
    const READ: Action = Action::StockRead;
}

/// A customer's purchase order arrived in this supplier's inbox (the supplier is on ILS, linked
/// to its directory entry): one event per delivery, so an order sent again arrives again.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurchaseOrderReceived {
    /// The inbox entry (`GET /received-purchase-orders/{id}`).
    pub received_purchase_order_id: ReceivedOrderId,
    /// The customer's number for the order.
    pub number: String,
    /// The customer's name.
    pub buyer: String,
    /// The order's value, minor units of `currency`.
    pub total_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// The customer sent this order before.
    pub sent_again: bool,
}
impl DomainEvent for PurchaseOrderReceived {
    const TYPE: &'static str = "purchase_order.received";
    const READ: Action = Action::ReceivedOrdersManage;
}
