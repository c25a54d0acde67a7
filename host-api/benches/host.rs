//! The plugin host's benchmark, reported as ratios in one run:
//!
//! (a) per-invocation overhead of a no-op export through [`PluginHost`] (fresh `Store`,
//!     limits, deadline, metrics, instantiate + call + drop) against wasmtime's bare
//!     instantiate-and-call of the same component on the same engine;
//! (b) a compute-heavy plugin function against the same Rust code compiled natively;
//! (c) invocations per second with 1, 100 and 10,000 tenants enabled.
//!
//! Run: `cargo bench -p ils-host-api` (builds the probe component first).

#![allow(clippy::print_stdout, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ils_host_api::fakes::FakeServices;
use ils_host_api::{
    EngineConfig, Event, Grants, HostConfig, InvocationContext, PluginEngine, PluginHost, TenantId,
};
use ils_registry::{Manifest, PluginId};
use wasmtime::Store;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, ResourceTable, Val};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

const MANIFEST: &str = r#"
id = "probe"
name = "Probe"
version = "1.0.0"
publisher = "ILS bench"
platform = "^0.2"
provides = ["event-handler", "http"]
capabilities = ["kv", "secrets", "events-publish", "clinical-read", "http-outbound", "orders-read", "orders-annotate", "inventory-read", "reports-read", "files-write", "notify-email"]
events = ["probe.*"]
outbound.hosts = ["https://api.example.com"]
"#;

fn probe_component() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_path_buf();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() { target } else { root.join(target) }.join("wasm-guests");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", &target)
        .args([
            "build",
            "--quiet",
            "--target",
            "wasm32-wasip2",
            "--profile",
            "plugin",
            "-p",
            "ils-probe-guest",
        ])
        .status()
        .expect("cargo");
    assert!(status.success(), "building the probe component failed");
    std::fs::read(target.join("wasm32-wasip2/plugin/probe.wasm")).expect("probe.wasm")
}

/// Tenant `i` of a run: the same number is the same tenant.
fn tenant(i: usize) -> TenantId {
    TenantId::from(uuid::Uuid::from_u128(i as u128 + 1))
}

/// A context for tenant `i`, granting every capability the manifest declares.
fn ctx(i: usize) -> InvocationContext {
    InvocationContext::new(tenant(i)).with_grants(Grants::all())
}

fn event(what: &str, payload: &str) -> Event {
    Event { id: "bench".into(), kind: format!("probe.{what}"), occurred_at_ms: 0, payload: payload.into() }
}

