//! The events tenancy emits: registrations and membership decisions, role changes and removals,
//! platform changes to a tenant, API keys created and revoked. Their payloads are part of the
//! public event catalogue (`docs/events.md`); a change that is not additive bumps the version.

use ils_kernel::permissions::{Action, Role};
use ils_outbox::DomainEvent;
use ils_storage::ids::{ApiKeyId, TenantId, UserId};
use serde::Serialize;

use crate::tenants::{PlanSlug, TenantStatus};

/// Someone registered to join the tenant and waits for approval.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRegistered {
    /// The id of the user waiting for approval.
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
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserApproved {
    /// The id of the user, now an active member.
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
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRejected {
    /// The id of the user refused.
    pub user_id: UserId,
}
impl DomainEvent for UserRejected {
    const TYPE: &'static str = "user.rejected";
    const READ: Action = Action::UsersRead;
}

/// A user's role changed.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRoleChanged {
    /// The id of the member whose role changed.
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
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRemoved {
    /// The id of the user, no longer a member of the tenant.
    pub user_id: UserId,
}
impl DomainEvent for UserRemoved {
    const TYPE: &'static str = "user.removed";
    const READ: Action = Action::UsersRead;
}

/// The platform changed the tenant's name, status or plan.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantUpdated {
    /// The tenant's id: the tenant the event is delivered to.
    pub tenant_id: TenantId,
    /// Its name now.
    pub name: String,
    /// Its status now.
    pub status: TenantStatus,
    /// Its plan now.
    pub plan: PlanSlug,
}
impl DomainEvent for TenantUpdated {
    const TYPE: &'static str = "tenant.updated";
    const READ: Action = Action::TenantRead;
}

/// An API key was created.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyCreated {
    /// The new key's id.
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
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyRevoked {
    /// The revoked key's id; calls with the key fail from now on.
    pub api_key_id: ApiKeyId,
}
impl DomainEvent for ApiKeyRevoked {
    const TYPE: &'static str = "api_key.revoked";
    const READ: Action = Action::ApiKeysManage;
}

/// Every tenancy event type with the permission needed to read it, in catalogue order.
pub const EVENTS: &[(&str, Action)] = &[
    (UserRegistered::TYPE, UserRegistered::READ),
    (UserApproved::TYPE, UserApproved::READ),
    (UserRejected::TYPE, UserRejected::READ),
    (UserRoleChanged::TYPE, UserRoleChanged::READ),
    (UserRemoved::TYPE, UserRemoved::READ),
    (TenantUpdated::TYPE, TenantUpdated::READ),
    (ApiKeyCreated::TYPE, ApiKeyCreated::READ),
    (ApiKeyRevoked::TYPE, ApiKeyRevoked::READ),
];
