//! [`PluginHost`]: install components, and invoke their extension points for a tenant — each
//! call in a fresh `Store` from the plugin version's pre-linked `InstancePre`, with limits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ils_records::{
    Caller, DeviceReading, DeviceStep, Event, Measurement, RecallAdvice, Recommendation, ReportFormat,
    ReportInfo, ReportOutput, SmsMessage, TenantId,
};
use ils_registry::{ExtensionPoint, Manifest};
use semver::Version;
use tracing::Instrument;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{CallHook, Store, Trap, UpdateDeadline};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi_http::WasiHttpCtx;

use crate::bindings::{self, v0_1_0, v0_2_0, v0_3_0};
use crate::cache::CompileCache;
use crate::call::{Call, Reply, SessionCall};
use crate::cap;
use crate::cap::progress::ProgressSink;
use crate::engine::PluginEngine;
use crate::error::{Breach, HostError, InstallError, InvokeError};
use crate::fair::{Admission, CpuSlot};
use crate::inspect::inspect;
use crate::limits::{Limit, Limits};
use crate::metrics::{InvocationReport, MetricsSink, NoMetrics};
use crate::scope::Scope;
use crate::services::HostServices;
use crate::state::{Grants, Invocation, Limiter, StoreState};

/// Extra time past the budget before a call blocked in a host call is abandoned.
const GRACE: Duration = Duration::from_millis(250);
/// Guest stderr kept to explain a crash.
const STDERR_BYTES: usize = 4096;

/// How the host runs.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Where compiled components are cached (host-owned, not inside the registry).
    pub cache_dir: PathBuf,
    /// Allow outbound HTTP to private and loopback addresses (development and tests only).
    pub allow_private_networks: bool,
}

/// Who an invocation runs for and what it may do, in typed values: built by the embedder for
/// every call; the host derives the invocation's [`Scope`] from it once.
#[derive(Debug, Clone)]
pub struct InvocationContext {
    /// The tenant the plugin runs for.
    pub tenant: TenantId,
    /// Capabilities the tenant granted (declared ∩ consented ∩ plan).
    pub grants: Grants,
    /// The plan's limits (the manifest may tighten them).
    pub limits: Limits,
    /// The signed-in user, for HTTP routes.
    pub caller: Option<Caller>,
    /// The call's place in its tenant's share, when the embedder took it first
    /// ([`PluginHost::admit`]); otherwise the host takes one.
    pub admission: Option<Arc<Admission>>,
    /// The invocation's time (`context.now`), when the embedder fixes it; else the clock's.
    pub now_ms: Option<i64>,
    /// Where `progress.report` goes, when someone waits for this call.
    pub progress: Option<ProgressSink>,
}

impl InvocationContext {
    /// A context for `tenant` with no grants, default limits and no caller.
    pub fn new(tenant: TenantId) -> Self {
        Self {
            tenant,
            grants: Grants::none(),
            limits: Limits::default(),
            caller: None,
            admission: None,
            now_ms: None,
            progress: None,
        }
    }

    /// With these grants.
    pub fn with_grants(mut self, grants: Grants) -> Self {
        self.grants = grants;
        self
    }

    /// With these limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// On behalf of this user.
    pub fn with_caller(mut self, caller: Caller) -> Self {
        self.caller = Some(caller);
        self
    }

    /// At this time (`context.now`), in milliseconds since the Unix epoch.
    pub fn at(mut self, now_ms: i64) -> Self {
        self.now_ms = Some(now_ms);
        self
    }

    /// Sending the plugin's progress reports to `sink`.
    pub fn with_progress(mut self, sink: ProgressSink) -> Self {
        self.progress = Some(sink);
        self
    }

    /// In this place of its tenant's share, taken with [`PluginHost::admit`].
    pub fn with_admission(mut self, admission: Admission) -> Self {
        self.admission = Some(Arc::new(admission));
        self
    }
}

