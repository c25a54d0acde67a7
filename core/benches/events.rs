//! The event queue: events enqueued and delivered per second, and how long after its commit an
//! event reaches a webhook, on SQLite and (when a server is given) PostgreSQL.
//!
//! `cargo bench -p ils-core --bench events` — set `ILS_BENCH_DATABASE_URL` (or
//! `ILS_TEST_DATABASE_URL`) to a PostgreSQL server where databases may be created, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`. `ILS_BENCH_EVENTS` sets the count of the
//! throughput run (10,000), `ILS_BENCH_PRODUCERS` the producer tasks (8).
//!
//! - Throughput: the job runner (outbox relay and workers) runs while the producers enqueue.
//!   Each producer is one tenant emitting one event per transaction (a unit of work, as a request
//!   would), as fast as it can; each tenant has one webhook endpoint on a loopback receiver.
//!   Enqueued/s: events ÷ the time until the last producer's last commit. Delivered/s: events ÷
//!   the time from the start until the receiver had them all.
//! - Latency: the same producers again, paced together to half the slower of the two rates; for
//!   each event, the time from its commit returning to the receiver having it (p50, p99, max).
//!
//! Everything — the database server too — runs on this machine; "per core" divides by its cores
//! (`available_parallelism`).

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ils_core::audit::AuditCtx;
use ils_core::auth::TenantCtx;
use ils_core::db::{Db, DbOptions};
use ils_core::events::UnitOfWork;
use ils_core::events::catalog::UserRemoved;
use ils_core::ids::{TenantId, UserId};
use ils_core::tenants::{FirstAdmin, NewTenant, PlanSlug, Slug, TenantKind};
use ils_core::{AppConfig, AppState};

/// When each event (by `webhook-id`) reached the receiver.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

struct Measured {
    backend: &'static str,
    enqueued_per_sec: f64,
    delivered_per_sec: f64,
    paced_per_sec: f64,
    latency: Latency,
}

struct Latency {
    p50: Duration,
    p99: Duration,
    max: Duration,
}

