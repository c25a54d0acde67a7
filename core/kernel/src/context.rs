//! Who acts, for which tenant: what every domain service needs besides its command.

use ils_storage::ids::{TenantId, UserId};

use crate::audit::AuditCtx;
use crate::permissions::Role;

/// An authorised caller acting for one tenant. The HTTP layer builds it from a session or an API
/// key after checking the permission; the plugin runtime builds it for a plugin acting for a user
/// or on its own.
#[derive(Clone, Debug)]
pub struct TenantCtx {
    /// The tenant acted for.
    pub tenant_id: TenantId,
    /// The acting user, if a user (not an API key, not the system).
    pub user_id: Option<UserId>,
    /// Who to record in the audit log.
    pub audit: AuditCtx,
    /// The acting user's role; `None` for an API key (which acts within its scopes).
    pub role: Option<Role>,
}

impl TenantCtx {
    /// ILS itself acting for `tenant_id` (a job, or one tenant's act recorded in another's
    /// records): no user, no role, audited as the system.
    pub fn system(tenant_id: TenantId) -> Self {
        TenantCtx { tenant_id, user_id: None, audit: AuditCtx::system(), role: None }
    }
}
