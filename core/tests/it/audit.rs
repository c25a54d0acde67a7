//! The audit log: every mutation and auth event, per tenant, for tenant admins.

use serde_json::json;

use crate::harness::{PASSWORD, TestApp, db_test};

db_test!(
    async fn mutations_and_auth_events_are_audited_with_actor_and_request(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let dan = app.member(&tenant, "dan", "dispenser").await;
        let changed = app.patch(&format!("/api/v1/users/{}", dan.user_id), &tenant.admin.token, json!({ "role": "ecp" })).await;
        changed.ok(200);
        let request_id = changed.headers["x-request-id"].to_str().unwrap().to_owned();

        let log = app.get("/api/v1/audit?limit=200", &tenant.admin.token).await;
        let items = log.ok(200)["items"].as_array().unwrap().clone();
        let actions: Vec<&str> = items.iter().map(|e| e["action"].as_str().unwrap()).collect();
        for expected in ["tenant.created", "auth.login", "membership.requested", "user.approved", "user.role_changed"] {
            assert!(actions.contains(&expected), "{expected} missing from {actions:?}");
        }
        let role_change = items.iter().find(|e| e["action"] == "user.role_changed").unwrap();
        assert_eq!(role_change["actor_kind"], "user");
        assert_eq!(role_change["actor_id"], tenant.admin.user_id);
        assert_eq!(role_change["entity_id"], dan.user_id);
        assert_eq!(role_change["changes"], json!({ "role": { "from": "dispenser", "to": "ecp" } }));
        assert_eq!(role_change["request_id"], request_id);
        assert_eq!(role_change["ip"], "127.0.0.1");
        assert!(items.iter().all(|e| e["tenant_id"] == tenant.id));

        let filtered = app.get("/api/v1/audit?action=user.approved", &tenant.admin.token).await;
        assert_eq!(filtered.ok(200)["items"].as_array().unwrap().len(), 1);

        // Pages: oldest first, no repeats, the cursor continues.
        let first = app.get("/api/v1/audit?limit=2", &tenant.admin.token).await.ok(200).clone();
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = app.get(&format!("/api/v1/audit?limit=2&cursor={cursor}"), &tenant.admin.token).await.ok(200).clone();
        assert_eq!(first["items"][0]["id"], items[0]["id"]);
        assert_eq!(second["items"][0]["id"], items[2]["id"]);
        app.get("/api/v1/audit?cursor=bogus", &tenant.admin.token).await.problem(422, "invalid_input");
    }
);

db_test!(
    async fn only_tenant_admins_read_the_audit_log(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let dan = app.member(&tenant, "dan", "lab_tech").await;
        app.get("/api/v1/audit", &dan.token).await.problem(403, "forbidden");
        app.get("/api/v1/audit", &tenant.admin.token).await.ok(200);
    }
);

db_test!(
    async fn the_audit_log_is_append_only_in_the_database(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        app.login(&tenant.admin.email, PASSWORD, None).await;
        let attempts = ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"];
        match app.service_url() {
            // On PostgreSQL the service role holds no UPDATE grant; it may DELETE (for the audit
            // purge, docs/adr/039), but the trigger refuses every row outside an open purge, even
            // in the platform's scope, where every row is visible.
            Some(url) => {
                use sqlx::Connection as _;
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                let err = sqlx::query(attempts[0]).execute(&mut conn).await.unwrap_err().to_string();
                assert!(err.contains("permission denied"), "{err}");
                let mut tx = conn.begin().await.unwrap();
                sqlx::query("SELECT set_config('ils.scope', 'system', true)").execute(&mut *tx).await.unwrap();
                let err = sqlx::query(attempts[1]).execute(&mut *tx).await.unwrap_err().to_string();
                assert!(err.contains("append-only"), "{err}");
            }
            None => {
                let path = app.db_path().unwrap();
                let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&path).await.unwrap();
                for sql in attempts {
                    let err = sqlx::query(sql).execute(&mut conn).await.unwrap_err().to_string();
                    assert!(err.contains("append-only"), "{sql}: {err}");
                }
            }
        }
    }
);

db_test!(
    async fn platform_admins_read_platform_events(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let tenant = app.tenant("acme").await;
        let wrong = json!({ "email": "ghost@nowhere.example", "password": "not a real password" });
        app.post("/api/v1/auth/login", None, wrong).await.problem(401, "invalid_credentials");

        let platform = app.get("/api/v1/platform/audit?platform_only=true&action=auth.login_failed", &root.token).await;
        let items = platform.ok(200)["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["changes"]["email"], "ghost@nowhere.example");
        assert_eq!(items[0]["tenant_id"], serde_json::Value::Null);

        let of_tenant = app.get(&format!("/api/v1/platform/audit?tenant_id={}", tenant.id), &root.token).await;
        let of_tenant = of_tenant.ok(200)["items"].as_array().unwrap().clone();
        assert!(!of_tenant.is_empty() && of_tenant.iter().all(|e| e["tenant_id"] == tenant.id));

        app.get("/api/v1/platform/audit", &tenant.admin.token).await.problem(403, "platform_admin_required");
    }
);