/// The pre-linked component of one supported `ils:platform` version.
#[derive(Clone)]
enum Pre {
    V0_1_0(v0_1_0::Points),
    V0_2_0(v0_2_0::Points),
    V0_3_0(v0_3_0::Points),
}

/// An installed plugin version: compiled, checked and pre-linked; shared by every tenant.
#[derive(Clone)]
pub struct PluginVersion {
    manifest: Arc<Manifest>,
    platform: Version,
    sdk: Option<String>,
    imports: Arc<[String]>,
    pre: Pre,
}

impl std::fmt::Debug for PluginVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginVersion")
            .field("id", &self.manifest.id)
            .field("version", &self.manifest.version)
            .field("platform", &self.platform)
            .field("sdk", &self.sdk)
            .finish_non_exhaustive()
    }
}

impl PluginVersion {
    /// Its manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The `ils:platform` version it targets.
    pub fn platform(&self) -> &Version {
        &self.platform
    }

    /// The SDK stamp, when built with `ils-plugin-sdk`.
    pub fn sdk(&self) -> Option<&str> {
        self.sdk.as_deref()
    }

    /// How many handles to this compiled version exist (this one included): the runtime's
    /// cache holds one, and every call in flight holds another. A cache may drop a version it
    /// holds the only handle to without failing any call.
    pub fn handles(&self) -> usize {
        Arc::strong_count(&self.manifest)
    }

    /// The interfaces the component really imports, sorted (`ils:platform/kv@0.1.0`,
    /// `wasi:io/streams@0.2.0`): what a reviewer compares with the manifest's capabilities.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }
}

struct Inner {
    engine: PluginEngine,
    linker_v0_1_0: Linker<StoreState>,
    linker_v0_2_0: Linker<StoreState>,
    cache: CompileCache,
    services: HostServices,
    allow_private: bool,
    routes: Arc<cap::http::Routes>,
    metrics: Arc<dyn MetricsSink>,
}

/// The plugin host. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct PluginHost {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost").field("engine", &self.inner.engine).finish_non_exhaustive()
    }
}

