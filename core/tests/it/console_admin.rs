//! The console's administration screens over real HTTP: users' roles, API keys, webhooks, the
//! audit logs, jobs, tenants' plans and plugin secrets. Each form is refused without its CSRF
//! token, other tenants' records answer the 404 page, and what the console does is what the API
//! then shows.

use ils_tenancy::tenants::TenantKind;
use serde_json::json;

use crate::console_client::{get, post, shown_secret, submit};
use crate::fakes::Receiver;
use crate::guests::{ORDER_NOTES, install};
use crate::harness::{PASSWORD, TestApp, db_test};

db_test!(
    async fn every_administration_form_is_refused_without_its_csrf_token(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let tenant = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let dan = app.member(&tenant, "dan", "dispenser").await;
        let admin = tenant.admin.token.clone();
        let key = app
            .post("/api/v1/api-keys", Some(&admin), json!({ "name": "Booking", "scopes": ["patients:read"] }))
            .await;
        let key_id = key.ok(201)["id"].as_str().unwrap().to_owned();
        let hook = app
            .post("/api/v1/webhooks", Some(&admin), json!({ "url": "http://127.0.0.1:9/hook", "event_types": ["patient.created"] }))
            .await;
        let hook_id = hook.ok(201)["id"].as_str().unwrap().to_owned();

        let tenant_forms = [
            (format!("/users/{}/role", dan.user_id), vec![("role", "lab_tech")]),
            (format!("/users/{}/remove", dan.user_id), vec![]),
            ("/api-keys".to_owned(), vec![("name", "Sneaky"), ("scopes", "patients:read")]),
            (format!("/api-keys/{key_id}/revoke"), vec![]),
            ("/webhooks".to_owned(), vec![("url", "http://127.0.0.1:9/sneaky")]),
            (format!("/webhooks/{hook_id}/test"), vec![]),
            (format!("/webhooks/{hook_id}/rotate-secret"), vec![]),
            (format!("/webhooks/{hook_id}/delete"), vec![]),
            ("/plugins/order-notes/secrets".to_owned(), vec![("name", "token"), ("value", "x")]),
            ("/plugins/order-notes/secrets/token/delete".to_owned(), vec![]),
            ("/plugins/order-notes/breaker/reset".to_owned(), vec![]),
        ];
        for (path, form) in &tenant_forms {
            let mut wrong = form.clone();
            wrong.push(("_csrf", "0000"));
            for form in [form, &wrong] {
                let refused = post(&app, path, &admin, form).await;
                assert_eq!(refused.status, 403, "{path}: {}", refused.body);
                assert!(refused.body.contains("Form expired"), "{path}");
            }
        }
        let platform_forms = [
            (format!("/admin/tenants/{}/plan", tenant.id), vec![("plan", "enterprise")]),
            ("/admin/jobs/1/retry".to_owned(), vec![]),
            ("/admin/plans".to_owned(), vec![("slug", "gold"), ("name", "Gold")]),
            ("/admin/plans/pro".to_owned(), vec![("name", "Pro plus")]),
            ("/admin/plans/pro/delete".to_owned(), vec![]),
            ("/admin/plans/pro/plugins/order-notes/exclude".to_owned(), vec![]),
            ("/admin/plans/free/plugins/order-notes/include".to_owned(), vec![]),
        ];
        for (path, form) in &platform_forms {
            assert_eq!(post(&app, path, &root.token, form).await.status, 403, "{path}");
        }

        // Nothing changed.
        let member = app.get(&format!("/api/v1/users/{}", dan.user_id), &admin).await;
        assert_eq!(member.ok(200)["role"], "dispenser");
        let keys = app.get("/api/v1/api-keys", &admin).await;
        let keys = keys.ok(200)["items"].as_array().unwrap().clone();
        assert_eq!(keys.len(), 1);
        assert!(keys[0]["revoked_at"].is_null());
        let hooks = app.get("/api/v1/webhooks", &admin).await;
        assert_eq!(hooks.ok(200)["items"].as_array().unwrap().len(), 1);
        let deliveries = app.get(&format!("/api/v1/webhooks/{hook_id}/deliveries"), &admin).await;
        assert_eq!(deliveries.ok(200)["items"].as_array().unwrap().len(), 0, "no test was sent");
        let plan = app.get(&format!("/api/v1/tenants/{}", tenant.id), &root.token).await;
        assert_eq!(plan.ok(200)["plan"], "pro");
    }
);

