//! Who an invocation runs for: the tenant, the plugin and, for HTTP routes, the signed-in user.

use std::fmt;
use std::sync::Arc;

use ils_registry::PluginId;
use semver::Version;

/// A tenant's id as the embedder knows it (opaque to the host; core uses its UUIDs).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenantId(Arc<str>);

impl TenantId {
    /// Wraps the embedder's tenant id.
    pub fn new(id: impl AsRef<str>) -> Self {
        Self(Arc::from(id.as_ref()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A signed-in user on whose behalf a plugin runs (HTTP routes only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user's id.
    pub user_id: String,
    /// The user's roles in the tenant.
    pub roles: Vec<String>,
}

/// What every capability call is scoped to. Built by the host for each invocation from the
/// embedder's [`crate::InvocationContext`]; the guest can never choose or change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The tenant.
    pub tenant: TenantId,
    /// The plugin.
    pub plugin: PluginId,
    /// The plugin's version.
    pub version: Version,
    /// The signed-in user, for HTTP routes.
    pub caller: Option<Caller>,
}

impl From<&str> for TenantId {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}
