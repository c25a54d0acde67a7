//! The console's patient list over HTTP with 10,000 patients in the practice: server time per
//! page, p50 and p95, on SQLite and (when a server is given) PostgreSQL.
//!
//! `cargo bench -p ils-core --bench console` — set `ILS_BENCH_DATABASE_URL` (or
//! `ILS_TEST_DATABASE_URL`) to a PostgreSQL server where databases may be created.
//! `ILS_BENCH_PATIENTS` sets the practice's size (10,000), `ILS_BENCH_PAGES` the pages timed (300).
//!
//! Each page is a real `GET /patients` (the newest 50) or `GET /patients?q=Sm` (a name search) on
//! a server on loopback, with the session cookie: session check, the search (audited with the ids
//! it returned, as the API audits it), and the HTML rendered. The time is the client's round trip
//! on loopback, one request at a time: the server's time plus a loopback hop.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod support;

use std::time::{Duration, Instant};

use ils_core::db::Db;
use ils_core::tenants::TenantKind;
use ils_core::{AppConfig, AppState};
use ils_kernel::TenantCtx;
use ils_kernel::audit::AuditCtx;
use ils_kernel::permissions::Role;

const FAMILY: [&str; 10] =
    ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright"];
const GIVEN: [&str; 10] = ["Ann", "Ben", "Cara", "Dev", "Eve", "Finn", "Gita", "Hugh", "Ivy", "Jon"];

/// `count` patients registered through the clinical service, a thousand per transaction.
async fn register(db: &Db, tenant: ils_core::ids::TenantId, count: usize) {
    let ctx = TenantCtx {
        tenant_id: tenant,
        user_id: None,
        audit: AuditCtx::system(),
        role: Some(Role::CompanyAdmin),
    };
    for chunk in (0..count).collect::<Vec<_>>().chunks(1000) {
        let mut uow = ils_outbox::UnitOfWork::begin(db, &ctx).await.unwrap();
        for n in chunk {
            let details = ils_clinical::patients::Details {
                first_name: GIVEN[n % 10].to_owned(),
                last_name: format!("{}{}", FAMILY[(n / 10) % 10], n / 100),
                date_of_birth: jiff::civil::date(
                    1940 + (n % 60) as i16,
                    1 + (n % 12) as i8,
                    1 + (n % 28) as i8,
                ),
                nhs_number: None,
                email: None,
                phone: None,
                address: Some(format!("{n} High Street")),
                postcode: None,
                medical_notes: String::new(),
            };
            let cmd = ils_clinical::patients::CreatePatient { details, customer_number: None };
            ils_clinical::patients::create(&mut uow, cmd).await.unwrap();
        }
        uow.commit().await.unwrap();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let patients: usize =
        std::env::var("ILS_BENCH_PATIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let pages: usize = std::env::var("ILS_BENCH_PAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    for bench in support::databases().await {
        let db = Db::connect_and_migrate(&bench.options).await.unwrap();
        let tenant = support::tenant(&db, TenantKind::Ecp).await;
        register(&db, tenant, patients).await;
        let sealer = ils_core::config::load_sealer(None, bench.dir.path()).unwrap();
        let state = AppState::new(db.clone(), AppConfig::new(), sealer).unwrap();
        let base = support::serve(state).await;
        let client = reqwest::Client::new();
        let cookie = format!("ils_session={}", support::sign_in(&client, &base).await);
        for (label, path) in [("list", "/patients"), ("search", "/patients?q=Sm")] {
            let mut times = Vec::with_capacity(pages);
            for _ in 0..pages {
                let started = Instant::now();
                let response =
                    client.get(format!("{base}{path}")).header("cookie", &cookie).send().await.unwrap();
                assert_eq!(response.status(), 200);
                let body = response.text().await.unwrap();
                times.push(started.elapsed());
                assert!(body.contains("/patients/"), "the page lists patients");
            }
            times.sort();
            println!(
                "{}: GET {path} ({label}, {patients} patients, {pages} pages): p50 {:.2} ms, p95 {:.2} ms",
                bench.backend,
                percentile(&times, 0.50),
                percentile(&times, 0.95),
            );
        }
        db.close().await;
        bench.remove().await;
    }
}
