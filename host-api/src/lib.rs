//! The ILS plugin host: runs plugins — WebAssembly components built for `wasm32-wasip2`
//! against the `ils:platform` WIT package — for a tenant, in a sandbox with limits.
//!
//! - [`PluginEngine`]: one wasmtime engine per process, with the pooling allocator and epoch
//!   interruption (a thread ticks the epoch).
//! - [`PluginHost::install`]: compiles a component (cached on disk by content hash and engine
//!   compatibility), refuses it if it imports anything its manifest does not declare or targets
//!   an `ils:platform` version this host does not run, and pre-links it ([`PluginVersion`]).
//! - [`PluginHost::invoke_event`], [`PluginHost::handle_http`], [`PluginHost::run_job`], …:
//!   each call gets a fresh `Store` with the tenant, the plugin, its grants, its configuration
//!   and the caller; a wall-clock deadline; memory, table, resource and host-allocation caps;
//!   bounded input and output. A denied capability is an error the plugin sees; a breached
//!   limit stops the plugin ([`InvokeError::LimitExceeded`]); neither affects the host.
//! - The embedder (ILS core) provides the capabilities through the traits in [`services`]
//!   (no database types here); [`fakes::FakeServices`] fakes them all for tests.
//! - What crosses the boundary is typed, and defined once for host and plugins in
//!   [`ils_records`]: the tenant is a [`TenantId`] (a UUID), the plugin a registry `PluginId`,
//!   its version a `semver::Version`; the host builds each invocation's [`Scope`] from them once,
//!   so a service never parses text to learn who is calling.
//!
//! ```no_run
//! use ils_host_api::fakes::FakeServices;
//! use ils_host_api::{Event, Grants, HostConfig, InvocationContext, PluginEngine, PluginHost, TenantId};
//! use ils_registry::Manifest;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = PluginEngine::new(Default::default())?;
//! let config = HostConfig { cache_dir: "/var/cache/ils/plugins".into(), allow_private_networks: false };
//! let host = PluginHost::new(engine, FakeServices::new().services(), config)?;
//!
//! let manifest = Manifest::from_toml(&std::fs::read_to_string("ils-plugin.toml")?)?;
//! let plugin = host.install(&std::fs::read("order_notes.wasm")?, manifest).await?;
//!
//! let ctx = InvocationContext::new(TenantId::new()).with_grants(Grants::all());
//! let event = Event { id: "ev-1".into(), kind: "order.created".into(), occurred_at_ms: 0,
//!                     payload: r#"{"order_id":"o-1"}"#.into() };
//! host.invoke_event(&plugin, ctx, event).await?;
//! # Ok(()) }
//! ```

mod answer;
mod bindings;
mod cache;
mod call;
mod cap;
pub mod engine;
pub mod error;
pub mod fair;
pub mod fakes;
pub mod host;
mod inspect;
pub mod limits;
pub mod metrics;
pub mod net;
mod scope;
pub mod services;
mod state;

pub use call::SessionCall;
pub use cap::http::OutboundOverrides;
pub use cap::progress::ProgressSink;
pub use engine::{EngineConfig, PluginEngine};
pub use error::{GuestError, HostError, InstallError, InvokeError};
pub use fair::{Admission, FairConfig};
pub use host::{HostConfig, InvocationContext, PluginHost, PluginVersion};
pub use ils_records::{
    Caller, DeviceReading, DeviceStep, Event, FileInfo, Happening, Measurement, Progress, Recommendation,
    RenderedReport, ReportFormat, ReportInfo, ReportOutput, ShapeSource, ShapesSent, Side, TenantId,
    TracedShape,
};
pub use inspect::SDK_STAMP_SECTION;
pub use limits::{Limit, Limits};
pub use scope::Scope;
pub use state::Grants;
