//! Events enqueued and delivered per second, on SQLite and (when a server is given) PostgreSQL.
//!
//! `cargo bench -p ils-core --bench events` — set `ILS_BENCH_DATABASE_URL` (or
//! `ILS_TEST_DATABASE_URL`) to a PostgreSQL server where databases may be created, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`. `ILS_BENCH_EVENTS` sets the count (2000).
//!
//! Enqueue: each event is emitted in its own transaction and committed, as a request would (the
//! event row and its dispatch job). Delivery: the workers then dispatch every event and POST it,
//! signed, to a webhook endpoint on loopback; the rate is events received per second.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ils_core::db::{Db, DbOptions};
use ils_core::events::catalog::UserRemoved;
use ils_core::ids::UserId;
use ils_core::tenants::TenantKind;
use ils_core::{AppConfig, AppState};

struct Measured {
    backend: &'static str,
    enqueued_per_sec: f64,
    delivered_per_sec: f64,
}

async fn receiver() -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, count)
}

async fn measure(
    backend: &'static str,
    options: DbOptions,
    data_dir: &std::path::Path,
    events: usize,
) -> Measured {
    let db = Db::connect_and_migrate(&options).await.unwrap();
    let tenant = support::tenant(&db, TenantKind::Lab).await;
    let (url, received) = receiver().await;
    let mut config = AppConfig::new();
    config.webhooks.allow_private_targets = true;
    let sealer = ils_core::config::load_sealer(None, data_dir).unwrap();
    let state = AppState::new(db.clone(), config, sealer).unwrap();
    ils_core::webhooks::create_endpoint_for_bench(&state.db, &state.sealer, tenant, &url).await.unwrap();

    let started = Instant::now();
    for _ in 0..events {
        let mut tx = db.tenant(tenant).await.unwrap();
        ils_core::events::emit(&mut tx, &UserRemoved { user_id: UserId::new() }).await.unwrap();
        tx.commit().await.unwrap();
    }
    let enqueued_per_sec = events as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    let runner = ils_core::jobs::Runner::start(state).unwrap();
    while received.load(Ordering::SeqCst) < events {
        assert!(started.elapsed() < Duration::from_secs(600), "deliveries stalled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivered_per_sec = events as f64 / started.elapsed().as_secs_f64();
    runner.stop().await;
    db.close().await;
    Measured { backend, enqueued_per_sec, delivered_per_sec }
}

#[tokio::main]
async fn main() {
    let events: usize = std::env::var("ILS_BENCH_EVENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let mut results = Vec::new();
    for db in support::databases().await {
        results.push(measure(db.backend, db.options.clone(), db.dir.path(), events).await);
        db.remove().await;
    }

    println!(
        "\n{events} events, each emitted in its own transaction, then delivered to one webhook endpoint on loopback"
    );
    println!("{:<10} {:>18} {:>18} {:>22}", "backend", "enqueued/s", "delivered/s", "delivered/enqueued");
    for r in &results {
        println!(
            "{:<10} {:>18.0} {:>18.0} {:>22.2}",
            r.backend,
            r.enqueued_per_sec,
            r.delivered_per_sec,
            r.delivered_per_sec / r.enqueued_per_sec
        );
    }
}
