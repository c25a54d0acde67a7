//! Lab orders created per second over HTTP, against rows inserted per second by a bare INSERT
//! on the same database, as a ratio; on SQLite and (when a server is given) PostgreSQL.
//!
//! `cargo bench -p ils-core --bench orders` — set `ILS_BENCH_DATABASE_URL` (or
//! `ILS_TEST_DATABASE_URL`) to a PostgreSQL server where databases may be created.
//! `ILS_BENCH_ORDERS` sets the count (1000).
//!
//! HTTP: one client places orders one after another through `POST /api/v1/orders` on a real
//! server on loopback — authentication, validation, the prescription read, the job number, the
//! order row, its timeline row, the audit row, the event and its dispatch job, one transaction.
//! Bare: the same order row inserted with one `INSERT` per transaction through sqlx, nothing else.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod support;

use std::time::Instant;

use ils_core::db::types::Timestamp;
use ils_core::db::{Db, DbOptions};
use ils_core::tenants::TenantKind;
use ils_core::{AppConfig, AppState};
use serde_json::{Value, json};

struct Measured {
    backend: &'static str,
    http_per_sec: f64,
    bare_per_sec: f64,
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

async fn measure(
    backend: &'static str,
    options: DbOptions,
    data_dir: &std::path::Path,
    orders: usize,
) -> Measured {
    let db = Db::connect_and_migrate(&options).await.unwrap();
    let tenant = support::tenant(&db, TenantKind::Hybrid).await;
    let sealer = ils_core::config::load_sealer(None, data_dir).unwrap();
    let state = AppState::new(db.clone(), AppConfig::new(), sealer).unwrap();
    let base = support::serve(state).await;
    let api = format!("{base}/api/v1");
    let client = reqwest::Client::new();
    let token = support::sign_in(&client, &base).await;
    let patient = call(
        &client,
        format!("{api}/patients"),
        Some(&token),
        json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" }),
    )
    .await;
    let patient = patient["id"].as_str().unwrap().to_owned();
    let rx = call(
        &client,
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

    let started = Instant::now();
    for _ in 0..orders {
        call(&client, format!("{api}/orders"), Some(&token), order.clone()).await;
    }
    let http_per_sec = orders as f64 / started.elapsed().as_secs_f64();

    // The same row, inserted bare.
    let started = Instant::now();
    bare_inserts(&options, tenant.as_uuid(), &patient, &rx, orders).await;
    let bare_per_sec = orders as f64 / started.elapsed().as_secs_f64();
    db.close().await;
    Measured { backend, http_per_sec, bare_per_sec }
}

const BARE_SQL: &str =
    "INSERT INTO lab_orders (tenant_id, id, number, patient_id, prescription_id, reason, rx,
        lens_type, material, lens_index, coatings, frame, pd_right, pd_left, due_on, priority, price_minor,
        currency, status, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, 'new', $6, 'single_vision', 'high_index', 1670, '[\"hard_coat\"]',
        'Bench frame 52-18', 320, 315, '2099-01-15', 'normal', 12950, 'GBP', 'pending', $7, $7)";

const RX_JSON: &str =
    r#"{"right":{"sphere":"+1.50","cylinder":"-0.50","axis":90},"left":{"sphere":"+1.25"}}"#;

async fn bare_inserts(options: &DbOptions, tenant: uuid::Uuid, patient: &str, rx: &str, orders: usize) {
    use sqlx::Connection as _;
    let patient = uuid::Uuid::parse_str(patient).unwrap();
    let rx = uuid::Uuid::parse_str(rx).unwrap();
    // One INSERT per transaction, bound the same way on either backend.
    macro_rules! insert_all {
        ($conn:expr, $begin:literal) => {
            for n in 0..orders {
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
    let url = &options.url;
    if url.starts_with("sqlite:") {
        // The same connection settings as the app's pool (WAL, synchronous=NORMAL, foreign keys).
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
        let options = options
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        insert_all!(conn, "BEGIN IMMEDIATE");
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        insert_all!(conn, "BEGIN");
    }
}

#[tokio::main]
async fn main() {
    let orders: usize = std::env::var("ILS_BENCH_ORDERS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let mut results = Vec::new();
    for db in support::databases().await {
        results.push(measure(db.backend, db.options.clone(), db.dir.path(), orders).await);
        db.remove().await;
    }

    println!("\n{orders} lab orders, one after another: over HTTP (POST /api/v1/orders) and as bare INSERTs");
    println!("{:<10} {:>16} {:>16} {:>14}", "backend", "HTTP orders/s", "bare rows/s", "HTTP/bare");
    for r in &results {
        println!(
            "{:<10} {:>16.0} {:>16.0} {:>14.3}",
            r.backend,
            r.http_per_sec,
            r.bare_per_sec,
            r.http_per_sec / r.bare_per_sec
        );
    }
}