async fn receiver() -> (String, Arrivals) {
    let arrivals: Arrivals = Arc::default();
    let seen = arrivals.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: http::HeaderMap| {
            let seen = seen.clone();
            async move {
                let at = Instant::now();
                let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                seen.lock().unwrap().entry(id).or_insert(at);
                http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, arrivals)
}

/// A lab tenant per producer (fair shares are per tenant: one tenant would be held to a quarter
/// of the workers, ADR 016).
async fn tenant(db: &Db, n: usize) -> TenantId {
    let new = NewTenant {
        slug: Slug::parse(&format!("bench-{n}")).unwrap(),
        name: format!("Bench {n}"),
        kind: TenantKind::Lab,
        plan: Some(PlanSlug::parse("pro").unwrap()),
    };
    let admin = FirstAdmin {
        email: ils_core::users::Email::parse("e", &format!("admin{n}@bench.example")).unwrap(),
        name: "Admin".into(),
        password: Some(ils_core::auth::password::Password::parse("p", support::ADMIN.1).unwrap()),
    };
    ils_core::tenants::create_with_admin(db, &AuditCtx::system(), &new, &admin).await.unwrap().id
}

/// `count` events from each producer, one per unit of work; with a `gap`, producer `p` commits
/// its `i`-th event at `start + (i × producers + p) × gap`. Returns when each event committed.
async fn produce(
    db: &Db,
    tenants: &[TenantId],
    count: usize,
    gap: Option<Duration>,
) -> HashMap<String, Instant> {
    let start = tokio::time::Instant::now();
    let producers = tenants.len();
    let tasks: Vec<_> = tenants
        .iter()
        .enumerate()
        .map(|(p, &tenant_id)| {
            let db = db.clone();
            tokio::spawn(async move {
                let ctx = TenantCtx::system(tenant_id);
                let mut committed = Vec::with_capacity(count);
                for i in 0..count {
                    if let Some(gap) = gap {
                        let slot = u32::try_from(i * producers + p).unwrap();
                        tokio::time::sleep_until(start + gap * slot).await;
                    }
                    let mut uow = UnitOfWork::begin(&db, &ctx).await.unwrap();
                    let id = uow.emit(&UserRemoved { user_id: UserId::new() }).await.unwrap();
                    uow.commit().await.unwrap();
                    committed.push((id.to_string(), Instant::now()));
                }
                committed
            })
        })
        .collect();
    let mut all = HashMap::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

/// Waits until the receiver has every event of `committed`.
async fn delivered(arrivals: &Arrivals, committed: &HashMap<String, Instant>) {
    let started = Instant::now();
    loop {
        let done = {
            let arrivals = arrivals.lock().unwrap();
            committed.keys().all(|id| arrivals.contains_key(id))
        };
        if done {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "deliveries stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn measure(
    backend: &'static str,
    options: DbOptions,
    data_dir: &std::path::Path,
    events: usize,
) -> Measured {
    let producers: usize =
        std::env::var("ILS_BENCH_PRODUCERS").ok().and_then(|n| n.parse().ok()).unwrap_or(8).max(1);
    let db = Db::connect_and_migrate(&options).await.unwrap();
    let (url, arrivals) = receiver().await;
    let mut config = AppConfig::new();
    config.webhooks.allow_private_targets = true;
    let sealer = ils_core::config::load_sealer(None, data_dir).unwrap();
    let state = AppState::new(db.clone(), config, sealer).unwrap();
    let mut tenants = Vec::new();
    for n in 0..producers {
        let tenant = tenant(&db, n).await;
        ils_core::webhooks::create_endpoint_for_bench(&state.db, &state.sealer, tenant, &url).await.unwrap();
        tenants.push(tenant);
    }
    let runner = ils_core::jobs::Runner::start(state).unwrap();

    // Throughput: enqueue as fast as the producers can while the runner delivers.
    let per_producer = events.div_ceil(producers);
    let started = Instant::now();
    let committed = produce(&db, &tenants, per_producer, None).await;
    let enqueued_per_sec = committed.len() as f64 / started.elapsed().as_secs_f64();
    delivered(&arrivals, &committed).await;
    let last = committed.keys().map(|id| arrivals.lock().unwrap()[id]).max().unwrap();
    let delivered_per_sec = committed.len() as f64 / last.duration_since(started).as_secs_f64();

    // Latency at half the rate the queue sustained, for about five seconds.
    let paced_per_sec = enqueued_per_sec.min(delivered_per_sec) / 2.0;
    let per_producer = ((paced_per_sec * 5.0) as usize / producers).clamp(20, per_producer);
    let gap = Duration::from_secs_f64(1.0 / paced_per_sec);
    let committed = produce(&db, &tenants, per_producer, Some(gap)).await;
    delivered(&arrivals, &committed).await;
    let mut latencies: Vec<Duration> = {
        let arrivals = arrivals.lock().unwrap();
        committed.iter().map(|(id, at)| arrivals[id].saturating_duration_since(*at)).collect()
    };
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    let latency = Latency { p50: at(0.5), p99: at(0.99), max: *latencies.last().unwrap() };

    runner.stop().await;
    db.close().await;
    Measured { backend, enqueued_per_sec, delivered_per_sec, paced_per_sec, latency }
}

#[tokio::main]
async fn main() {
    let events: usize = std::env::var("ILS_BENCH_EVENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut results = Vec::new();
    for db in support::databases().await {
        results.push(measure(db.backend, db.options.clone(), db.dir.path(), events).await);
        db.remove().await;
    }

    println!(
        "\n{events} events, each emitted in its own transaction by one of several producers (a tenant each), \
         delivered by the running job runner to one webhook endpoint per tenant on loopback; \
         per core = ÷ {cores} cores (database server, producers, relay, workers and receiver share them)"
    );
    println!(
        "{:<9} {:>11} {:>9} {:>12} {:>9} | {:>9} {:>9} {:>9} {:>9}",
        "backend",
        "enqueued/s",
        "per core",
        "delivered/s",
        "per core",
        "paced/s",
        "p50 ms",
        "p99 ms",
        "max ms"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for r in &results {
        println!(
            "{:<9} {:>11.0} {:>9.0} {:>12.0} {:>9.0} | {:>9.0} {:>9.1} {:>9.1} {:>9.1}",
            r.backend,
            r.enqueued_per_sec,
            r.enqueued_per_sec / cores as f64,
            r.delivered_per_sec,
            r.delivered_per_sec / cores as f64,
            r.paced_per_sec,
            ms(r.latency.p50),
            ms(r.latency.p99),
            ms(r.latency.max),
        );
    }
}
