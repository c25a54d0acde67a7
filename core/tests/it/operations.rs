//! Health, readiness, metrics (bounded label sets, the job queue, the pool, webhook deliveries)
//! and the OpenAPI document.

use reqwest::Method;
use serde_json::{Value, json};

use crate::fakes::Receiver;
use crate::harness::{PASSWORD, TestApp, db_test, fill_path};

db_test!(
    async fn health_and_readiness_answer(backend) {
        let app = TestApp::spawn(backend).await;
        let healthz = app.call(Method::GET, "/healthz", None, None).await;
        assert_eq!(healthz.ok(200)["status"], "ok");
        let readyz = app.call(Method::GET, "/readyz", None, None).await;
        assert_eq!(readyz.ok(200)["status"], "ready");
        for header in ["x-request-id", "x-content-type-options", "x-frame-options", "content-security-policy"] {
            assert!(readyz.headers.contains_key(header), "missing {header}");
        }
        // With the database gone, the process is alive but not ready.
        app.db.close().await;
        app.call(Method::GET, "/healthz", None, None).await.ok(200);
        app.call(Method::GET, "/readyz", None, None).await.problem(503, "database_unreachable");
    }
);

db_test!(
    async fn metrics_count_requests_by_route(backend) {
        let app = TestApp::spawn(backend).await;
        app.call(Method::GET, "/healthz", None, None).await.ok(200);
        app.call(Method::GET, "/api/v1/me", None, None).await.problem(401, "unauthenticated");
        let response = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap();
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
        let text = response.text().await.unwrap();
        assert!(text.contains(r#"ils_http_requests_total{method="GET",route="/healthz",status="200"} 1"#), "{text}");
        assert!(text.contains(r#"route="/api/v1/me",status="401""#), "{text}");
        assert!(text.contains("ils_http_request_duration_seconds_bucket"), "{text}");
    }
);

async fn scrape(app: &TestApp) -> String {
    app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap()
}

/// The label sets of the request counter.
fn request_series(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("ils_http_requests_total{"))
        .filter_map(|l| l.rsplit_once(' ').map(|(series, _)| series.to_owned()))
        .collect()
}

/// The value of one sample (`name{labels}`), if it is exposed.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

db_test!(
    async fn odd_methods_and_paths_add_no_metric_series(backend) {
        let app = TestApp::spawn(backend).await;
        let odd = async |method: &str, path: String| {
            app.call(Method::from_bytes(method.as_bytes()).unwrap(), &format!("/{path}"), None, None).await
        };
        // One odd request of each kind (an unknown path, a known route), and two scrapes: the
        // series these map to exist from now on.
        assert_eq!(odd("FOO", "x".into()).await.status, 404);
        assert_eq!(odd("FOO", "api/v1/me".into()).await.status, 405);
        scrape(&app).await;
        let before = request_series(&scrape(&app).await);
        assert!(before.iter().any(|s| s.contains(r#"method="other""#)), "{before:?}");

        for (i, method) in ["PROPFIND", "BREW", "MKCOL", "X-CUSTOM-1", "QUUX"].into_iter().enumerate() {
            odd(method, format!("x/{i}/{method}")).await;
            odd(method, format!("no/such/path/{i}")).await;
            odd(method, "api/v1/me".into()).await;
        }
        let after = request_series(&scrape(&app).await);
        assert_eq!(after, before, "odd methods and raw paths must not create series");
    }
);

db_test!(
    async fn metrics_show_the_job_queue_the_database_pool_and_webhook_deliveries(backend) {
        let app = TestApp::spawn(backend).await;
        let failing = Receiver::start().await;
        failing.script(&[], Some(503));
        let working = Receiver::start().await;
        for (slug, receiver) in [("acme", &failing), ("brill", &working)] {
            let tenant = app.tenant(slug).await;
            let endpoint = json!({ "url": receiver.url, "event_types": ["user.registered"] });
            app.post("/api/v1/webhooks", Some(&tenant.admin.token), endpoint).await.ok(201);
            let user = json!({ "tenant": slug, "email": format!("dan@{slug}.example"), "name": "Dan", "password": PASSWORD });
            app.post("/api/v1/auth/register", None, user).await.ok(202);
        }

        // Three failed attempts make a dead delivery job; the other endpoint got its event.
        let text = TestApp::eventually(30, || async {
            let text = scrape(&app).await;
            let dead = sample(&text, r#"ils_jobs{kind="deliver_webhook",state="dead"}"#);
            let delivered = sample(&text, r#"ils_webhook_deliveries_total{outcome="delivered"}"#);
            (dead == Some(1.0) && delivered == Some(1.0)).then_some(text)
        })
        .await;
        assert_eq!(sample(&text, r#"ils_webhook_deliveries_total{outcome="failed"}"#), Some(3.0), "{text}");
        for state in ["queued", "running", "retryable"] {
            let series = format!(r#"ils_jobs{{kind="deliver_webhook",state="{state}"}}"#);
            assert_eq!(sample(&text, &series), Some(0.0), "{series}: {text}");
        }
        let size = sample(&text, "ils_db_pool_connections").unwrap();
        let idle = sample(&text, "ils_db_pool_idle_connections").unwrap();
        let max = sample(&text, "ils_db_pool_max_connections").unwrap();
        assert!(size >= 1.0 && idle <= size && size <= max && max >= 1.0, "pool {size}/{idle}/{max}: {text}");
    }
);

fn openapi_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!("fixtures/openapi-3.1.schema.json")).unwrap();
    jsonschema::draft202012::options().should_validate_formats(true).build(&schema).unwrap()
}

db_test!(
    async fn openapi_document_is_valid_3_1_and_lists_every_route(backend) {
        let app = TestApp::spawn(backend).await;
        let doc = app.call(Method::GET, "/api/v1/openapi.json", None, None).await;
        let doc = doc.ok(200).clone();
        assert_eq!(doc["openapi"], "3.1.0");
        let validator = openapi_validator();
        let errors: Vec<String> =
            validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "OpenAPI 3.1 schema violations: {errors:#?}");

        // Every documented operation exists on the server: unauthenticated, a protected one
        // answers 401 and a public one answers something other than "no such endpoint" / 405.
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
                operations += 1;
                let url = fill_path(path);
                assert!(!url.contains('{'), "unfilled parameter in {url}");
                let resp = app.call(method.clone(), &url, None, None).await;
                let protected = operation.get("security").is_some();
                if protected {
                    assert_eq!(resp.status, 401, "{method} {path} should need auth: {}", resp.body);
                } else {
                    assert_ne!(resp.status, 405, "{method} {path}");
                    assert!(
                        !(resp.status == 404 && resp.body["detail"] == "There is no such endpoint."),
                        "{method} {path} is documented but not served"
                    );
                }
            }
        }
        assert!(operations >= 28, "only {operations} operations documented");
        // And the server has no undocumented API route: an unknown one is a problem+json 404.
        app.call(Method::GET, "/api/v1/nothing-here", None, None).await.problem(404, "not_found");
    }
);

#[test]
fn the_validator_rejects_an_invalid_document() {
    let validator = openapi_validator();
    assert!(validator.is_valid(
        &serde_json::json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}})
    ));
    assert!(!validator.is_valid(&serde_json::json!({"openapi": "3.1.0", "paths": {}})));
    let generated = serde_json::to_value(ils_core::openapi()).unwrap();
    assert!(validator.is_valid(&generated));
}
