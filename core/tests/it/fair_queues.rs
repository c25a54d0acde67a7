//! Fair queues (docs/adr/016-fair-queues.md): one tenant's flood to a webhook receiver that
//! never answers holds at most its share of the job workers, so another tenant's deliveries
//! still arrive promptly.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::fakes::Receiver;
use crate::harness::{Tenant, TestApp, db_test};

/// Job workers in these tests; the default share is a quarter of them.
const WORKERS: usize = 8;
const SHARE: usize = WORKERS / 4;
/// Events tenant A floods its silent receiver with.
const FLOOD: usize = 150;
/// Events tenant B sends meanwhile.
const PROMPT: usize = 5;

async fn endpoint(app: &TestApp, tenant: &Tenant, url: &str) -> String {
    let created = app.post("/api/v1/webhooks", Some(&tenant.admin.token), json!({ "url": url })).await;
    created.ok(201)["id"].as_str().unwrap().to_owned()
}

/// Queues one `webhook.test` event for the endpoint, as its admin's "send test" button does.
async fn send_test(app: &TestApp, tenant: &Tenant, endpoint_id: &str) {
    let path = format!("/api/v1/webhooks/{endpoint_id}/test");
    app.post(&path, Some(&tenant.admin.token), json!({})).await.ok(202);
}

db_test!(
    async fn a_tenant_flooding_a_silent_receiver_does_not_delay_another_tenants_deliveries(backend) {
        let app = TestApp::spawn_with(backend, |config| config.jobs.workers = WORKERS).await;
        // Webhooks time out after 5 s (harness): each of A's attempts holds a worker that long.
        let (a, b) = (app.tenant("flooder").await, app.tenant("bystander").await);
        let silent = Receiver::start().await;
        silent.set_delay(Duration::from_secs(600));
        let prompt = Receiver::start().await;
        let a_endpoint = endpoint(&app, &a, &silent.url).await;
        let b_endpoint = endpoint(&app, &b, &prompt.url).await;

        // For comparison: one of B's deliveries on a quiet queue.
        let quiet = Instant::now();
        send_test(&app, &b, &b_endpoint).await;
        TestApp::eventually(30, || async { (!prompt.received().is_empty()).then_some(()) }).await;
        eprintln!("fair queues ({backend:?}): on a quiet queue B's delivery took {:?}", quiet.elapsed());

        for _ in 0..FLOOD {
            send_test(&app, &a, &a_endpoint).await;
        }
        // A's deliveries are under way (and, before fair shares, held every worker).
        TestApp::eventually(30, || async { (!silent.received().is_empty()).then_some(()) }).await;
        eprintln!("fair queues ({backend:?}): A's deliveries under way; B sends {PROMPT} events");

        let sent = Instant::now();
        for _ in 0..PROMPT {
            send_test(&app, &b, &b_endpoint).await;
        }
        // With every worker held by A, B would wait for A's backlog: FLOOD / WORKERS × 5 s ≈ 94 s
        // for A's first attempts alone. 30 s is far below that and far above a fair queue's time.
        TestApp::eventually(30, || async { (prompt.received().len() > PROMPT).then_some(()) }).await;
        let waited = sent.elapsed();
        let last = prompt.received().iter().map(|r| r.at).max().unwrap();
        eprintln!(
            "fair queues ({backend:?}): B's {PROMPT} deliveries arrived {:?} after B's first event \
             (all sent in {:?}), with A's {FLOOD} deliveries to a silent receiver queued ahead",
            last.duration_since(sent),
            waited
        );

        // Each of A's attempts lasts the 5 s timeout, so attempts A's receiver saw within 3 s of
        // each other were in flight together (2 s of slack for a loaded machine): never more
        // than A's share at once.
        let arrivals: Vec<Instant> = silent.received().iter().map(|r| r.at).collect();
        let most_at_once = arrivals
            .iter()
            .map(|start| arrivals.iter().filter(|t| **t >= *start && **t < *start + Duration::from_secs(3)).count())
            .max()
            .unwrap();
        eprintln!("fair queues ({backend:?}): A's silent receiver had at most {most_at_once} requests open at once");
        assert!(most_at_once <= SHARE, "A held {most_at_once} workers at once, more than its share of {SHARE}");

        // Operators see the turned-away deliveries, by kind of work only.
        let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
        let snoozed: f64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix(r#"ils_job_fair_share_snoozes_total{work="webhook"} "#))
            .unwrap_or_else(|| panic!("no fair-share counter in {metrics}"))
            .parse()
            .unwrap();
        assert!(snoozed >= 1.0, "A's deliveries beyond its share were snoozed: {snoozed}");
        assert!(!metrics.contains(&a.id), "no tenant label");
    }
);