db_test!(
    async fn a_role_change_and_a_removal_in_the_console_show_and_the_last_admin_stays(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let dan = app.member(&tenant, "dan", "dispenser").await;
        let eve = app.member(&tenant, "eve", "ecp").await;
        let admin = tenant.admin.token.clone();

        let changed = submit(&app, &format!("/users/{}/role", dan.user_id), &admin, &[("role", "lab_tech")]).await;
        assert_eq!(changed.status, 303, "{}", changed.body);
        assert_eq!(changed.location.as_deref(), Some("/users"));
        let member = app.get(&format!("/api/v1/users/{}", dan.user_id), &admin).await;
        assert_eq!(member.ok(200)["role"], "lab_tech");
        let users = get(&app, "/users", &admin).await;
        assert!(users.body.contains(&format!(r#"id="role-of-{}">lab_tech<"#, dan.user_id)), "{}", users.body);

        let removed = submit(&app, &format!("/users/{}/remove", eve.user_id), &admin, &[]).await;
        assert_eq!(removed.status, 303, "{}", removed.body);
        app.get(&format!("/api/v1/users/{}", eve.user_id), &admin).await.problem(404, "not_found");
        assert!(!get(&app, "/users", &admin).await.body.contains("eve@bright.example"));

        // The only admin cannot demote themselves: the page says why, and nothing changes.
        let last = submit(&app, &format!("/users/{}/role", tenant.admin.user_id), &admin, &[("role", "ecp")]).await;
        assert_eq!(last.status, 409, "{}", last.body);
        assert!(last.body.contains(r#"role="alert""#), "{}", last.body);
        let me = app.get(&format!("/api/v1/users/{}", tenant.admin.user_id), &admin).await;
        assert_eq!(me.ok(200)["role"], "company_admin");
    }
);

db_test!(
    async fn a_key_created_in_the_console_works_over_the_api_until_it_is_revoked_there(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant_of_kind("bright", TenantKind::Ecp).await;
        let admin = tenant.admin.token.clone();

        let refused = submit(&app, "/api-keys", &admin, &[("name", "Booking")]).await;
        assert_eq!(refused.status, 422, "no scopes: {}", refused.body);
        assert!(refused.body.contains(r#"id="scopes-error""#), "{}", refused.body);

        let form = [("name", "Booking"), ("scopes", "patients:read"), ("expires_in_days", "30")];
        let created = submit(&app, "/api-keys", &admin, &form).await;
        assert_eq!(created.status, 200, "{}", created.body);
        assert_eq!(created.cache_control, "no-store", "a page with a secret is not cached");
        assert!(created.body.contains("shown only this once"));
        let secret = shown_secret(&created);
        app.get("/api/v1/patients", &secret).await.ok(200);
        app.get("/api/v1/users", &secret).await.problem(403, "forbidden");

        let list = get(&app, "/api-keys", &admin).await;
        assert!(!list.body.contains(&secret), "the secret is shown once only");
        let key = app.get("/api/v1/api-keys", &admin).await;
        let key_id = key.ok(200)["items"][0]["id"].as_str().unwrap().to_owned();
        assert!(list.body.contains(&format!(r#"id="key-state-{key_id}">live<"#)));

        let revoked = submit(&app, &format!("/api-keys/{key_id}/revoke"), &admin, &[]).await;
        assert_eq!(revoked.status, 303, "{}", revoked.body);
        app.get("/api/v1/patients", &secret).await.problem(401, "invalid_token");
        let list = get(&app, "/api-keys", &admin).await;
        assert!(list.body.contains(&format!(r#"id="key-state-{key_id}">revoked<"#)));
    }
);

db_test!(
    async fn a_webhook_added_in_the_console_exists_over_the_api_and_its_test_is_delivered(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let admin = tenant.admin.token.clone();
        let receiver = Receiver::start().await;

        let bad = submit(&app, "/webhooks", &admin, &[("url", "not a url"), ("event_types", "user.registered")]).await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains(r#"id="url-error""#), "{}", bad.body);
        assert!(bad.body.contains(r#"value="user.registered" checked"#), "the ticked types stay ticked");

        let form = [("url", receiver.url.as_str()), ("description", "CRM"), ("event_types", "user.registered")];
        let created = submit(&app, "/webhooks", &admin, &form).await;
        assert_eq!(created.status, 200, "{}", created.body);
        assert_eq!(created.cache_control, "no-store");
        let secret = shown_secret(&created);
        assert!(secret.starts_with("whsec_"), "{secret}");
        let listed = app.get("/api/v1/webhooks", &admin).await;
        let endpoint = listed.ok(200)["items"][0].clone();
        assert_eq!(endpoint["url"], receiver.url.as_str());
        assert_eq!(endpoint["event_types"], json!(["user.registered"]));
        let id = endpoint["id"].as_str().unwrap().to_owned();

        let tested = submit(&app, &format!("/webhooks/{id}/test"), &admin, &[]).await;
        assert_eq!(tested.status, 303, "{}", tested.body);
        assert_eq!(tested.location, Some(format!("/webhooks/{id}?test=queued")));
        TestApp::eventually(15, || async { receiver.of_type("webhook.test").pop() }).await;
        let page = TestApp::eventually(15, || async {
            let page = get(&app, &format!("/webhooks/{id}"), &admin).await;
            page.body.contains(">delivered<").then_some(page)
        })
        .await;
        assert!(!page.body.contains(&secret), "the secret is shown once only");

        let rotated = submit(&app, &format!("/webhooks/{id}/rotate-secret"), &admin, &[]).await;
        assert_eq!(rotated.status, 200, "{}", rotated.body);
        let new_secret = shown_secret(&rotated);
        assert!(new_secret.starts_with("whsec_") && new_secret != secret);
        assert!(rotated.body.contains("The previous secret keeps signing"));

        let deleted = submit(&app, &format!("/webhooks/{id}/delete"), &admin, &[]).await;
        assert_eq!(deleted.status, 303);
        app.get(&format!("/api/v1/webhooks/{id}"), &admin).await.problem(404, "not_found");
    }
);

db_test!(
    async fn other_tenants_webhooks_and_keys_answer_the_404_page_and_jobs_are_for_platform_admins(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let mine = app.tenant("mine").await;
        let theirs = app.tenant("theirs").await;
        let hook = app
            .post("/api/v1/webhooks", Some(&theirs.admin.token), json!({ "url": "http://127.0.0.1:9/private-hook", "event_types": ["patient.created"] }))
            .await;
        let hook_id = hook.ok(201)["id"].as_str().unwrap().to_owned();
        let key = app
            .post("/api/v1/api-keys", Some(&theirs.admin.token), json!({ "name": "Theirs", "scopes": ["orders:read"] }))
            .await;
        let key_id = key.ok(201)["id"].as_str().unwrap().to_owned();
        let token = mine.admin.token.clone();

        let page = get(&app, &format!("/webhooks/{hook_id}"), &token).await;
        assert_eq!(page.status, 404, "{}", page.body);
        assert!(page.body.contains("Not found") && !page.body.contains("private-hook"));
        for path in ["test", "rotate-secret", "delete"] {
            let answer = submit(&app, &format!("/webhooks/{hook_id}/{path}"), &token, &[]).await;
            assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        }
        let revoke = submit(&app, &format!("/api-keys/{key_id}/revoke"), &token, &[]).await;
        assert_eq!(revoke.status, 404, "{}", revoke.body);
        assert!(!get(&app, "/api-keys", &token).await.body.contains("Theirs"));
        assert!(!get(&app, "/webhooks", &token).await.body.contains("private-hook"));

        // Theirs are untouched.
        app.get(&format!("/api/v1/webhooks/{hook_id}"), &theirs.admin.token).await.ok(200);
        let deliveries = app.get(&format!("/api/v1/webhooks/{hook_id}/deliveries"), &theirs.admin.token).await;
        assert_eq!(deliveries.ok(200)["items"].as_array().unwrap().len(), 0);
        let keys = app.get("/api/v1/api-keys", &theirs.admin.token).await;
        assert!(keys.ok(200)["items"][0]["revoked_at"].is_null());

        // Jobs and the platform's audit span every tenant: a tenant admin is not allowed there.
        for path in ["/admin/jobs", "/admin/jobs/1", "/admin/audit"] {
            let page = get(&app, path, &token).await;
            assert_eq!(page.status, 403, "{path}: {}", page.body);
        }
        assert_eq!(submit(&app, "/admin/jobs/1/retry", &token, &[]).await.status, 403);
        let missing = get(&app, "/admin/jobs/999999999", &root.token).await;
        assert_eq!(missing.status, 404, "{}", missing.body);
        assert_eq!(get(&app, "/audit", &root.token).await.status, 403, "the tenant log needs a tenant");
    }
);

db_test!(
    async fn the_audit_log_filters_by_action_and_pages_by_cursor(backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = app.tenant("acme").await;
        let admin = tenant.admin.token.clone();
        for n in 0..51 {
            let body = json!({ "name": format!("Key {n}"), "scopes": ["orders:read"] });
            app.post("/api/v1/api-keys", Some(&admin), body).await.ok(201);
        }
        let key = app.get("/api/v1/api-keys?limit=1", &admin).await;
        let key_id = key.ok(200)["items"][0]["id"].as_str().unwrap().to_owned();
        app.delete(&format!("/api/v1/api-keys/{key_id}"), &admin).await.ok(204);

        let revoked = get(&app, "/audit?action=api_key.revoked", &admin).await;
        assert_eq!(revoked.status, 200, "{}", revoked.body);
        assert_eq!(revoked.body.matches("<code>api_key.revoked</code>").count(), 1);
        assert!(!revoked.body.contains("<code>api_key.created</code>"));
        assert!(revoked.body.contains(r#"value="api_key.revoked""#), "the filter stays filled in");
        assert!(!revoked.body.contains(r#"rel="next""#));

        let first = get(&app, "/audit?action=api_key.created", &admin).await;
        assert_eq!(first.body.matches("<code>api_key.created</code>").count(), 50);
        let anchor = first.body.find(r#"rel="next""#).expect("a link to the next page");
        let href = first.body[..anchor].rfind(r#"href=""#).unwrap() + r#"href=""#.len();
        let next = first.body[href..].split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&");
        assert!(next.starts_with("/audit?action=api_key.created&cursor="), "{next}");
        let second = get(&app, &next, &admin).await;
        assert_eq!(second.status, 200, "{}", second.body);
        assert_eq!(second.body.matches("<code>api_key.created</code>").count(), 1);
        assert!(second.body.contains("Key 0"), "newest first: the last page holds the oldest entry");
        assert!(first.body.contains("Key 50") && !first.body.contains("Key 0"), "the first page starts with the newest");
        assert!(!second.body.contains(r#"rel="next""#));

        let bad = get(&app, "/audit?cursor=not-a-cursor", &admin).await;
        assert_eq!(bad.status, 422, "{}", bad.body);
    }
);

db_test!(
    async fn a_platform_admin_retries_a_dead_job_changes_a_plan_and_reads_the_platform_audit(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let tenant = app.tenant("acme").await;
        let receiver = Receiver::start().await;
        receiver.script(&[], Some(503));
        let hook = json!({ "url": receiver.url, "event_types": ["user.registered"] });
        app.post("/api/v1/webhooks", Some(&tenant.admin.token), hook).await.ok(201);
        let body = json!({ "tenant": "acme", "email": "dan@acme.example", "name": "Dan", "password": PASSWORD });
        app.post("/api/v1/auth/register", None, body).await.ok(202);

        let dead = TestApp::eventually(20, || async {
            let jobs = app.get("/api/v1/platform/jobs?state=discarded&kind=deliver_webhook", &root.token).await;
            jobs.ok(200).as_array().unwrap().first().cloned()
        })
        .await;
        let id = dead["id"].as_i64().unwrap();
        let list = get(&app, "/admin/jobs", &root.token).await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert!(list.body.contains(&format!(r#"href="/admin/jobs/{id}""#)), "{}", list.body);
        assert!(list.body.contains("503"), "the last error is shown");
        let job = get(&app, &format!("/admin/jobs/{id}"), &root.token).await;
        assert!(job.body.contains(r#"id="job-state">discarded<"#), "{}", job.body);

        receiver.script(&[], Some(200));
        let retried = submit(&app, &format!("/admin/jobs/{id}/retry"), &root.token, &[]).await;
        assert_eq!(retried.status, 303, "{}", retried.body);
        TestApp::eventually(15, || async {
            let job = app.get(&format!("/api/v1/platform/jobs/{id}"), &root.token).await.ok(200).clone();
            (job["state"] == "completed").then_some(())
        })
        .await;

        let changed = submit(&app, &format!("/admin/tenants/{}/plan", tenant.id), &root.token, &[("plan", "enterprise")]).await;
        assert_eq!(changed.status, 200, "{}", changed.body);
        assert!(changed.body.contains("None of its plugins changed."), "{}", changed.body);
        let after = app.get(&format!("/api/v1/tenants/{}", tenant.id), &root.token).await;
        assert_eq!(after.ok(200)["plan"], "enterprise");
        let tenants = get(&app, "/admin/tenants", &root.token).await;
        assert!(tenants.body.contains(r#"id="plan-acme">enterprise<"#), "{}", tenants.body);

        let audit = get(&app, "/admin/audit?action=job.retried", &root.token).await;
        assert_eq!(audit.status, 200, "{}", audit.body);
        assert_eq!(audit.body.matches("<code>job.retried</code>").count(), 1, "{}", audit.body);
        let scoped = get(&app, &format!("/admin/audit?tenant_id={}&action=tenant.updated", tenant.id), &root.token).await;
        assert!(scoped.body.contains("<code>tenant.updated</code>"), "{}", scoped.body);
        let bad = get(&app, "/admin/audit?tenant_id=nope", &root.token).await;
        assert_eq!(bad.status, 422, "{}", bad.body);
    }
);

db_test!(
    async fn plugin_secrets_are_set_write_only_and_removed_and_the_breaker_reset_from_the_console(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "order_notes", ORDER_NOTES, "free").await;
        let tenant = app.tenant("acme").await;
        let admin = tenant.admin.token.clone();
        let body = json!({ "version": "0.1.0", "consent": ["kv", "http-outbound"] });
        app.put("/api/v1/tenant/plugins/order-notes", &admin, body).await.ok(200);

        let bad = submit(&app, "/plugins/order-notes/secrets", &admin, &[("name", "bad name"), ("value", "x")]).await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains(r#"id="secret-name-error""#), "{}", bad.body);

        let set = submit(&app, "/plugins/order-notes/secrets", &admin, &[("name", "api_token"), ("value", "s3cret-value")]).await;
        assert_eq!(set.status, 303, "{}", set.body);
        let names = app.get("/api/v1/tenant/plugins/order-notes/secrets", &admin).await;
        assert_eq!(names.ok(200)[0]["name"], "api_token");
        let page = get(&app, "/plugins/order-notes", &admin).await;
        assert!(page.body.contains("<code>api_token</code>"), "{}", page.body);
        assert!(!page.body.contains("s3cret-value"), "a secret's value is never shown");

        let reset = submit(&app, "/plugins/order-notes/breaker/reset", &admin, &[]).await;
        assert_eq!(reset.status, 303, "{}", reset.body);
        let audit = app.get("/api/v1/audit?action=plugin.breaker_reset", &admin).await;
        assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 1);

        let removed = submit(&app, "/plugins/order-notes/secrets/api_token/delete", &admin, &[]).await;
        assert_eq!(removed.status, 303, "{}", removed.body);
        assert_eq!(app.get("/api/v1/tenant/plugins/order-notes/secrets", &admin).await.ok(200), &json!([]));

        // Another tenant's admin reaches neither.
        let other = app.tenant("other").await;
        let theirs = submit(&app, "/plugins/order-notes/breaker/reset", &other.admin.token, &[]).await;
        assert_eq!(theirs.status, 404, "{}", theirs.body);
    }
);
