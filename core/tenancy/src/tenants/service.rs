//! What platform admins and company admins do to tenants: create one with its first admin,
//! rename/suspend/re-plan it, change its settings.

use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::permissions::Role;
use ils_kernel::{Error, Result};
use ils_outbox::{UnitOfWork, emit_system};
use ils_storage::ids::TenantId;
use ils_storage::{Db, SystemTx};

use super::{FirstAdmin, NewTenant, Tenant, TenantPatch, TenantSettings, store};
use crate::auth::password;
use crate::events::TenantUpdated;
use crate::users::{self, MembershipStatus};

/// Creates a tenant and its first company admin in one transaction (HTTP and CLI share this).
/// An existing account named as admin keeps its password; a new one needs `admin.password`.
pub async fn create_with_admin(
    db: &Db,
    actor: &AuditCtx,
    new: &NewTenant,
    admin: &FirstAdmin,
) -> Result<Tenant> {
    let mut tx = db.system().await?;
    let tenant = store::create(&mut tx, new).await?;
    let user = match users::user_by_email(&mut tx, &admin.email).await? {
        Some(user) => user,
        None => {
            let password = admin.password.as_ref().ok_or_else(|| {
                Error::invalid_field(
                    "admin.password",
                    "is required for a new account (at least 12 characters)",
                )
            })?;
            let hash = password::hash(password).await?;
            users::create_user(&mut tx, &admin.email, &admin.name, &hash, false).await?
        }
    };
    users::insert_membership(&mut tx, tenant.id, user.id, Role::CompanyAdmin, MembershipStatus::Active)
        .await?;
    let event = Event::new("tenant.created", "tenant", tenant.id).changes(serde_json::json!({
        "slug": tenant.slug, "name": tenant.name, "kind": tenant.kind, "plan": tenant.plan, "admin": user.id,
    }));
    audit::record_system(&mut tx, Some(tenant.id), actor, event).await?;
    tx.commit().await?;
    Ok(tenant)
}

/// A platform admin's change to one tenant.
#[derive(Clone, Debug)]
pub struct UpdateTenant {
    /// The tenant changed; unknown ids are `NotFound("tenant")`.
    pub tenant_id: TenantId,
    /// The fields to change (name already checked).
    pub patch: TenantPatch,
}

/// Applies a platform admin's change to a tenant, audits the before/after pairs and tells the
/// tenant ([`TenantUpdated`]). Returns the tenant as it is now. A plan change says nothing to
/// the tenant's plugins here: the host changes plans with `ils_plugin_host::plans::update_tenant`,
/// which calls [`update_tenant_in`] and then applies the new plan to the plugins.
pub async fn update_tenant(db: &Db, actor: &AuditCtx, cmd: UpdateTenant) -> Result<Tenant> {
    let mut tx = db.system().await?;
    let (_, after) = update_tenant_in(&mut tx, actor, cmd).await?;
    tx.commit().await?;
    Ok(after)
}

/// [`update_tenant`] inside the caller's transaction; returns the tenant before and after.
/// The caller commits.
pub async fn update_tenant_in(
    tx: &mut SystemTx,
    actor: &AuditCtx,
    cmd: UpdateTenant,
) -> Result<(Tenant, Tenant)> {
    let UpdateTenant { tenant_id, patch } = cmd;
    let (before, after) = store::update(tx, tenant_id, &patch).await?;
    let event = Event::new("tenant.updated", "tenant", tenant_id).changes(serde_json::json!({
        "name": { "from": before.name, "to": after.name },
        "status": { "from": before.status, "to": after.status },
        "plan": { "from": before.plan, "to": after.plan },
    }));
    audit::record_system(tx, Some(tenant_id), actor, event).await?;
    let updated =
        TenantUpdated { tenant_id, name: after.name.clone(), status: after.status, plan: after.plan.clone() };
    emit_system(tx, tenant_id, &updated).await?;
    Ok((before, after))
}

/// Replaces the unit's tenant's settings and audits what changed; returns the new settings.
/// The caller commits.
pub async fn change_settings(uow: &mut UnitOfWork, new: TenantSettings) -> Result<TenantSettings> {
    let new = new.checked()?;
    let before = store::settings(uow.tx()).await?;
    store::set_settings(uow.tx(), &new).await?;
    let tenant_id = uow.tenant_id();
    let mut changes = serde_json::Map::new();
    let mut change = |key: &str, from: serde_json::Value, to: serde_json::Value| {
        if from != to {
            changes.insert(key.to_owned(), serde_json::json!({ "from": from, "to": to }));
        }
    };
    change("rx_steps", serde_json::json!(before.rx_steps), serde_json::json!(new.rx_steps));
    change("address", serde_json::json!(before.address), serde_json::json!(new.address));
    change("phone", serde_json::json!(before.phone), serde_json::json!(new.phone));
    change("contact_email", serde_json::json!(before.contact_email), serde_json::json!(new.contact_email));
    let event = Event::new("tenant.settings_changed", "tenant", tenant_id).changes(changes.into());
    uow.audit(event).await?;
    Ok(new)
}
