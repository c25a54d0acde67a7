//! `context`: tenant, plugin, caller and clock of the invocation. Always granted.

use std::sync::Arc;

use ils_records::{Caller, Tenant};

use super::CapResult;
use crate::services::TenantDirectory;
use crate::state::Invocation;

pub(crate) struct ContextCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) tenants: Arc<dyn TenantDirectory>,
}

impl ContextCap {
    pub(crate) fn tenant_id(&self) -> String {
        self.inv.scope.tenant.to_string()
    }

    pub(crate) fn plugin_id(&self) -> String {
        self.inv.scope.plugin.to_string()
    }

    pub(crate) fn caller(&self) -> Option<Caller> {
        self.inv.scope.caller.clone()
    }

    /// The invocation's time, fixed when it started.
    pub(crate) fn now_ms(&self) -> i64 {
        self.inv.now_ms
    }

    pub(crate) async fn tenant(&self) -> CapResult<Tenant> {
        match self.tenants.tenant(&self.inv.scope).await {
            Ok(t) => {
                self.inv.charge(64 + t.name.len())?;
                Ok(Ok(t))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }
}
