//! Every domain event ILS emits: its type, version, payload schema, and who may read it.
//! Payload schemas are part of the OpenAPI document (`components.schemas`) and of
//! `docs/events.md`. A payload change that is not additive bumps the version.

use serde::Serialize;

use crate::auth::permissions::Action;

pub use ils_outbox::DomainEvent;
pub use ils_tenancy::events::{
    ApiKeyCreated, ApiKeyRevoked, TenantUpdated, UserApproved, UserRegistered, UserRejected, UserRemoved,
    UserRoleChanged,
};

pub use crate::webhooks::WebhookTest;

/// Every event type, with the permission needed to read it. Endpoints and streams may only
/// subscribe to these.
pub const ALL: &[(&str, Action)] = &[
    (UserRegistered::TYPE, UserRegistered::READ),
    (UserApproved::TYPE, UserApproved::READ),
    (UserRejected::TYPE, UserRejected::READ),
    (UserRoleChanged::TYPE, UserRoleChanged::READ),
    (UserRemoved::TYPE, UserRemoved::READ),
    (TenantUpdated::TYPE, TenantUpdated::READ),
    (ApiKeyCreated::TYPE, ApiKeyCreated::READ),
    (ApiKeyRevoked::TYPE, ApiKeyRevoked::READ),
    (WebhookTest::TYPE, WebhookTest::READ),
    (PatientCreated::TYPE, PatientCreated::READ),
    (PatientUpdated::TYPE, PatientUpdated::READ),
    (PrescriptionCreated::TYPE, PrescriptionCreated::READ),
    (ExaminationFinalised::TYPE, ExaminationFinalised::READ),
    (OrderCreated::TYPE, OrderCreated::READ),
    (OrderStatusChanged::TYPE, OrderStatusChanged::READ),
    (OrderStationChanged::TYPE, OrderStationChanged::READ),
    (StockLow::TYPE, StockLow::READ),
    (GoodsReceived::TYPE, GoodsReceived::READ),
    (PurchaseOrderStatusChanged::TYPE, PurchaseOrderStatusChanged::READ),
    (StockCountFinalised::TYPE, StockCountFinalised::READ),
];

/// The permission needed to read events of `event_type`, if it is a known type.
pub fn read_action(event_type: &str) -> Option<Action> {
    ALL.iter().find(|(t, _)| *t == event_type).map(|(_, a)| *a)
}

pub use ils_clinical::events::{ExaminationFinalised, PatientCreated, PatientUpdated, PrescriptionCreated};

pub use crate::orders::events::{OrderCreated, OrderStationChanged, OrderStatusChanged};

/// A change took an item's stock at a location to or below its reorder point (it was above
/// before). Emitted once per crossing, not again while the stock stays low.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StockLow {
    /// The item.
    pub item_id: crate::ids::ItemId,
    /// Its SKU.
    pub sku: String,
    /// The location.
    pub location_id: crate::ids::LocationId,
    /// The stock there now.
    pub quantity: i64,
    /// The item's reorder point.
    pub reorder_point: i64,
}
impl DomainEvent for StockLow {
    const TYPE: &'static str = "stock.low";
    const READ: Action = Action::StockRead;
}

/// Goods were received against a purchase order and added to stock.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GoodsReceived {
    /// The receipt.
    pub goods_receipt_id: crate::ids::GoodsReceiptId,
    /// The purchase order.
    pub purchase_order_id: crate::ids::PurchaseOrderId,
    /// The supplier.
    pub supplier_id: crate::ids::SupplierId,
    /// Where the goods went.
    pub location_id: crate::ids::LocationId,
    /// What arrived.
    pub lines: Vec<ReceivedLine>,
}
impl DomainEvent for GoodsReceived {
    const TYPE: &'static str = "goods.received";
    const READ: Action = Action::StockRead;
}

/// One item of a [`GoodsReceived`] event.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReceivedLine {
    /// The item.
    pub item_id: crate::ids::ItemId,
    /// How many units arrived.
    pub quantity: i64,
}

/// A purchase order moved from one status to another.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PurchaseOrderStatusChanged {
    /// The purchase order.
    pub purchase_order_id: crate::ids::PurchaseOrderId,
    /// Its number (`PO-000123`).
    pub number: String,
    /// The status before.
    pub from: crate::stock::purchase_orders::PurchaseOrderStatus,
    /// The status now.
    pub to: crate::stock::purchase_orders::PurchaseOrderStatus,
}
impl DomainEvent for PurchaseOrderStatusChanged {
    const TYPE: &'static str = "purchase_order.status_changed";
    const READ: Action = Action::StockRead;
}

/// A stock count was finalised and its counted quantities applied.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StockCountFinalised {
    /// The count.
    pub stock_count_id: crate::ids::StockCountId,
    /// The location counted.
    pub location_id: crate::ids::LocationId,
    /// Whether a company admin finalised it although stock moved during the count.
    pub overridden: bool,
    /// How many items' stock the count changed.
    pub items_changed: usize,
}
impl DomainEvent for StockCountFinalised {
    const TYPE: &'static str = "stock_count.finalised";
    const READ: Action = Action::StockRead;
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogue_lists_every_tenancy_event() {
        for event in ils_tenancy::events::EVENTS {
            assert!(super::ALL.contains(event), "{} is missing from ALL", event.0);
        }
    }

    #[test]
    fn every_event_type_is_documented() {
        let doc = include_str!("../../../docs/events.md");
        for (event_type, read) in super::ALL {
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `{event_type}` |")))
                .unwrap_or_else(|| panic!("{event_type} is missing from docs/events.md"));
            assert!(
                row.contains(&format!("`{read}`")),
                "docs/events.md gives the wrong permission for {event_type}"
            );
        }
    }
}
