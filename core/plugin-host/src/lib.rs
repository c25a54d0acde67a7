//! # ILS plugins per tenant
//!
//! The catalogue of plugin versions this installation offers, and for each tenant the version it
//! enabled (with the capabilities a tenant admin consented to), its configuration (validated
//! against the manifest's schema), its secrets (sealed at rest, never returned), its key-value
//! data, and a circuit breaker. Plugins run in [`ils_host_api`]; this crate is the host's side of
//! it: [`packages`] keeps the packages (in the database, so every node reads them), [`Plugins`]
//! checks and stores them, loads them, gives them the host's services backed by the
//! database, and calls them through their breaker ([`invoke`]); [`catalogue`] adds packages and
//! shows the catalogue to a tenant; [`quota`] bounds what each tenant's plugin keeps and does,
//! [`metering`] counts what it costs per day; [`store`] holds the rows.
//!
//! The crate knows no HTTP: `ils-core` mounts a plugin's routes under `/api/v1/plugins/{plugin}/…`
//! and its inbound webhooks under `/api/v1/hooks/{tenant}/{plugin}/…`, delivers the events plugins
//! subscribe to through the job queue and runs their schedules, calling the functions here. See
//! docs/adr/011-plugins-per-tenant.md.
//!
//! ```
//! use std::time::Duration;
//! use ils_plugin_host::plans::{Figures, PlanSlug, PlanTerms};
//! use ils_plugin_host::quota::Quotas;
//!
//! // A plan is data (docs/adr/025); its row sets each call's limits and each plugin's quotas.
//! let figures = Figures {
//!     timeout_ms: 10_000,
//!     memory_bytes: 64 << 20,
//!     kv_bytes: 100 << 20,
//!     kv_keys: 100_000,
//!     events_per_minute: 3_000,
//!     invocations_per_month: 100_000,
//! };
//! let pro = PlanTerms { plan: PlanSlug::parse("pro").unwrap(), figures };
//! assert_eq!(pro.limits().timeout, Duration::from_secs(10));
//! assert_eq!(Quotas::of_plan(&pro).invocations_per_month, 100_000);
//! ```

mod calendar;
pub mod catalogue;
mod config;
pub mod invoke;
pub mod metering;
pub mod packages;
pub mod plans;
pub mod quota;
pub mod recommend;
pub mod reports;
pub mod runtime;
mod services;
pub mod sms;
pub mod store;

use std::collections::BTreeSet;

use ils_registry::{Capability, Manifest};
use serde::Serialize;

use ils_storage::types::Timestamp;
use ils_tenancy::tenants::PlanSlug;

pub use config::{PackageStorage, PluginsConfig};
pub use packages::{PackageStore, Stored};
pub use runtime::Plugins;
pub use services::CoreServices;
/// How a plugin's calls are audited and its services' errors shown to it, for the services the
/// composition root provides ([`CoreServices`]).
pub use services::{actor as plugin_audit_actor, service_error};

/// One version of a plugin in the catalogue, as tenants see it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionInfo {
    /// Semantic version.
    pub version: String,
    /// What it provides (`event-handler`, `http`, `equipment-driver`, …).
    pub provides: Vec<String>,
    /// The capabilities it asks for; a tenant admin consents to all of them when enabling it.
    pub capabilities: Vec<String>,
    /// Hosts it may call, when it asks for `http-outbound` (`{config.KEY}` is filled from the
    /// tenant's configuration).
    pub outbound_hosts: Vec<String>,
    /// Events it subscribes to.
    pub events: Vec<String>,
    /// Its scheduled jobs: name and cron expression.
    pub schedules: Vec<ScheduleInfo>,
    /// The pages it adds to the console.
    pub pages: Vec<PageInfo>,
    /// The JSON Schema of its tenant configuration.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub config_schema: serde_json::Value,
    /// The plan a platform admin approved it from (the review's record): approving included the
    /// plugin in that plan and every plan above it. Whether a tenant may enable it is its
    /// plan's inclusion of the plugin (`available`), not this.
    pub min_plan: PlanSlug,
    /// SHA-256 of the package (its descriptor), as the registry names it.
    pub digest: String,
    /// Why it was yanked, if it was: a yanked version is offered to no one new.
    pub yanked: Option<String>,
}

/// A page a plugin adds to the console, rendered by one of its routes in a sandboxed frame.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageInfo {
    /// Its title.
    pub title: String,
    /// The plugin route that renders it, from `/`.
    pub path: String,
    /// The roles that see it; empty for all of the tenant's staff.
    pub roles: Vec<String>,
    /// The buttons the console shows above it (ADR 031).
    pub actions: Vec<PageActionInfo>,
}

