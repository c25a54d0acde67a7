//! Outbound webhooks end to end: a change commits its event, the queue delivers it to a
//! loopback receiver, signed per Standard Webhooks; retries back off; 410 disables; dead
//! deliveries are retried over the API.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::fakes::{Received, Receiver};
use crate::harness::{PASSWORD, Tenant, TestApp, db_test};

/// An independent Standard Webhooks verifier (spec: "Verifying webhooks"): the signed content
/// is `id.timestamp.body`, the key is the base64 part of `whsec_…`, and the header carries
/// space-separated `v1,<base64 HMAC-SHA256>` signatures, any of which may match.
fn verifies(secret: &str, received: &Received) -> bool {
    let key = STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap();
    let id = received.header("webhook-id");
    let timestamp = received.header("webhook-timestamp");
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(&received.body);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(&signed);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    received
        .header("webhook-signature")
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|s| s == expected)
}

async fn endpoint(app: &TestApp, tenant: &Tenant, url: &str, types: Value) -> (String, String) {
    let created = app
        .post("/api/v1/webhooks", Some(&tenant.admin.token), json!({ "url": url, "event_types": types }))
        .await;
    let created = created.ok(201).clone();
    (created["id"].as_str().unwrap().to_owned(), created["secret"].as_str().unwrap().to_owned())
}

async fn register(app: &TestApp, tenant: &Tenant, name: &str) {
    let body = json!({ "tenant": tenant.slug, "email": format!("{name}@{}.example", tenant.slug), "name": name, "password": PASSWORD });
    app.post("/api/v1/auth/register", None, body).await.ok(202);
}

