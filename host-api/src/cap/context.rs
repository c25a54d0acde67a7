//! `context`: tenant, plugin and caller of the invocation. Always granted.

use std::sync::Arc;

use crate::state::Invocation;
use ils_records::Caller;

pub(crate) struct ContextCap {
    pub(crate) inv: Arc<Invocation>,
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
}
