//! One tenant cannot hurt another (ADR 018): while one tenant runs every attack found by probing
//! at once — looping plugin calls past its share, a flood of published events to a webhook that
//! never answers, kv writes, oversized events, breaker resets — another tenant's API and plugin
//! calls all succeed, their p99 stays near the baseline measured in the same run, and its
//! webhooks arrive on time. Also: a breaker opened by concurrent failures stops the calls that
//! queued behind them.

#![allow(clippy::print_stdout)] // the figures are the bench command's report (README)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ils_host_api::FairConfig;
use serde_json::json;

use crate::fakes::Receiver;
use crate::guests::{PROBE, enable_probe, install};
use crate::harness::{Tenant, TestApp, db_test};

/// The shares the attack runs against: small, so that a handful of calls reach them.
fn shares() -> FairConfig {
    FairConfig {
        tenant_calls: 6,
        plugin_calls: 4,
        queue_wait: Duration::from_millis(300),
        cpu_slots: 1,
        tenant_cpu_slots: 1,
    }
}

/// The victim's work, timed: an API read, a plugin route, an API write (which emits an event
/// its webhook receives). Returns the round trips and how many calls failed.
async fn victim_round(app: &TestApp, b: &Tenant, rounds: usize, tag: &str) -> (Vec<Duration>, Vec<String>) {
    let mut times = Vec::new();
    let mut failures = Vec::new();
    for i in 0..rounds {
        let calls: [(&str, reqwest::Method, Option<serde_json::Value>); 3] = [
            ("/api/v1/patients?limit=5", reqwest::Method::GET, None),
            ("/api/v1/plugins/probe/kv/greeting", reqwest::Method::GET, None),
            (
                "/api/v1/patients",
                reqwest::Method::POST,
                Some(
                    json!({ "first_name": "Bea", "last_name": format!("{tag}{i}"), "date_of_birth": "1970-01-01" }),
                ),
            ),
        ];
        for (path, method, body) in calls {
            let started = Instant::now();
            let r = app.call(method, path, Some(&b.admin.token), body).await;
            times.push(started.elapsed());
            if !(200..300).contains(&r.status) {
                failures.push(format!("{path}: {} {}", r.status, r.body));
            }
        }
    }
    (times, failures)
}