db_test!(
    async fn a_committed_change_reaches_the_endpoint_signed(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let receiver = Receiver::start().await;
        let (endpoint_id, secret) = endpoint(&app, &tenant, &receiver.url, json!([])).await;
        register(&app, &tenant, "dan").await;

        let got = TestApp::eventually(15, || async { receiver.of_type("user.registered").pop() }).await;
        assert!(verifies(&secret, &got), "signature must verify: {:?}", got.headers);
        assert!(!verifies("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &got), "and not with another secret");
        assert_eq!(got.header("content-type"), "application/json");
        let body = got.json();
        assert_eq!(body["tenant_id"], tenant.id);
        assert_eq!(body["version"], 1);
        assert_eq!(body["data"]["email"], "dan@acme.example");
        assert_eq!(got.header("webhook-id"), body["id"].as_str().unwrap(), "webhook-id is the event id");
        let sent_at: i64 = got.header("webhook-timestamp").parse().unwrap();
        assert!((sent_at - jiff::Timestamp::now().as_second()).abs() < 60);

        // The event is also in the tenant's event list, and the delivery in the endpoint's log.
        let listed = app.get("/api/v1/events?type=user.registered", &tenant.admin.token).await;
        assert_eq!(listed.ok(200)["items"][0]["id"], body["id"]);
        let log = TestApp::eventually(10, || async {
            let log = app.get(&format!("/api/v1/webhooks/{endpoint_id}/deliveries"), &tenant.admin.token).await;
            let items = log.ok(200)["items"].as_array().unwrap().clone();
            (!items.is_empty()).then_some(items)
        })
        .await;
        assert_eq!(log[0]["outcome"], "delivered");
        assert_eq!(log[0]["status_code"], 200);
        assert_eq!(log[0]["attempt"], 1);
    }
);

db_test!(
    async fn failures_are_retried_with_backoff_under_the_same_id(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let receiver = Receiver::start().await;
        receiver.script(&[500, 503], None);
        let (endpoint_id, secret) = endpoint(&app, &tenant, &receiver.url, json!(["user.registered"])).await;
        register(&app, &tenant, "dan").await;

        let attempts = TestApp::eventually(20, || async {
            let got = receiver.of_type("user.registered");
            (got.len() >= 3).then_some(got)
        })
        .await;
        let ids: Vec<String> = attempts.iter().map(|r| r.header("webhook-id")).collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "same id across retries: {ids:?}");
        assert!(attempts.iter().all(|r| verifies(&secret, r)));
        // Backoff: base 50 ms doubling with jitter in [½, 1] ⇒ gaps of ≥ 25 ms, then ≥ 50 ms.
        let gap1 = attempts[1].at - attempts[0].at;
        let gap2 = attempts[2].at - attempts[1].at;
        assert!(gap1.as_millis() >= 25 && gap2.as_millis() >= 50, "gaps {gap1:?} {gap2:?}");

        let log = TestApp::eventually(10, || async {
            let log = app.get(&format!("/api/v1/webhooks/{endpoint_id}/deliveries"), &tenant.admin.token).await;
            let items = log.ok(200)["items"].as_array().unwrap().clone();
            (items.len() >= 3).then_some(items)
        })
        .await;
        let outcomes: Vec<(&str, i64)> = log.iter().map(|d| (d["outcome"].as_str().unwrap(), d["status_code"].as_i64().unwrap())).collect();
        assert_eq!(outcomes, vec![("failed", 500), ("failed", 503), ("delivered", 200)]);
        let numbers: Vec<i64> = log.iter().map(|d| d["attempt"].as_i64().unwrap()).collect();
        assert_eq!(numbers, vec![1, 2, 3]);
    }
);

db_test!(
    async fn gone_disables_the_endpoint(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let receiver = Receiver::start().await;
        receiver.script(&[410], None);
        let (endpoint_id, _) = endpoint(&app, &tenant, &receiver.url, json!([])).await;
        register(&app, &tenant, "dan").await;
        let path = format!("/api/v1/webhooks/{endpoint_id}");
        let disabled = TestApp::eventually(15, || async {
            let e = app.get(&path, &tenant.admin.token).await.ok(200).clone();
            (e["enabled"] == false).then_some(e)
        })
        .await;
        assert!(disabled["disabled_reason"].as_str().unwrap().contains("410"));
        register(&app, &tenant, "eve").await;
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        assert_eq!(receiver.received().len(), 1, "nothing more after 410");
        // An admin can turn it back on.
        let enabled = app.patch(&path, &tenant.admin.token, json!({ "enabled": true })).await;
        assert_eq!(enabled.ok(200)["disabled_reason"], Value::Null);
    }
);

db_test!(
    async fn dead_deliveries_can_be_listed_and_retried_over_the_api(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let tenant = app.tenant("acme").await;
        let receiver = Receiver::start().await;
        receiver.script(&[], Some(503));
        endpoint(&app, &tenant, &receiver.url, json!(["user.registered"])).await;
        register(&app, &tenant, "dan").await;

        let dead = TestApp::eventually(20, || async {
            let jobs = app.get("/api/v1/platform/jobs?state=discarded&kind=deliver_webhook", &root.token).await;
            jobs.ok(200).as_array().unwrap().first().cloned()
        })
        .await;
        assert_eq!(dead["attempt"], 3);
        assert_eq!(dead["errors"].as_array().unwrap().len(), 3);
        assert!(dead["errors"][0].as_str().unwrap().contains("503"), "{dead}");
        assert_eq!(receiver.received().len(), 3);
        let id = dead["id"].as_i64().unwrap();
        app.get(&format!("/api/v1/platform/jobs/{id}"), &root.token).await.ok(200);
        app.get("/api/v1/platform/jobs", &tenant.admin.token).await.problem(403, "platform_admin_required");
        app.get("/api/v1/platform/jobs?state=sleeping", &root.token).await.problem(422, "invalid_input");

        receiver.script(&[], Some(200));
        app.post(&format!("/api/v1/platform/jobs/{id}/retry"), Some(&root.token), json!({})).await.ok(200);
        TestApp::eventually(15, || async {
            let job = app.get(&format!("/api/v1/platform/jobs/{id}"), &root.token).await.ok(200).clone();
            (job["state"] == "completed").then_some(())
        })
        .await;
        assert_eq!(receiver.received().len(), 4);
        let audit = app.get("/api/v1/platform/audit?action=job.retried", &root.token).await;
        assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 1);
    }
);

