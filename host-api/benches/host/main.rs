//! The plugin host's benchmark, reported as ratios in one run:
//!
//! (a) per-invocation cost of a no-op export through [`PluginHost`] (admission, fresh `Store`,
//!     limits, deadline, metrics, instantiate + call + drop) against wasmtime's fastest
//!     instantiate-and-call of the same component ([`baseline`]), in interleaved rounds;
//! (b) a compute-heavy plugin function against the same Rust code compiled natively;
//! (c) invocations per second with the calls spread over 1, 100 and 10,000 tenants: the same
//!     number of calls each, in short rounds whose order rotates, medians;
//! (d) 1,000 distinct compiled versions installed: memory per version, and the first call of a
//!     version never called against a warm one ([`versions`]).
//!
//! Run: `cargo bench -p ils-host-api` (builds the probe component first). For a profiler,
//! `ILS_BENCH_PROFILE=host` (or `bare`) runs only that side of (a), for 20 seconds.

#![allow(clippy::print_stdout, missing_docs)]

mod baseline;
mod versions;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ils_host_api::fakes::FakeServices;
use ils_host_api::{
    EngineConfig, Event, Grants, HostConfig, InvocationContext, PluginEngine, PluginHost, TenantId,
};
use ils_registry::{Manifest, PluginId};

pub(crate) const MANIFEST: &str = r#"
id = "probe"
name = "Probe"
version = "1.0.0"
publisher = "ILS bench"
platform = "^0.3"
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
pub(crate) fn ctx(i: usize) -> InvocationContext {
    InvocationContext::new(tenant(i)).with_grants(Grants::all())
}

pub(crate) fn event(what: &str, payload: &str) -> Event {
    Event { id: "bench".into(), kind: format!("probe.{what}"), occurred_at_ms: 0, payload: payload.into() }
}

/// Median of `samples`.
fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Mean time per call of `calls` sequential calls of `f`.
async fn timed<F: AsyncFnMut()>(calls: u32, mut f: F) -> Duration {
    let started = Instant::now();
    for _ in 0..calls {
        f().await;
    }
    started.elapsed() / calls
}