/// A linker with WASI, wasi:http and one `ils:platform` version: one per version, so a
/// component links against exactly the version it targets.
fn linker(
    engine: &PluginEngine,
    add_platform: fn(&mut Linker<StoreState>) -> wasmtime::Result<()>,
) -> Result<Linker<StoreState>, HostError> {
    let build = || -> wasmtime::Result<Linker<StoreState>> {
        let mut linker = Linker::new(&engine.engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        crate::answer::add_to_linker(&mut linker)?;
        add_platform(&mut linker)?;
        Ok(linker)
    };
    build().map_err(|e| HostError::Engine(format!("{e:#}")))
}

macro_rules! expect_reply {
    ($e:expr, $p:pat => $v:expr) => {
        match $e? {
            $p => Ok($v),
            _ => Err(InvokeError::Host("unexpected reply from the plugin binding".into())),
        }
    };
}

impl PluginHost {
    /// A host on `engine`, calling `services` for every capability.
    pub fn new(engine: PluginEngine, services: HostServices, config: HostConfig) -> Result<Self, HostError> {
        let linker_v0_1_0 = linker(&engine, v0_1_0::add_to_linker)?;
        let linker_v0_2_0 = linker(&engine, v0_2_0::add_to_linker)?;
        let cache = CompileCache::new(&config.cache_dir, &engine.engine)?;
        let inner = Inner {
            engine,
            linker_v0_1_0,
            linker_v0_2_0,
            cache,
            services,
            allow_private: config.allow_private_networks,
            routes: Arc::new(
                cap::http::Routes::new(cap::http::OutboundOverrides::default()).map_err(HostError::Engine)?,
            ),
            metrics: Arc::new(NoMetrics),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Sends a report of every invocation to `sink`.
    pub fn with_metrics(self, sink: Arc<dyn MetricsSink>) -> Self {
        let Inner { engine, linker_v0_1_0, linker_v0_2_0, cache, services, allow_private, routes, .. } =
            Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
                engine: shared.engine.clone(),
                linker_v0_1_0: shared.linker_v0_1_0.clone(),
                linker_v0_2_0: shared.linker_v0_2_0.clone(),
                cache: shared.cache.clone(),
                services: shared.services.clone(),
                allow_private: shared.allow_private,
                routes: shared.routes.clone(),
                metrics: shared.metrics.clone(),
            });
        Self {
            inner: Arc::new(Inner {
                engine,
                linker_v0_1_0,
                linker_v0_2_0,
                cache,
                services,
                allow_private,
                routes,
                metrics: sink,
            }),
        }
    }

    /// Sends outbound HTTP for `host:port` names to other addresses and trusts extra roots
    /// ([`OutboundOverrides`](crate::OutboundOverrides)); call it before the host is shared.
    pub fn with_outbound_overrides(mut self, overrides: crate::OutboundOverrides) -> Result<Self, HostError> {
        let routes = Arc::new(cap::http::Routes::new(overrides).map_err(HostError::Engine)?);
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => {
                inner.routes = routes;
                Ok(self)
            }
            None => Err(HostError::Engine("outbound overrides must be set before the host is shared".into())),
        }
    }

    /// The `ils:platform` versions this host runs.
    pub fn supported_platforms() -> Vec<Version> {
        bindings::supported()
    }

    /// A place for a call of `tenant`'s `plugin` in their shares of the engine (ADR 018),
    /// waiting for one up to the queue wait; [`InvokeError::Busy`] when none came free. Every
    /// call takes one; an embedder takes it itself to look again at its own state after a wait.
    pub async fn admit(&self, tenant: TenantId, plugin: &str) -> Result<Admission, InvokeError> {
        self.inner.engine.fair.admit(tenant, plugin).await.ok_or(InvokeError::Busy)
    }

    /// The shared engine every component is compiled and run on.
    pub fn engine(&self) -> &PluginEngine {
        &self.inner.engine
    }

    /// Compiles (or loads from the cache), checks and pre-links a component. Refuses a
    /// component that imports anything its manifest does not declare, or that targets an
    /// `ils:platform` version this host cannot run. Runs on a blocking thread.
    pub async fn install(&self, component: &[u8], manifest: Manifest) -> Result<PluginVersion, InstallError> {
        let inner = self.inner.clone();
        let bytes = component.to_vec();
        tokio::task::spawn_blocking(move || inner.install(&bytes, manifest))
            .await
            .map_err(|e| InstallError::Invalid(format!("install task failed: {e}")))?
    }

    /// Delivers an event the plugin subscribes to.
    pub async fn invoke_event(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        event: Event,
    ) -> Result<(), InvokeError> {
        expect_reply!(self.invoke(plugin, ctx, Call::Event(event)).await, Reply::Unit => ())
    }

    /// Runs a scheduled job declared in the manifest.
    pub async fn run_job(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        job: &str,
        at_ms: i64,
    ) -> Result<(), InvokeError> {
        if !plugin.manifest.schedules.iter().any(|s| s.name == job) {
            return Err(InvokeError::NotProvided(ExtensionPoint::Scheduled));
        }
        expect_reply!(self.invoke(plugin, ctx, Call::Job { name: job.to_string(), at_ms }).await, Reply::Unit => ())
    }

    /// Serves an HTTP request with the plugin's routes. The path is the plugin-relative one
    /// (core strips `/api/v1/plugins/{plugin}`); the caller's identity goes in `ctx`.
    pub async fn handle_http(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        mut request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, InvokeError> {
        // wasi:http needs an authority; a request built without one (the CLI, tests) gets one.
        if request.uri().authority().is_none() && !request.headers().contains_key(http::header::HOST) {
            request.headers_mut().insert(http::header::HOST, http::HeaderValue::from_static("localhost"));
        }
        expect_reply!(self.invoke(plugin, ctx, Call::Http(request)).await, Reply::Http(r) => r)
    }

    /// Reads a whole capture with a `device-link` driver (platform 0.3): every value it could
    /// read, and a warning for each part it skipped.
    pub async fn read_device(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        device: &str,
        data: Vec<u8>,
    ) -> Result<DeviceReading, InvokeError> {
        let call = Call::Read { device: device.to_string(), data };
        expect_reply!(self.invoke(plugin, ctx, call).await, Reply::Reading(r) => r)
    }

    /// Moves a live device session one step with a `device-link` driver (platform 0.3).
    pub async fn device_step(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        device: &str,
        step: SessionCall,
    ) -> Result<DeviceStep, InvokeError> {
        let call = Call::Session { device: device.to_string(), step };
        expect_reply!(self.invoke(plugin, ctx, call).await, Reply::Step(s) => s)
    }

    /// Decodes device output (equipment drivers).
    pub async fn decode(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        device: &str,
        data: Vec<u8>,
    ) -> Result<Vec<Measurement>, InvokeError> {
        let call = Call::Decode { device: device.to_string(), data };
        expect_reply!(self.invoke(plugin, ctx, call).await, Reply::Measurements(m) => m)
    }

    /// Encodes a job for a device (equipment drivers).
    pub async fn encode_job(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        device: &str,
        job: &str,
    ) -> Result<Vec<u8>, InvokeError> {
        let call = Call::EncodeJob { device: device.to_string(), job: job.to_string() };
        expect_reply!(self.invoke(plugin, ctx, call).await, Reply::Bytes(b) => b)
    }

    /// The reports a plugin offers.
    pub async fn list_reports(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
    ) -> Result<Vec<ReportInfo>, InvokeError> {
        expect_reply!(self.invoke(plugin, ctx, Call::ListReports).await, Reply::Reports(r) => r)
    }

    /// Renders a report: its bytes, or a file the plugin stored (0.2.0 plugins, large reports).
    pub async fn render_report(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        id: &str,
        params: &str,
        format: ReportFormat,
    ) -> Result<ReportOutput, InvokeError> {
        let call = Call::Render { id: id.to_string(), params: params.to_string(), format };
        expect_reply!(self.invoke(plugin, ctx, call).await, Reply::Report(r) => r)
    }

    /// Sends a text message through an `sms` provider (platform 0.3): the gateway's id for it. A
    /// refusal is a non-retryable [`InvokeError::Plugin`]; a gateway that could not be reached a
    /// retryable one.
    pub async fn send_sms(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        message: SmsMessage,
    ) -> Result<String, InvokeError> {
        expect_reply!(self.invoke(plugin, ctx, Call::Sms(message)).await, Reply::Text(id) => id)
    }

    /// Asks a recall advisor (platform 0.3) for the period after an examination on `examined_on`
    /// of a patient born on `born_on` (both `YYYY-MM-DD`).
    pub async fn advise_recall(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        patient_id: &str,
        born_on: Option<&str>,
        examined_on: &str,
    ) -> Result<Option<RecallAdvice>, InvokeError> {
        let call = Call::Advise {
            patient_id: patient_id.to_string(),
            born_on: born_on.map(str::to_string),
            examined_on: examined_on.to_string(),
        };
        expect_reply!(self.invoke(plugin, ctx, call).await, Reply::Advice(a) => a)
    }

    /// Asks a recommender.
    pub async fn recommend(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        kind: &str,
        input: &str,
    ) -> Result<Vec<Recommendation>, InvokeError> {
        let call = Call::Recommend { kind: kind.to_string(), input: input.to_string() };
        expect_reply!(self.invoke(plugin, ctx, call).await, Reply::Recommendations(r) => r)
    }

    async fn invoke(
        &self,
        plugin: &PluginVersion,
        mut ctx: InvocationContext,
        call: Call,
    ) -> Result<Reply, InvokeError> {
        let manifest = &plugin.manifest;
        let (point, export) = call.point();
        if !manifest.provides.contains(&point) {
            return Err(InvokeError::NotProvided(point));
        }
        if let Call::Event(e) = &call
            && !manifest.subscribes_to(&e.kind)
        {
            return Err(InvokeError::NotSubscribed(e.kind.clone()));
        }
        let mut limits = ctx.limits.tightened_by(&manifest.limits);
        limits.memory_bytes = limits.memory_bytes.min(self.inner.engine.config.max_memory_bytes);
        if call.input_len() > limits.input_bytes {
            return Err(InvokeError::LimitExceeded(Limit::Input));
        }
        let span = tracing::info_span!("plugin.invoke", tenant = %ctx.tenant, plugin = %manifest.id,
            version = %manifest.version, export);
        let started = Instant::now();
        let tenant = ctx.tenant;
        let admitted = match ctx.admission.take() {
            Some(admission) => Ok(admission),
            None => self.admit(tenant, manifest.id.as_str()).await.map(Arc::new),
        };
        let (result, usage) = match admitted {
            Ok(_admission) => self.run(plugin, ctx, limits, call).instrument(span.clone()).await,
            Err(busy) => (Err(busy), Usage::default()),
        };
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.code(),
        };
        span.in_scope(|| match &result {
            Ok(_) => tracing::debug!(outcome, elapsed = ?started.elapsed(), "plugin call done"),
            Err(e) => tracing::info!(outcome, error = %e, elapsed = ?started.elapsed(), "plugin call failed"),
        });
        self.inner.metrics.record(InvocationReport {
            tenant,
            plugin: manifest.id.clone(),
            version: manifest.version.clone(),
            export,
            duration: started.elapsed(),
            cpu_time: usage.cpu_time,
            outcome,
            peak_memory_bytes: usage.peak_memory,
            host_bytes: usage.host_bytes,
            log_lines_dropped: usage.log_dropped,
            outbound_requests: usage.outbound_requests,
            outbound_bytes: usage.outbound_bytes,
            events_published: usage.events_published,
        });
        result
    }

    async fn run(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        limits: Limits,
        call: Call,
    ) -> (Result<Reply, InvokeError>, Usage) {
        let mut store = match self.new_store(plugin, ctx, limits).await {
            Ok(store) => store,
            Err(e) => return (Err(e), Usage::default()),
        };
        let called = tokio::time::timeout(limits.timeout + GRACE, async {
            match &plugin.pre {
                Pre::V0_1_0(pre) => v0_1_0::call(pre, &mut store, call).await,
                Pre::V0_2_0(pre) => v0_2_0::call(pre, &mut store, call).await,
                Pre::V0_3_0(pre) => v0_3_0::call(pre, &mut store, call).await,
            }
        })
        .await;
        let state = store.data();
        let usage = Usage {
            peak_memory: state.limiter.peak_memory,
            host_bytes: state.inv.host_bytes(),
            log_dropped: state.log.dropped,
            cpu_time: state.guest_clock.total(),
            outbound_requests: state.outbound.sent,
            outbound_bytes: state.inv.outbound_bytes(),
            events_published: u32::try_from(state.events.accepted).unwrap_or(u32::MAX),
        };
        let result = match called {
            Err(_elapsed) => Err(InvokeError::LimitExceeded(Limit::Timeout)),
            Ok(Ok(reply)) => reply,
            Ok(Err(trap)) => Err(classify(&trap, state)),
        };
        // The store (and its pool slot) is dropped here; it is never reused.
        (result, usage)
    }

    async fn new_store(
        &self,
        plugin: &PluginVersion,
        ctx: InvocationContext,
        limits: Limits,
    ) -> Result<Store<StoreState>, InvokeError> {
        let manifest = &plugin.manifest;
        let services = &self.inner.services;
        let scope = Scope {
            tenant: ctx.tenant,
            plugin: manifest.id.clone(),
            version: manifest.version.clone(),
            caller: ctx.caller,
        };
        let config = services
            .config
            .config(&scope)
            .await
            .map_err(|e| InvokeError::Host(format!("tenant configuration: {e}")))?;
        let origins = manifest.outbound_hosts.iter().filter_map(|h| h.resolve(&config)).collect();
        let now_ms = ctx.now_ms.unwrap_or_else(|| {
            let since =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        });
        let grants = ctx.grants.intersect(&manifest.capabilities);
        let inv = Arc::new(Invocation::new(scope, grants, limits, now_ms));
        let stderr = MemoryOutputPipe::new(STDERR_BYTES);
        // No environment, no arguments, no preopened directories, no sockets: WASI gives the
        // guest clocks, randomness and a captured stderr, nothing else.
        let wasi = WasiCtx::builder().stderr(stderr.clone()).build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.resources);
        let state = StoreState {
            table,
            wasi,
            http: WasiHttpCtx::new(),
            outbound: cap::http::OutboundPolicy {
                inv: inv.clone(),
                origins,
                allow_private: self.inner.allow_private,
                sent: 0,
                routes: self.inner.routes.clone(),
            },
            limiter: Limiter::new(&limits),
            cpu_slot: Arc::default(),
            guest_clock: Arc::default(),
            stderr,
            timed_out: false,
            refused_status: None,
            context: cap::context::ContextCap { inv: inv.clone(), tenants: services.tenants.clone() },
            log: cap::log::LogCap { inv: inv.clone(), written: 0, dropped: 0 },
            config: cap::config::ConfigCap { inv: inv.clone(), value: config },
            secrets: cap::secrets::SecretsCap { inv: inv.clone(), store: services.secrets.clone() },
            kv: cap::kv::KvCap { inv: inv.clone(), store: services.kv.clone() },
            events: cap::events::EventsCap {
                inv: inv.clone(),
                sink: services.events.clone(),
                published: 0,
                accepted: 0,
            },
            orders: cap::orders::OrdersCap { inv: inv.clone(), orders: services.orders.clone() },
            clinical: cap::clinical::ClinicalCap { inv: inv.clone(), reader: services.clinical.clone() },
            inventory: cap::inventory::InventoryCap { inv: inv.clone(), service: services.inventory.clone() },
            reports: cap::reports::ReportsCap { inv: inv.clone(), reader: services.reports.clone() },
            files: cap::files::FilesCap { inv: inv.clone(), store: services.files.clone(), stored: 0 },
            notify: cap::notify::NotifyCap { inv: inv.clone(), sink: services.notify.clone(), sent: 0 },
            progress: cap::progress::ProgressCap { sink: ctx.progress, reported: 0 },
            inv,
        };
        let mut store = Store::new(&self.inner.engine.engine, state);
        store.limiter(|s| &mut s.limiter);
        // Entering the host (a capability, I/O, the epoch check itself) or leaving the guest gives
        // the CPU slot back: waiting holds no share (ADR 018).
        // The guest clock runs while WebAssembly does (metering).
        store.call_hook(|mut ctx, hook| {
            if matches!(hook, CallHook::CallingHost | CallHook::ReturningFromWasm) {
                ctx.data().guest_clock.stop();
                drop(take_slot(&ctx.data_mut().cpu_slot));
            } else {
                ctx.data().guest_clock.start();
            }
            Ok(())
        });
        let deadline = Instant::now() + limits.timeout;
        let cpu = self.inner.engine.fair.cpu().clone();
        let tenant = ctx.tenant;
        // Deadline 0 would trap at once; check every tick. A call still running at a tick is
        // CPU-bound: it runs on only with a CPU slot, taken in turn with other tenants' calls.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |mut ctx| {
            if Instant::now() >= deadline {
                ctx.data_mut().timed_out = true;
                return Ok(UpdateDeadline::Interrupt);
            }
            let cell = ctx.data().cpu_slot.clone();
            let clock = ctx.data().guest_clock.clone();
            clock.stop();
            drop(take_slot(&cell));
            let cpu = cpu.clone();
            Ok(UpdateDeadline::YieldCustom(
                1,
                Box::pin(async move {
                    let slot = cpu.acquire(tenant).await;
                    *cell.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(slot);
                    tokio::task::yield_now().await;
                    clock.start();
                }),
            ))
        });
        Ok(store)
    }
}

