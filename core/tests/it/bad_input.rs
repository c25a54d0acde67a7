//! Bad input never causes a 500: every operation that takes a body, fed malformed JSON, the
//! wrong shape, an oversized body or no content type, answers a 4xx problem+json.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{PASSWORD, TestApp, db_test, fill_path};

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
                // A file upload (an attachment) takes any bytes and names them in the query: without
                // the name it is refused before the body is read; a body is judged by its bytes.
                if operation["requestBody"]["content"].get("application/octet-stream").is_some() {
                    for content_type in [Some("application/json"), None] {
                        let mut request = app.client.request(method.clone(), &url).bearer_auth(&tenant.admin.token).body("{");
                        if let Some(content_type) = content_type {
                            request = request.header("content-type", content_type);
                        }
                        let resp = TestApp::read(request.send().await.unwrap()).await;
                        assert_eq!((resp.status, resp.body["code"].as_str()), (400, Some("invalid_query")), "{method} {path}: {}", resp.body);
                        let resp = TestApp::read(app.client.request(method.clone(), format!("{url}?name=x.pdf")).bearer_auth(&tenant.admin.token).body("{").send().await.unwrap()).await;
                        assert!(matches!((resp.status, resp.body["code"].as_str()), (404, Some("not_found")) | (422, Some("unsupported_attachment"))), "{method} {path}: {}", resp.body);
                        assert_eq!(resp.headers["content-type"], "application/problem+json");
                    }
                    checked += 1;
                    continue;
                }
                let cases: Vec<Case<'_>> = vec![
                    ("malformed", Some("application/json"), "{".into(), &[(400, "malformed_json")]),
                    ("wrong shape", Some("application/json"), "[1, 2, 3]".into(), shape),
                    ("wrong types", Some("application/json"), "{\"email\": 5, \"role\": 7, \"name\": false, \"code\": []}".into(), if free_form { free_form_types } else { shape }),
                    ("no content type", None, "{}".into(), &[(415, "unsupported_media_type")]),
                    // A package upload carries a whole component and has its own, larger limit
                    // (64 MiB): a body over the general limit is read and refused as a body.
                    ("oversized", Some("application/json"), huge.clone(), if path == "/api/v1/registry/packages" { &[(400, "malformed_json"), (422, "invalid_body")] } else { &[(413, "body_too_large")] }),
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
        app.get("/api/v1/files/not-a-uuid", token).await.problem(400, "invalid_path");
        app.get("/api/v1/files?limit=0", token).await.problem(422, "invalid_input");
        app.get("/api/v1/files?cursor=nope", token).await.problem(422, "invalid_input");
        app.call(Method::PUT, "/api/v1/users", Some(token), None).await.problem(405, "method_not_allowed");
        let unknown_field: Value = serde_json::json!({ "email": "a@b.example", "password": "x", "admin": true });
        app.post("/api/v1/auth/login", None, unknown_field).await.problem(422, "invalid_body");
    }
);

/// Posts `body` and expects a 422 naming `field`.
async fn refused(app: &TestApp, path: &str, token: Option<&str>, body: Value, field: &str) {
    let resp = app.post(path, token, body).await;
    resp.problem(422, "invalid_input");
    assert_eq!(resp.body["errors"][0]["field"], field, "{}", resp.body);
}

