//! The settings of the plugin runtime of one process.

use std::path::PathBuf;
use std::time::Duration;

/// Where plugin packages (manifest and component) are kept: `database` or `dir:PATH` in
/// `ILS_PLUGIN_STORE` (docs/adr/020-packages-in-the-database.md).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PackageStorage {
    /// In the database (`plugin_packages`): every node on the database reads the same packages,
    /// and a package is written before the catalogue names it.
    #[default]
    Database,
    /// In a content-addressed directory (the registry layout, opened with `cap-std`): for a
    /// single node that wants packages as files it can inspect or back up apart, or nodes that
    /// share the directory.
    Dir(PathBuf),
}

impl std::str::FromStr for PackageStorage {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once(':') {
            None if text == "database" => Ok(Self::Database),
            Some(("dir", path)) if !path.is_empty() => Ok(Self::Dir(PathBuf::from(path))),
            _ => Err(format!("{text:?} is not a package store: use `database` or `dir:PATH`")),
        }
    }
}

impl std::fmt::Display for PackageStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Database => f.write_str("database"),
            Self::Dir(path) => write!(f, "dir:{}", path.display()),
        }
    }
}

/// The settings of a process's plugin runtime: where packages and compiled components live,
/// when a plugin's breaker opens, and how much plugin work one node takes on.
#[derive(Clone, Debug)]
pub struct PluginsConfig {
    /// Where packages are kept; every node on one database must name the same store (the
    /// database, the default, needs nothing shared between nodes).
    pub store: PackageStorage,
    /// The registry directory packages were kept in before they moved into the store: a
    /// package the catalogue names and the store lacks is copied from here when it is first
    /// loaded (an upgraded installation keeps working). Read only; need not exist.
    pub dir: PathBuf,
    /// Where compiled components are cached (per node).
    pub cache_dir: PathBuf,
    /// Let plugins call private and loopback addresses (development and tests only).
    pub allow_private_networks: bool,
    /// Names whose outbound HTTP goes to another address, and extra trusted roots (an embedder's
    /// or a test's; not read from the environment).
    pub outbound_overrides: ils_host_api::OutboundOverrides,
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
    /// How often active roll-outs are judged against the previous version (and rolled back when
    /// they do worse); a stage change judges first too.
    pub rollout_check_every: Duration,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        Self {
            store: PackageStorage::Database,
            dir: PathBuf::from("ils-data/plugins"),
            cache_dir: PathBuf::from("ils-data/plugin-cache"),
            allow_private_networks: false,
            outbound_overrides: ils_host_api::OutboundOverrides::default(),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(300),
            max_instances: 128,
            fair: None,
            hooks_per_minute: 600,
            rollout_check_every: Duration::from_secs(15),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_is_named_database_or_dir_with_a_path() {
        assert_eq!("database".parse(), Ok(PackageStorage::Database));
        let dir: PackageStorage = "dir:/var/lib/ils/packages".parse().unwrap();
        assert_eq!(dir, PackageStorage::Dir("/var/lib/ils/packages".into()));
        assert_eq!(dir.to_string(), "dir:/var/lib/ils/packages");
        for bad in ["", "dir:", "s3:bucket", "Database", "directory"] {
            let err = bad.parse::<PackageStorage>().unwrap_err();
            assert!(err.contains("database` or `dir:PATH"), "{bad}: {err}");
        }
    }
}
