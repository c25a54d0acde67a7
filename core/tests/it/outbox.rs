//! The outbox relay (docs/adr/035-outbox-relay.md): committed events reach their consumers once
//! per hand-over, a failed batch is retried whole without queuing anything twice, an event that
//! keeps failing goes to the job queue instead of blocking the others, and relays sharing one
//! PostgreSQL database never hand over one event twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::fakes::Receiver;
use crate::harness::{Backend, TestApp, db_test, fresh_database};
use ils_core::audit::AuditCtx;
use ils_core::auth::TenantCtx;
use ils_core::db::{Db, TenantTx};
use ils_core::events::catalog::UserRemoved;
use ils_core::events::{Consumer, Consumers, Envelope, UnitOfWork};
use ils_core::ids::{EventId, TenantId, UserId};
use ils_core::{AppConfig, AppState};
use ils_outbox::relay::{Relay, RelayConfig};

async fn tenant(db: &Db, slug: &str) -> TenantId {
    use ils_core::tenants::{FirstAdmin, NewTenant, PlanSlug, Slug, TenantKind};
    let new = NewTenant {
        slug: Slug::parse(slug).unwrap(),
        name: slug.to_owned(),
        kind: TenantKind::Lab,
        plan: Some(PlanSlug::parse("pro").unwrap()),
    };
    let admin = FirstAdmin {
        email: ils_core::users::Email::parse("e", &format!("admin@{slug}.example")).unwrap(),
        name: "Admin".into(),
        password: Some(ils_core::auth::password::Password::parse("p", crate::harness::PASSWORD).unwrap()),
    };
    ils_core::tenants::create_with_admin(db, &AuditCtx::system(), &new, &admin).await.unwrap().id
}

/// Emits one event for `tenant` in its own unit of work.
async fn emit(db: &Db, tenant_id: TenantId) -> EventId {
    let ctx = TenantCtx::system(tenant_id);
    let mut uow = UnitOfWork::begin(db, &ctx).await.unwrap();
    let id = uow.emit(&UserRemoved { user_id: UserId::new() }).await.unwrap();
    uow.commit().await.unwrap();
    id
}

/// How many events wait in the relay's work list.
async fn pending(db: &Db) -> i64 {
    let mut tx = db.system_read().await.unwrap();
    let n = ils_core::db::query!(tx, query_scalar, fetch_one, "SELECT count(*) FROM outbox_pending").unwrap();
    tx.commit().await.unwrap();
    n
}

