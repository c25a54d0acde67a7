//! The test harness: the real app, on a real listener, over real HTTP, on a fresh database.
//!
//! Every test body runs twice: on SQLite (always) and on PostgreSQL (when
//! `ILS_TEST_DATABASE_URL` is set at build time; otherwise that variant is reported as ignored).
//! On PostgreSQL each test gets its own database, migrated by the owner, while the app connects
//! as `ils_test_service`: a member of `ils_app` that owns nothing and cannot bypass RLS, exactly
//! as docs/operations/postgresql.md tells operators to run it.

use std::net::SocketAddr;
use std::time::Duration;

use ils_core::AppState;
use ils_core::audit::AuditCtx;
use ils_core::auth::password::Password;
use ils_core::config::AppConfig;
use ils_core::db::{Db, DbOptions};
use ils_core::tenants::{self, FirstAdmin, NewTenant, PlanSlug, Slug, TenantKind};
use ils_core::users::{self, Email};
use reqwest::Method;
use serde_json::{Value, json};

/// An HTTP client for tests (after installing the TLS provider the app uses).
pub fn http(timeout: Duration) -> reqwest::Client {
    ils_core::install_tls_provider();
    // A new connection per request: when the server answers before reading a request's body (a
    // refused upload), hyper closes that connection after the answer, and a client reusing it
    // for the next request can lose the race and fail with `IncompleteMessage` (seen once in CI
    // in `registry::every_refusal_has_its_problem`). Loopback connections cost nothing.
    reqwest::Client::builder().timeout(timeout).pool_max_idle_per_host(0).build().expect("client")
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares a test that runs on both backends: `db_test!(async fn name(backend) { … })`.
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($backend:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            async fn body($backend: $crate::harness::Backend) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                body($crate::harness::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(ils_pg), ignore = "PostgreSQL not configured: set ILS_TEST_DATABASE_URL")]
            async fn postgres() {
                body($crate::harness::Backend::Postgres).await
            }
        }
    };
}
pub(crate) use db_test;

/// A documented path with every `{parameter}` filled: `{job_id}` and `{line_no}` (numbers) with 1,
/// `{date}` with a day, every other (an id) with a UUID no row has.
pub fn fill_path(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = start + rest[start..].find('}').expect("unclosed path parameter");
        out.push_str(&rest[..start]);
        out.push_str(match &rest[start..=end] {
            "{job_id}" | "{line_no}" => "1",
            // A day at the till.
            "{date}" => "2026-12-01",
            // A message to patients is named, not numbered.
            "{message}" => "order_ready",
            _ => "01900000-0000-7000-8000-000000000000",
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

pub const PASSWORD: &str = "correct horse battery staple";
const SERVICE_ROLE: &str = "ils_test_service";

/// A running app and what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub backend: Backend,
    /// The app's state (its plugin runtime, for installing packages as `ils plugin install` does).
    pub state: AppState,
    pg: Option<PgDatabase>,
    _dir: tempfile::TempDir,
}

/// A signed-in caller.
#[derive(Clone, Debug)]
pub struct Actor {
    pub token: String,
    pub user_id: String,
    pub email: String,
}

/// A tenant with its first admin signed in.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub admin: Actor,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status, status, "expected {status} {code}, got {} {}", self.status, self.body);
        let content_type = self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(content_type, "application/problem+json", "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["status"], status);
        self
    }

    /// Asserts the status.
    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "expected {status}, got {} {}", self.status, self.body);
        &self.body
    }
}

/// The job queue's jobs of `kind` (up to `limit`), as River lists them.
pub async fn jobs_of_kind(db: &Db, kind: &'static str, limit: u32) -> Vec<riverqueue::JobRow> {
    db.jobs()
        .jobs()
        .list(riverqueue::JobListParams::default().kinds([kind]).limit(limit))
        .await
        .expect("jobs")
        .jobs
}

