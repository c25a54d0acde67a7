//! The plugin runtime of one `ils` process: one [`PluginHost`] (created on first use — the
//! engine reserves address space for its instance pool), the store the packages live in
//! ([`crate::packages`]), the plugin versions loaded so far, and calls made through the circuit
//! breaker.

use std::collections::HashMap;
use std::sync::Arc;

use ils_host_api::metrics::MetricsSink;
use ils_host_api::{
    Caller, EngineConfig, Grants, HostConfig, InvocationContext, InvokeError, PluginEngine, PluginHost,
    PluginVersion, TenantId as HostTenant,
};
use ils_registry::{Capability, Digest, ExtensionPoint, Manifest, PluginId};
use semver::Version;
use tokio::sync::{Mutex, OnceCell};

use crate::PluginsConfig;
use crate::metering::{Exceeded, Metering};
use crate::packages::Packages;
use crate::plans::PlanTerms;
use crate::services::CoreServices;
use crate::store::{self, EnablementRow};
use ils_kernel::error::{Error, PluginFailure, Result};
use ils_kernel::secrets::Sealer;
use ils_storage::Db;
use ils_storage::ids::TenantId;
use ils_storage::types::Timestamp;

/// A tenant's enabled plugin, loaded and ready to call: what [`Plugins::target`] finds and
/// [`Plugins::call`] calls.
#[derive(Clone, Debug)]
pub struct Target {
    /// The tenant it runs for.
    pub tenant: TenantId,
    /// The tenant's plan and what it allows: the limits of each call, the monthly invocations.
    pub plan: PlanTerms,
    /// The tenant's enablement: version, consented capabilities, configuration and breaker.
    pub row: EnablementRow,
    /// The compiled plugin version.
    pub version: PluginVersion,
}

impl Target {
    /// The manifest of the enabled version: what the plugin provides, subscribes to and runs
    /// on a schedule.
    pub fn manifest(&self) -> &Manifest {
        self.version.manifest()
    }
}

/// Why a call to a plugin did not return a result. The job runner tells them apart (a tripped
/// breaker snoozes a delivery, a retryable failure retries it); [`plugin_error`] turns one into
/// the domain error a request answers with.
#[derive(Debug)]
pub enum CallError {
    /// The breaker is open.
    Tripped {
        /// When the breaker lets a trial call through.
        until: Timestamp,
        /// The failure that opened it, in words.
        last_error: Option<String>,
    },
    /// The invocation failed.
    Failed(InvokeError),
    /// The (tenant, plugin) used its invocations of the month; the plugin was not called.
    QuotaExceeded(Exceeded),
    /// The host's own storage failed.
    Host(Error),
}

impl From<Error> for CallError {
    fn from(e: Error) -> Self {
        Self::Host(e)
    }
}

impl From<ils_storage::DbError> for CallError {
    fn from(e: ils_storage::DbError) -> Self {
        Self::Host(e.into())
    }
}

/// Whether a failure is the plugin's fault (and counts towards its breaker).
fn counts_against_plugin(e: &InvokeError) -> bool {
    matches!(e, InvokeError::Trap(_) | InvokeError::LimitExceeded(_) | InvokeError::Plugin { .. })
}

/// One (tenant, plugin)'s turn to handle an event or a scheduled job.
type Turn = Arc<Mutex<()>>;

/// The turn of each (tenant, plugin) with a delivery or job running or waiting on this node.
/// Idle ones are dropped once the map has doubled since the last sweep, so it stays as large
/// as the busiest moment, not as the number of tenants ever served.
#[derive(Default)]
struct Turns {
    map: HashMap<(TenantId, String), Turn>,
    sweep_at: usize,
}

impl Turns {
    const MIN_SWEEP: usize = 1_024;

    fn prune(&mut self) {
        if self.map.len() < self.sweep_at.max(Self::MIN_SWEEP) {
            return;
        }
        // Nobody holds or waits for a turn whose only reference is the map's.
        self.map.retain(|_, turn| Arc::strong_count(turn) > 1);
        self.sweep_at = self.map.len() * 2;
    }
}

/// Plugins for this process.
pub struct Plugins {
    config: PluginsConfig,
    db: Db,
    services: ils_host_api::services::HostServices,
    metrics: Arc<dyn MetricsSink>,
    metering: Arc<Metering>,
    host: OnceCell<PluginHost>,
    packages: OnceCell<Packages>,
    loaded: std::sync::Mutex<HashMap<(String, String), PluginVersion>>,
    compiling: Mutex<()>,
    manifests: std::sync::Mutex<HashMap<(String, String), Arc<Manifest>>>,
    turns: std::sync::Mutex<Turns>,
    hooks: governor::DefaultKeyedRateLimiter<(TenantId, String)>,
}

