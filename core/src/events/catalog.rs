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

/// A patient was registered. Carries identifiers only: details are read (and audited) in ILS.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PatientCreated {
    /// The patient.
    pub patient_id: crate::ids::PatientId,
    /// The practice's customer number.
    pub customer_number: String,
}
impl DomainEvent for PatientCreated {
    const TYPE: &'static str = "patient.created";
    const READ: Action = Action::PatientsRead;
}

/// A patient's record changed (or was deleted, i.e. restricted for retention).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PatientUpdated {
    /// The patient.
    pub patient_id: crate::ids::PatientId,
    /// Whether the record is now deleted (kept, restricted, until its retention date).
    pub deleted: bool,
}
impl DomainEvent for PatientUpdated {
    const TYPE: &'static str = "patient.updated";
    const READ: Action = Action::PatientsRead;
}

/// A prescription was recorded for a patient.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PrescriptionCreated {
    /// The prescription.
    pub prescription_id: crate::ids::PrescriptionId,
    /// The patient.
    pub patient_id: crate::ids::PatientId,
    /// Spectacles or contact lenses.
    pub kind: crate::clinical::prescriptions::RxKind,
}
impl DomainEvent for PrescriptionCreated {
    const TYPE: &'static str = "prescription.created";
    const READ: Action = Action::PatientsRead;
}

/// An examination was finalised (the NHS claims plugin proposes a sight-test claim from it).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ExaminationFinalised {
    /// The examination.
    pub examination_id: crate::ids::ExaminationId,
    /// The patient.
    pub patient_id: crate::ids::PatientId,
    /// Whether it recorded a refraction (a prescription can follow).
    pub has_refraction: bool,
    /// When it took place (YYYY-MM-DD): the sight-test date.
    #[schema(value_type = String, format = Date)]
    pub examined_on: jiff::civil::Date,
    /// Who examined (the performer), when recorded.
    pub examined_by: Option<UserId>,
}
impl DomainEvent for ExaminationFinalised {
    const TYPE: &'static str = "examination.finalised";
    const READ: Action = Action::PatientsRead;
}

pub use crate::orders::events::{OrderCreated, OrderStationChanged, OrderStatusChanged};

pub use ils_stock::events::{
    GoodsReceived, PurchaseOrderStatusChanged, ReceivedLine, StockCountFinalised, StockLow,
};

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