/// A button on a plugin page: the console POSTs to the plugin route as the person pressing it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageActionInfo {
    /// The button's text.
    pub label: String,
    /// The plugin route it POSTs to, from `/`.
    pub path: String,
    /// The roles that see and may press it; empty for everyone who sees the page.
    pub roles: Vec<String>,
}

/// A scheduled job a plugin declares.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleInfo {
    /// Its name.
    pub name: String,
    /// When it runs (cron, UTC).
    pub cron: String,
}

/// A plugin in the catalogue as platform admins see it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformEntry {
    /// The plugin's id.
    pub id: String,
    /// Its name (the newest version's).
    pub name: String,
    /// Who publishes it.
    pub publisher: String,
    /// What it does.
    pub description: String,
    /// Every version in the catalogue, newest first.
    pub versions: Vec<VersionInfo>,
    /// How many tenants have it enabled.
    pub tenants_enabled: u32,
}

/// A plugin in the catalogue, with the tenant's enablement of it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogueEntry {
    /// The plugin's id.
    pub id: String,
    /// Display name (of the newest version).
    pub name: String,
    /// What it does.
    pub description: String,
    /// Who publishes it.
    pub publisher: String,
    /// Whether the tenant's plan includes the plugin (and a version is on offer): whether the
    /// tenant may enable it.
    pub available: bool,
    /// Its versions, newest first.
    pub versions: Vec<VersionInfo>,
    /// The tenant's enablement, if it ever enabled the plugin.
    pub enablement: Option<Enablement>,
}

/// A tenant's enablement of a plugin.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enablement {
    /// The plugin.
    pub plugin_id: String,
    /// The version the tenant runs.
    pub version: String,
    /// The semver range it follows (`^1.2`): a platform roll-out of a newer version in the
    /// range moves it there when the version asks for no capability beyond its consent. `None`:
    /// pinned to `version`.
    pub track: Option<String>,
    /// Why that version was yanked by its publisher or a platform admin, if it was: it keeps
    /// running, but the tenant should move to another version.
    pub yanked: Option<String>,
    /// False once disabled (configuration, secrets and data are kept for a re-enable).
    pub enabled: bool,
    /// True when the tenant's plan stopped including the plugin and disabled it: it is enabled
    /// again, as it was, when the tenant's plan includes it again.
    pub disabled_by_plan: bool,
    /// The capabilities a tenant admin consented to.
    pub capabilities: Vec<String>,
    /// When it was (last) enabled.
    pub enabled_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// The circuit breaker.
    pub breaker: Breaker,
}

/// The circuit breaker of one (tenant, plugin): after repeated failures the host stops calling
/// the plugin for a while, then tries once more.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Breaker {
    /// `closed` (calls go through), `open` (calls refused until `open_until`) or `half_open`
    /// (the next call is a trial: success closes it, failure opens it again).
    pub state: BreakerState,
    /// Consecutive failed invocations.
    pub failures: u32,
    /// Until when calls are refused.
    pub open_until: Option<Timestamp>,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// When it happened.
    pub last_error_at: Option<Timestamp>,
}

/// A circuit breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused.
    Open,
    /// The next call is a trial.
    HalfOpen,
}

impl Breaker {
    fn at(now: Timestamp, open_until: Option<Timestamp>) -> BreakerState {
        match open_until {
            Some(until) if until > now => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
            None => BreakerState::Closed,
        }
    }
}

/// The names of a set of capabilities, sorted.
fn capability_names(set: &BTreeSet<Capability>) -> Vec<String> {
    set.iter().map(|c| c.as_str().to_owned()).collect()
}

fn version_info(manifest: &Manifest, row: &store::CatalogueRow) -> VersionInfo {
    let named = |v: &serde_json::Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    VersionInfo {
        version: manifest.version.to_string(),
        provides: manifest
            .provides
            .iter()
            .map(|p| named(&serde_json::to_value(p).unwrap_or_default()))
            .collect(),
        capabilities: capability_names(&manifest.capabilities),
        outbound_hosts: manifest.outbound_hosts.iter().map(ToString::to_string).collect(),
        events: manifest.events.clone(),
        schedules: manifest
            .schedules
            .iter()
            .map(|s| ScheduleInfo { name: s.name.clone(), cron: s.cron.clone() })
            .collect(),
        pages: manifest
            .pages
            .iter()
            .map(|p| PageInfo {
                title: p.title.clone(),
                path: p.path.clone(),
                roles: p.roles.clone(),
                actions: p
                    .actions
                    .iter()
                    .map(|a| PageActionInfo {
                        label: a.label.clone(),
                        path: a.path.clone(),
                        roles: a.roles.clone(),
                    })
                    .collect(),
            })
            .collect(),
        config_schema: manifest.config_schema.clone(),
        min_plan: row.min_plan.clone(),
        digest: row.digest.clone(),
        yanked: row.yanked_at.map(|_| row.yank_reason.clone().unwrap_or_default()),
    }
}