db_test!(
    async fn endpoints_only_get_the_types_they_asked_for_and_rotation_signs_with_both(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let receiver = Receiver::start().await;
        let (endpoint_id, old) = endpoint(&app, &tenant, &receiver.url, json!(["user.approved"])).await;
        let dan = app.member(&tenant, "dan", "ecp").await;
        let approved = TestApp::eventually(15, || async { receiver.of_type("user.approved").pop() }).await;
        assert_eq!(approved.json()["data"]["user_id"], dan.user_id);
        assert!(receiver.of_type("user.registered").is_empty(), "filtered out");

        let rotated = app.post(&format!("/api/v1/webhooks/{endpoint_id}/rotate-secret"), Some(&tenant.admin.token), json!({})).await;
        let new = rotated.ok(200)["secret"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        let test = app.post(&format!("/api/v1/webhooks/{endpoint_id}/test"), Some(&tenant.admin.token), json!({})).await;
        let event_id = test.ok(202)["event_id"].as_str().unwrap().to_owned();
        let got = TestApp::eventually(15, || async { receiver.of_type("webhook.test").pop() }).await;
        assert_eq!(got.header("webhook-id"), event_id);
        assert_eq!(got.header("webhook-signature").split(' ').count(), 2, "old and new during the grace period");
        assert!(verifies(&new, &got) && verifies(&old, &got));
    }
);

db_test!(
    async fn endpoint_input_is_checked_and_private_targets_refused_by_default(backend) {
        let app = TestApp::spawn_with(backend, |c| c.webhooks.allow_private_targets = false).await;
        let tenant = app.tenant("acme").await;
        let token = Some(tenant.admin.token.as_str());
        for url in ["http://127.0.0.1:9/hook", "https://127.0.0.1/hook", "https://10.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/latest", "ftp://example.com/", "not a url"] {
            app.post("/api/v1/webhooks", token, json!({ "url": url })).await.problem(422, "invalid_input");
        }
        app.post("/api/v1/webhooks", token, json!({ "url": "https://localhost/hook" })).await.problem(422, "invalid_input");
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = Some(tenant.admin.token.as_str());
        app.post("/api/v1/webhooks", token, json!({ "url": "http://127.0.0.1:9/hook", "event_types": ["no.such"] }))
            .await
            .problem(422, "invalid_input");
        let dan = app.member(&tenant, "dan", "ecp").await;
        app.post("/api/v1/webhooks", Some(&dan.token), json!({ "url": "http://127.0.0.1:9/hook" })).await.problem(403, "forbidden");
    }
);

db_test!(
    async fn another_tenants_endpoints_and_events_answer_404(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let receiver = Receiver::start().await;
        let (b_endpoint, _) = endpoint(&app, &b, &receiver.url, json!([])).await;
        register(&app, &b, "bob").await;
        let token = &a.admin.token;
        for (method, path) in [
            (reqwest::Method::GET, format!("/api/v1/webhooks/{b_endpoint}")),
            (reqwest::Method::PATCH, format!("/api/v1/webhooks/{b_endpoint}")),
            (reqwest::Method::DELETE, format!("/api/v1/webhooks/{b_endpoint}")),
            (reqwest::Method::POST, format!("/api/v1/webhooks/{b_endpoint}/rotate-secret")),
            (reqwest::Method::POST, format!("/api/v1/webhooks/{b_endpoint}/test")),
            (reqwest::Method::GET, format!("/api/v1/webhooks/{b_endpoint}/deliveries")),
        ] {
            app.call(method, &path, Some(token), Some(json!({}))).await.problem(404, "not_found");
        }
        assert!(app.get("/api/v1/webhooks", token).await.ok(200)["items"].as_array().unwrap().is_empty());
        let events = app.get("/api/v1/events?limit=200", token).await;
        assert!(events.ok(200)["items"].as_array().unwrap().iter().all(|e| e["tenant_id"] == a.id));
        // B's endpoint still works: A's attempts changed nothing.
        TestApp::eventually(15, || async { receiver.of_type("user.registered").pop() }).await;
        assert_eq!(app.get(&format!("/api/v1/webhooks/{b_endpoint}"), &b.admin.token).await.ok(200)["enabled"], true);
    }
);

db_test!(
    async fn a_receiver_that_does_not_answer_in_time_is_retried(backend) {
        let app = TestApp::spawn_with(backend, |c| c.webhooks.timeout = std::time::Duration::from_millis(300)).await;
        let tenant = app.tenant("acme").await;
        let receiver = Receiver::start().await;
        receiver.set_delay(std::time::Duration::from_secs(2));
        let (endpoint_id, _) = endpoint(&app, &tenant, &receiver.url, json!(["user.registered"])).await;
        register(&app, &tenant, "dan").await;
        let log = TestApp::eventually(20, || async {
            let log = app.get(&format!("/api/v1/webhooks/{endpoint_id}/deliveries"), &tenant.admin.token).await;
            let items = log.ok(200)["items"].as_array().unwrap().clone();
            (items.len() >= 2).then_some(items)
        })
        .await;
        assert_eq!(log[0]["outcome"], "failed");
        assert_eq!(log[0]["status_code"], Value::Null);
        assert_eq!(log[0]["error"], "the receiver did not answer in time");
        assert!(log[0]["duration_ms"].as_i64().unwrap() < 1500, "gave up at the timeout");
        assert_eq!(log[1]["attempt"], 2);
    }
);

db_test!(
    async fn tenant_admins_redeliver_a_dead_delivery(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let other = app.tenant("other").await;
        let receiver = Receiver::start().await;
        receiver.script(&[], Some(503));
        let (endpoint_id, secret) = endpoint(&app, &tenant, &receiver.url, json!(["user.registered"])).await;
        register(&app, &tenant, "dan").await;
        let log_path = format!("/api/v1/webhooks/{endpoint_id}/deliveries");
        let failed = TestApp::eventually(20, || async {
            let log = app.get(&log_path, &tenant.admin.token).await.ok(200)["items"].as_array().unwrap().clone();
            (log.len() >= 3).then_some(log)
        })
        .await;
        let event_id = failed[0]["event_id"].as_str().unwrap().to_owned();
        let redeliver = format!("/api/v1/webhooks/{endpoint_id}/events/{event_id}/redeliver");
        // Let the last attempt be recorded as dead before asking again.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;

        receiver.script(&[], Some(200));
        app.post(&redeliver, Some(&other.admin.token), json!({})).await.problem(404, "not_found");
        let dan = app.member(&tenant, "dee", "ecp").await;
        app.post(&redeliver, Some(&dan.token), json!({})).await.problem(403, "forbidden");
        let queued = app.post(&redeliver, Some(&tenant.admin.token), json!({})).await;
        assert_eq!(queued.ok(202)["event_id"], event_id);
        let delivered = TestApp::eventually(15, || async {
            receiver.received().into_iter().find(|r| r.header("webhook-id") == event_id && verifies(&secret, r) && r.json()["type"] == "user.registered")
                .filter(|_| receiver.received().len() >= 4)
        })
        .await;
        assert_eq!(delivered.header("webhook-id"), event_id, "the same id, so receivers can deduplicate");
        TestApp::eventually(10, || async {
            let log = app.get(&log_path, &tenant.admin.token).await.ok(200)["items"].as_array().unwrap().clone();
            log.iter().any(|d| d["outcome"] == "delivered").then_some(())
        })
        .await;
        // Delivered now: asking again is a conflict, not a duplicate.
        app.post(&redeliver, Some(&tenant.admin.token), json!({})).await.problem(409, "delivery_not_dead");
        app.post(&format!("/api/v1/webhooks/{endpoint_id}/events/01900000-0000-7000-8000-000000000000/redeliver"), Some(&tenant.admin.token), json!({}))
            .await
            .problem(404, "not_found");
    }
);