struct Bare {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
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

fn per_call(total: Duration, n: u32) -> Duration {
    total / n
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bytes = probe_component();
    let engine = PluginEngine::new(EngineConfig::with_instances(64)).expect("engine");
    let cache = std::env::temp_dir().join("ils-host-api-bench-cache");
    let services = FakeServices::new();
    let host = PluginHost::new(
        engine.clone(),
        services.services(),
        HostConfig { cache_dir: cache, allow_private_networks: false },
    )
    .expect("host");
    let plugin =
        host.install(&bytes, Manifest::from_toml(MANIFEST).expect("manifest")).await.expect("install");

    // (a) no-op: the host against bare wasmtime, same engine, same component.
    let n = 2_000;
    for _ in 0..100 {
        host.invoke_event(&plugin, ctx(0), event("noop", "")).await.expect("warm-up");
    }
    let started = Instant::now();
    for _ in 0..n {
        host.invoke_event(&plugin, ctx(0), event("noop", "")).await.expect("noop");
    }
    let ils = per_call(started.elapsed(), n);

    let wt = engine.wasmtime();
    let component = Component::from_binary(wt, &bytes).expect("component");
    // Bare: WASI and wasi:http as wasmtime provides them; the ils:platform imports (unused by a
    // no-op) as functions that fail.
    let mut linker: Linker<Bare> = Linker::new(wt);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).expect("wasi");
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).expect("http");
    for (name, item) in component.component_type().imports(wt) {
        if let (true, ComponentItem::ComponentInstance(instance)) =
            (name.starts_with("ils:platform/"), item.ty)
        {
            let mut stubs = linker.instance(name).expect("instance");
            for (func, _) in instance.exports(wt) {
                stubs
                    .func_new(func, |_, _, _, _| {
                        Err(wasmtime::Error::msg("not linked in the bare benchmark"))
                    })
                    .expect("stub");
            }
        }
    }
    let pre = linker.instantiate_pre(&component).expect("pre");
    let (_, iface) = component.get_export(None, "ils:platform/event-handler@0.1.0").expect("export");
    let (_, handle) = component.get_export(Some(&iface), "handle").expect("handle");
    let args = [Val::Record(vec![
        ("id".into(), Val::String("bench".into())),
        ("kind".into(), Val::String("probe.noop".into())),
        ("occurred-at".into(), Val::S64(0)),
        ("payload".into(), Val::String(String::new())),
    ])];
    let bare_call = || async {
        let mut store = Store::new(
            wt,
            Bare { table: ResourceTable::new(), wasi: WasiCtx::builder().build(), http: WasiHttpCtx::new() },
        );
        store.set_epoch_deadline(1 << 40);
        let instance = pre.instantiate_async(&mut store).await.expect("instantiate");
        let func = instance.get_func(&mut store, handle).expect("func");
        let mut results = [Val::Bool(false)];
        func.call_async(&mut store, &args, &mut results).await.expect("call");
    };
    for _ in 0..100 {
        bare_call().await;
    }
    let started = Instant::now();
    for _ in 0..n {
        bare_call().await;
    }
    let bare = per_call(started.elapsed(), n);

    // (b) compute: the same function in the plugin and natively.
    // Best of 5 each: the machine is shared, the minimum is the least disturbed run.
    let iterations: u64 = 50_000_000;
    let mut wasm = Duration::MAX;
    let mut native = Duration::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        host.invoke_event(&plugin, ctx(0), event("compute", &iterations.to_string())).await.expect("compute");
        wasm = wasm.min(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(probe::compute(std::hint::black_box(iterations)));
        native = native.min(started.elapsed());
    }

    // (c) throughput with many tenants enabled (each with its own configuration and kv).
    let id = PluginId::new("probe").expect("id");
    let mut rates = Vec::new();
    for tenants in [1usize, 100, 10_000] {
        for i in 0..tenants {
            services.set_config(&tenant(i), &id, serde_json::json!({ "n": i }));
        }
        let calls = 4_000usize;
        let workers = 8;
        let started = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..workers {
            let (host, plugin) = (host.clone(), plugin.clone());
            tasks.push(tokio::spawn(async move {
                for c in (w..calls).step_by(workers) {
                    host.invoke_event(&plugin, ctx(c % tenants), event("noop", "")).await.expect("invoke");
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        rates.push((tenants, calls as f64 / started.elapsed().as_secs_f64()));
    }

    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "ILS plugin host benchmark (release, {} workers, probe component {} KiB)",
        2,
        bytes.len() / 1024
    );
    println!(
        "(a) no-op invocation: host {:.1} µs, bare wasmtime {:.1} µs  -> host/bare = {:.2}x (+{:.1} µs per call)",
        us(ils),
        us(bare),
        us(ils) / us(bare),
        us(ils) - us(bare)
    );
    println!(
        "(b) compute ({iterations} iterations): plugin {:.1} ms, native {:.1} ms -> plugin/native = {:.2}x",
        ms(wasm),
        ms(native),
        ms(wasm) / ms(native)
    );
    let base = rates[0].1;
    for (tenants, rate) in &rates {
        println!(
            "(c) {tenants:>6} tenants enabled: {rate:>8.0} invocations/s ({:.2}x of 1 tenant)",
            rate / base
        );
    }
}
