//! API keys: scoped, shown once, revocable.

use serde_json::json;

use crate::harness::{TestApp, db_test};

db_test!(
    async fn api_keys_act_with_their_scopes_only(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let created = app.post("/api/v1/api-keys", Some(&tenant.admin.token), json!({ "name": "ERP sync", "scopes": ["users:read"], "expires_in_days": 30 })).await;
        let created = created.ok(201).clone();
        let secret = created["secret"].as_str().unwrap();
        assert!(secret.starts_with("ils_k_"));
        assert!(secret.starts_with(created["prefix"].as_str().unwrap()));

        app.get("/api/v1/users", secret).await.ok(200);
        app.get("/api/v1/audit", secret).await.problem(403, "forbidden");
        app.get("/api/v1/me", secret).await.problem(403, "user_required");
        app.post("/api/v1/api-keys", Some(secret), json!({ "name": "x", "scopes": ["users:read"] })).await.problem(403, "forbidden");

        let listed = app.get("/api/v1/api-keys", &tenant.admin.token).await;
        let listed = listed.ok(200)["items"].as_array().unwrap().clone();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].get("secret").is_none(), "the secret is never shown again");
        assert_eq!(listed[0]["scopes"], json!(["users:read"]));

        let id = created["id"].as_str().unwrap();
        app.delete(&format!("/api/v1/api-keys/{id}"), &tenant.admin.token).await.ok(204);
        app.get("/api/v1/users", secret).await.problem(401, "invalid_token");
        app.delete(&format!("/api/v1/api-keys/{id}"), &tenant.admin.token).await.problem(404, "not_found");
    }
);

db_test!(
    async fn api_key_requests_are_checked(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let token = Some(tenant.admin.token.as_str());
        app.post("/api/v1/api-keys", token, json!({ "name": "k", "scopes": [] })).await.problem(422, "invalid_input");
        app.post("/api/v1/api-keys", token, json!({ "name": "k", "scopes": ["root"] })).await.problem(422, "invalid_body");
        app.post("/api/v1/api-keys", token, json!({ "name": "k", "scopes": ["users:read"], "expires_in_days": 0 }))
            .await
            .problem(422, "invalid_input");
        app.post("/api/v1/api-keys", token, json!({ "name": "", "scopes": ["users:read"] })).await.problem(422, "invalid_input");
    }
);