/// The `deliver_webhook` jobs queued, by event id.
async fn deliveries_queued(db: &Db) -> HashMap<String, usize> {
    let jobs = crate::harness::jobs_of_kind(db, "deliver_webhook", 10_000).await;
    let mut by_event = HashMap::new();
    for job in jobs {
        let args: serde_json::Value = serde_json::from_str(job.encoded_args.get()).unwrap();
        *by_event.entry(args["event_id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    by_event
}

/// Counts what it is handed; fails while `failing` says so for the event.
struct Probe {
    seen: Arc<Mutex<HashMap<EventId, usize>>>,
    failing: Arc<dyn Fn(EventId, usize) -> bool + Send + Sync>,
}

#[async_trait::async_trait]
impl Consumer for Probe {
    async fn on_event(&self, _tx: &mut TenantTx, event: &Envelope) -> ils_core::Result<()> {
        let calls = {
            let mut seen = self.seen.lock().unwrap();
            let calls = seen.entry(event.id).or_default();
            *calls += 1;
            *calls
        };
        if (self.failing)(event.id, calls) {
            return Err(ils_core::Error::Internal(format!("probe refuses {} (call {calls})", event.id)));
        }
        Ok(())
    }
}

fn quick() -> RelayConfig {
    RelayConfig { batch: 50, poll: Duration::from_millis(50), concurrency: 2 }
}

db_test!(
    async fn an_emitted_event_reaches_a_webhook_once(backend) {
        let app = TestApp::spawn(backend).await;
        let acme = app.tenant("acme").await;
        let receiver = Receiver::start().await;
        let token = Some(acme.admin.token.as_str());
        app.post("/api/v1/webhooks", token, json!({ "url": receiver.url, "event_types": ["api_key.created"] }))
            .await
            .ok(201);
        let started = std::time::Instant::now();
        app.post("/api/v1/api-keys", token, json!({ "name": "k", "scopes": ["tenant:read"] })).await.ok(201);
        TestApp::eventually(15, || async { (!receiver.of_type("api_key.created").is_empty()).then_some(()) })
            .await;
        let took = started.elapsed();
        // A later duplicate, if any, has time to arrive.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(receiver.of_type("api_key.created").len(), 1);
        assert_eq!(pending(&app.db).await, 0, "handed over and off the work list");
        // Woken by the commit, not found by a poll or a job fetch a second later.
        assert!(took < Duration::from_secs(1), "delivered {took:?} after the request");
    }
);

db_test!(
    async fn a_failed_batch_is_retried_whole_and_queues_each_delivery_once(backend) {
        let (dir, options, _pg) = fresh_database(backend).await;
        let db = Db::connect_and_migrate(&options).await.unwrap();
        let acme = tenant(&db, "acme").await;
        let bolt = tenant(&db, "bolt").await;
        let sealer = ils_core::config::load_sealer(None, dir.path()).unwrap();
        let receiver = Receiver::start().await;
        for t in [acme, bolt] {
            ils_core::webhooks::create_endpoint_for_bench(&db, &sealer, t, &receiver.url).await.unwrap();
        }
        let mut ids = Vec::new();
        for i in 0..6 {
            ids.push(emit(&db, if i % 2 == 0 { acme } else { bolt }).await);
        }

        // The webhooks consumer queues its deliveries first; the probe after it then fails the
        // whole batch twice (the deliveries roll back with it), and lets the third try through.
        let failures = Arc::new(AtomicUsize::new(0));
        let fail = failures.clone();
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let probe = Probe {
            seen: seen.clone(),
            failing: Arc::new(move |_, _| fail.fetch_add(1, Ordering::SeqCst) < 2),
        };
        let consumers = Consumers::new().with(ils_webhooks::Dispatch { delivery_attempts: 3 }).with(probe);
        let relay = Relay::start(db.clone(), consumers, quick());
        TestApp::eventually(20, || async { (relay.relayed() == 6).then_some(()) }).await;
        relay.stop().await;

        assert_eq!(pending(&db).await, 0);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 6, "every event handed over");
        assert!(seen.values().any(|&n| n > 1), "the failed batch was handed over again: {seen:?}");
        let queued = deliveries_queued(&db).await;
        let expected: HashMap<String, usize> = ids.iter().map(|id| (id.to_string(), 1)).collect();
        assert_eq!(queued, expected, "one delivery per event, none lost, none twice");

        // The real workers deliver them, each once.
        let mut config = AppConfig::new();
        config.webhooks.allow_private_targets = true;
        let state = AppState::new(db.clone(), config, sealer).unwrap();
        let runner = ils_core::jobs::Runner::start(state).unwrap();
        TestApp::eventually(20, || async { (receiver.received().len() >= 6).then_some(()) }).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut delivered: Vec<String> = receiver.received().iter().map(|r| r.header("webhook-id")).collect();
        delivered.sort();
        let mut want: Vec<String> = ids.iter().map(ToString::to_string).collect();
        want.sort();
        assert_eq!(delivered, want);
        runner.stop().await;
    }
);

db_test!(
    async fn an_event_that_keeps_failing_goes_to_the_job_queue_and_the_others_go_on(backend) {
        let (_dir, options, _pg) = fresh_database(backend).await;
        let db = Db::connect_and_migrate(&options).await.unwrap();
        let acme = tenant(&db, "acme").await;
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(emit(&db, acme).await);
        }
        let poison = ids[2];
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let probe = Probe { seen: seen.clone(), failing: Arc::new(move |id, _| id == poison) };
        let relay = Relay::start(db.clone(), Consumers::new().with(probe), quick());
        TestApp::eventually(20, || async { (relay.relayed() == 4).then_some(()) }).await;
        TestApp::eventually(10, || async { (pending(&db).await == 0).then_some(()) }).await;
        relay.stop().await;

        let jobs = crate::harness::jobs_of_kind(&db, "dispatch_event", 100).await;
        let handed: Vec<String> = jobs
            .iter()
            .map(|j| {
                let args: serde_json::Value = serde_json::from_str(j.encoded_args.get()).unwrap();
                args["event_id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(handed, vec![poison.to_string()], "the failing event, and only it, is a job now");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(ils_pg), ignore = "PostgreSQL not configured: set ILS_TEST_DATABASE_URL")]
async fn two_relays_on_one_postgresql_never_hand_over_an_event_twice() {
    let (_dir, options, _pg) = fresh_database(Backend::Postgres).await;
    let (a, b) = (Db::connect_and_migrate(&options).await.unwrap(), Db::connect(&options).await.unwrap());
    let acme = tenant(&a, "acme").await;
    let seen = Arc::new(Mutex::new(HashMap::new()));
    let relays: Vec<Relay> = [&a, &b]
        .into_iter()
        .map(|db| {
            let probe = Probe { seen: seen.clone(), failing: Arc::new(|_, _| false) };
            let config = RelayConfig { batch: 10, ..quick() };
            Relay::start(db.clone(), Consumers::new().with(probe), config)
        })
        .collect();

    const N: usize = 400;
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let db = if p % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for _ in 0..N / 4 {
                    ids.push(emit(&db, acme).await);
                }
                ids
            })
        })
        .collect();
    let mut ids = Vec::new();
    for producer in producers {
        ids.extend(producer.await.unwrap());
    }
    TestApp::eventually(30, || async {
        (relays.iter().map(Relay::relayed).sum::<u64>() >= N as u64).then_some(())
    })
    .await;
    // A second hand-over, if any, has time to happen.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let counts: Vec<u64> = relays.iter().map(Relay::relayed).collect();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), N);
    assert!(ids.iter().all(|id| seen.get(id) == Some(&1)), "an event was handed over twice");
    assert_eq!(counts.iter().sum::<u64>(), N as u64);
    assert!(counts.iter().all(|&n| n > 0), "both relays worked: {counts:?}");
    for relay in relays {
        relay.stop().await;
    }
}