impl std::fmt::Debug for Plugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugins").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Plugins {
    /// Plugins over `db`; secrets are opened with `sealer`, a report of every invocation goes to
    /// `metrics` (and to this node's [`Metering`]), and `core` provides files and e-mail.
    pub fn new(
        db: Db,
        sealer: Sealer,
        metrics: Arc<dyn MetricsSink>,
        config: PluginsConfig,
        core: CoreServices,
    ) -> Self {
        let services = crate::services::host_services(db.clone(), sealer, metrics.clone(), core);
        let metering = Arc::new(Metering::new(db.clone(), metrics.clone()));
        Self {
            db,
            services,
            metrics,
            metering,
            host: OnceCell::new(),
            packages: OnceCell::new(),
            loaded: std::sync::Mutex::new(HashMap::new()),
            compiling: Mutex::new(()),
            manifests: std::sync::Mutex::new(HashMap::new()),
            turns: std::sync::Mutex::new(Turns::default()),
            hooks: governor::RateLimiter::keyed(governor::Quota::per_minute(
                std::num::NonZeroU32::new(config.hooks_per_minute).unwrap_or(std::num::NonZeroU32::MIN),
            )),
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &PluginsConfig {
        &self.config
    }

    /// The services plugins call, as the host hands them over: for the reports' runs (which
    /// store their files and send their mail through them) and for tools and tests that act as
    /// a plugin would, with a [`ils_host_api::Scope`] of their own.
    pub fn services(&self) -> &ils_host_api::services::HostServices {
        &self.services
    }

    /// This node's metering: flush it before reading usage, run it in the background, flush it
    /// at shutdown.
    pub fn metering(&self) -> &Arc<Metering> {
        &self.metering
    }

    /// The plugin host, created on first use.
    pub async fn host(&self) -> Result<&PluginHost> {
        self.host
            .get_or_try_init(|| async {
                let mut engine = EngineConfig::with_instances(self.config.max_instances);
                if let Some(fair) = self.config.fair {
                    engine.fair = fair;
                }
                let engine = PluginEngine::new(engine).map_err(|e| Error::Internal(e.to_string()))?;
                let config = HostConfig {
                    cache_dir: self.config.cache_dir.clone(),
                    allow_private_networks: self.config.allow_private_networks,
                };
                let host = PluginHost::new(engine, self.services.clone(), config)
                    .and_then(|h| h.with_outbound_overrides(self.config.outbound_overrides.clone()))
                    .map_err(|e| Error::Internal(e.to_string()))?;
                Ok(host.with_metrics(self.metering.clone()))
            })
            .await
    }

    /// The package store, opened on first use.
    pub(crate) async fn package_source(&self) -> Result<&Packages> {
        self.packages.get_or_try_init(|| async { Packages::open(&self.db, &self.config) }).await
    }

    /// A plugin version from the package store, compiled into this node's cache and pre-linked
    /// (once per process). Refuses (`plugin_unloadable`, a 503) a package whose bytes are not the
    /// ones the catalogue names by `digest`, or that this node cannot compile.
    ///
    /// Enabling a plugin loads it first, so a version this node cannot run is refused then.
    pub async fn load(&self, plugin: &str, version: &str, digest: &str) -> Result<PluginVersion> {
        let key = (plugin.to_owned(), version.to_owned());
        if let Some(v) = self.loaded_version(&key) {
            return Ok(v);
        }
        // One compilation at a time; whoever waited finds the result.
        let _compiling = self.compiling.lock().await;
        if let Some(v) = self.loaded_version(&key) {
            return Ok(v);
        }
        // Not the database's fault: its own code, so the answer does not blame the database.
        let unavailable = |why: String| {
            tracing::error!(plugin, version, %why, "plugin version cannot be loaded");
            Error::Plugin {
                failure: PluginFailure::Unavailable,
                code: "plugin_unloadable",
                message: format!("{plugin} {version} cannot be loaded on this server: {why}"),
                retry_after: None,
            }
        };
        let id = PluginId::new(plugin).map_err(|e| unavailable(e.to_string()))?;
        let semver = Version::parse(version).map_err(|e| unavailable(e.to_string()))?;
        let digest = Digest::try_from(format!("sha256:{digest}")).map_err(unavailable)?;
        let files = self.package_source().await?.fetch(&id, &semver, &digest).await.map_err(unavailable)?;
        let manifest = Manifest::from_toml(&files.manifest_text).map_err(|e| unavailable(e.to_string()))?;
        let compiled = self
            .host()
            .await?
            .install(&files.component, manifest)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, compiled.clone());
        Ok(compiled)
    }

    /// The manifest of a catalogue version (parsed once per process); `None` when the version
    /// is not in the catalogue.
    pub async fn manifest(
        &self,
        conn: &mut ils_storage::Conn,
        plugin: &str,
        version: &str,
    ) -> Result<Option<Arc<Manifest>>> {
        let key = (plugin.to_owned(), version.to_owned());
        if let Some(m) = self.manifests.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key) {
            return Ok(Some(m.clone()));
        }
        let Some(row) = store::catalogue_of(conn, plugin).await?.into_iter().find(|r| r.version == version)
        else {
            return Ok(None);
        };
        let manifest = Arc::new(
            Manifest::from_toml(&row.manifest)
                .map_err(|e| Error::Internal(format!("catalogue manifest: {e}")))?,
        );
        self.manifests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, manifest.clone());
        Ok(Some(manifest))
    }

    /// Waits for this (tenant, plugin)'s turn: event deliveries and scheduled jobs of one tenant's
    /// plugin run one at a time on a node, so a plugin updating kv from events does not race
    /// itself (kv has no compare-and-set yet: wit/PENDING.md). Routes are not serialised.
    pub async fn turn(&self, tenant: TenantId, plugin: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut turns = self.turns.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            turns.prune();
            turns.map.entry((tenant, plugin.to_owned())).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// Takes one call for the inbound webhook receiver of `tenant`'s `plugin`, or refuses it
    /// (`rate_limited`, with the seconds to wait) beyond
    /// [`hooks_per_minute`](PluginsConfig::hooks_per_minute) on this node.
    pub fn hook_call(&self, tenant: TenantId, plugin: &str) -> Result<()> {
        use governor::clock::{Clock as _, DefaultClock};
        if self.hooks.len() > 100_000 {
            self.hooks.retain_recent();
        }
        self.hooks.check_key(&(tenant, plugin.to_owned())).map_err(|not_until| Error::RateLimited {
            code: "rate_limited",
            message: "Too many calls to this webhook receiver; slow down and retry.".to_owned(),
            retry_after: not_until.wait_time_from(DefaultClock::default().now()).as_secs().max(1),
        })
    }

    /// Drops the compiled versions no enabled tenant runs and no call holds (after tenants
    /// move to another version: a hot swap). A call in flight keeps its version alive until it
    /// returns, so moving tenants never fails a call; the next sweep drops what is left.
    /// Returns how many were dropped.
    pub async fn sweep(&self) -> Result<usize> {
        let mut tx = self.db.system_read().await?;
        let in_use: std::collections::HashSet<(String, String)> =
            store::versions_in_use(tx.conn()).await?.into_iter().collect();
        tx.commit().await?;
        let mut loaded = self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = loaded.len();
        loaded.retain(|key, version| {
            let keep = in_use.contains(key) || version.handles() > 1;
            if !keep {
                tracing::info!(plugin = %key.0, version = %key.1, "compiled plugin version dropped: no tenant runs it");
            }
            keep
        });
        Ok(before - loaded.len())
    }

    /// The versions compiled and kept on this node, as (plugin, version), sorted.
    pub fn loaded_versions(&self) -> Vec<(String, String)> {
        let mut out: Vec<_> =
            self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).keys().cloned().collect();
        out.sort();
        out
    }

    fn loaded_version(&self, key: &(String, String)) -> Option<PluginVersion> {
        self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).cloned()
    }

    /// Loads every version an enabled tenant runs (start-up), so their first call does not
    /// compile. Returns how many were loaded; versions that fail are logged and skipped.
    pub async fn preload(&self) -> Result<usize> {
        let mut tx = self.db.system_read().await?;
        let in_use: std::collections::HashSet<(String, String)> =
            store::versions_in_use(tx.conn()).await?.into_iter().collect();
        let rows = store::catalogue_all(tx.conn()).await?;
        tx.commit().await?;
        let mut n = 0;
        for row in rows.into_iter().filter(|r| in_use.contains(&(r.plugin_id.clone(), r.version.clone()))) {
            match self.load(&row.plugin_id, &row.version, &row.digest).await {
                Ok(_) => n += 1,
                Err(error) => {
                    tracing::warn!(plugin = %row.plugin_id, version = %row.version, %error, "plugin not loaded")
                }
            }
        }
        Ok(n)
    }

    /// The tenant's enabled plugin `plugin`, loaded; `None` when it is not enabled.
    pub async fn target(&self, tenant: TenantId, plugin: &str) -> Result<Option<Target>> {
        let mut tx = self.db.tenant_read(tenant).await?;
        let found = store::enabled_target(&mut tx, plugin).await?;
        tx.commit().await?;
        let Some(store::TargetRow { enablement: row, digest, plan }) = found else { return Ok(None) };
        let version = self.load(plugin, &row.version, &digest).await?;
        Ok(Some(Target { tenant, plan, row, version }))
    }

    /// The tenant's first enabled plugin (by id) that provides `point`, loaded: the one that
    /// answers for the practice where one answer is wanted (its SMS provider, its recall advisor).
    pub async fn first_providing(&self, tenant: TenantId, point: ExtensionPoint) -> Result<Option<Target>> {
        let mut tx = self.db.tenant_read(tenant).await?;
        let rows = store::enablements(&mut tx).await?;
        tx.commit().await?;
        for row in rows.into_iter().filter(|r| r.enabled) {
            if let Some(target) = self.target(tenant, &row.plugin_id).await?
                && target.manifest().provides.contains(&point)
            {
                return Ok(Some(target));
            }
        }
        Ok(None)
    }

    /// The tenant's enabled plugin `plugin`, loaded; otherwise why there is none to call:
    /// `plugin_not_installed` when no version of it is on this server, `plugin_not_enabled`
    /// when the tenant has not enabled it (both 404 over HTTP).
    pub async fn enabled(&self, tenant: TenantId, plugin: &str) -> Result<Target> {
        if let Some(target) = self.target(tenant, plugin).await? {
            return Ok(target);
        }
        let mut tx = self.db.system_read().await?;
        let installed = !store::catalogue_of(tx.conn(), plugin).await?.is_empty();
        tx.commit().await?;
        Err(if installed { not_enabled(plugin) } else { not_installed(plugin) })
    }

    /// Who a call runs for and what it may do: the consented capabilities (the host also keeps
    /// them within the manifest's), the plan's limits, and the caller.
    fn context(&self, target: &Target, caller: Option<Caller>) -> InvocationContext {
        let grants: Grants = target
            .row
            .capabilities
            .split_whitespace()
            .filter_map(|name| Capability::ALL.into_iter().find(|c| c.as_str() == name))
            .collect();
        let ctx = InvocationContext::new(HostTenant::from(target.tenant.as_uuid()))
            .with_grants(grants)
            .with_limits(target.plan.limits());
        match caller {
            Some(caller) => ctx.with_caller(caller),
            None => ctx,
        }
    }

    /// Calls the plugin through its breaker: refused while the breaker is open, or when the
    /// tenant's plugin used its invocations of the month; a failure that is the plugin's fault is
    /// counted (and opens the breaker at the threshold); a success closes it.
    pub async fn call<T, F, Fut>(&self, target: &Target, caller: Option<Caller>, f: F) -> Result<T, CallError>
    where
        F: FnOnce(PluginHost, PluginVersion, InvocationContext) -> Fut,
        Fut: Future<Output = Result<T, InvokeError>>,
    {
        let now = Timestamp::now();
        if let Some(until) = target.row.tripped_until.filter(|until| *until > now) {
            return Err(CallError::Tripped { until, last_error: target.row.last_error.clone() });
        }
        let plugin = target.row.plugin_id.as_str();
        // Counted as in flight until the call ends, by when its report is recorded.
        let _reserved = match self
            .metering
            .reserve(target.tenant, plugin, target.plan.figures.invocations_per_month)
            .await?
        {
            Ok(reserved) => reserved,
            Err(exceeded) => {
                self.metrics.quota_refused(&target.manifest().id, "invocations_per_month");
                return Err(CallError::QuotaExceeded(exceeded));
            }
        };
        let host = self.host().await?.clone();
        let admission =
            host.admit(HostTenant::from(target.tenant.as_uuid()), plugin).await.map_err(CallError::Failed)?;
        if admission.waited() {
            // Calls that queued for their share look at the breaker again: failures of the calls
            // they waited for may have opened it (ADR 018).
            let mut tx = self.db.tenant_read(target.tenant).await?;
            let row = store::enablement(&mut tx, plugin).await?;
            tx.commit().await?;
            if let Some(row) = row
                && let Some(until) = row.tripped_until.filter(|until| *until > Timestamp::now())
            {
                return Err(CallError::Tripped { until, last_error: row.last_error });
            }
        }
        // The place is held until the outcome is recorded, so a call queued behind this one sees
        // the breaker this one's failure opens.
        let admission = Arc::new(admission);
        let mut ctx = self.context(target, caller);
        ctx.admission = Some(admission.clone());
        let outcome = f(host, target.version.clone(), ctx).await;
        match &outcome {
            Ok(_) if target.row.failures > 0 || target.row.tripped_until.is_some() => {
                let mut tx = self.db.tenant(target.tenant).await?;
                store::record_success(&mut tx, plugin).await?;
                tx.commit().await?;
            }
            Err(e) if counts_against_plugin(e) => {
                let until = Timestamp::now().plus(self.config.breaker_cooldown);
                let mut tx = self.db.tenant(target.tenant).await?;
                let tripped = store::record_failure(
                    &mut tx,
                    plugin,
                    &e.to_string(),
                    self.config.breaker_threshold,
                    until,
                )
                .await?;
                tx.commit().await?;
                if tripped {
                    self.metering.tripped(plugin, &target.row.version);
                }
                tracing::warn!(tenant = %target.tenant, plugin, error = %e, "plugin invocation failed");
            }
            _ => {}
        }
        drop(admission);
        outcome.map_err(CallError::Failed)
    }
}

