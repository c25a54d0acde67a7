//! The real `ils` binary as separate processes: killed with SIGKILL in the middle of a burst, or
//! of a purchase order's e-mail, and restarted; and two of them sharing one PostgreSQL database —
//! its job queue, and its plugins with no disk in common.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::fakes::{Receiver, SmtpSink};
use crate::harness::{Backend, PASSWORD, TestApp, db_test, fresh_database, http};
use ils_core::db::{Db, DbOptions};

/// The key sealing secrets, which every node of one installation shares (README).
const SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// One `ils serve` process on a free loopback port.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(options: &DbOptions, data_dir: &std::path::Path) -> Self {
        Self::start_with(options, data_dir, &[]).await
    }

    /// A server with these environment variables set as well.
    async fn start_with(options: &DbOptions, data_dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_ils"));
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .args(["--database-url", &options.url])
            .env_remove("DATABASE_URL")
            .env("ILS_WEBHOOKS_ALLOW_PRIVATE", "true")
            .env("ILS_JOB_RETRY_BASE_MS", "100")
            .env("ILS_JOB_TIMEOUT_SECS", "3")
            .env("ILS_JOB_RESCUE_AFTER_SECS", "5")
            .env("ILS_LOG", "warn")
            .env("ILS_SECRET_KEY", SECRET_KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command.envs(env.iter().copied());
        if let Some(owner) = &options.migrate_url {
            command.args(["--migrate-database-url", owner]);
        }
        let child = command.spawn().expect("start ils serve");
        let server = Server { child, base: format!("http://127.0.0.1:{port}") };
        let client = http(Duration::from_secs(30));
        let ready = format!("{}/readyz", server.base);
        TestApp::eventually(60, || async {
            client.get(&ready).send().await.ok().filter(|r| r.status() == 200)
        })
        .await;
        server
    }

    /// SIGKILL: no shutdown, no cleanup, transactions cut mid-way.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn login(base: &str, email: &str) -> String {
    let response = http(Duration::from_secs(30))
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    response.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

/// Subscribes `url` to `api_key.created` through the server at `base`.
async fn subscribe(base: &str, token: &str, url: &str) {
    let created = http(Duration::from_secs(30))
        .post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(token)
        .json(&json!({ "url": url, "event_types": ["api_key.created"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
}

/// Creates a tenant with its admin directly in the database, as `ils tenant create` does.
async fn tenant(db: &Db) -> ils_core::ids::TenantId {
    use ils_core::tenants::{FirstAdmin, NewTenant, PlanSlug, Slug, TenantKind};
    let new = NewTenant {
        slug: Slug::parse("acme").unwrap(),
        name: "Acme".into(),
        kind: TenantKind::Lab,
        plan: Some(PlanSlug::parse("pro").unwrap()),
    };
    let admin = FirstAdmin {
        email: ils_core::users::Email::parse("e", "admin@acme.example").unwrap(),
        name: "Admin".into(),
        password: Some(ils_core::auth::password::Password::parse("p", PASSWORD).unwrap()),
    };
    ils_core::tenants::create_with_admin(db, &ils_core::audit::AuditCtx::system(), &new, &admin)
        .await
        .unwrap()
        .id
}

/// Every committed event of `event_type` in the tenant.
async fn committed(db: &Db, tenant: ils_core::ids::TenantId, event_type: &str) -> HashSet<String> {
    let mut tx = db.tenant_read(tenant).await.unwrap();
    let events = ils_core::events::list_after(&mut tx, None, &[event_type], 100_000).await.unwrap();
    tx.commit().await.unwrap();
    events.into_iter().map(|e| e.id.to_string()).collect()
}

/// Creates API keys (each emits `api_key.created`) with a few requests at a time until `total`
/// were sent, calling `after_each` with the number answered 201 so far.
async fn burst(
    bases: Vec<String>,
    token: String,
    total: usize,
    stop_after_ok: Option<usize>,
    pace: Duration,
) -> usize {
    let ok = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let client = http(Duration::from_secs(10));
    let mut tasks = Vec::new();
    for worker in 0..6 {
        let (ok, next, client, token) = (ok.clone(), next.clone(), client.clone(), token.clone());
        let base = bases[worker % bases.len()].clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= total || stop_after_ok.is_some_and(|stop| ok.load(Ordering::SeqCst) >= stop) {
                    return;
                }
                let response = client
                    .post(format!("{base}/api/v1/api-keys"))
                    .bearer_auth(&token)
                    .json(&json!({ "name": format!("key {n}"), "scopes": ["tenant:read"] }))
                    .send()
                    .await;
                if response.is_ok_and(|r| r.status() == 201) {
                    ok.fetch_add(1, Ordering::SeqCst);
                }
                tokio::time::sleep(pace).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    ok.load(Ordering::SeqCst)
}

db_test!(
    async fn a_killed_server_loses_no_committed_event_and_invents_none(backend) {
        let (dir, options, _pg) = fresh_database(backend).await;
        let db = Db::connect_and_migrate(&options).await.unwrap();
        let tenant_id = tenant(&db).await;
        let receiver = Receiver::start().await;
        // A slow receiver keeps deliveries in flight when the kill comes: one tenant's deliveries
        // run a quarter of the workers at once (ADR 016), so at 250 ms each they trail the burst
        // however fast events are dispatched (the outbox relay hands them over at once).
        receiver.set_delay(Duration::from_millis(250));

        let first = Server::start(&options, dir.path()).await;
        let token = login(&first.base, "admin@acme.example").await;
        subscribe(&first.base, &token, &receiver.url).await;

        // Changes keep coming; the server is killed once 250 were acknowledged.
        let acknowledged = burst(vec![first.base.clone()], token.clone(), 1000, Some(250), Duration::from_millis(15)).await;
        first.kill();
        assert!(acknowledged >= 250);
        let in_flight_at_kill = receiver.received().len();
        assert!(in_flight_at_kill > 0 && in_flight_at_kill < acknowledged, "killed mid-delivery ({in_flight_at_kill} delivered)");

        let second = Server::start(&options, dir.path()).await;
        let committed = committed(&db, tenant_id, "api_key.created").await;
        assert!(committed.len() >= acknowledged, "every acknowledged change committed its event");
        let delivered = TestApp::eventually(90, || async {
            let ids: HashSet<String> = receiver.received().iter().map(|r| r.header("webhook-id")).collect();
            committed.is_subset(&ids).then_some(ids)
        })
        .await;
        assert_eq!(delivered, committed, "delivered only events of committed changes, and all of them");
        eprintln!(
            "{backend:?}: {acknowledged} acknowledged, {} committed, {in_flight_at_kill} delivered before the kill, {} deliveries in all",
            committed.len(),
            receiver.received().len()
        );
        drop(second);
    }
);

/// One API call to the server at `base`; the answer's JSON, after checking its status.
async fn call(
    base: &str,
    token: &str,
    path: &str,
    body: Option<serde_json::Value>,
    status: u16,
) -> serde_json::Value {
    let client = http(Duration::from_secs(30));
    let url = format!("{base}/api/v1{path}");
    let request = match body {
        Some(body) => client.post(url).json(&body),
        None => client.get(url),
    };
    let response = request.bearer_auth(token).send().await.unwrap();
    let got = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(got, status, "{path}: {body}");
    body
}

db_test!(
    async fn a_purchase_order_cut_off_mid_send_by_a_kill_arrives_once_after_the_restart(backend) {
        let (dir, options, _pg) = fresh_database(backend).await;
        let db = Db::connect_and_migrate(&options).await.unwrap();
        tenant(&db).await;
        let sink = SmtpSink::start(false).await;
        // The mail server takes the message whole and then waits before its answer.
        sink.hold();
        let env = [("ILS_SMTP_URL", sink.url.as_str())];
        let first = Server::start_with(&options, dir.path(), &env).await;
        let base = first.base.clone();
        let token = login(&base, "admin@acme.example").await;
        let supplier = call(&base, &token, "/suppliers", Some(json!({ "name": "Lensmakers", "email": "orders@lensmakers.example" })), 201).await;
        let supplier = supplier["id"].as_str().unwrap();
        call(&base, &token, "/supplier-accounts", Some(json!({ "supplier_id": supplier, "payment_terms_days": 30 })), 201).await;
        let shop = call(&base, &token, "/locations", Some(json!({ "name": "Lab stores" })), 201).await;
        let item = call(&base, &token, "/items", Some(json!({ "sku": "BLANK-70", "name": "Blank 70 mm", "unit": "each", "reorder_point": 0 })), 201).await;
        let order = json!({ "supplier_id": supplier, "location_id": shop["id"], "currency": "GBP",
                            "lines": [{ "item_id": item["id"], "quantity": 40, "unit_price_minor": 310 }] });
        let order = call(&base, &token, "/purchase-orders", Some(order), 201).await;
        let id = order["id"].as_str().unwrap();
        call(&base, &token, &format!("/purchase-orders/{id}/send"), Some(json!({})), 200).await;

        // Killed while the mail server holds the whole message, its answer unsent.
        TestApp::eventually(30, || async { (sink.waiting() == 1).then_some(()) }).await;
        first.kill();
        TestApp::eventually(10, || async { (sink.dropped() == 1).then_some(()) }).await;
        assert!(sink.mails().is_empty(), "a message without the server's 250 is not delivered");
        sink.release();

        // The restarted server rescues the job and sends the order once.
        let second = Server::start_with(&options, dir.path(), &env).await;
        let token = login(&second.base, "admin@acme.example").await;
        let delivery = TestApp::eventually(90, || async {
            let order = call(&second.base, &token, &format!("/purchase-orders/{id}"), None, 200).await;
            (order["delivery"]["status"] == "delivered").then(|| order["delivery"].clone())
        })
        .await;
        // Give a second copy, if there were one, time to arrive.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mails = sink.mails();
        assert_eq!(mails.len(), 1, "delivered once: {:?}", mails.iter().map(|m| &m.to).collect::<Vec<_>>());
        assert!(mails[0].to.iter().any(|t| t.contains("orders@lensmakers.example")));
        let attachments = mails[0].attachments();
        assert_eq!(attachments.len(), 1, "with its PDF");
        assert!(attachments[0].2.starts_with(b"%PDF-"), "a PDF");
        let deliveries = call(&second.base, &token, &format!("/purchase-orders/{id}/deliveries"), None, 200).await;
        assert_eq!(deliveries.as_array().unwrap().len(), 1, "one delivery: {deliveries}");
        assert_eq!(delivery["file_id"], deliveries[0]["file_id"]);
        drop(second);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(ils_pg), ignore = "PostgreSQL not configured: set ILS_TEST_DATABASE_URL")]
async fn two_servers_on_one_postgresql_deliver_each_event_exactly_once() {
    let (dir, options, _pg) = fresh_database(Backend::Postgres).await;
    let db = Db::connect_and_migrate(&options).await.unwrap();
    let tenant_id = tenant(&db).await;
    let receiver = Receiver::start().await;
    let a = Server::start(&options, dir.path()).await;
    let b = Server::start(&options, dir.path()).await;
    let token = login(&a.base, "admin@acme.example").await;
    subscribe(&b.base, &token, &receiver.url).await;

    const N: usize = 300;
    let acknowledged = burst(vec![a.base.clone(), b.base.clone()], token, N, None, Duration::ZERO).await;
    assert_eq!(acknowledged, N);
    let committed = committed(&db, tenant_id, "api_key.created").await;
    assert_eq!(committed.len(), N);
    TestApp::eventually(60, || async { (receiver.received().len() >= N).then_some(()) }).await;
    // Give a double delivery, if any, time to show up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ids: Vec<String> = receiver.received().iter().map(|r| r.header("webhook-id")).collect();
    let distinct: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(distinct, committed, "every event delivered");
    assert_eq!(ids.len(), N, "no event delivered twice");
    // Both processes worked jobs.
    let jobs = crate::harness::jobs_of_kind(&db, "deliver_webhook", 1000).await;
    let workers: HashSet<String> = jobs.iter().flat_map(|j| j.attempted_by.iter().cloned()).collect();
    assert!(workers.len() >= 2, "work was shared: {workers:?}");
}

/// `ils plugin install PACKAGE` run by an operator on the node with `data_dir`.
fn install_plugin(options: &DbOptions, data_dir: &std::path::Path, package: &std::path::Path) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ils"));
    command
        .args(["plugin", "install"])
        .arg(package)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--database-url", &options.url])
        .env_remove("DATABASE_URL")
        .env_remove("ILS_PLUGIN_STORE")
        .env("ILS_SECRET_KEY", SECRET_KEY);
    if let Some(owner) = &options.migrate_url {
        command.args(["--migrate-database-url", owner]);
    }
    let output = command.output().expect("run ils plugin install");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(ils_pg), ignore = "PostgreSQL not configured: set ILS_TEST_DATABASE_URL")]
async fn a_plugin_added_on_one_server_runs_on_another_that_shares_only_the_database() {
    use crate::guests::{PROBE, PROBE_CONSENT, component};
    let (_dir, options, _pg) = fresh_database(Backend::Postgres).await;
    let db = Db::connect_and_migrate(&options).await.unwrap();
    tenant(&db).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start(&options, dir_a.path()).await;
    let b = Server::start(&options, dir_b.path()).await;

    // An operator adds the probe on node A, while both serve.
    let package = tempfile::tempdir().unwrap();
    std::fs::write(package.path().join("ils-plugin.toml"), PROBE).unwrap();
    std::fs::copy(component("probe"), package.path().join("plugin.wasm")).unwrap();
    let said = install_plugin(&options, dir_a.path(), package.path());
    assert!(said.contains("installed probe 1.0.0"), "{said}");

    // A tenant admin enables it on node B, which never saw the package's files.
    let client = http(Duration::from_secs(60));
    let token = login(&b.base, "admin@acme.example").await;
    let call = |base: &str, method: reqwest::Method, path: &str| {
        client.request(method, format!("{base}/api/v1{path}")).bearer_auth(&token)
    };
    let enabled = call(&b.base, reqwest::Method::PUT, "/tenant/plugins/probe")
        .json(&json!({ "version": "1.0.0", "consent": PROBE_CONSENT, "config": { "greeting": "hello" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(enabled.status(), 200, "{}", enabled.text().await.unwrap());

    // The same tenant's plugin, with its configuration, secrets and data, answers on both nodes.
    let text = |response: reqwest::Response| async move {
        let status = response.status();
        (status.as_u16(), response.text().await.unwrap())
    };
    for base in [&b.base, &a.base] {
        let config =
            text(call(base, reqwest::Method::GET, "/plugins/probe/config").send().await.unwrap()).await;
        assert_eq!(config, (200, r#"{"greeting":"hello"}"#.to_owned()), "{base}");
    }
    let secret = call(&a.base, reqwest::Method::PUT, "/tenant/plugins/probe/secrets/api_token")
        .json(&json!({ "value": "s3cret" }))
        .send()
        .await
        .unwrap();
    assert_eq!(secret.status(), 204);
    let read =
        text(call(&b.base, reqwest::Method::GET, "/plugins/probe/secret/api_token").send().await.unwrap())
            .await;
    assert_eq!(read, (200, "s3cret".to_owned()));
    let set = call(&b.base, reqwest::Method::GET, "/plugins/probe/kv-set/greeted").send().await.unwrap();
    assert_eq!(set.status(), 204);
    let got =
        text(call(&a.base, reqwest::Method::GET, "/plugins/probe/kv/greeted").send().await.unwrap()).await;
    assert_eq!(got, (200, "probe".to_owned()));

    // Both list the same catalogue.
    let catalogue = |base: String| {
        let request = call(&base, reqwest::Method::GET, "/tenant/plugins");
        async move { request.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let (on_a, on_b) = (catalogue(a.base.clone()).await, catalogue(b.base.clone()).await);
    assert_eq!(on_a, on_b);
    assert_eq!(on_b[0]["id"], "probe");
    assert_eq!(on_b[0]["enablement"]["version"], "1.0.0");

    // Neither node keeps the package on disk; each compiled it into its own cache.
    for dir in [&dir_a, &dir_b] {
        assert!(!dir.path().join("plugins").exists(), "{}", dir.path().display());
        let compiled = std::fs::read_dir(dir.path().join("plugin-cache"))
            .unwrap()
            .flat_map(|engine| std::fs::read_dir(engine.unwrap().path()).unwrap())
            .filter(|file| file.as_ref().unwrap().path().extension().is_some_and(|e| e == "cwasm"))
            .count();
        assert!(compiled > 0, "{}", dir.path().display());
    }
}
