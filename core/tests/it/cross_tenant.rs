//! Tenants never see each other's data: every endpoint, with another tenant's ids, answers 404
//! (never 403, which would confirm the id exists), and lists show only the caller's tenant.

use reqwest::Method;
use serde_json::json;

use crate::harness::{PASSWORD, TestApp, db_test};

db_test!(
    async fn another_tenants_ids_answer_404_on_every_endpoint(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let b_member = app.member(&b, "bob", "lab_tech").await;
        app.post("/api/v1/auth/register", None, json!({ "tenant": "beta", "email": "pat@beta.example", "name": "Pat", "password": PASSWORD }))
            .await
            .ok(202);
        let b_pending = app.user_id_by_email(&b, "pat@beta.example").await;
        let b_key = app.post("/api/v1/api-keys", Some(&b.admin.token), json!({ "name": "b", "scopes": ["users:read"] })).await;
        let b_key_id = b_key.ok(201)["id"].as_str().unwrap().to_owned();
        let b_session = app.get("/api/v1/me/sessions", &b.admin.token).await.ok(200)[0]["id"].as_str().unwrap().to_owned();
        let a_key = app.post("/api/v1/api-keys", Some(&a.admin.token), json!({ "name": "a", "scopes": ["users:read", "users:manage", "api_keys:manage", "audit:read", "tenant:read", "files:read", "files:list"] })).await;
        let a_key = a_key.ok(201)["secret"].as_str().unwrap().to_owned();
        let b_file = {
            let new = ils_core::files::NewFile {
                name: ils_core::files::FileName::parse("b.csv").unwrap(),
                content_type: ils_core::files::MediaType::parse("text/csv").unwrap(),
                plugin_id: Some("reports".into()),
                body: b"b".to_vec().into(),
            };
            let tenant = b.id.parse().unwrap();
            app.state.files.put(tenant, &ils_core::audit::AuditCtx::system(), new).await.unwrap().id
        };

        let probes: Vec<(Method, String, Option<serde_json::Value>)> = vec![
            (Method::GET, format!("/api/v1/users/{}", b_member.user_id), None),
            (Method::PATCH, format!("/api/v1/users/{}", b_member.user_id), Some(json!({ "role": "ecp" }))),
            (Method::DELETE, format!("/api/v1/users/{}", b_member.user_id), None),
            (Method::POST, format!("/api/v1/users/{b_pending}/approve"), Some(json!({ "role": "ecp" }))),
            (Method::POST, format!("/api/v1/users/{b_pending}/reject"), Some(json!({}))),
            (Method::POST, format!("/api/v1/users/{}/suspend", b_member.user_id), None),
            (Method::POST, format!("/api/v1/users/{}/reactivate", b_member.user_id), None),
            (Method::GET, format!("/api/v1/users/{}/sign-ins", b_member.user_id), None),
            (Method::POST, format!("/api/v1/users/{}/unlock", b_member.user_id), None),
            (Method::DELETE, format!("/api/v1/api-keys/{b_key_id}"), None),
            (Method::GET, format!("/api/v1/files/{b_file}"), None),
        ];
        // A's admin (a session) and A's all-scopes API key.
        for token in [a.admin.token.as_str(), a_key.as_str()] {
            for (method, path, body) in &probes {
                app.call(method.clone(), path, Some(token), body.clone()).await.problem(404, "not_found");
            }
        }
        for (method, path) in [
            (Method::DELETE, format!("/api/v1/me/sessions/{b_session}")),
        ] {
            app.call(method, &path, Some(&a.admin.token), None).await.problem(404, "not_found");
        }
        app.post("/api/v1/me/tenant", Some(&a.admin.token), json!({ "tenant_id": b.id })).await.problem(404, "not_found");
        app.post("/api/v1/auth/login", None, json!({ "email": a.admin.email, "password": PASSWORD, "tenant": b.id }))
            .await
            .problem(404, "not_found");

        // Nothing of B's changed.
        let bob = app.get(&format!("/api/v1/users/{}", b_member.user_id), &b.admin.token).await;
        assert_eq!((bob.ok(200)["role"].as_str(), bob.ok(200)["status"].as_str()), (Some("lab_tech"), Some("active")));
        let pat = app.get(&format!("/api/v1/users/{b_pending}"), &b.admin.token).await;
        assert_eq!(pat.ok(200)["status"], "pending");
        assert_eq!(app.get("/api/v1/api-keys", &b.admin.token).await.ok(200)["items"][0]["revoked_at"], serde_json::Value::Null);
        app.get("/api/v1/me", &b.admin.token).await.ok(200);

        // Lists show only the caller's tenant.
        for token in [a.admin.token.as_str(), a_key.as_str()] {
            let users = app.get("/api/v1/users", token).await;
            let users = users.ok(200)["items"].as_array().unwrap().clone();
            assert_eq!(users.len(), 1, "{users:?}");
            assert!(users.iter().all(|u| u["tenant_id"] == a.id));
            let audit = app.get("/api/v1/audit?limit=200", token).await;
            let audit = audit.ok(200)["items"].as_array().unwrap().clone();
            assert!(!audit.is_empty());
            assert!(audit.iter().all(|e| e["tenant_id"] == a.id), "{audit:?}");
            let keys = app.get("/api/v1/api-keys", token).await;
            let keys = keys.ok(200)["items"].as_array().unwrap().clone();
            assert!(keys.iter().all(|k| k["name"] == "a"), "{keys:?}");
            assert_eq!(app.get("/api/v1/tenant", token).await.ok(200)["id"], a.id);
            assert_eq!(app.get("/api/v1/files", token).await.ok(200)["items"], json!([]));
        }
        let me = app.get("/api/v1/me", &a.admin.token).await;
        let memberships = me.ok(200)["memberships"].as_array().unwrap().clone();
        assert_eq!(memberships.len(), 1);
        assert_eq!(memberships[0]["tenant_id"], a.id);
        let sessions = app.get("/api/v1/me/sessions", &a.admin.token).await;
        assert!(sessions.ok(200).as_array().unwrap().iter().all(|s| s["id"] != b_session));
    }
);

