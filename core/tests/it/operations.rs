//! Health, readiness, metrics and the OpenAPI document.

use reqwest::Method;
use serde_json::Value;

use crate::harness::{TestApp, db_test, fill_path};

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
