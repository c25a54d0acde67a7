//! Hot swap: a tenant moved between plugin versions while calls run fails none of them, keeps
//! its data across the move, and a version no tenant runs any more is dropped from the node once
//! no call holds it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::guests::{ORDER_NOTES, install};
use crate::harness::{TestApp, db_test, http};

const CONSENT: [&str; 2] = ["kv", "http-outbound"];

db_test!(
    async fn moving_a_tenant_between_versions_under_load_fails_no_call(backend) {
        let app = TestApp::spawn(backend).await;
        for version in ["1.0.0", "1.1.0"] {
            let manifest = ORDER_NOTES.replace("version = \"0.1.0\"", &format!("version = \"{version}\""));
            install(&app, "order_notes", &manifest, "free").await;
        }
        let tenant = app.tenant("swapping").await;
        let enable = |version: &'static str| {
            let body = json!({ "version": version, "consent": CONSENT });
            let app = &app;
            let token = tenant.admin.token.clone();
            async move { app.put("/api/v1/tenant/plugins/order-notes", &token, body).await.ok(200)["version"].clone() }
        };
        assert_eq!(enable("1.0.0").await, "1.0.0");

        // Four callers keep calling the plugin's route while its admin moves it back and forth.
        let stop = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut callers = Vec::new();
        for _ in 0..4 {
            let (stop, calls) = (stop.clone(), calls.clone());
            let url = format!("{}/api/v1/plugins/order-notes/orders", app.base);
            let token = tenant.admin.token.clone();
            callers.push(tokio::spawn(async move {
                let client = http(Duration::from_secs(30));
                let mut failures = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let response = client.get(&url).bearer_auth(&token).send().await;
                    match response {
                        Ok(r) if r.status() == 200 => {}
                        Ok(r) => failures.push(format!("{} {}", r.status(), r.text().await.unwrap_or_default())),
                        Err(e) => failures.push(e.to_string()),
                    }
                    calls.fetch_add(1, Ordering::Relaxed);
                }
                failures
            }));
        }
        for version in ["1.1.0", "1.0.0", "1.1.0", "1.0.0", "1.1.0"] {
            tokio::time::sleep(Duration::from_millis(150)).await;
            assert_eq!(enable(version).await, version);
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        stop.store(true, Ordering::Relaxed);
        let mut failures = Vec::new();
        for caller in callers {
            failures.extend(caller.await.expect("caller"));
        }
        let made = calls.load(Ordering::Relaxed);
        assert!(made >= 20, "the load made only {made} calls");
        assert_eq!(failures, Vec::<String>::new(), "failed calls out of {made}");

        // Only the version the tenant runs stays compiled on this node.
        app.state.plugins.sweep().await.expect("sweep");
        assert_eq!(app.state.plugins.loaded_versions(), vec![("order-notes".to_owned(), "1.1.0".to_owned())]);
        let answer = app.get("/api/v1/plugins/order-notes/orders", &tenant.admin.token).await;
        assert_eq!(answer.ok(200)["events"], 0);
        // Disabled everywhere: nothing stays compiled.
        app.delete("/api/v1/tenant/plugins/order-notes", &tenant.admin.token).await.ok(204);
        assert_eq!(app.state.plugins.loaded_versions(), Vec::<(String, String)>::new());
    }
);
