//! Lab orders created per second over HTTP, against rows inserted per second by a bare INSERT
//! on the same database, as ratios measured in one run; on SQLite and (when a server is given)
//! PostgreSQL.
//!
//! `cargo bench -p ils-core --bench orders` — set `ILS_BENCH_DATABASE_URL` (or
//! `ILS_TEST_DATABASE_URL`) to a PostgreSQL server where databases may be created.
//! `ILS_BENCH_ORDERS` sets the count per measurement (2000), `ILS_BENCH_CONNECTIONS` the
//! concurrency (16).
//!
//! HTTP: 16 keep-alive clients place orders through `POST /api/v1/orders` on a real server on
//! loopback — authentication, validation, the prescription read, the job number, the order row,
//! its timeline row, the audit row, the event and its dispatch, one transaction — first all for
//! one practice, then spread over eight. The job runner works the events meanwhile, as in
//! production.
//! Bare: the same order row inserted with one `INSERT` per transaction through sqlx, nothing
//! else: on PostgreSQL from as many connections as the HTTP clients; on SQLite from one
//! connection, its one writer's best case (more connections only queue on its write lock).

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::Rate;

use ils_core::db::types::Timestamp;
use ils_core::db::{Db, DbOptions};
use ils_core::tenants::TenantKind;
use ils_core::{AppConfig, AppState};
use serde_json::{Value, json};

/// One practice's caller and the order it places.
#[derive(Clone)]
struct Practice {
    tenant: uuid::Uuid,
    token: String,
    patient: String,
    rx: String,
    order: Value,
}

struct Measured {
    backend: &'static str,
    one: Rate,
    eight: Rate,
    bare_per_sec: f64,
    bare_connections: usize,
}

async fn call(client: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn practice(db: &Db, client: &reqwest::Client, base: &str, n: usize) -> Practice {
    let email = format!("admin{n}@bench.example");
    let tenant = support::tenant_named(db, TenantKind::Hybrid, &format!("bench-{n}"), &email).await;
    let token = support::sign_in_as(client, base, &email).await;
    let api = format!("{base}/api/v1");
    let patient = call(
        client,
        format!("{api}/patients"),
        Some(&token),
        json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" }),
    )
    .await;
    let patient = patient["id"].as_str().unwrap().to_owned();
    let rx = call(
        client,
        format!("{api}/patients/{patient}/prescriptions"),
        Some(&token),
        json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
                "right": { "sphere": "+1.50", "cylinder": "-0.50", "axis": 90 }, "left": { "sphere": "+1.25" },
                "pd_right_mm": 32, "pd_left_mm": 31.5 }),
    )
    .await;
    let rx = rx["id"].as_str().unwrap().to_owned();
    let order = json!({
        "patient_id": patient, "prescription_id": rx,
        "lens": { "type": "single_vision", "material": "high_index", "index": 1.67, "coatings": ["hard_coat"] },
        "frame": { "description": "Bench frame 52-18" }, "due_on": "2099-01-15",
        "price": { "amount_minor": 12950, "currency": "GBP" }
    });
    Practice { tenant: tenant.as_uuid(), token, patient, rx, order }
}

/// `orders` orders from `connections` clients at once, taking the practices in turn.
async fn place(
    client: &reqwest::Client,
    api: &str,
    practices: &[Practice],
    orders: usize,
    connections: usize,
) -> Rate {
    let (client, url, practices) = (client.clone(), format!("{api}/orders"), practices.to_vec());
    support::drive(orders, connections, move |i| {
        let p = &practices[i % practices.len()];
        let (client, url, token, order) = (client.clone(), url.clone(), p.token.clone(), p.order.clone());
        async move {
            call(&client, url, Some(&token), order).await;
        }
    })
    .await
}

async fn measure(
    backend: &'static str,
    options: DbOptions,
    data_dir: &std::path::Path,
    orders: usize,
    connections: usize,
) -> Measured {
    let db = Db::connect_and_migrate(&options).await.unwrap();
    let sealer = ils_core::config::load_sealer(None, data_dir).unwrap();
    let mut config = AppConfig::new();
    // Eight practices sign in from one address.
    config.auth.attempts_per_minute = 1_000;
    let state = AppState::new(db.clone(), config, sealer).unwrap();
    let runner = ils_core::jobs::Runner::start(state.clone()).unwrap();
    let base = support::serve(state).await;
    let api = format!("{base}/api/v1");
    let client = reqwest::Client::new();
    let mut practices = Vec::new();
    for n in 0..8 {
        practices.push(practice(&db, &client, &base, n).await);
    }
    // Warm up: connections, prepared statements, caches.
    place(&client, &api, &practices, orders / 4, connections).await;
    let one = place(&client, &api, &practices[..1], orders, connections).await;
    let eight = place(&client, &api, &practices, orders, connections).await;
    runner.stop().await;

    // The same row, inserted bare.
    let bare_connections = if backend == "sqlite" { 1 } else { connections };
    let started = Instant::now();
    bare_inserts(&options, &practices[0], orders, bare_connections).await;
    let bare_per_sec = orders as f64 / started.elapsed().as_secs_f64();
    db.close().await;
    Measured { backend, one, eight, bare_per_sec, bare_connections }
}