/// Invocations per second of `calls` no-op calls by `workers` tasks, call `c` for tenant
/// `(first + c) % tenants`.
async fn throughput(
    host: &PluginHost,
    plugin: &ils_host_api::PluginVersion,
    tenants: usize,
    first: usize,
    calls: usize,
) -> f64 {
    let workers = 8;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (host, plugin) = (host.clone(), plugin.clone());
        tasks.push(tokio::spawn(async move {
            for c in (w..calls).step_by(workers) {
                let tenant = (first + c) % tenants;
                host.invoke_event(&plugin, ctx(tenant), event("noop", "")).await.expect("invoke");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    calls as f64 / started.elapsed().as_secs_f64()
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
    let id = PluginId::new("probe").expect("id");
    // Every tenant of (c) is enabled (has its configuration) from the start.
    let most = 10_000;
    for i in 0..most {
        services.set_config(&tenant(i), &id, serde_json::json!({ "n": i }));
    }

    // For a profiler: `ILS_BENCH_PROFILE=host` (or `bare`) repeats that side of (a) for 20 s.
    if let Ok(side) = std::env::var("ILS_BENCH_PROFILE") {
        let bare = baseline::Baseline::new(&bytes);
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            for _ in 0..1_000 {
                match side.as_str() {
                    "bare" => bare.call_async().await,
                    _ => host.invoke_event(&plugin, ctx(0), event("noop", "")).await.expect("noop"),
                }
            }
        }
        return;
    }

    // (a) no-op: the host against wasmtime's fastest, in interleaved rounds (the machine is
    // shared; a round disturbed for one side is likely disturbed for the other).
    let bare = baseline::Baseline::new(&bytes);
    let (rounds, n) = (9, 2_000);
    let noop = || async { host.invoke_event(&plugin, ctx(0), event("noop", "")).await.expect("noop") };
    timed(200, async || noop().await).await;
    timed(200, async || bare.call_sync()).await;
    timed(200, async || bare.call_async().await).await;
    let (mut ils, mut sync, mut asyn) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        ils.push(timed(n, async || noop().await).await.as_secs_f64() * 1e6);
        sync.push(timed(n, async || bare.call_sync()).await.as_secs_f64() * 1e6);
        asyn.push(timed(n, async || bare.call_async().await).await.as_secs_f64() * 1e6);
    }
    let (ils, sync, asyn) = (median(ils), median(sync), median(asyn));
    let fastest = sync.min(asyn);

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

    // (c) throughput: the same calls spread over 1, 100 or 10,000 tenants, in short rounds whose
    // order rotates (so a burst of load on the shared machine hits every count alike); each
    // count's rounds go on round-robin through its tenants. The median round of each, and the
    // median of each round's ratio to the 1-tenant round next to it.
    let counts = [1usize, 100, most];
    let (rounds_c, calls) = (30, 2_000);
    throughput(&host, &plugin, most, 0, most).await;
    let mut rates = vec![Vec::new(); counts.len()];
    for round in 0..rounds_c {
        for k in 0..counts.len() {
            let k = (k + round) % counts.len();
            rates[k].push(throughput(&host, &plugin, counts[k], round * calls, calls).await);
        }
    }
    // Each round's rate against the 1-tenant rate of the same round: a slow change in the
    // machine's load cancels out of the pair.
    let ratios: Vec<f64> = rates
        .iter()
        .map(|r| median(r.iter().zip(&rates[0]).map(|(rate, one)| rate / one).collect()))
        .collect();
    let rates: Vec<f64> = rates.into_iter().map(median).collect();

    // (d) 1,000 compiled versions.
    let root = tempfile::tempdir().expect("tempdir");
    let many = PluginHost::new(
        engine.clone(),
        services.services(),
        HostConfig { cache_dir: root.path().to_path_buf(), allow_private_networks: false },
    )
    .expect("host");
    let d = versions::run(&many, root.path(), &bytes, 1_000).await;

    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let kib = |b: u64| b as f64 / 1024.0;
    println!("ILS plugin host benchmark (release, 2 workers, probe component {} KiB)", bytes.len() / 1024);
    println!(
        "(a) no-op invocation (median of {rounds} rounds of {n}): host {ils:.1} µs; wasmtime fastest: \
         sync {sync:.1} µs, async {asyn:.1} µs -> host/fastest = {:.2}x (+{:.1} µs per call)",
        ils / fastest,
        ils - fastest
    );
    println!(
        "(b) compute ({iterations} iterations): plugin {:.1} ms, native {:.1} ms -> plugin/native = {:.2}x",
        ms(wasm),
        ms(native),
        ms(wasm) / ms(native)
    );
    for ((tenants, rate), ratio) in counts.iter().zip(&rates).zip(&ratios) {
        println!(
            "(c) calls over {tenants:>6} tenants (median of {rounds_c} rounds of {calls}): {rate:>8.0} \
             invocations/s; against 1 tenant in the same round: {ratio:.3}x"
        );
    }
    println!(
        "(d) {} versions: compile one {:.0} ms (artifact {:.0} KiB, a second variant's {}); install from \
         cache p50 {:.0} µs",
        d.versions,
        ms(d.compile),
        kib(d.artifact_bytes),
        if d.same_artifact { "identical" } else { "DIFFERENT" },
        us(d.install_p50)
    );
    for (when, rss) in [("installed", d.rss_installed), ("after one call each", d.rss_called)] {
        println!(
            "(d) RSS per version, {when}: {:.0} KiB (anon {:.0}, file {:.0}, shmem {:.0})",
            kib(rss.total()),
            kib(rss.anon),
            kib(rss.file),
            kib(rss.shmem)
        );
    }
    let p = |(p50, p99): (Duration, Duration)| format!("p50 {:.1} µs, p99 {:.1} µs", us(p50), us(p99));
    println!("(d) first call of a version: {}", p(d.first_call));
    println!("(d) its second call, at once: {}", p(d.second_call));
    println!("(d) every version again, in turn: {}", p(d.cycled_call));
}