/// The domain error for a failed call of `plugin`: paused by its breaker, the host at capacity,
/// not provided, or the plugin's own failure (each a `PluginFailure` the HTTP layer maps).
pub fn plugin_error(plugin: &str, e: CallError) -> Error {
    match e {
        CallError::Tripped { until, last_error } => Error::Plugin {
            failure: PluginFailure::Unavailable,
            code: "plugin_tripped",
            message: format!(
                "{plugin} kept failing, so it is paused until {until}{}. A company admin can reset it.",
                last_error.map(|e| format!(" (last error: {e})")).unwrap_or_default()
            ),
            retry_after: Some(
                u64::try_from(until.unix_seconds() - Timestamp::now().unix_seconds()).unwrap_or(1).max(1),
            ),
        },
        CallError::Failed(InvokeError::Busy) => Error::Plugin {
            failure: PluginFailure::Unavailable,
            code: "plugin_busy",
            message: "The plugin host is at capacity; try again shortly.".into(),
            retry_after: Some(1),
        },
        CallError::Failed(InvokeError::NotProvided(point)) => {
            let point = serde_json::to_value(point)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            Error::Plugin {
                failure: PluginFailure::Missing,
                code: "not_provided",
                message: format!("{plugin} does not provide {point}."),
                retry_after: None,
            }
        }
        CallError::Failed(e @ (InvokeError::Host(_) | InvokeError::NotSubscribed(_))) => {
            Error::Internal(e.to_string())
        }
        CallError::Failed(e) => Error::Plugin {
            failure: PluginFailure::Failed,
            code: "plugin_failed",
            message: format!("{plugin} failed: {e}."),
            retry_after: None,
        },
        CallError::QuotaExceeded(exceeded) => Error::QuotaExceeded {
            message: format!(
                "{plugin} was called {} times this month, its quota of {} invocations; calls start again at {}.",
                exceeded.used, exceeded.quota, exceeded.reset_at
            ),
            reset_at: exceeded.reset_at,
        },
        CallError::Host(e) => e,
    }
}

