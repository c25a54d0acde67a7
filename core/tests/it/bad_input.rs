//! Bad input never causes a 500: every operation that takes a body, fed malformed JSON, the
//! wrong shape, an oversized body or no content type, answers a 4xx problem+json.

use reqwest::Method;
use serde_json::Value;

use crate::harness::{TestApp, db_test, fill_path};

/// A bad request: what it is, its content type, its body, and the answers acceptable for it.
type Case<'a> = (&'a str, Option<&'a str>, String, &'a [(u16, &'a str)]);

db_test!(
    async fn every_body_taking_endpoint_refuses_garbage_with_a_problem(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let tenant = app.tenant("acme").await;
        let doc = app.call(Method::GET, "/api/v1/openapi.json", None, None).await.ok(200).clone();
        let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if operation.get("requestBody").is_none() {
                    continue;
                }
                let method: Method = method.to_uppercase().parse().unwrap();
                let url = format!("{}{}", app.base, fill_path(path));
                let token = if path.starts_with("/api/v1/tenants") { &root.token } else { &tenant.admin.token };
                // serde decides whether a wrong shape is a syntax or a data error; both are fine.
                let shape: &[(u16, &str)] = &[(422, "invalid_body"), (400, "malformed_json")];
                // A free-form object (a plugin's configuration) is checked against its plugin's
                // schema, after the plugin is found: here there is none.
                let free_form = operation["requestBody"]["content"]["application/json"]["schema"]["type"] == "object"
                    && operation["requestBody"]["content"]["application/json"]["schema"].get("properties").is_none();
                let free_form_types: &[(u16, &str)] = &[(404, "not_found"), (422, "invalid_config")];
                let cases: Vec<Case<'_>> = vec![
                    ("malformed", Some("application/json"), "{".into(), &[(400, "malformed_json")]),
                    ("wrong shape", Some("application/json"), "[1, 2, 3]".into(), shape),
                    ("wrong types", Some("application/json"), "{\"email\": 5, \"role\": 7, \"name\": false, \"code\": []}".into(), if free_form { free_form_types } else { shape }),
                    ("no content type", None, "{}".into(), &[(415, "unsupported_media_type")]),
                    ("oversized", Some("application/json"), huge.clone(), &[(413, "body_too_large")]),
                ];
                for (case, content_type, body, expected) in cases {
                    // The server answers an oversized body before reading all of it and closes the
                    // connection, so a client still writing may see a reset instead of the answer
                    // (HTTP allows this); the answer must arrive on one of a few tries.
                    let mut response = None;
                    for _ in 0..3 {
                        let mut request = app.client.request(method.clone(), &url).bearer_auth(token).body(body.clone());
                        if let Some(content_type) = content_type {
                            request = request.header("content-type", content_type);
                        }
                        if let Ok(r) = request.send().await {
                            response = Some(r);
                            break;
                        }
                    }
                    let resp = TestApp::read(response.expect("an answer")).await;
                    assert!(
                        expected.iter().any(|(status, code)| resp.status == *status && resp.body["code"] == *code),
                        "{method} {path} ({case}): expected one of {expected:?}, got {} {}",
                        resp.status,
                        resp.body
                    );
                    assert_eq!(resp.headers["content-type"], "application/problem+json");
                }
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} body-taking operations found");
    }
);

db_test!(
    async fn bad_paths_and_queries_are_client_errors(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = &tenant.admin.token;
        app.get("/api/v1/users/not-a-uuid", token).await.problem(400, "invalid_path");
        app.get("/api/v1/users?limit=many", token).await.problem(400, "invalid_query");
        app.get("/api/v1/users?limit=0", token).await.problem(422, "invalid_input");
        app.get("/api/v1/users?limit=5000", token).await.problem(422, "invalid_input");
        app.get("/api/v1/users?status=sleeping", token).await.problem(400, "invalid_query");
        app.get("/api/v1/audit?cursor=%00%01", token).await.problem(422, "invalid_input");
        app.call(Method::PUT, "/api/v1/users", Some(token), None).await.problem(405, "method_not_allowed");
        let unknown_field: Value = serde_json::json!({ "email": "a@b.example", "password": "x", "admin": true });
        app.post("/api/v1/auth/login", None, unknown_field).await.problem(422, "invalid_body");
    }
);