const BARE_SQL: &str =
    "INSERT INTO lab_orders (tenant_id, id, number, patient_id, prescription_id, reason, rx,
        lens_type, material, lens_index, coatings, frame, pd_right, pd_left, due_on, priority, price_minor,
        currency, status, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, 'new', $6, 'single_vision', 'high_index', 1670, '[\"hard_coat\"]',
        'Bench frame 52-18', 320, 315, '2099-01-15', 'normal', 12950, 'GBP', 'pending', $7, $7)";

const RX_JSON: &str =
    r#"{"right":{"sphere":"+1.50","cylinder":"-0.50","axis":90},"left":{"sphere":"+1.25"}}"#;

/// `orders` bare inserts from `connections` connections at once, one row per transaction.
async fn bare_inserts(options: &DbOptions, p: &Practice, orders: usize, connections: usize) {
    use sqlx::Connection as _;
    let patient = uuid::Uuid::parse_str(&p.patient).unwrap();
    let rx = uuid::Uuid::parse_str(&p.rx).unwrap();
    let tenant = p.tenant;
    let next = Arc::new(AtomicUsize::new(0));
    // One INSERT per transaction, bound the same way on either backend.
    macro_rules! insert_all {
        ($conn:expr, $next:expr, $begin:literal) => {
            loop {
                let n = $next.fetch_add(1, Ordering::Relaxed);
                if n >= orders {
                    break;
                }
                let mut tx = $conn.begin_with($begin).await.unwrap();
                sqlx::query(BARE_SQL)
                    .bind(tenant)
                    .bind(uuid::Uuid::now_v7())
                    .bind(format!("B{n:06}"))
                    .bind(patient)
                    .bind(rx)
                    .bind(RX_JSON)
                    .bind(Timestamp::now())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        };
    }
    let url = options.url.clone();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (url, next) = (url.clone(), next.clone());
            tokio::spawn(async move {
                if url.starts_with("sqlite:") {
                    // The same connection settings as the app's pool (WAL, synchronous=NORMAL, foreign keys).
                    let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
                    let options = options
                        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                        .foreign_keys(true);
                    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
                    insert_all!(conn, next, "BEGIN IMMEDIATE");
                } else {
                    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                    insert_all!(conn, next, "BEGIN");
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
}

#[tokio::main]
async fn main() {
    let env =
        |name: &str, default: usize| std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default);
    let (orders, connections) = (env("ILS_BENCH_ORDERS", 2000), env("ILS_BENCH_CONNECTIONS", 16));
    let mut results = Vec::new();
    for db in support::databases().await {
        results.push(measure(db.backend, db.options.clone(), db.dir.path(), orders, connections).await);
        db.remove().await;
    }

    println!(
        "\n{orders} lab orders per row from {connections} clients at once: over HTTP (POST /api/v1/orders), for one \
         practice and spread over eight, and as bare INSERTs"
    );
    println!(
        "{:<10} {:>26} {:>26} {:>18} {:>9} {:>9}",
        "backend",
        "HTTP 1 practice/s (p50/p99)",
        "HTTP 8 practices/s (p50/p99)",
        "bare rows/s (conns)",
        "1/bare",
        "8/bare"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for r in &results {
        println!(
            "{:<10} {:>26} {:>28} {:>18} {:>9.3} {:>9.3}",
            r.backend,
            format!("{:.0} ({:.1}/{:.1} ms)", r.one.per_sec, ms(r.one.p50), ms(r.one.p99)),
            format!("{:.0} ({:.1}/{:.1} ms)", r.eight.per_sec, ms(r.eight.p50), ms(r.eight.p99)),
            format!("{:.0} ({})", r.bare_per_sec, r.bare_connections),
            r.one.per_sec / r.bare_per_sec,
            r.eight.per_sec / r.bare_per_sec,
        );
    }
}
