//! Users and their memberships in tenants: registration, approval, roles, last-admin protection.

pub mod invitations;
mod service;
pub mod sign_ins;
mod store;

use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::permissions::Role;
use ils_kernel::{Error, Result};
use ils_storage::ids::{TenantId, UserId};
use ils_storage::text_enum;
use ils_storage::types::Timestamp;
use serde::Serialize;

pub use service::{ChangeRole, Decision, change_role, decide, remove, set_suspended};

pub use store::{
    Credentials, active_admins, create_user, credentials_by_email, credentials_by_id, delete_membership,
    get_member, insert_membership, list_members, memberships_of_user, set_membership, user_by_email,
};

text_enum! {
    /// Where a membership stands.
    pub enum MembershipStatus {
        /// Registered, waiting for a tenant admin.
        Pending = "pending",
        /// Approved: the user may act in the tenant with their role.
        Active = "active",
        /// Refused by a tenant admin.
        Rejected = "rejected",
        /// Stopped by a tenant admin: no request acts in the tenant until they reactivate it.
        Suspended = "suspended",
    }
}

pub use ils_kernel::input::Email;

/// A user as other users see them.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// The user's id (UUIDv7); one user may be a member of several tenants.
    pub id: UserId,
    /// E-mail address, also the sign-in name.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Whether the user administers the platform.
    pub is_platform_admin: bool,
    /// When the account was created (UTC); never changes.
    pub created_at: Timestamp,
}

/// A user's place in a tenant.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    /// The member's user id.
    pub user_id: UserId,
    /// The tenant the membership is in.
    pub tenant_id: TenantId,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role in this tenant.
    pub role: Role,
    /// Status of the membership.
    pub status: MembershipStatus,
    /// Who approved or rejected it.
    pub decided_by: Option<UserId>,
    /// When a tenant admin approved or rejected the membership (UTC); none while pending, and none for a
    /// tenant's first admin, who starts active.
    pub decided_at: Option<Timestamp>,
    /// When the membership began (UTC): the user's registration, or, for a tenant's first admin, the
    /// tenant's creation.
    pub created_at: Timestamp,
}

/// A membership seen from the user's side, with the tenant's name.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembershipSummary {
    /// The tenant's id; once the membership is active, `POST /me/tenant` switches a session to it.
    pub tenant_id: TenantId,
    /// Its name.
    pub tenant_name: String,
    /// Its slug.
    pub tenant_slug: String,
    /// Its status: no one signs in to a suspended tenant.
    pub tenant_status: crate::tenants::TenantStatus,
    /// Role there.
    pub role: Role,
    /// Status of the membership.
    pub status: MembershipStatus,
}

/// Refuses a change that would leave the tenant without an active company admin.
pub fn ensure_not_last_admin(member: &Member, active_admins: i64) -> Result<()> {
    if member.status == MembershipStatus::Active && member.role == Role::CompanyAdmin && active_admins <= 1 {
        return Err(Error::conflict(
            "last_admin",
            "This is the tenant's last company admin; appoint another admin first.",
        ));
    }
    Ok(())
}

/// What [`bootstrap_platform_admin`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Bootstrap {
    /// A new platform admin was created.
    Created(UserId),
    /// That platform admin already existed; nothing changed.
    AlreadyExists(UserId),
}

/// Ensures a platform admin with this e-mail exists (idempotent: an existing one is left as
/// it is, password included). An existing ordinary account is refused, not promoted.
pub async fn bootstrap_platform_admin(
    db: &ils_storage::Db,
    email: &Email,
    name: &str,
    password: &crate::auth::password::Password,
) -> Result<Bootstrap> {
    let mut tx = db.system().await?;
    if let Some(existing) = user_by_email(&mut tx, email).await? {
        if existing.is_platform_admin {
            return Ok(Bootstrap::AlreadyExists(existing.id));
        }
        return Err(Error::conflict(
            "email_taken",
            format!(
                "{} is an existing ordinary account; choose another e-mail for the platform admin.",
                email.as_str()
            ),
        ));
    }
    let hash = crate::auth::password::hash(password).await?;
    let user = create_user(&mut tx, email, name, &hash, true).await?;
    let event = Event::new("user.platform_admin_created", "user", user.id)
        .changes(serde_json::json!({ "email": email }));
    audit::record_system(&mut tx, None, &AuditCtx::system(), event).await?;
    tx.commit().await?;
    Ok(Bootstrap::Created(user.id))
}
