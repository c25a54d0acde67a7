//! What a company admin does to the tenant's members: decide a registration, change a role,
//! suspend and reactivate someone, remove someone. Each keeps the tenant with at least one active company admin.

use ils_kernel::audit::Event;
use ils_kernel::permissions::Role;
use ils_kernel::{Error, Result};
use ils_outbox::UnitOfWork;
use ils_storage::ids::UserId;

use super::{
    Member, MembershipStatus, active_admins, delete_membership, ensure_not_last_admin, get_member,
    set_membership,
};
use crate::events::{UserApproved, UserRejected, UserRemoved, UserRoleChanged};

/// An admin's answer to a pending registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Let the user in with this role (which may differ from the one asked for).
    Approve(Role),
    /// Turn the registration down; the membership keeps the role asked for, as a record.
    Reject,
}

/// Approves or rejects a pending registration; anything but `pending` is a `not_pending`
/// conflict. Emits [`UserApproved`] or [`UserRejected`]; the caller commits.
pub async fn decide(uow: &mut UnitOfWork, user_id: UserId, decision: Decision) -> Result<Member> {
    let before = get_member(uow.tx(), user_id).await?;
    if before.status != MembershipStatus::Pending {
        return Err(Error::conflict(
            "not_pending",
            format!("This registration was already {}.", before.status),
        ));
    }
    let (role, outcome) = match decision {
        Decision::Approve(role) => (role, MembershipStatus::Active),
        Decision::Reject => (before.role, MembershipStatus::Rejected),
    };
    let decided_by = uow.ctx().user_id;
    let after = set_membership(uow.tx(), user_id, role, outcome, decided_by).await?;
    if outcome == MembershipStatus::Active {
        uow.emit(&UserApproved { user_id, email: after.email.clone(), role: after.role }).await?;
    } else {
        uow.emit(&UserRejected { user_id }).await?;
    }
    let action = if outcome == MembershipStatus::Active { "user.approved" } else { "user.rejected" };
    let event = Event::new(action, "user", user_id)
        .changes(serde_json::json!({ "role": after.role, "status": after.status }));
    uow.audit(event).await?;
    Ok(after)
}

/// A new role for an active member.
#[derive(Clone, Copy, Debug)]
pub struct ChangeRole {
    /// The member's user id; the membership must be active.
    pub user_id: UserId,
    /// Their role from now on.
    pub role: Role,
}

/// Changes an active member's role (`not_active` otherwise); demoting the last company admin is
/// a `last_admin` conflict. Emits [`UserRoleChanged`] when the role really changed; the caller
/// commits.
pub async fn change_role(uow: &mut UnitOfWork, cmd: ChangeRole) -> Result<Member> {
    let ChangeRole { user_id, role } = cmd;
    uow.tx().lock_tenant().await?;
    let before = get_member(uow.tx(), user_id).await?;
    if before.status != MembershipStatus::Active {
        return Err(Error::conflict(
            "not_active",
            "Only active users' roles can change; approve the registration first.",
        ));
    }
    if role != Role::CompanyAdmin {
        ensure_not_last_admin(&before, active_admins(uow.tx()).await?)?;
    }
    let decided_by = uow.ctx().user_id;
    let after = set_membership(uow.tx(), user_id, role, MembershipStatus::Active, decided_by).await?;
    if before.role != after.role {
        uow.emit(&UserRoleChanged { user_id, from: before.role, to: after.role }).await?;
    }
    let event = Event::new("user.role_changed", "user", user_id)
        .changes(serde_json::json!({ "role": { "from": before.role, "to": after.role } }));
    uow.audit(event).await?;
    Ok(after)
}

/// Removes a member from the unit's tenant; the last company admin stays (`last_admin`).
/// Emits [`UserRemoved`]; the caller commits.
pub async fn remove(uow: &mut UnitOfWork, user_id: UserId) -> Result<()> {
    uow.tx().lock_tenant().await?;
    let member = get_member(uow.tx(), user_id).await?;
    ensure_not_last_admin(&member, active_admins(uow.tx()).await?)?;
    delete_membership(uow.tx(), user_id).await?;
    uow.emit(&UserRemoved { user_id }).await?;
    let event = Event::new("user.removed", "user", user_id)
        .changes(serde_json::json!({ "role": member.role, "status": member.status }));
    uow.audit(event).await?;
    Ok(())
}

/// Suspends an active member (`suspended`: true) or reactivates a suspended one (false).
///
/// A suspended member's sessions and requests stop acting in the tenant at once
/// (`membership_not_active`), and signing in no longer lands there; reactivating restores the
/// role they had. Suspending the last active company admin is a `last_admin` conflict; a member
/// in any other state is `not_active` (suspending) or `not_suspended` (reactivating). Audited
/// (`user.suspended`, `user.reactivated`); the caller commits.
pub async fn set_suspended(uow: &mut UnitOfWork, user_id: UserId, suspended: bool) -> Result<Member> {
    let (from, to, code, action, only) = if suspended {
        (
            MembershipStatus::Active,
            MembershipStatus::Suspended,
            "not_active",
            "user.suspended",
            "an active member can be suspended",
        )
    } else {
        (
            MembershipStatus::Suspended,
            MembershipStatus::Active,
            "not_suspended",
            "user.reactivated",
            "a suspended member can be reactivated",
        )
    };
    uow.tx().lock_tenant().await?;
    let before = get_member(uow.tx(), user_id).await?;
    if before.status != from {
        return Err(Error::conflict(code, format!("Only {only}; this one is {}.", before.status)));
    }
    if suspended {
        ensure_not_last_admin(&before, active_admins(uow.tx()).await?)?;
    }
    let decided_by = uow.ctx().user_id;
    let after = set_membership(uow.tx(), user_id, before.role, to, decided_by).await?;
    let event = Event::new(action, "user", user_id)
        .changes(serde_json::json!({ "status": { "from": before.status, "to": after.status } }));
    uow.audit(event).await?;
    Ok(after)
}
