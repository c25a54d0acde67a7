//! A year of a busy lab's reports: 100,000 orders seeded (with their timelines, failed checks
//! and remakes), then the `reports` plugin's turnaround, quality and revenue reports over the
//! year, as CSV and PDF, on SQLite and (when a server is given) PostgreSQL.
//!
//! `cargo bench -p ils-core --bench reports` — set `ILS_BENCH_DATABASE_URL` (or
//! `ILS_TEST_DATABASE_URL`) to a PostgreSQL server where databases may be created;
//! `ILS_BENCH_ORDERS` sets the number of orders (100,000), `ILS_BENCH_RUNS` the renders of each
//! report and format (3; the median is reported).
//!
//! Three measures of each report, in one run:
//! - **plugin**: `POST /api/v1/reports/reports/{id}/render` as a user calls it, answered with the
//!   file: the wasm component reading through `ils:platform/reports.aggregate`, the run
//!   recorded, the file stored and served;
//! - **native**: the same report code (`ils_reports::render`) compiled natively, reading through
//!   the same host services with the same queries, nothing stored;
//! - **reads**: the part of the native time spent in those reads (the database's aggregates and
//!   their audit rows), which the plugin pays too.
//!
//! What the plugin pays beyond the native run — crossing the boundary (copying queries and
//! answers in and out, the bytes out), running as wasm rather than native code, recording the
//! run and storing the file — is `plugin − native`, shown as a share of the plugin's time.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ils_core::tenants::TenantKind;
use ils_core::{AppConfig, AppState};
use ils_host_api::Scope;
use ils_reports::records::{Query, ResultSet};
use ils_reports::{Context, Source, SourceError};
use serde_json::json;

const REPORTS: [&str; 3] = ["turnaround", "quality", "revenue"];
const FORMATS: [&str; 2] = ["csv", "pdf"];
const YEAR: (&str, &str) = ("2026-01-01", "2027-01-01");

/// The tenant's data through the host's services, natively: what the plugin reads through
/// `ils:platform/reports`, and how long the reads took.
struct HostSource {
    plugins: Arc<ils_plugin_host::Plugins>,
    scope: Scope,
    runtime: tokio::runtime::Handle,
    reading: Mutex<Duration>,
}

impl Source for HostSource {
    fn aggregate(&self, query: &Query) -> Result<ResultSet, SourceError> {
        let started = Instant::now();
        let answer = self.runtime.block_on(self.plugins.services().reports.aggregate(&self.scope, query));
        *self.reading.lock().unwrap() += started.elapsed();
        answer.map_err(|e| SourceError::Invalid(e.to_string()))
    }
}

struct Measured {
    backend: &'static str,
    report: &'static str,
    format: &'static str,
    plugin: Duration,
    native: Duration,
    reads: Duration,
    bytes: usize,
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

async fn measure(db: &support::BenchDb, orders: usize, runs: usize) -> Vec<Measured> {
    let pool = ils_core::db::Db::connect_and_migrate(&db.options).await.unwrap();
    let tenant = support::tenant(&pool, TenantKind::Lab).await;
    let data_dir = db.dir.path();
    let sealer = ils_core::config::load_sealer(None, data_dir).unwrap();
    let mut config = AppConfig::new();
    config.plugins.dir = data_dir.join("plugins");
    config.plugins.cache_dir = data_dir.join("plugin-cache");
    config.files = ils_core::config::FileStorage::Dir(data_dir.join("files"));
    let state = AppState::new(pool.clone(), config, sealer).unwrap();
    let package = tempfile::tempdir().unwrap();
    std::fs::write(
        package.path().join("ils-plugin.toml"),
        include_str!("../../plugins/reports/ils-plugin.toml"),
    )
    .unwrap();
    std::fs::copy(support::guests::guests_dir().join("ils_reports.wasm"), package.path().join("plugin.wasm"))
        .unwrap();
    let free = ils_core::tenants::PlanSlug::parse("free").unwrap();
    let added =
        ils_core::plugins::catalogue::add(&pool, &state.plugins, package.path(), &free).await.unwrap();
    let version = added.version.clone();

    let seeding = Instant::now();
    let keep = std::env::var_os("ILS_BENCH_STOP_AFTER_SEEDING").is_some();
    let lenses = ["single_vision", "progressive", "bifocal", "trifocal", "occupational"];
    support::seed::seed_orders(&pool, tenant, &support::seed::plan_year(orders, &lenses)).await;
    println!("{}: {orders} orders seeded in {:.1} s", db.backend, seeding.elapsed().as_secs_f64());
    if keep {
        // For looking at query plans: the database stays, the bench stops.
        println!("{}: kept at {}", db.backend, db.options.url);
        std::process::exit(0);
    }

    let plugins = state.plugins.clone();
    let base = support::serve(state).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(600)).build().unwrap();
    let token = support::sign_in(&client, &base).await;
    let enable = json!({ "version": version, "consent": ["reports-read", "files-write"] });
    let enabled =
        client.put(format!("{base}/api/v1/tenant/plugins/reports")).bearer_auth(&token).json(&enable);
    assert_eq!(enabled.send().await.unwrap().status(), 200);