/// Rounds of the victim's work per phase: `ILS_FAIRNESS_ROUNDS` (the bench command), else 25.
fn rounds() -> usize {
    std::env::var("ILS_FAIRNESS_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(25)
}

fn percentile(times: &[Duration], p: f64) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

db_test!(
    async fn one_tenant_attacking_at_once_does_not_hurt_another_tenants_calls_or_webhooks(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.plugins.fair = Some(shares());
            // The looping calls must keep running (not trip the breaker) for the whole attack.
            c.plugins.breaker_threshold = 10_000;
        })
        .await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("attacker").await;
        let b = app.tenant("victim").await;
        enable_probe(&app, &a).await;
        enable_probe(&app, &b).await;
        // The victim's plugin has something to read.
        app.get("/api/v1/plugins/probe/kv-set/greeting", &b.admin.token).await.ok(204);

        // The attacker's webhook never answers; the victim's answers at once.
        let sink = Receiver::start().await;
        sink.set_delay(Duration::from_secs(120));
        let theirs = Receiver::start().await;
        app.post("/api/v1/webhooks", Some(&a.admin.token), json!({ "url": sink.url, "event_types": [] }))
            .await
            .ok(201);
        app.post("/api/v1/webhooks", Some(&b.admin.token), json!({ "url": theirs.url, "event_types": ["patient.created"] }))
            .await
            .ok(201);

        // Baseline: the victim alone (after a warm-up round).
        victim_round(&app, &b, 3, "warm").await;
        let rounds = rounds();
        let (baseline, failed) = victim_round(&app, &b, rounds, "base").await;
        assert!(failed.is_empty(), "baseline calls failed: {failed:?}");

        // The attack: every finding at once, from one tenant, for as long as the victim works.
        let stop = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(AtomicUsize::new(0));
        let mut attackers = Vec::new();
        let attacks: Vec<String> = std::iter::repeat_n("/api/v1/plugins/probe/loop".to_owned(), 10)
            .chain(std::iter::repeat_n("/api/v1/plugins/probe/publish?0".to_owned(), 3))
            .chain((0..2).map(|n| format!("/api/v1/plugins/probe/kv-set/flood-{n}-")))
            .chain(std::iter::once("/api/v1/plugins/probe/publish?200000".to_owned()))
            .chain(std::iter::once("breaker".to_owned()))
            .collect();
        for path in attacks {
            let (client, base, token) = (app.client.clone(), app.base.clone(), a.admin.token.clone());
            let (stop, refused) = (stop.clone(), refused.clone());
            attackers.push(tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let request = if path == "breaker" {
                        client.post(format!("{base}/api/v1/tenant/plugins/probe/breaker/reset")).json(&json!({}))
                    } else if path.ends_with('-') {
                        client.get(format!("{base}{path}{n}"))
                    } else {
                        client.get(format!("{base}{path}"))
                    };
                    match request.bearer_auth(&token).send().await {
                        Ok(r) if r.status().is_success() => {}
                        // Refusals are the point; a dropped connection is not.
                        Ok(_) => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => panic!("the attacker's call {path} broke the connection: {e}"),
                    }
                }
            }));
        }
        // Let the attack fill its shares before measuring.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let webhooks_before = theirs.of_type("patient.created").len();
        let (attacked, failed) = victim_round(&app, &b, rounds, "under").await;
        stop.store(true, Ordering::Relaxed);

        assert!(failed.is_empty(), "the victim's calls failed under attack: {failed:?}");
        // Every patient the victim registered under attack reaches its webhook on time.
        let delivered = TestApp::eventually(30, || async {
            let n = theirs.of_type("patient.created").len();
            (n >= webhooks_before + rounds).then_some(n)
        })
        .await;
        assert!(delivered >= webhooks_before + rounds);

        let (b50, b99) = (percentile(&baseline, 0.5), percentile(&baseline, 0.99));
        let (a50, a99) = (percentile(&attacked, 0.5), percentile(&attacked, 0.99));
        let ratio = a99.as_secs_f64() / b99.as_secs_f64();
        println!(
            "fairness ({backend:?}): victim p50 {b50:?} → {a50:?}, p99 {b99:?} → {a99:?} (×{ratio:.2}); \
             attacker refused {} times",
            refused.load(Ordering::Relaxed)
        );
        // The target is p99 within ×2 (the bench command in the README reports it, in release);
        // asserted loosely so a loaded machine does not fail it. Without the shares the same
        // attack took the victim's p50 from 3.5 ms to 89 ms (SQLite) and 21 to 268 ms (PostgreSQL).
        assert!(a50 < b50 * 4 + Duration::from_millis(25), "victim p50 went from {b50:?} to {a50:?} under attack");
        assert!(a99 < b99 * 8 + Duration::from_millis(250), "victim p99 went from {b99:?} to {a99:?} under attack");
        assert!(refused.load(Ordering::Relaxed) > 0, "the attacker was refused somewhere");
        for attacker in attackers {
            tokio::time::timeout(Duration::from_secs(30), attacker).await.expect("attacker stops").unwrap();
        }
    }
);

db_test!(
    async fn concurrent_failures_open_the_breaker_and_stop_the_calls_queued_behind_them(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.plugins.fair = Some(FairConfig { queue_wait: Duration::from_secs(10), ..shares() });
            c.plugins.breaker_threshold = 3;
        })
        .await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;

        // Forty crashing calls at once: four run (the plugin's share), the rest queue.
        let calls = (0..40).map(|_| {
            let (client, base, token) = (app.client.clone(), app.base.clone(), a.admin.token.clone());
            tokio::spawn(async move {
                let r = client.get(format!("{base}/api/v1/plugins/probe/panic")).bearer_auth(token).send().await;
                let r = r.expect("answered");
                let status = r.status().as_u16();
                let body: serde_json::Value = r.json().await.expect("problem");
                (status, body["code"].as_str().unwrap_or_default().to_owned())
            })
        });
        let mut failed = 0;
        let mut tripped = 0;
        for call in calls.collect::<Vec<_>>() {
            match call.await.unwrap() {
                (502, code) if code == "plugin_failed" => failed += 1,
                (503, code) if code == "plugin_tripped" => tripped += 1,
                other => panic!("unexpected answer {other:?}"),
            }
        }
        let view = app.get("/api/v1/tenant/plugins/probe", &a.admin.token).await;
        let breaker = &view.ok(200)["enablement"]["breaker"];
        assert_eq!(breaker["state"], "open");
        let counted = breaker["failures"].as_u64().unwrap();
        println!("breaker: {failed} calls ran and failed, {tripped} refused; {counted} failures counted");
        // At most the threshold plus the calls already running when it opened.
        assert!(failed <= 3 + 4, "{failed} calls ran past a breaker that opens at 3");
        assert_eq!(counted, failed as u64, "every failure that ran is counted");
        assert_eq!(failed + tripped, 40);
    }
);
