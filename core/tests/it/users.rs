//! Registration, approval, roles and last-admin protection.

use serde_json::json;

use crate::harness::{PASSWORD, TestApp, db_test};

db_test!(
    async fn registration_waits_for_approval(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let register = json!({ "tenant": "acme", "email": "Dan@Acme.example", "name": "Dan", "password": PASSWORD, "role": "lab_tech" });
        let resp = app.post("/api/v1/auth/register", None, register.clone()).await;
        assert_eq!(resp.ok(202)["status"], "pending");
        app.post("/api/v1/auth/register", None, register).await.problem(409, "already_member");

        // Pending: can sign in, but cannot act in the tenant.
        let pending = app.post("/api/v1/auth/login", None, json!({ "email": "dan@acme.example", "password": PASSWORD })).await;
        assert_eq!(pending.ok(200)["tenant_id"], serde_json::Value::Null);
        let token = pending.body["token"].as_str().unwrap().to_owned();
        app.get("/api/v1/users", &token).await.problem(403, "no_tenant_selected");
        app.post("/api/v1/auth/login", None, json!({ "email": "dan@acme.example", "password": PASSWORD, "tenant": "acme" }))
            .await
            .problem(404, "not_found");

        let dan = app.user_id_by_email(&tenant, "dan@acme.example").await;
        let listed = app.get("/api/v1/users?status=pending", &tenant.admin.token).await;
        let listed = listed.ok(200)["items"].as_array().unwrap().clone();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["role"], "lab_tech", "the requested role is shown to the admin");

        let approved = app.post(&format!("/api/v1/users/{dan}/approve"), Some(&tenant.admin.token), json!({ "role": "dispenser" })).await;
        let approved = approved.ok(200);
        assert_eq!(approved["status"], "active");
        assert_eq!(approved["role"], "dispenser", "the admin decides the role");
        assert_eq!(approved["decided_by"], tenant.admin.user_id);
        app.post(&format!("/api/v1/users/{dan}/approve"), Some(&tenant.admin.token), json!({ "role": "dispenser" }))
            .await
            .problem(409, "not_pending");
        let dan_session = app.login("dan@acme.example", PASSWORD, Some("acme")).await;
        app.get("/api/v1/users", &dan_session.token).await.ok(200);
        // The pending-era session picks the tenant up once switched to it.
        app.post("/api/v1/me/tenant", Some(&token), json!({ "tenant_id": tenant.id })).await.ok(200);
        app.get("/api/v1/users", &token).await.ok(200);
    }
);

db_test!(
    async fn rejected_registrations_cannot_act(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let register = json!({ "tenant": "acme", "email": "eve@acme.example", "name": "Eve", "password": PASSWORD });
        app.post("/api/v1/auth/register", None, register).await.ok(202);
        let eve = app.user_id_by_email(&tenant, "eve@acme.example").await;
        let rejected = app.post(&format!("/api/v1/users/{eve}/reject"), Some(&tenant.admin.token), json!({})).await;
        assert_eq!(rejected.ok(200)["status"], "rejected");
        app.post("/api/v1/auth/login", None, json!({ "email": "eve@acme.example", "password": PASSWORD, "tenant": "acme" }))
            .await
            .problem(404, "not_found");
    }
);

db_test!(
    async fn registration_checks_its_input(backend) {
        let app = TestApp::spawn(backend).await;
        app.tenant("acme").await;
        let base = json!({ "tenant": "acme", "email": "new@acme.example", "name": "New", "password": PASSWORD });
        let with = |key: &str, value: serde_json::Value| {
            let mut body = base.clone();
            body[key] = value;
            body
        };
        app.post("/api/v1/auth/register", None, with("password", json!("too short"))).await.problem(422, "invalid_input");
        app.post("/api/v1/auth/register", None, with("email", json!("not-an-email"))).await.problem(422, "invalid_input");
        app.post("/api/v1/auth/register", None, with("name", json!("   "))).await.problem(422, "invalid_input");
        app.post("/api/v1/auth/register", None, with("tenant", json!("no-such-tenant"))).await.problem(404, "not_found");
        app.post("/api/v1/auth/register", None, with("role", json!("overlord"))).await.problem(422, "invalid_body");
        // An existing account joins another tenant with its own password, not a new one; the
        // answer does not say which was given (ADR 003), only the right one joins.
        let other = app.tenant("other").await;
        let existing = json!({ "tenant": "other", "email": "admin@acme.example", "name": "A", "password": "a different password" });
        app.post("/api/v1/auth/register", None, existing).await.ok(202);
        assert_eq!(app.get("/api/v1/users?status=pending", &other.admin.token).await.ok(200)["items"].as_array().unwrap().len(), 0);
        let existing = json!({ "tenant": "other", "email": "admin@acme.example", "name": "A", "password": PASSWORD });
        app.post("/api/v1/auth/register", None, existing).await.ok(202);
        assert_eq!(app.get("/api/v1/users?status=pending", &other.admin.token).await.ok(200)["items"].as_array().unwrap().len(), 1);
    }
);

db_test!(
    async fn the_last_company_admin_cannot_be_demoted_or_removed(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let me = &tenant.admin;
        let path = format!("/api/v1/users/{}", me.user_id);
        app.patch(&path, &me.token, json!({ "role": "ecp" })).await.problem(409, "last_admin");
        app.delete(&path, &me.token).await.problem(409, "last_admin");

        let second = app.member(&tenant, "bea", "ecp").await;
        let second_path = format!("/api/v1/users/{}", second.user_id);
        let promoted = app.patch(&second_path, &me.token, json!({ "role": "company_admin" })).await;
        assert_eq!(promoted.ok(200)["role"], "company_admin");
        // Now there are two admins: the first may step down.
        let demoted = app.patch(&path, &me.token, json!({ "role": "ecp" })).await;
        assert_eq!(demoted.ok(200)["role"], "ecp");
        app.get("/api/v1/audit", &me.token).await.problem(403, "forbidden");
        // And the remaining admin is again the last one.
        app.delete(&second_path, &second.token).await.problem(409, "last_admin");
        app.delete(&path, &second.token).await.ok(204);
        app.get("/api/v1/users", &me.token).await.problem(403, "no_tenant_selected");
    }
);