db_test!(
    async fn control_characters_are_refused_wherever_text_enters_and_the_field_is_named(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant_of_kind("acme", ils_core::tenants::TenantKind::Ecp).await;
        let token = Some(tenant.admin.token.as_str());
        let register = |name: &str, email: &str| json!({ "tenant": "acme", "email": email, "name": name, "password": PASSWORD });
        refused(&app, "/api/v1/auth/register", None, register("Dan\u{0}", "dan@acme.example"), "name").await;
        refused(&app, "/api/v1/auth/register", None, register("Dan", "dan\u{0}@acme.example"), "email").await;
        refused(&app, "/api/v1/auth/login", None, json!({ "email": "a@b.example", "password": "x\u{0}" }), "password").await;
        let patient = |first: &str| json!({ "first_name": first, "last_name": "Smith", "date_of_birth": "1980-02-29" });
        refused(&app, "/api/v1/patients", token, patient("Ann\u{0}"), "first_name").await;
        refused(&app, "/api/v1/patients", token, patient("Ann\u{1b}[2J"), "first_name").await;
        refused(&app, "/api/v1/suppliers", token, json!({ "name": "Lens\u{0}Co" }), "name").await;

        // Nested fields are named by their path.
        refused(&app, "/api/v1/tenants", token, json!({ "slug": "x", "name": "X", "kind": "ecp", "admin": { "email": "a@x.example", "name": "A\u{0}" } }), "admin.name").await;
        let supplier = app.post("/api/v1/suppliers", token, json!({ "name": "Lens Co" })).await;
        let supplier = supplier.ok(201)["id"].as_str().unwrap().to_owned();
        let account = |notes: &str| json!({ "supplier_id": supplier, "account_number": "A-1", "payment_terms_days": 30, "notes": notes });
        refused(&app, "/api/v1/supplier-accounts", token, account("call \u{7}first"), "notes").await;
        // Line breaks and tabs stay welcome in free text.
        app.post("/api/v1/supplier-accounts", token, account("Deliveries:\r\n\tback door, before 9")).await.ok(201);
        // Query parameters and path segments are checked too.
        let query = app.get("/api/v1/patients?name=Sm%00ith", &tenant.admin.token).await;
        query.problem(422, "invalid_input");
        assert_eq!(query.body["errors"][0]["field"], "name");
        app.get("/api/v1/suppliers?name=%1b", &tenant.admin.token).await.problem(422, "invalid_input");
        app.get("/api/v1/tenant/plugins/order%00notes", &tenant.admin.token).await.problem(400, "invalid_path");
        // Nothing was stored.
        let found = app.get("/api/v1/patients", &tenant.admin.token).await;
        assert_eq!(found.ok(200)["items"].as_array().unwrap().len(), 0);
    }
);

db_test!(
    async fn names_refuse_bidi_overrides_line_breaks_and_invisible_text(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant_of_kind("acme", ils_core::tenants::TenantKind::Ecp).await;
        let token = Some(tenant.admin.token.as_str());
        let patient = |last: &str| json!({ "first_name": "Ann", "last_name": last, "date_of_birth": "1980-02-29" });
        for bad in ["\u{202E}htimS", "Smith\u{2066}", "\u{200B}\u{200D}", "\u{FEFF}", "Smith\nJones"] {
            refused(&app, "/api/v1/patients", token, patient(bad), "last_name").await;
        }
        refused(&app, "/api/v1/suppliers", token, json!({ "name": "\u{200B}" }), "name").await;
        refused(&app, "/api/v1/locations", token, json!({ "name": "Shop\u{202D}floor" }), "name").await;
        refused(&app, "/api/v1/items", token, json!({ "sku": "A1", "name": "\u{2060}", "unit": "each", "reorder_point": 0 }), "name").await;
        let register = json!({ "tenant": "acme", "email": "dan@acme.example", "name": "\u{202E}naD", "password": PASSWORD });
        refused(&app, "/api/v1/auth/register", None, register, "name").await;
        // Letters of any script, and marks that belong to them, are fine.
        app.post("/api/v1/patients", token, patient("Ó Súilleabháin")).await.ok(201);
        app.post("/api/v1/patients", token, patient("عبد الله")).await.ok(201);
    }
);

db_test!(
    async fn ids_must_be_uuids_in_their_canonical_form(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = &tenant.admin.token;
        let id = &tenant.admin.user_id;
        app.get(&format!("/api/v1/users/{id}"), token).await.ok(200);
        app.get(&format!("/api/v1/users/{}", id.to_uppercase()), token).await.ok(200);
        let forms = |u: &str| [u.replace('-', ""), format!("%7B{u}%7D"), format!("urn:uuid:{u}")];
        for (user, tenant_id) in forms(id).into_iter().zip(forms(&tenant.id)) {
            app.get(&format!("/api/v1/users/{user}"), token).await.problem(400, "invalid_path");
            app.get(&format!("/api/v1/stock/levels?item_id={user}"), token).await.problem(422, "invalid_input");
            let written = tenant_id.replace("%7B", "{").replace("%7D", "}");
            let switch = app.post("/api/v1/me/tenant", Some(token), json!({ "tenant_id": written })).await;
            switch.problem(422, "invalid_input");
            assert_eq!(switch.body["errors"][0]["field"], "tenant_id");
        }
    }
);