/// Takes the CPU slot out of its cell (dropping it gives it back).
fn take_slot(cell: &std::sync::Mutex<Option<CpuSlot>>) -> Option<CpuSlot> {
    cell.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
}

#[derive(Default)]
struct Usage {
    peak_memory: usize,
    host_bytes: usize,
    log_dropped: usize,
    cpu_time: Duration,
    outbound_requests: u32,
    outbound_bytes: u64,
    events_published: u32,
}

/// Tells limit breaches (the host stopped the plugin) from crashes (a bug in the plugin).
fn classify(err: &wasmtime::Error, state: &StoreState) -> InvokeError {
    if let Some(Breach(limit)) = err.downcast_ref::<Breach>() {
        return InvokeError::LimitExceeded(*limit);
    }
    if let Some(limit) = state.limiter.breached {
        return InvokeError::LimitExceeded(limit);
    }
    if err.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() {
        return InvokeError::Busy;
    }
    if err.downcast_ref::<wasmtime::component::ResourceTableError>().is_some() {
        return InvokeError::LimitExceeded(Limit::Resources);
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => return InvokeError::LimitExceeded(Limit::Timeout),
        Some(Trap::StackOverflow) => return InvokeError::LimitExceeded(Limit::Stack),
        _ if state.timed_out => return InvokeError::LimitExceeded(Limit::Timeout),
        _ => {}
    }
    let stderr = String::from_utf8_lossy(&state.stderr.contents()).trim().to_string();
    // The trap itself, not the wasm backtrace wrapped around it.
    let first = match err.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => err.root_cause().to_string(),
    };
    if stderr.is_empty() {
        InvokeError::Trap(first)
    } else {
        InvokeError::Trap(format!("{first}; stderr: {stderr}"))
    }
}

