//! (a)'s baseline: wasmtime's fastest instantiate + call of the probe's no-op, with nothing of the
//! host around it. Its own engine, tuned as wasmtime's "fast instantiation" guide says: the
//! pooling allocator, copy-on-write memory images, an `InstancePre` made once; and, beyond the
//! guide, slots that stay resident and are reset by `memset` of only their dirty pages
//! (`PAGEMAP_SCAN`) instead of `madvise`. No epoch interruption, no fuel, no limiter, no hooks;
//! a typed function found by a precomputed index. Each call still does the work the host must:
//! a fresh `Store` with WASI, instantiate, call, drop.

use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{
    ComponentExportIndex, ComponentType, InstancePre, Lift, Linker, Lower, ResourceTable,
};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// `ils:platform/event-handler.event`.
#[derive(ComponentType, Lower)]
#[component(record)]
struct WitEvent {
    id: String,
    kind: String,
    #[component(name = "occurred-at")]
    occurred_at: i64,
    payload: String,
}

/// `ils:platform/types.plugin-error`.
#[derive(ComponentType, Lift)]
#[component(record)]
struct PluginError {
    #[allow(dead_code)]
    message: String,
    #[allow(dead_code)]
    retryable: bool,
}

struct Bare {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
}

impl Bare {
    fn new() -> Self {
        Self { table: ResourceTable::new(), wasi: WasiCtx::builder().build(), http: WasiHttpCtx::new() }
    }
}

impl WasiView for Bare {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for Bare {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: Default::default() }
    }
}

/// The fastest engine wasmtime offers for instantiate + call, sized like the host's.
fn engine() -> Engine {
    let n = 64;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(n)
        .total_core_instances(n * 4)
        .total_memories(n)
        .total_tables(n * 2)
        .total_stacks(n)
        .max_memory_size(256 << 20)
        .max_core_instances_per_component(8)
        .max_memories_per_component(2)
        .max_tables_per_component(4)
        .linear_memory_keep_resident(4 << 20)
        .table_keep_resident(64 << 10)
        .pagemap_scan(Enabled::Auto);
    let mut cfg = Config::new();
    cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool)).memory_init_cow(true);
    Engine::new(&cfg).expect("baseline engine")
}

/// The probe, compiled and pre-instantiated on the baseline engine, both ways wasmtime runs it.
pub struct Baseline {
    sync_pre: InstancePre<Bare>,
    async_pre: InstancePre<Bare>,
    handle: ComponentExportIndex,
    event: WitEvent,
}

/// Links WASI, wasi:http and the `ils:platform` imports (unused by a no-op) as functions that fail.
fn linker(engine: &Engine, component: &Component, sync: bool) -> Linker<Bare> {
    let mut linker = Linker::new(engine);
    if sync {
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("wasi");
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker).expect("http");
    } else {
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).expect("wasi");
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).expect("http");
    }
    for (name, item) in component.component_type().imports(engine) {
        if let (true, ComponentItem::ComponentInstance(instance)) =
            (name.starts_with("ils:platform/"), item.ty)
        {
            let mut stubs = linker.instance(name).expect("instance");
            for (func, _) in instance.exports(engine) {
                stubs
                    .func_new(func, |_, _, _, _| Err(wasmtime::Error::msg("not linked in the baseline")))
                    .expect("stub");
            }
        }
    }
    linker
}

impl Baseline {
    pub fn new(bytes: &[u8]) -> Self {
        let engine = engine();
        let component = Component::new(&engine, bytes).expect("component");
        let iface = component
            .component_type()
            .exports(&engine)
            .map(|(name, _)| name.to_string())
            .find(|name| name.starts_with("ils:platform/event-handler@"))
            .expect("an event handler");
        let (_, iface) = component.get_export(None, &iface).expect("export");
        let (_, handle) = component.get_export(Some(&iface), "handle").expect("handle");
        let sync_pre = linker(&engine, &component, true).instantiate_pre(&component).expect("pre");
        let async_pre = linker(&engine, &component, false).instantiate_pre(&component).expect("pre");
        let event = WitEvent {
            id: "bench".into(),
            kind: "probe.noop".into(),
            occurred_at: 0,
            payload: String::new(),
        };
        Self { sync_pre, async_pre, handle, event }
    }

    /// Fresh store, instantiate, call, drop — on the calling thread.
    pub fn call_sync(&self) {
        let mut store = Store::new(self.sync_pre.engine(), Bare::new());
        let instance = self.sync_pre.instantiate(&mut store).expect("instantiate");
        let func = instance
            .get_typed_func::<(&WitEvent,), (Result<(), PluginError>,)>(&mut store, self.handle)
            .expect("typed");
        let (result,) = func.call(&mut store, (&self.event,)).expect("call");
        assert!(result.is_ok());
    }

    /// The same on a fiber, as an async embedder (the host) runs it.
    pub async fn call_async(&self) {
        let mut store = Store::new(self.async_pre.engine(), Bare::new());
        let instance = self.async_pre.instantiate_async(&mut store).await.expect("instantiate");
        let func = instance
            .get_typed_func::<(&WitEvent,), (Result<(), PluginError>,)>(&mut store, self.handle)
            .expect("typed");
        let (result,) = func.call_async(&mut store, (&self.event,)).await.expect("call");
        assert!(result.is_ok());
    }
}
