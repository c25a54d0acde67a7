//! The OpenAPI document matches the server (issue 20, docs/adr/019): what Schemathesis checks
//! from outside (`scripts/schemathesis`), held here for the document itself, and the server
//! errors Schemathesis found, each as a regression test on both backends.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::harness::{TestApp, db_test};
use crate::stock::{item, level, location};

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn document() -> Value {
    serde_json::to_value(ils_core::openapi()).unwrap()
}

/// `(method, path, operation)` for every operation of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                all.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    all
}

#[test]
fn every_error_response_is_documented_as_problem_json() {
    let doc = document();
    let mut wrong = Vec::new();
    for (method, path, operation) in operations(&doc) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            if status.parse::<u16>().is_ok_and(|s| s >= 400) {
                let types: Vec<&String> =
                    response["content"].as_object().map(|c| c.keys().collect()).unwrap_or_default();
                if types != ["application/problem+json"] {
                    wrong.push(format!("{method} {path} {status}: {types:?}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "error responses not sent as problem+json: {wrong:#?}");
}

#[test]
fn the_shared_statuses_are_documented_where_they_can_happen() {
    let doc = document();
    let mut missing = Vec::new();
    for (method, path, operation) in operations(&doc) {
        let documented = |status: &str| operation["responses"].get(status).is_some();
        let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
        let mut wanted = Vec::new();
        if operation.get("security").is_some() {
            wanted.extend(["401", "403"]);
        }
        if operation.get("requestBody").is_some() {
            wanted.extend(["400", "413", "415", "422"]);
        }
        if parameters.iter().any(|p| p["in"] == "path") {
            wanted.push("400");
        }
        if parameters.iter().any(|p| p["in"] == "query") {
            wanted.extend(["400", "422"]);
        }
        for status in wanted {
            if !documented(status) {
                missing.push(format!("{method} {path}: {status}"));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented statuses: {missing:#?}");
}

#[test]
fn operation_ids_are_unique() {
    let doc = document();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (method, path, operation) in operations(&doc) {
        let id =
            operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        seen.entry(id.to_owned()).or_default().push(format!("{method} {path}"));
    }
    let duplicated: Vec<_> = seen.iter().filter(|(_, uses)| uses.len() > 1).collect();
    assert!(duplicated.is_empty(), "operationIds used more than once: {duplicated:#?}");
}

#[test]
fn plugin_routes_and_inbound_webhooks_are_described_generically() {
    let doc = document();
    for path in [
        "/api/v1/plugins/{plugin}",
        "/api/v1/plugins/{plugin}/{path}",
        "/api/v1/hooks/{tenant}/{plugin}",
        "/api/v1/hooks/{tenant}/{plugin}/{path}",
    ] {
        let item = &doc["paths"][path];
        for method in ["get", "post", "put", "patch", "delete"] {
            let operation = &item[method];
            assert!(
                operation["responses"]["default"].is_object(),
                "{method} {path}: the plugin's own answer"
            );
            assert_eq!(
                operation.get("security").is_some(),
                path.starts_with("/api/v1/plugins/"),
                "{method} {path}: plugin routes need a caller, inbound webhooks have none"
            );
        }
    }
}

#[test]
fn enums_are_documented_in_the_spelling_the_api_sends() {
    let doc = document();
    let mut pascal = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let mut stack = vec![schema];
        while let Some(value) = stack.pop() {
            match value {
                Value::Object(map) => {
                    if let Some(Value::Array(values)) = map.get("enum") {
                        for v in values.iter().filter_map(Value::as_str) {
                            if v.chars().next().is_some_and(char::is_uppercase) {
                                pascal.push(format!("{name}: {v}"));
                            }
                        }
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    }
    assert!(pascal.is_empty(), "enum values not in the API's spelling: {pascal:#?}");
}

db_test!(
    async fn an_adjustment_of_the_extreme_quantities_is_refused_not_a_server_error(backend) {
        let app = TestApp::spawn(backend).await;
        let t = app.tenant("acme").await;
        let token = &t.admin.token;
        let (item, shop) = (item(&app, token, "FR-001", 0).await, location(&app, token, "Shop").await);
        // `i64::MIN` once overflowed the range check and answered 500.
        for quantity in [i64::MIN, i64::MIN + 1, i64::MAX, -1_000_001, 1_000_001] {
            let body = json!({ "item_id": item, "location_id": shop, "quantity": quantity, "reason": "lost" });
            let resp = app.post("/api/v1/stock/adjustments", Some(token), body).await;
            resp.problem(422, "invalid_input");
            assert_eq!(resp.body["errors"][0]["field"], "quantity", "{quantity}: {}", resp.body);
        }
        assert_eq!(level(&app, token, &item, &shop).await, 0, "nothing was recorded");
        let body = json!({ "item_id": item, "location_id": shop, "quantity": 1_000_000, "reason": "found" });
        app.post("/api/v1/stock/adjustments", Some(token), body).await.ok(201);
    }
);
