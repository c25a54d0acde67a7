//! What every capability call of one invocation is scoped to, prepared once per call.

use ils_records::{Caller, TenantId};
use ils_registry::PluginId;
use semver::Version;

/// Who an invocation runs for: the tenant, the plugin and its version, and, for HTTP routes,
/// the signed-in user. Built by the host once per invocation from the embedder's
/// [`crate::InvocationContext`] and the plugin's manifest, with typed values, so a service reads
/// them without parsing; the guest can never choose or change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The tenant: every read and write is confined to it.
    pub tenant: TenantId,
    /// The plugin, as its manifest names it.
    pub plugin: PluginId,
    /// The plugin's version, as installed.
    pub version: Version,
    /// The signed-in user, for HTTP routes.
    pub caller: Option<Caller>,
}
