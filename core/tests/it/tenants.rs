//! Tenant administration by platform admins, and suspension.

use serde_json::json;

use crate::harness::{PASSWORD, TestApp, db_test};

db_test!(
    async fn platform_admins_create_list_and_update_tenants(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let body = json!({
            "name": "Bright Eyes", "slug": "bright-eyes", "kind": "ecp", "plan": "premium",
            "admin": { "email": "ann@bright.example", "name": "Ann", "password": PASSWORD }
        });
        let created = app.post("/api/v1/tenants", Some(&root.token), body.clone()).await;
        let created = created.ok(201).clone();
        assert_eq!(created["status"], "active");
        assert_eq!(created["plan"], "premium");
        app.post("/api/v1/tenants", Some(&root.token), body).await.problem(409, "slug_taken");
        let bad_slug = json!({ "name": "X", "slug": "-Bad", "kind": "ecp", "admin": { "email": "x@x.example", "name": "X", "password": PASSWORD } });
        app.post("/api/v1/tenants", Some(&root.token), bad_slug).await.problem(422, "invalid_input");
        let no_password = json!({ "name": "Y", "slug": "yy", "kind": "lab", "admin": { "email": "new@y.example", "name": "Y" } });
        app.post("/api/v1/tenants", Some(&root.token), no_password).await.problem(422, "invalid_input");

        let id = created["id"].as_str().unwrap();
        let one = app.get(&format!("/api/v1/tenants/{id}"), &root.token).await;
        assert_eq!(one.ok(200)["slug"], "bright-eyes");
        let page = app.get("/api/v1/tenants?limit=1", &root.token).await;
        assert_eq!(page.ok(200)["items"].as_array().unwrap().len(), 1);

        let ann = app.login("ann@bright.example", PASSWORD, None).await;
        assert_eq!(app.get("/api/v1/tenant", &ann.token).await.ok(200)["id"], id);
        app.get("/api/v1/tenants", &ann.token).await.problem(403, "platform_admin_required");

        let renamed = app.patch(&format!("/api/v1/tenants/{id}"), &root.token, json!({ "name": "Bright Eyes Ltd", "plan": "enterprise" })).await;
        assert_eq!(renamed.ok(200)["name"], "Bright Eyes Ltd");
        let audit = app.get("/api/v1/audit?action=tenant.updated", &ann.token).await;
        let entry = &audit.ok(200)["items"][0];
        assert_eq!(entry["changes"]["plan"]["from"], "premium");
        assert_eq!(entry["changes"]["plan"]["to"], "enterprise");
        assert_eq!(entry["actor_id"], root.user_id);
    }
);

db_test!(
    async fn a_suspended_tenants_users_cannot_act(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let tenant = app.tenant("acme").await;
        let key = app.post("/api/v1/api-keys", Some(&tenant.admin.token), json!({ "name": "erp", "scopes": ["users:read"] })).await;
        let key = key.ok(201)["secret"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/tenants/{}", tenant.id);
        app.patch(&path, &root.token, json!({ "status": "suspended" })).await.ok(200);
        app.get("/api/v1/users", &tenant.admin.token).await.problem(403, "tenant_suspended");
        app.get("/api/v1/users", &key).await.problem(403, "tenant_suspended");
        app.post("/api/v1/auth/register", None, json!({ "tenant": "acme", "email": "x@acme.example", "name": "X", "password": PASSWORD }))
            .await
            .problem(404, "not_found");
        app.patch(&path, &root.token, json!({ "status": "active" })).await.ok(200);
        app.get("/api/v1/users", &tenant.admin.token).await.ok(200);
        app.get("/api/v1/users", &key).await.ok(200);
        app.patch(&path, &root.token, json!({ "status": "dormant" })).await.problem(422, "invalid_body");
    }
);

db_test!(
    async fn a_suspended_tenants_users_cannot_sign_in(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let tenant = app.tenant("acme").await;
        let path = format!("/api/v1/tenants/{}", tenant.id);
        app.patch(&path, &root.token, json!({ "status": "suspended" })).await.ok(200);
        for body in [
            json!({ "email": tenant.admin.email, "password": PASSWORD }),
            json!({ "email": tenant.admin.email, "password": PASSWORD, "tenant": "acme" }),
        ] {
            let resp = app.post("/api/v1/auth/login", None, body).await;
            resp.problem(403, "tenant_suspended");
            assert!(resp.body.get("token").is_none());
        }
        let sessions = app.get("/api/v1/me/sessions", &tenant.admin.token).await;
        assert_eq!(sessions.ok(200).as_array().unwrap().len(), 1, "no session was issued");
        // A wrong password still says only that.
        app.post("/api/v1/auth/login", None, json!({ "email": tenant.admin.email, "password": "not the password at all" }))
            .await
            .problem(401, "invalid_credentials");
        app.patch(&path, &root.token, json!({ "status": "active" })).await.ok(200);
        app.login(&tenant.admin.email, PASSWORD, None).await;
    }
);
