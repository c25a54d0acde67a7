//! The settings of the plugin runtime of one process.

use std::path::PathBuf;
use std::time::Duration;

/// The settings of a process's plugin runtime: where packages and compiled components live,
/// when a plugin's breaker opens, and how much plugin work one node takes on.
#[derive(Clone, Debug)]
pub struct PluginsConfig {
    /// The registry: where installed packages are kept (content-addressed). Nodes sharing a
    /// database must share this directory.
    pub dir: PathBuf,
    /// Where compiled components are cached (per node).
    pub cache_dir: PathBuf,
    /// Let plugins call private and loopback addresses (development and tests only).
    pub allow_private_networks: bool,
    /// Consecutive failed invocations that open a plugin's circuit breaker for a tenant.
    pub breaker_threshold: u32,
    /// How long an open breaker refuses calls before one trial call is let through.
    pub breaker_cooldown: Duration,
    /// Plugin instances alive at once in this process.
    pub max_instances: u32,
    /// How the engine is shared between tenants (ADR 018); `None` sizes the shares to
    /// `max_instances` and this machine's cores.
    pub fair: Option<ils_host_api::FairConfig>,
    /// Calls per minute one tenant's inbound webhook receiver (`/hooks/{tenant}/{plugin}`) takes
    /// on this node; more answer 429 with `Retry-After`. The receiver is public: this bounds the
    /// plugin work anyone on the internet can cause.
    pub hooks_per_minute: u32,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("ils-data/plugins"),
            cache_dir: PathBuf::from("ils-data/plugin-cache"),
            allow_private_networks: false,
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(300),
            max_instances: 128,
            fair: None,
            hooks_per_minute: 600,
        }
    }
}