    let params = json!({ "period": { "start": YEAR.0, "end": YEAR.1 } });
    let scope = Scope {
        tenant: tenant.as_uuid().into(),
        plugin: ils_registry::PluginId::new(&added.id).unwrap(),
        version: added.version.parse().unwrap(),
        caller: None,
    };
    let mut out = Vec::new();
    for report in REPORTS {
        for format in FORMATS {
            let (mut plugin, mut native, mut reads) = (Vec::new(), Vec::new(), Vec::new());
            let mut bytes = 0;
            // One render first: the component compiled and instantiated, the database warm.
            for run in 0..=runs {
                let started = Instant::now();
                let url = format!("{base}/api/v1/reports/reports/{report}/render?wait=600");
                let body = json!({ "format": format, "params": params });
                let answer = client.post(url).bearer_auth(&token).json(&body).send().await.unwrap();
                bytes = follow(&client, &base, &token, answer).await.len();
                let took = started.elapsed();

                let source = HostSource {
                    plugins: plugins.clone(),
                    scope: scope.clone(),
                    runtime: tokio::runtime::Handle::current(),
                    reading: Mutex::default(),
                };
                let params = params.to_string();
                let (rendered, native_took, source) = tokio::task::spawn_blocking(move || {
                    let ctx = Context { practice_name: "Bench Optical".into(), generated_at_ms: 0 };
                    let started = Instant::now();
                    let rendered = ils_reports::render(report, &params, format_of(format), &source, &ctx);
                    (rendered, started.elapsed(), source)
                })
                .await
                .unwrap();
                let rendered = rendered.unwrap();
                assert!(
                    rendered.body.len().abs_diff(bytes) * 10 < bytes.max(1000),
                    "native and plugin differ"
                );
                if run > 0 {
                    plugin.push(took);
                    native.push(native_took);
                    reads.push(*source.reading.lock().unwrap());
                }
            }
            out.push(Measured {
                backend: db.backend,
                report,
                format,
                plugin: median(plugin),
                native: median(native),
                reads: median(reads),
                bytes,
            });
        }
    }
    pool.close().await;
    out
}

/// The rendered file: the answer's, or (202: a render longer than the longest wait) its run's
/// once it ends, polled as the console polls it.
async fn follow(client: &reqwest::Client, base: &str, token: &str, answer: reqwest::Response) -> Vec<u8> {
    let status = answer.status();
    let body = answer.bytes().await.unwrap();
    match status.as_u16() {
        200 => return body.to_vec(),
        202 => {}
        _ => panic!("{status}: {}", String::from_utf8_lossy(&body)),
    }
    let run: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let id = run["id"].as_str().unwrap().to_owned();
    let get = |path: String| client.get(format!("{base}/api/v1/{path}")).bearer_auth(token).send();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let run: serde_json::Value = get(format!("reports/runs/{id}")).await.unwrap().json().await.unwrap();
        match run["status"].as_str() {
            Some("running") => continue,
            Some("done") => {
                let file = run["file_id"].as_str().unwrap();
                return get(format!("files/{file}")).await.unwrap().bytes().await.unwrap().to_vec();
            }
            _ => panic!("{run}"),
        }
    }
}

fn format_of(name: &str) -> ils_reports::Format {
    match name {
        "csv" => ils_reports::Format::Csv,
        _ => ils_reports::Format::Pdf,
    }
}

#[tokio::main]
async fn main() {
    ils_core::install_tls_provider();
    let orders: usize =
        std::env::var("ILS_BENCH_ORDERS").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let runs: usize = std::env::var("ILS_BENCH_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(3);
    let mut results = Vec::new();
    for db in support::databases().await {
        results.extend(measure(&db, orders, runs).await);
        db.remove().await;
    }
    println!("\nReports over a year of {orders} orders: median of {runs} renders each");
    println!(
        "{:<9} {:<11} {:<4} {:>10} {:>10} {:>10} {:>13} {:>14} {:>10}",
        "backend", "report", "fmt", "plugin", "native", "reads", "plugin/native", "beyond native", "bytes"
    );
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1e3);
    for r in &results {
        let beyond = r.plugin.saturating_sub(r.native).as_secs_f64() / r.plugin.as_secs_f64();
        println!(
            "{:<9} {:<11} {:<4} {:>10} {:>10} {:>10} {:>13.2} {:>13.0}% {:>10}",
            r.backend,
            r.report,
            r.format,
            ms(r.plugin),
            ms(r.native),
            ms(r.reads),
            r.plugin.as_secs_f64() / r.native.as_secs_f64(),
            100.0 * beyond,
            r.bytes
        );
    }
}