/// A new, empty database for one test: a data directory (with `ils.db` for SQLite) and, on
/// PostgreSQL, a database dropped when the guard is.
pub async fn fresh_database(backend: Backend) -> (tempfile::TempDir, DbOptions, Option<PgDatabase>) {
    let dir = tempfile::tempdir().expect("temp dir");
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite:{}", dir.path().join("ils.db").display());
            (dir, DbOptions::new(url), None)
        }
        Backend::Postgres => {
            let pg = PgDatabase::create().await;
            let mut options = DbOptions::new(pg.service_url.clone());
            options.migrate_url = Some(pg.owner_url());
            options.max_connections = 8;
            (dir, options, Some(pg))
        }
    }
}

pub struct PgDatabase {
    admin_url: String,
    name: String,
    service_url: String,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut AppConfig)) -> Self {
        let (dir, options, pg) = fresh_database(backend).await;
        let db = Db::connect_and_migrate(&options).await.expect("database");
        let mut config = AppConfig::new();
        // Tests sign in often from one address; the limiter has its own test.
        config.auth.attempts_per_minute = 10_000;
        // Receivers run on loopback; retries are quick so tests see them.
        config.webhooks.allow_private_targets = true;
        config.webhooks.timeout = Duration::from_secs(5);
        config.jobs.retry_base = Duration::from_millis(50);
        config.jobs.retry_max = Duration::from_millis(400);
        config.jobs.delivery_attempts = 3;
        // Plugins: a registry per test; compiled components shared by every test (content-addressed).
        config.plugins.dir = dir.path().join("plugins");
        config.plugins.cache_dir = std::env::temp_dir().join("ils-test-plugin-cache");
        config.plugins.allow_private_networks = true;
        config.plugins.max_instances = 16;
        config.files = ils_core::config::FileStorage::Dir(dir.path().join("files"));
        configure(&mut config);
        let sealer = ils_core::config::load_sealer(None, dir.path()).expect("sealer");
        let state = AppState::new(db.clone(), config, sealer).expect("state");
        // The runner lives as long as the test's runtime.
        std::mem::forget(ils_core::jobs::Runner::start(state.clone()).expect("job runner"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        tokio::spawn(ils_core::server::run(listener, state.clone(), std::future::pending()));
        let client = http(Duration::from_secs(30));
        TestApp { base: format!("http://{addr}"), client, db, backend, state, pg, _dir: dir }
    }

    /// An app that e-mails through `sink` (from `ILS <noreply@ils.test>`, links to
    /// `https://ils.example.com/`).
    pub async fn with_mail(backend: Backend, sink: &crate::fakes::SmtpSink) -> Self {
        let url = sink.url.clone();
        Self::spawn_with(backend, move |c| {
            c.email.smtp_url = Some(url);
            c.email.from = "ILS <noreply@ils.test>".into();
            c.public_url = "https://ils.example.com/".parse().unwrap();
        })
        .await
    }

    /// Starts a second `ils serve` (no job runner) over this app's PostgreSQL database, as
    /// another node behind the same load balancer; its base URL. `dir` holds its data.
    pub async fn second_node(&self, dir: &std::path::Path) -> String {
        let mut options = DbOptions::new(self.service_url().expect("a second node needs PostgreSQL"));
        options.max_connections = 4;
        let db = Db::connect(&options).await.expect("second node's pool");
        let mut config = AppConfig::new();
        config.auth.attempts_per_minute = 10_000;
        let sealer = ils_core::config::load_sealer(None, dir).expect("sealer");
        let state = AppState::new(db, config, sealer).expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(ils_core::server::run(listener, state, std::future::pending()));
        base
    }

    /// A URL that reads the database without row-level security (the owner), for checks
    /// of what is stored.
    pub fn inspect_url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.owner_url(),
            None => format!("sqlite:{}", self._dir.path().join("ils.db").display()),
        }
    }

    /// Runs one statement as the database owner (no row-level security): to age rows, or to show
    /// that a constraint refuses what the app never sends. Returns the rows affected.
    pub async fn owner_execute(&self, sql: &'static str) -> Result<u64, sqlx::Error> {
        use sqlx::Connection as _;
        let url = self.inspect_url();
        if url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&url).await?;
            sqlx::query(sql).execute(&mut conn).await.map(|r| r.rows_affected())
        } else {
            let mut conn = sqlx::PgConnection::connect(&url).await?;
            sqlx::query(sql).execute(&mut conn).await.map(|r| r.rows_affected())
        }
    }

    /// The SQLite database's URL (SQLite only).
    pub fn db_path(&self) -> Option<String> {
        (self.backend == Backend::Sqlite)
            .then(|| format!("sqlite:{}", self._dir.path().join("ils.db").display()))
    }

    /// The service role's connection URL (PostgreSQL only).
    pub fn service_url(&self) -> Option<&str> {
        self.pg.as_ref().map(|pg| pg.service_url.as_str())
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::read(request.send().await.expect("request")).await
    }

    pub async fn read(response: reqwest::Response) -> Resp {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Signs in; panics unless it succeeds.
    pub async fn login(&self, email: &str, password: &str, tenant: Option<&str>) -> Actor {
        let mut body = json!({ "email": email, "password": password });
        if let Some(tenant) = tenant {
            body["tenant"] = json!(tenant);
        }
        let resp = self.post("/api/v1/auth/login", None, body).await;
        let body = resp.ok(200);
        Actor {
            token: body["token"].as_str().expect("token").to_owned(),
            user_id: body["user"]["id"].as_str().expect("user id").to_owned(),
            email: email.to_owned(),
        }
    }

    /// A tenant created the way the CLI does, with its admin signed in.
    pub async fn tenant(&self, slug: &str) -> Tenant {
        self.tenant_of_kind(slug, TenantKind::Lab).await
    }

    /// A tenant of `kind` created the way the CLI does, with its admin signed in.
    pub async fn tenant_of_kind(&self, slug: &str, kind: TenantKind) -> Tenant {
        let new = NewTenant {
            slug: Slug::parse(slug).expect("slug"),
            name: format!("Tenant {slug}"),
            kind,
            plan: Some(PlanSlug::parse("pro").unwrap()),
        };
        let email = format!("admin@{slug}.example");
        let admin = FirstAdmin {
            email: Email::parse("email", &email).expect("email"),
            name: "Admin".into(),
            password: Some(Password::parse("password", PASSWORD).expect("password")),
        };
        let tenant =
            tenants::create_with_admin(&self.db, &AuditCtx::system(), &new, &admin).await.expect("tenant");
        let admin = self.login(&email, PASSWORD, Some(slug)).await;
        Tenant { id: tenant.id.to_string(), slug: slug.to_owned(), admin }
    }

    /// Registers a user into `tenant`, has its admin approve them with `role`, and signs them in.
    pub async fn member(&self, tenant: &Tenant, name: &str, role: &str) -> Actor {
        let email = format!("{name}@{}.example", tenant.slug);
        let body = json!({ "tenant": tenant.slug, "email": email, "name": name, "password": PASSWORD });
        self.post("/api/v1/auth/register", None, body).await.ok(202);
        let user_id = self.user_id_by_email(tenant, &email).await;
        self.post(
            &format!("/api/v1/users/{user_id}/approve"),
            Some(&tenant.admin.token),
            json!({ "role": role }),
        )
        .await
        .ok(200);
        self.login(&email, PASSWORD, Some(&tenant.slug)).await
    }

    pub async fn user_id_by_email(&self, tenant: &Tenant, email: &str) -> String {
        let list = self.get("/api/v1/users?limit=200", &tenant.admin.token).await;
        list.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|m| m["email"] == email)
            .and_then(|m| m["user_id"].as_str())
            .expect("registered user listed")
            .to_owned()
    }

    /// A platform admin with TOTP enrolled, signed in with a second factor.
    pub async fn platform_admin(&self) -> (Actor, totp_rs::TOTP) {
        let email = Email::parse("email", "root@platform.example").expect("email");
        let password = Password::parse("password", PASSWORD).expect("password");
        users::bootstrap_platform_admin(&self.db, &email, "Root", &password).await.expect("bootstrap");
        let first = self.login(email.as_str(), PASSWORD, None).await;
        let enrol = self.post("/api/v1/me/totp", Some(&first.token), json!({})).await;
        let url = enrol.ok(200)["otpauth_url"].as_str().expect("url").to_owned();
        let totp = totp_rs::TOTP::from_url(&url).expect("otpauth url");
        let code = totp.generate_current().expect("code");
        self.post("/api/v1/me/totp/confirm", Some(&first.token), json!({ "code": code })).await.ok(200);
        (first, totp)
    }

    /// Polls `check` every 50 ms until it returns `Some`, for up to `secs` seconds.
    pub async fn eventually<T, F, Fut>(secs: u64, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(value) = check().await {
                return value;
            }
            assert!(std::time::Instant::now() < deadline, "condition not met within {secs}s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The code an authenticator would show one step from now (the current one may be used).
    pub fn next_code(totp: &totp_rs::TOTP) -> String {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs();
        totp.generate(now + 30)
    }
}

impl PgDatabase {
    async fn create() -> Self {
        let admin_url = std::env::var("ILS_TEST_DATABASE_URL")
            .expect("the PostgreSQL variant needs ILS_TEST_DATABASE_URL at run time too");
        let name = format!("ils_t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::postgres::PgConnection::connect_with(&admin_url.parse().expect("url"))
            .await
            .expect("connect as the PostgreSQL admin");
        use sqlx::Connection as _;
        // Roles are cluster-wide and tests run in parallel: creating one that another test just
        // created fails harmlessly.
        for sql in [
            "CREATE ROLE ils_app NOLOGIN NOSUPERUSER NOBYPASSRLS".to_owned(),
            format!("CREATE ROLE {SERVICE_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE ils_app"),
        ] {
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let service_url = with_user_and_db(&admin_url, Some(SERVICE_ROLE), &name);
        PgDatabase { admin_url, name, service_url }
    }

    fn owner_url(&self) -> String {
        with_user_and_db(&self.admin_url, None, &self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside async context (also while unwinding), so use a small runtime.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                use sqlx::Connection as _;
                let Ok(options) = admin_url.parse::<sqlx::postgres::PgConnectOptions>() else {
                    return;
                };
                if let Ok(mut conn) = sqlx::postgres::PgConnection::connect_with(&options).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

/// Rewrites `postgres://user[:pw]@host/db?x` with another user (keeping no password) and database.
fn with_user_and_db(url: &str, user: Option<&str>, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("postgres URL");
    let (userinfo, hostpart) = match rest.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, rest),
    };
    let (host, query) = match hostpart.split_once('?') {
        Some((host, query)) => (host, Some(query)),
        None => (hostpart, None),
    };
    let host = host.split('/').next().unwrap_or(host);
    let userinfo = match user {
        Some(user) => Some(user.to_owned()),
        None => userinfo.map(str::to_owned),
    };
    let mut out = format!("{scheme}://");
    if let Some(userinfo) = userinfo {
        out.push_str(&userinfo);
        out.push('@');
    }
    out.push_str(host);
    out.push('/');
    out.push_str(db);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[test]
fn pg_urls_are_rewritten() {
    assert_eq!(
        with_user_and_db("postgres://postgres@127.0.0.1:5432/postgres", Some("svc"), "t1"),
        "postgres://svc@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_user_and_db("postgresql://u:p@h/db?sslmode=disable", None, "t2"),
        "postgresql://u:p@h/t2?sslmode=disable"
    );
}
