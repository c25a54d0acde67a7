//! Every domain event ILS emits: its type, version, payload schema, and who may read it.
//! Payload schemas are part of the OpenAPI document (`components.schemas`) and of
//! `docs/events.md`. A payload change that is not additive bumps the version.

use serde::Serialize;

use crate::auth::permissions::{Action, Role};
use crate::ids::{ApiKeyId, TenantId, UserId};
use crate::tenants::{Plan, TenantStatus};

pub use ils_outbox::DomainEvent;

/// Someone registered to join the tenant and waits for approval.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserRegistered {
    /// The user.
    pub user_id: UserId,
    /// Their e-mail address.
    pub email: String,
    /// Their name.
    pub name: String,
    /// The role they asked for.
    pub requested_role: Role,
}
impl DomainEvent for UserRegistered {
    const TYPE: &'static str = "user.registered";
    const READ: Action = Action::UsersRead;
}

/// A registration was approved.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserApproved {
    /// The user.
    pub user_id: UserId,
    /// Their e-mail address.
    pub email: String,
    /// The role given.
    pub role: Role,
}
impl DomainEvent for UserApproved {
    const TYPE: &'static str = "user.approved";
    const READ: Action = Action::UsersRead;
}

/// A registration was rejected.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserRejected {
    /// The user.
    pub user_id: UserId,
}
impl DomainEvent for UserRejected {
    const TYPE: &'static str = "user.rejected";
    const READ: Action = Action::UsersRead;
}

/// A user's role changed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserRoleChanged {
    /// The user.
    pub user_id: UserId,
    /// The role before.
    pub from: Role,
    /// The role now.
    pub to: Role,
}
impl DomainEvent for UserRoleChanged {
    const TYPE: &'static str = "user.role_changed";
    const READ: Action = Action::UsersRead;
}

/// A user was removed from the tenant.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserRemoved {
    /// The user.
    pub user_id: UserId,
}
impl DomainEvent for UserRemoved {
    const TYPE: &'static str = "user.removed";
    const READ: Action = Action::UsersRead;
}

/// The platform changed the tenant's name, status or plan.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TenantUpdated {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Its name now.
    pub name: String,
    /// Its status now.
    pub status: TenantStatus,
    /// Its plan now.
    pub plan: Plan,
}
impl DomainEvent for TenantUpdated {
    const TYPE: &'static str = "tenant.updated";
    const READ: Action = Action::TenantRead;
}

/// An API key was created.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyCreated {
    /// The key.
    pub api_key_id: ApiKeyId,
    /// Its name.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<Action>,
}
impl DomainEvent for ApiKeyCreated {
    const TYPE: &'static str = "api_key.created";
    const READ: Action = Action::ApiKeysManage;
}

/// An API key was revoked.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyRevoked {
    /// The key.
    pub api_key_id: ApiKeyId,
}
impl DomainEvent for ApiKeyRevoked {
    const TYPE: &'static str = "api_key.revoked";
    const READ: Action = Action::ApiKeysManage;
}

/// A test message sent to one webhook endpoint on request.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookTest {
    /// The endpoint tested.
    pub endpoint_id: crate::ids::WebhookEndpointId,
}
impl DomainEvent for WebhookTest {
    const TYPE: &'static str = "webhook.test";
    const READ: Action = Action::WebhooksManage;
}

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