impl Inner {
    fn install(&self, bytes: &[u8], manifest: Manifest) -> Result<PluginVersion, InstallError> {
        let engine = &self.engine.engine;
        let component = self.cache.load_or_compile(engine, bytes)?;
        let found = inspect(engine, &component, bytes, &manifest, &bindings::supported())?;
        let linking = |e: wasmtime::Error| InstallError::Invalid(format!("linking: {e:#}"));
        let exports = |e: wasmtime::Error| InstallError::Exports(format!("{e:#}"));
        let pre = match (found.platform.major, found.platform.minor) {
            (0, 1) => Pre::V0_1_0(
                v0_1_0::PluginPre::new(self.linker_v0_1_0.instantiate_pre(&component).map_err(linking)?)
                    .and_then(v0_1_0::Points::new)
                    .map_err(exports)?,
            ),
            (0, 2) => Pre::V0_2_0(
                v0_2_0::PluginPre::new(self.linker_v0_2_0.instantiate_pre(&component).map_err(linking)?)
                    .and_then(v0_2_0::Points::new)
                    .map_err(exports)?,
            ),
            // 0.3.0 imports 0.2.0's interfaces: the same linker serves it.
            (0, 3) => Pre::V0_3_0(
                v0_3_0::Points::new(self.linker_v0_2_0.instantiate_pre(&component).map_err(linking)?)
                    .map_err(exports)?,
            ),
            _ => {
                return Err(InstallError::UnsupportedVersion {
                    target: format!("ils:platform@{}", found.platform),
                    supported: bindings::supported_text(),
                });
            }
        };
        tracing::info!(plugin = %manifest.id, version = %manifest.version, platform = %found.platform, sdk = ?found.sdk, "plugin installed");
        Ok(PluginVersion {
            manifest: Arc::new(manifest),
            platform: found.platform,
            sdk: found.sdk,
            imports: found.imports.into(),
            pre,
        })
    }
}
