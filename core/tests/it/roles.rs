//! Every permission in the matrix, for every role: allowed actions succeed, the rest answer 403.

use reqwest::Method;
use serde_json::json;

use ils_core::auth::permissions::{Action, Role};

use crate::harness::{TestApp, db_test};

db_test!(
    async fn every_role_gets_exactly_its_permissions(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let target = app.member(&tenant, "target", "dispenser").await;
        let patient = json!({ "first_name": "P", "last_name": "Q", "date_of_birth": "1990-01-01" });
        let patient = app.post("/api/v1/patients", Some(&tenant.admin.token), patient).await;
        let exams = format!("/api/v1/patients/{}/examinations", patient.ok(201)["id"].as_str().unwrap());
        for role in Role::ALL {
            let actor = if *role == Role::CompanyAdmin {
                tenant.admin.clone()
            } else {
                app.member(&tenant, &format!("as-{}", role.as_str().replace('_', "-")), role.as_str()).await
            };
            // One representative request per action; each is harmless to repeat.
            let checks: Vec<(Action, Method, String, Option<serde_json::Value>)> = vec![
                (Action::TenantRead, Method::GET, "/api/v1/tenant".into(), None),
                (Action::UsersRead, Method::GET, "/api/v1/users".into(), None),
                (Action::UsersRead, Method::GET, format!("/api/v1/users/{}", target.user_id), None),
                (Action::UsersManage, Method::PATCH, format!("/api/v1/users/{}", target.user_id), Some(json!({ "role": "dispenser" }))),
                (Action::AuditRead, Method::GET, "/api/v1/audit".into(), None),
                (Action::WebhooksManage, Method::GET, "/api/v1/webhooks".into(), None),
                (Action::ExaminationsWrite, Method::POST, exams.clone(), Some(json!({ "examined_on": "2026-01-01" }))),
                (Action::PatientsRead, Method::GET, "/api/v1/patients".into(), None),
                (
                    Action::PatientsWrite,
                    Method::POST,
                    "/api/v1/patients".into(),
                    Some(json!({ "first_name": "P", "last_name": "Q", "date_of_birth": "1990-01-01" })),
                ),
                (Action::ApiKeysManage, Method::GET, "/api/v1/api-keys".into(), None),
                (Action::ApiKeysManage, Method::POST, "/api/v1/api-keys".into(), Some(json!({ "name": "k", "scopes": ["tenant:read"] }))),
            ];
            for (action, method, path, body) in checks {
                let resp = app.call(method.clone(), &path, Some(&actor.token), body).await;
                if role.allows(action) {
                    assert!(resp.status < 300, "{role} should {action}: {method} {path} -> {} {}", resp.status, resp.body);
                } else {
                    resp.problem(403, "forbidden");
                }
            }
            // Approve, reject and remove: only with users:manage.
            if !role.allows(Action::UsersManage) {
                for (method, path) in [
                    (Method::POST, format!("/api/v1/users/{}/approve", target.user_id)),
                    (Method::POST, format!("/api/v1/users/{}/reject", target.user_id)),
                    (Method::DELETE, format!("/api/v1/users/{}", target.user_id)),
                ] {
                    app.call(method, &path, Some(&actor.token), Some(json!({ "role": "ecp" }))).await.problem(403, "forbidden");
                }
            }
            // Platform administration is never a tenant role's.
            app.get("/api/v1/tenants", &actor.token).await.problem(403, "platform_admin_required");
        }
    }
);

db_test!(
    async fn api_key_scopes_follow_the_same_matrix(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        for action in Action::ALL {
            let key = app.post("/api/v1/api-keys", Some(&tenant.admin.token), json!({ "name": "k", "scopes": [action.as_str()] })).await;
            let key = key.ok(201)["secret"].as_str().unwrap().to_owned();
            let reads = [
                (Action::TenantRead, "/api/v1/tenant"),
                (Action::UsersRead, "/api/v1/users"),
                (Action::AuditRead, "/api/v1/audit"),
                (Action::ApiKeysManage, "/api/v1/api-keys"),
                (Action::FilesList, "/api/v1/files"),
            ];
            for (needed, path) in reads {
                let resp = app.get(path, &key).await;
                if needed == *action {
                    resp.ok(200);
                } else {
                    resp.problem(403, "forbidden");
                }
            }
        }
    }
);
