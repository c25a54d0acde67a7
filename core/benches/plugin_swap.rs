//! The cost of moving a tenant to another plugin version (a hot swap), on SQLite and (when a
//! server is given) PostgreSQL: a plugin route's round trip in steady state, against the first
//! call after each move, as p50 and worst case and their ratio, measured in one run.
//!
//! `cargo bench -p ils-core --bench plugin_swap` — set `ILS_BENCH_DATABASE_URL` (or
//! `ILS_TEST_DATABASE_URL`) to a PostgreSQL server where databases may be created.
//! `ILS_BENCH_SWAPS` sets the number of moves (20).
//!
//! The tenant alternates between two versions of the example plugin (order-notes 1.0.0 and
//! 1.1.0). A move drops the version left behind from the node (no tenant runs it), so the first
//! call after each move loads the other one again: its package from the database, its compiled
//! code from this node's cache, a new instance pre-link.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod support;

use std::time::{Duration, Instant};

use ils_core::db::{Db, DbOptions};
use ils_core::tenants::TenantKind;
use ils_core::{AppConfig, AppState};
use serde_json::json;

struct Measured {
    backend: &'static str,
    steady: Vec<Duration>,
    after_swap: Vec<Duration>,
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index]
}

async fn measure(
    backend: &'static str,
    options: DbOptions,
    data_dir: &std::path::Path,
    swaps: usize,
) -> Measured {
    let db = Db::connect_and_migrate(&options).await.unwrap();
    support::tenant(&db, TenantKind::Ecp).await;
    let sealer = ils_core::config::load_sealer(None, data_dir).unwrap();
    let mut config = AppConfig::new();
    config.plugins.dir = data_dir.join("plugins");
    config.plugins.cache_dir = data_dir.join("plugin-cache");
    let state = AppState::new(db.clone(), config, sealer).unwrap();
    let component = support::guests::guests_dir().join("order_notes.wasm");
    let manifest = include_str!("../../examples/order-notes/ils-plugin.toml");
    for version in ["1.0.0", "1.1.0"] {
        let dir = tempfile::tempdir().unwrap();
        let text = manifest.replace("version = \"0.1.0\"", &format!("version = \"{version}\""));
        std::fs::write(dir.path().join("ils-plugin.toml"), text).unwrap();
        std::fs::copy(&component, dir.path().join("plugin.wasm")).unwrap();
        ils_core::plugins::catalogue::add(
            &db,
            &state.plugins,
            dir.path(),
            &ils_core::tenants::PlanSlug::parse("free").unwrap(),
        )
        .await
        .unwrap();
    }
    let base = support::serve(state).await;
    let api = format!("{base}/api/v1");
    let client = reqwest::Client::new();
    let token = support::sign_in(&client, &base).await;
    let enable = |version: &str| {
        client
            .put(format!("{api}/tenant/plugins/order-notes"))
            .bearer_auth(&token)
            .json(&json!({ "version": version, "consent": ["kv", "http-outbound"] }))
            .send()
    };
    let call = || async {
        let started = Instant::now();
        let response =
            client.get(format!("{api}/plugins/order-notes/orders")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
        started.elapsed()
    };
    assert_eq!(enable("1.0.0").await.unwrap().status(), 200);
    for _ in 0..20 {
        call().await;
    }
    let mut steady = Vec::new();
    for _ in 0..200 {
        steady.push(call().await);
    }
    let mut after_swap = Vec::new();
    for i in 0..swaps {
        let version = if i % 2 == 0 { "1.1.0" } else { "1.0.0" };
        assert_eq!(enable(version).await.unwrap().status(), 200);
        after_swap.push(call().await);
    }
    db.close().await;
    steady.sort();
    after_swap.sort();
    Measured { backend, steady, after_swap }
}

#[tokio::main]
async fn main() {
    ils_core::install_tls_provider();
    let swaps: usize = std::env::var("ILS_BENCH_SWAPS").ok().and_then(|n| n.parse().ok()).unwrap_or(20);
    let mut results = Vec::new();
    for db in support::databases().await {
        results.push(measure(db.backend, db.options.clone(), db.dir.path(), swaps).await);
        db.remove().await;
    }
    println!(
        "\nGET /api/v1/plugins/order-notes/orders: 200 calls in steady state, then the first call after each of {swaps} moves between two versions"
    );
    println!(
        "{:<10} {:>14} {:>14} {:>18} {:>18} {:>12}",
        "backend", "steady p50", "steady max", "after move p50", "after move max", "p50 ratio"
    );
    for r in &results {
        let (s50, a50) = (quantile(&r.steady, 0.5), quantile(&r.after_swap, 0.5));
        println!(
            "{:<10} {:>11.2} ms {:>11.2} ms {:>15.2} ms {:>15.2} ms {:>12.1}",
            r.backend,
            s50.as_secs_f64() * 1e3,
            r.steady.last().unwrap().as_secs_f64() * 1e3,
            a50.as_secs_f64() * 1e3,
            r.after_swap.last().unwrap().as_secs_f64() * 1e3,
            a50.as_secs_f64() / s50.as_secs_f64()
        );
    }
}