/// The error for a plugin no version of which is installed on this server (a 404 over HTTP).
pub fn not_installed(plugin: &str) -> Error {
    Error::Plugin {
        failure: PluginFailure::Missing,
        code: "plugin_not_installed",
        message: format!("No plugin called {plugin} is installed on this server."),
        retry_after: None,
    }
}

/// The error for a plugin the tenant has not enabled (a 404 over HTTP).
pub fn not_enabled(plugin: &str) -> Error {
    Error::Plugin {
        failure: PluginFailure::Missing,
        code: "plugin_not_enabled",
        message: format!("The plugin {plugin} is not enabled for this tenant."),
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::from(uuid::Uuid::now_v7())
    }

    #[test]
    fn idle_turns_are_dropped_once_the_map_has_grown_and_held_ones_kept() {
        let mut turns = Turns::default();
        let held_key = (tenant(), "notes".to_owned());
        let held = turns.map.entry(held_key.clone()).or_default().clone();
        for _ in 0..Turns::MIN_SWEEP {
            turns.map.entry((tenant(), "notes".to_owned())).or_default();
        }
        turns.prune();
        assert_eq!(turns.map.len(), 1, "only the held turn is left");
        assert!(Arc::ptr_eq(&turns.map[&held_key], &held), "the held turn is the same lock");
        // Below the next sweep point nothing is dropped: no sweep on every call.
        turns.map.entry((tenant(), "notes".to_owned())).or_default();
        turns.prune();
        assert_eq!(turns.map.len(), 2);
    }
}