db_test!(
    async fn a_member_of_two_tenants_sees_only_the_selected_one(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        // A's admin also joins B as a lab tech.
        app.post("/api/v1/auth/register", None, json!({ "tenant": "beta", "email": a.admin.email, "name": "A", "password": PASSWORD }))
            .await
            .ok(202);
        let id = app.user_id_by_email(&b, &a.admin.email).await;
        app.post(&format!("/api/v1/users/{id}/approve"), Some(&b.admin.token), json!({ "role": "lab_tech" })).await.ok(200);

        let both = app.post("/api/v1/auth/login", None, json!({ "email": a.admin.email, "password": PASSWORD })).await;
        assert_eq!(both.ok(200)["tenant_id"], serde_json::Value::Null, "two tenants: none chosen");
        let token = both.body["token"].as_str().unwrap().to_owned();
        app.get("/api/v1/users", &token).await.problem(403, "no_tenant_selected");

        let in_b = app.post("/api/v1/me/tenant", Some(&token), json!({ "tenant_id": b.id })).await;
        assert_eq!(in_b.ok(200)["role"], "lab_tech");
        app.get("/api/v1/audit", &token).await.problem(403, "forbidden");
        let users = app.get("/api/v1/users", &token).await;
        assert!(users.ok(200)["items"].as_array().unwrap().iter().all(|u| u["tenant_id"] == b.id));

        let in_a = app.post("/api/v1/me/tenant", Some(&token), json!({ "tenant_id": a.id })).await;
        assert_eq!(in_a.ok(200)["role"], "company_admin");
        let audit = app.get("/api/v1/audit?limit=200", &token).await;
        assert!(audit.ok(200)["items"].as_array().unwrap().iter().all(|e| e["tenant_id"] == a.id));
    }
);
