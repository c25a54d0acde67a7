//! What the benchmarks share: the databases to run on, and a tenant to run as.

#![allow(dead_code, clippy::unwrap_used, clippy::print_stdout)]

pub mod guests;
pub mod seed;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ils_core::db::{Db, DbOptions};
use ils_core::ids::TenantId;
use ils_core::tenants::{FirstAdmin, NewTenant, PlanSlug, Slug, TenantKind};

/// The bench tenant's admin's e-mail address and password.
pub const ADMIN: (&str, &str) = ("admin@bench.example", "bench password 1");

/// A fresh database for one benchmark run.
pub struct BenchDb {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// How to connect to it.
    pub options: DbOptions,
    /// A scratch directory (the SQLite file, the sealing key).
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl BenchDb {
    /// Drops the PostgreSQL database (SQLite's goes with the directory).
    pub async fn remove(self) {
        use sqlx::Connection as _;
        if let Some((admin_url, name)) = self.postgres {
            let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
                .execute(&mut admin)
                .await
                .unwrap();
        }
    }
}

/// A new SQLite database, and a new PostgreSQL one when `ILS_BENCH_DATABASE_URL` (or
/// `ILS_TEST_DATABASE_URL`) names a server where databases may be created.
pub async fn databases() -> Vec<BenchDb> {
    use sqlx::Connection as _;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = DbOptions::new(format!("sqlite:{}", dir.path().join("bench.db").display()));
    let mut out = vec![BenchDb { backend: "sqlite", options: sqlite, dir, postgres: None }];
    let admin_url =
        std::env::var("ILS_BENCH_DATABASE_URL").or_else(|_| std::env::var("ILS_TEST_DATABASE_URL")).ok();
    match admin_url {
        Some(admin_url) => {
            let name = format!("ils_bench_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .unwrap();
            let (base, _) = admin_url.rsplit_once('/').unwrap();
            out.push(BenchDb {
                backend: "postgres",
                options: DbOptions::new(format!("{base}/{name}")),
                dir: tempfile::tempdir().unwrap(),
                postgres: Some((admin_url.clone(), name)),
            });
        }
        None => println!("postgres: skipped (set ILS_BENCH_DATABASE_URL or ILS_TEST_DATABASE_URL)"),
    }
    out
}

/// A tenant of `kind` with an admin who signs in with [`ADMIN`].
pub async fn tenant(db: &Db, kind: TenantKind) -> TenantId {
    tenant_named(db, kind, "bench", ADMIN.0).await
}

/// A tenant of `kind` called `slug`, whose admin signs in as `email` with [`ADMIN`]'s password.
pub async fn tenant_named(db: &Db, kind: TenantKind, slug: &str, email: &str) -> TenantId {
    let new = NewTenant {
        slug: Slug::parse(slug).unwrap(),
        name: format!("Bench Optical {slug}"),
        kind,
        plan: Some(PlanSlug::parse("pro").unwrap()),
    };
    let admin = FirstAdmin {
        email: ils_core::users::Email::parse("e", email).unwrap(),
        name: "Admin".into(),
        password: Some(ils_core::auth::password::Password::parse("p", ADMIN.1).unwrap()),
    };
    ils_core::tenants::create_with_admin(db, &ils_core::audit::AuditCtx::system(), &new, &admin)
        .await
        .unwrap()
        .id
}

/// Serves `state` on a free loopback port until the process ends; returns its base URL
/// (`http://127.0.0.1:…`).
pub async fn serve(state: ils_core::AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = ils_core::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// Signs the bench tenant's admin in at `base`; returns the session token.
pub async fn sign_in(client: &reqwest::Client, base: &str) -> String {
    sign_in_as(client, base, ADMIN.0).await
}

/// Signs `email` in at `base` with [`ADMIN`]'s password; returns the session token.
pub async fn sign_in_as(client: &reqwest::Client, base: &str, email: &str) -> String {
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": ADMIN.1 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}

/// Requests done per second, with the latencies' median and 99th percentile.
pub struct Rate {
    /// Requests per second, over the whole run.
    pub per_sec: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
}

/// Runs `count` requests from `connections` tasks at once; `request(i)` makes the i-th.
pub async fn drive<F, Fut>(count: usize, connections: usize, request: F) -> Rate
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let request = Arc::new(request);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (request, next) = (request.clone(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return latencies;
                    }
                    let at = Instant::now();
                    request(i).await;
                    latencies.push(at.elapsed());
                }
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(count);
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let per_sec = count as f64 / started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Rate { per_sec, p50: at(0.5), p99: at(0.99) }
}
