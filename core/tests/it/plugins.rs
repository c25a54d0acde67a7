//! Plugins per tenant, through the real host and the real app: the catalogue, enabling (plan and
//! consent), configuration and write-only secrets, the example plugin end to end (an order event
//! through the queue into kv, served by its route to its own tenant only), callers' identity,
//! audited patient reads, inbound webhooks, and the circuit breaker.

use serde_json::{Value, json};

use crate::guests::{ORDER_NOTES, PROBE, enable_probe, install};
use crate::harness::{Actor, Tenant, TestApp, db_test};

async fn enable(app: &TestApp, tenant: &Tenant, plugin: &str, body: Value) -> crate::harness::Resp {
    app.put(&format!("/api/v1/tenant/plugins/{plugin}"), &tenant.admin.token, body).await
}

async fn enable_notes(app: &TestApp, tenant: &Tenant) {
    let body = json!({ "version": "0.1.0", "consent": ["kv", "http-outbound"] });
    enable(app, tenant, "order-notes", body).await.ok(200);
}

/// A patient with a prescription and an order for them, placed by `ecp`; returns (patient, order).
async fn patient_and_order(app: &TestApp, ecp: &Actor) -> (String, String) {
    let patient = app
        .post(
            "/api/v1/patients",
            Some(&ecp.token),
            json!({ "first_name": "Ann", "last_name": "Lee", "date_of_birth": "1961-04-02" }),
        )
        .await;
    let patient = patient.ok(201)["id"].as_str().unwrap().to_owned();
    let rx = json!({ "kind": "spectacles", "issued_on": "2026-01-10", "prescriber": "O. Optom",
        "right": { "sphere": "+1.50" }, "left": { "sphere": "+1.25" }, "pd_right_mm": 32, "pd_left_mm": 31.5 });
    let rx = app.post(&format!("/api/v1/patients/{patient}/prescriptions"), Some(&ecp.token), rx).await;
    let rx = rx.ok(201)["id"].as_str().unwrap().to_owned();
    let order = json!({
        "patient_id": patient, "prescription_id": rx,
        "lens": { "type": "single_vision", "material": "plastic", "index": 1.5, "coatings": [], "tint": null },
        "frame": { "description": "Round 48-20", "a_mm": 48, "b_mm": 42, "dbl_mm": 20 },
        "due_on": "2099-01-15", "priority": "normal", "price": { "amount_minor": 9900, "currency": "GBP" }
    });
    let order = app.post("/api/v1/orders", Some(&ecp.token), order).await;
    (patient, order.ok(201)["id"].as_str().unwrap().to_owned())
}

db_test!(
    async fn the_example_plugin_gets_order_events_keeps_them_in_kv_and_shows_only_its_tenant(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "order_notes", ORDER_NOTES, "free").await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let c = app.tenant("gamma").await;
        enable_notes(&app, &a).await;
        enable_notes(&app, &b).await;
        let ecp = app.member(&a, "olive", "ecp").await;
        let tech = app.member(&a, "tom", "lab_tech").await;
        let (_, order) = patient_and_order(&app, &ecp).await;

        // order.created reaches the plugin through the queue; its route shows what it stored. The
        // plugin records each event in one kv write, so its summary is whole at every moment:
        // wait for exactly the state asserted (a retried delivery would show as a second event).
        let summary = |events: u64, status: &'static str| {
            let (app, tech, order) = (&app, &tech, &order);
            TestApp::eventually(30, move || async move {
                let body = app.get("/api/v1/plugins/order-notes/orders", &tech.token).await.ok(200).clone();
                (body["events"] == events && body["orders"][order] == status).then_some(body)
            })
        };
        let seen = summary(1, "created").await;
        assert_eq!(seen, json!({ "events": 1, "orders": { order.clone(): "created" } }));
        app.post(&format!("/api/v1/orders/{order}/transitions"), Some(&tech.token), json!({ "to": "in_production" }))
            .await
            .ok(200);
        let seen = summary(2, "in_production").await;
        assert_eq!(seen, json!({ "events": 2, "orders": { order.clone(): "in_production" } }));
        let one = app.get(&format!("/api/v1/plugins/order-notes/orders/{order}"), &ecp.token).await;
        assert_eq!(one.ok(200), &json!({ "order_id": order, "status": "in_production" }));

        // The other tenant, on the same plugin version, sees none of it.
        let theirs = app.get("/api/v1/plugins/order-notes/orders", &b.admin.token).await;
        assert_eq!(theirs.ok(200), &json!({ "events": 0, "orders": {} }));
        app.get(&format!("/api/v1/plugins/order-notes/orders/{order}"), &b.admin.token).await.ok(404);
        // A tenant that did not enable it, and nobody signed in, get nothing.
        app.get("/api/v1/plugins/order-notes/orders", &c.admin.token).await.problem(404, "plugin_not_enabled");
        let anonymous = app.call(reqwest::Method::GET, "/api/v1/plugins/order-notes/orders", None, None).await;
        anonymous.problem(401, "unauthenticated");

        // Disabled: its route is gone (its data is kept for a re-enable).
        app.delete("/api/v1/tenant/plugins/order-notes", &a.admin.token).await.ok(204);
        app.get("/api/v1/plugins/order-notes/orders", &ecp.token).await.problem(404, "plugin_not_enabled");
        enable_notes(&app, &a).await;
        let again = app.get("/api/v1/plugins/order-notes/orders", &ecp.token).await;
        assert_eq!(again.ok(200)["orders"][&order], "in_production");
    }
);

db_test!(
    async fn enabling_needs_the_plan_an_admin_and_consent_to_every_capability(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "order_notes", ORDER_NOTES, "premium").await;
        let a = app.tenant("alpha").await;
        let ecp = app.member(&a, "olive", "ecp").await;

        let catalogue = app.get("/api/v1/tenant/plugins", &ecp.token).await;
        let entry = &catalogue.ok(200)[0];
        assert_eq!(entry["id"], "order-notes");
        assert_eq!(entry["available"], false, "a pro tenant, a premium plugin");
        assert_eq!(entry["versions"][0]["capabilities"], json!(["kv", "http-outbound"]));
        assert_eq!(entry["versions"][0]["outbound_hosts"], json!(["https://{config.notify_host}"]));
        assert_eq!(entry["enablement"], Value::Null);

        let full = json!({ "version": "0.1.0", "consent": ["kv", "http-outbound"] });
        enable(&app, &a, "order-notes", full.clone()).await.problem(403, "plan_required");
        app.owner_execute("UPDATE tenants SET plan = 'premium'").await.unwrap();

        app.put("/api/v1/tenant/plugins/order-notes", &ecp.token, full.clone()).await.problem(403, "forbidden");
        let partial = enable(&app, &a, "order-notes", json!({ "version": "0.1.0", "consent": ["kv"] })).await;
        partial.problem(422, "consent_required");
        assert!(partial.body["detail"].as_str().unwrap().contains("http-outbound"), "{}", partial.body);
        enable(&app, &a, "order-notes", json!({ "version": "0.1.0", "consent": ["kv", "http-outbound", "secrets"] }))
            .await
            .problem(422, "invalid_input");
        enable(&app, &a, "order-notes", json!({ "version": "0.2.0", "consent": ["kv", "http-outbound"] }))
            .await
            .problem(404, "not_found");
        enable(&app, &a, "order-notes", json!({ "version": "one", "consent": [] })).await.problem(422, "invalid_input");
        enable(&app, &a, "no-such-plugin", full.clone()).await.problem(404, "not_found");
        let bad_config = json!({ "version": "0.1.0", "consent": ["kv", "http-outbound"], "config": { "colour": "red" } });
        enable(&app, &a, "order-notes", bad_config).await.problem(422, "invalid_config");
        // Nothing was enabled by any refusal.
        assert_eq!(app.get("/api/v1/tenant/plugins/order-notes", &ecp.token).await.ok(200)["enablement"], Value::Null);

        let enabled = enable(&app, &a, "order-notes", full).await;
        let enabled = enabled.ok(200);
        assert_eq!(enabled["version"], "0.1.0");
        assert_eq!(enabled["enabled"], true);
        assert_eq!(enabled["capabilities"], json!(["http-outbound", "kv"]));
        assert_eq!(enabled["breaker"]["state"], "closed");
        let audit = app.get("/api/v1/audit?action=plugin.enabled", &a.admin.token).await;
        assert_eq!(audit.ok(200)["items"][0]["changes"]["version"]["to"], "0.1.0");
    }
);

db_test!(
    async fn configuration_and_secrets_are_per_tenant_and_secrets_are_write_only(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        enable_probe(&app, &a).await;
        enable_probe(&app, &b).await;

        app.put("/api/v1/tenant/plugins/probe/config", &a.admin.token, json!({ "greeting": "hello" })).await.ok(200);
        app.put("/api/v1/tenant/plugins/probe/config", &a.admin.token, json!({ "greeting": 7 }))
            .await
            .problem(422, "invalid_config");
        app.put("/api/v1/tenant/plugins/probe/secrets/api_token", &a.admin.token, json!({ "value": "s3cret-a" }))
            .await
            .ok(204);
        app.put("/api/v1/tenant/plugins/probe/secrets/bad name", &a.admin.token, json!({ "value": "x" }))
            .await
            .problem(422, "invalid_input");

        // The plugin reads its tenant's values; the other tenant's plugin sees its own (none).
        assert_eq!(app.get("/api/v1/plugins/probe/config", &a.admin.token).await.ok(200), &json!({ "greeting": "hello" }));
        assert_eq!(app.get("/api/v1/plugins/probe/config", &b.admin.token).await.ok(200), &json!({}));
        assert_eq!(app.get("/api/v1/plugins/probe/secret/api_token", &a.admin.token).await.ok(200), "s3cret-a");
        assert_eq!(app.get("/api/v1/plugins/probe/secret/api_token", &b.admin.token).await.ok(200), &Value::Null, "no secret");
        assert_eq!(app.get("/api/v1/tenant/plugins/probe/config", &b.admin.token).await.ok(200), &json!({}));

        // Secrets: names only, never values, and sealed at rest.
        let names = app.get("/api/v1/tenant/plugins/probe/secrets", &a.admin.token).await;
        let names = names.ok(200).clone();
        assert_eq!(names.as_array().unwrap().len(), 1);
        assert_eq!(names[0]["name"], "api_token");
        assert!(!names.to_string().contains("s3cret"), "{names}");
        assert_eq!(app.get("/api/v1/tenant/plugins/probe/secrets", &b.admin.token).await.ok(200), &json!([]));
        let (with_plaintext, rows) = match backend {
            crate::harness::Backend::Sqlite => (
                "UPDATE plugin_secrets SET name = name WHERE instr(sealed, CAST('s3cret-a' AS BLOB)) > 0",
                "UPDATE plugin_secrets SET name = name",
            ),
            crate::harness::Backend::Postgres => (
                "UPDATE plugin_secrets SET name = name WHERE position('s3cret-a'::bytea in sealed) > 0",
                "UPDATE plugin_secrets SET name = name",
            ),
        };
        assert_eq!(app.owner_execute(rows).await.unwrap(), 1, "one secret stored");
        assert_eq!(app.owner_execute(with_plaintext).await.unwrap(), 0, "its plaintext is not");
        let audit = app.get("/api/v1/audit?action=plugin.secret_set", &a.admin.token).await;
        let audit = audit.ok(200).to_string();
        assert!(audit.contains("api_token") && !audit.contains("s3cret"), "{audit}");

        // B's admin cannot reach A's secret by name, nor remove it.
        app.delete("/api/v1/tenant/plugins/probe/secrets/api_token", &b.admin.token).await.problem(404, "not_found");
        app.delete("/api/v1/tenant/plugins/probe/secrets/api_token", &a.admin.token).await.ok(204);
        assert_eq!(app.get("/api/v1/plugins/probe/secret/api_token", &a.admin.token).await.ok(200), &Value::Null, "removed");
    }
);

db_test!(
    async fn management_endpoints_act_only_on_the_callers_tenant(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        enable_probe(&app, &a).await;
        app.put("/api/v1/tenant/plugins/probe/config", &a.admin.token, json!({ "greeting": "hi" })).await.ok(200);
        app.put("/api/v1/tenant/plugins/probe/secrets/t", &a.admin.token, json!({ "value": "v" })).await.ok(204);

        // B never enabled it: every management endpoint answers as if A's did not exist.
        assert_eq!(app.get("/api/v1/tenant/plugins/probe", &b.admin.token).await.ok(200)["enablement"], Value::Null);
        assert!(app.get("/api/v1/tenant/plugins", &b.admin.token).await.ok(200)[0]["enablement"].is_null());
        app.get("/api/v1/tenant/plugins/probe/config", &b.admin.token).await.problem(404, "not_found");
        app.put("/api/v1/tenant/plugins/probe/config", &b.admin.token, json!({})).await.problem(404, "not_found");
        app.get("/api/v1/tenant/plugins/probe/secrets", &b.admin.token).await.problem(404, "not_found");
        app.put("/api/v1/tenant/plugins/probe/secrets/t", &b.admin.token, json!({ "value": "x" })).await.problem(404, "not_found");
        app.delete("/api/v1/tenant/plugins/probe/secrets/t", &b.admin.token).await.problem(404, "not_found");
        app.post("/api/v1/tenant/plugins/probe/breaker/reset", Some(&b.admin.token), json!({})).await.problem(404, "not_found");
        app.delete("/api/v1/tenant/plugins/probe", &b.admin.token).await.problem(404, "not_found");
        app.get("/api/v1/plugins/probe/config", &b.admin.token).await.problem(404, "plugin_not_enabled");

        // A's plugin is untouched.
        assert_eq!(app.get("/api/v1/tenant/plugins/probe", &a.admin.token).await.ok(200)["enablement"]["enabled"], true);
        assert_eq!(app.get("/api/v1/plugins/probe/config", &a.admin.token).await.ok(200), &json!({ "greeting": "hi" }));
        assert_eq!(app.get("/api/v1/plugins/probe/secret/t", &a.admin.token).await.ok(200), "v");
    }
);

db_test!(
    async fn plugin_routes_serve_the_tenants_roles_and_audit_patient_reads(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        enable_probe(&app, &a).await;
        enable_probe(&app, &b).await;
        let ecp = app.member(&a, "olive", "ecp").await;
        let supplier = app.member(&a, "sam", "supplier").await;
        let (patient, order) = patient_and_order(&app, &ecp).await;

        // Every role of the tenant may call plugin routes; the plugin reads on its caller's behalf.
        assert_eq!(app.get(&format!("/api/v1/plugins/probe/patient/{patient}"), &ecp.token).await.ok(200), "Ann Lee");
        assert_eq!(app.get(&format!("/api/v1/plugins/probe/order/{order}"), &supplier.token).await.ok(200), "pending");
        let audit = app.get(&format!("/api/v1/audit?action=patient.read&entity_id={patient}"), &a.admin.token).await;
        let reads = audit.ok(200)["items"].as_array().unwrap().clone();
        assert_eq!(reads.len(), 1, "{reads:?}");
        assert_eq!(reads[0]["actor_id"], ecp.user_id);
        assert_eq!(reads[0]["changes"]["plugin"], "probe");
        assert_eq!(reads[0]["request_id"], "plugin:probe@1.0.0");

        // Another tenant's plugin cannot reach A's records by id.
        app.get(&format!("/api/v1/plugins/probe/patient/{patient}"), &b.admin.token).await.ok(404);
        app.get(&format!("/api/v1/plugins/probe/order/{order}"), &b.admin.token).await.ok(404);
        let audit = app.get("/api/v1/audit?action=patient.read", &b.admin.token).await;
        assert_eq!(audit.ok(200)["items"], json!([]));

        // API keys need the plugins:use scope.
        let key = app.post("/api/v1/api-keys", Some(&a.admin.token), json!({ "name": "k", "scopes": ["orders:read"] })).await;
        let key = key.ok(201)["secret"].as_str().unwrap().to_owned();
        app.get("/api/v1/plugins/probe/config", &key).await.problem(403, "forbidden");
        let key = app.post("/api/v1/api-keys", Some(&a.admin.token), json!({ "name": "k2", "scopes": ["plugins:use"] })).await;
        let key = key.ok(201)["secret"].as_str().unwrap().to_owned();
        app.get("/api/v1/plugins/probe/config", &key).await.ok(200);
    }
);

db_test!(
    async fn inbound_webhooks_reach_the_named_tenants_plugin_without_a_caller(backend) {
        let app = TestApp::spawn_with(backend, |c| c.plugins.hooks_per_minute = 3).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        enable_probe(&app, &a).await;
        app.put("/api/v1/tenant/plugins/probe/config", &a.admin.token, json!({ "greeting": "from alpha" })).await.ok(200);

        let hook = |path: &'static str| app.call(reqwest::Method::POST, path, None, Some(json!({ "ping": 1 })));
        assert_eq!(hook("/api/v1/hooks/alpha/probe/config").await.ok(200), &json!({ "greeting": "from alpha" }));
        hook("/api/v1/hooks/beta/probe/config").await.problem(404, "not_found");
        hook("/api/v1/hooks/nobody/probe/config").await.problem(404, "not_found");
        hook("/api/v1/hooks/alpha/order-notes/config").await.problem(404, "not_found");

        // The receiver is public: each takes a bounded number of calls a minute.
        enable_probe(&app, &b).await;
        hook("/api/v1/hooks/alpha/probe/config").await.ok(200);
        hook("/api/v1/hooks/alpha/probe/config").await.ok(200);
        let limited = hook("/api/v1/hooks/alpha/probe/config").await;
        limited.problem(429, "rate_limited");
        assert!(limited.headers.get("retry-after").is_some());
        hook("/api/v1/hooks/beta/probe/config").await.ok(200);
    }
);

db_test!(
    async fn a_plugin_that_keeps_crashing_is_paused_for_its_tenant_and_says_so(backend) {
        let app = TestApp::spawn_with(backend, |c| c.plugins.breaker_threshold = 2).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        enable_probe(&app, &a).await;
        enable_probe(&app, &b).await;

        for _ in 0..2 {
            let crashed = app.get("/api/v1/plugins/probe/panic", &a.admin.token).await;
            crashed.problem(502, "plugin_failed");
            assert!(crashed.body["detail"].as_str().unwrap().contains("crashed"), "{}", crashed.body);
        }
        let paused = app.get("/api/v1/plugins/probe/config", &a.admin.token).await;
        paused.problem(503, "plugin_tripped");
        assert!(paused.headers.get("retry-after").is_some());
        let view = app.get("/api/v1/tenant/plugins/probe", &a.admin.token).await;
        let breaker = &view.ok(200)["enablement"]["breaker"];
        assert_eq!(breaker["state"], "open");
        assert_eq!(breaker["failures"], 2);
        assert!(breaker["last_error"].as_str().unwrap().contains("crashed"), "{breaker}");

        // The other tenant's plugin keeps working.
        app.get("/api/v1/plugins/probe/config", &b.admin.token).await.ok(200);
        let theirs = app.get("/api/v1/tenant/plugins/probe", &b.admin.token).await;
        assert_eq!(theirs.ok(200)["enablement"]["breaker"]["state"], "closed");

        // A company admin closes it again.
        let reset = app.post("/api/v1/tenant/plugins/probe/breaker/reset", Some(&a.admin.token), json!({})).await;
        assert_eq!(reset.ok(200)["breaker"]["state"], "closed");
        app.get("/api/v1/plugins/probe/config", &a.admin.token).await.ok(200);
    }
);

db_test!(
    async fn the_catalogue_refuses_undeclared_imports_and_a_version_with_other_content(backend) {
        let app = TestApp::spawn(backend).await;
        let add = |manifest: String, component: &str| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("ils-plugin.toml"), manifest).unwrap();
            std::fs::copy(crate::guests::component(component), dir.path().join("plugin.wasm")).unwrap();
            let (db, plugins) = (app.db.clone(), app.state.plugins.clone());
            async move { ils_core::plugins::catalogue::add(&db, &plugins, dir.path(), &ils_core::tenants::PlanSlug::parse("free").unwrap()).await }
        };
        // The probe imports outbound HTTP, clinical reads…: a manifest granting only kv is refused.
        let narrow = PROBE
            .replace(
                r#"capabilities = ["kv", "secrets", "events-publish", "clinical-read", "http-outbound", "orders-read", "orders-annotate", "inventory-read", "reports-read", "files-write", "notify-email"]"#,
                r#"capabilities = ["kv"]"#,
            )
            .replace("[outbound]\nhosts = [\"https://api.example.com\"]\n", "");
        let refused = add(narrow, "probe").await.unwrap_err().to_string();
        assert!(refused.contains("does not declare"), "{refused}");

        add(PROBE.to_owned(), "probe").await.unwrap();
        add(PROBE.to_owned(), "probe").await.expect("the same package again is fine");
        let conflict = add(PROBE.to_owned(), "order_notes").await.unwrap_err();
        assert!(matches!(conflict, ils_core::Error::Conflict { code: "version_exists", .. }), "{conflict}");

        let a = app.tenant("alpha").await;
        let entry = app.get("/api/v1/tenant/plugins/probe", &a.admin.token).await;
        let versions: Vec<Value> = entry.ok(200)["versions"].as_array().unwrap().iter().map(|v| v["version"].clone()).collect();
        assert_eq!(versions, vec![json!("1.0.0")]);
    }
);

db_test!(
    async fn events_a_plugin_publishes_stay_in_its_tenant(backend) {
        use ils_core::plugins::invoke::Call;
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        enable_probe(&app, &a).await;
        enable_probe(&app, &b).await;
        let tenant_a: ils_core::ids::TenantId = a.id.parse().unwrap();
        let publish = Call::Event { kind: "probe.publish".into(), payload: json!({}) };
        app.state.plugins.invoke(tenant_a, "probe", None, publish).await.unwrap();

        let theirs = |token: String| {
            let app = &app;
            async move {
                let events = app.get("/api/v1/events?type=plugin.*", &token).await;
                events.ok(200)["items"].as_array().unwrap().clone()
            }
        };
        let events = theirs(a.admin.token.clone()).await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["type"], "plugin.probe.done");
        assert_eq!(events[0]["data"]["tenant"], a.id);
        assert_eq!(theirs(b.admin.token.clone()).await, Vec::<Value>::new());
        // The publishing plugin is not sent its own event; B's copy of the plugin gets nothing.
        let all_b = app.get("/api/v1/events", &b.admin.token).await;
        assert!(!all_b.ok(200).to_string().contains("plugin.probe"), "{}", all_b.body);
    }
);

db_test!(
    async fn schedules_run_for_each_tenant_that_enabled_the_plugin_once_a_minute_at_most(backend) {
        let app = TestApp::spawn(backend).await;
        let scheduled = PROBE
            .replace(r#"provides = ["event-handler", "http", "report-provider"]"#, r#"provides = ["event-handler", "http", "report-provider", "scheduled"]"#)
            .replace("[outbound]", "[[schedules]]\nname = \"nightly\"\ncron = \"30 2 * * *\"\n\n[outbound]");
        install(&app, "probe", &scheduled, "free").await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        let c = app.tenant("gamma").await;
        enable_probe(&app, &a).await;
        enable_probe(&app, &b).await;

        let due: jiff::Timestamp = "2026-11-21T02:30:00Z".parse().unwrap();
        let not_due: jiff::Timestamp = "2026-11-21T02:31:00Z".parse().unwrap();
        assert_eq!(ils_core::jobs::plugins::queue_due(&app.state, not_due).await.unwrap(), 0);
        assert_eq!(ils_core::jobs::plugins::queue_due(&app.state, due).await.unwrap(), 2, "alpha and beta");
        assert_eq!(ils_core::jobs::plugins::queue_due(&app.state, due).await.unwrap(), 0, "that minute is queued already");
        let at = due.as_millisecond().to_string();
        for tenant in [&a, &b] {
            let ran = TestApp::eventually(30, || async {
                let body = app.get("/api/v1/plugins/probe/kv/job/nightly", &tenant.admin.token).await;
                (body.status == 200 && body.body != Value::Null).then_some(body.body)
            })
            .await;
            assert_eq!(ran, Value::from(at.parse::<i64>().unwrap()), "{}", tenant.slug);
        }
        app.get("/api/v1/plugins/probe/kv/job/nightly", &c.admin.token).await.problem(404, "plugin_not_enabled");
    }
);

db_test!(
    async fn a_plugin_answer_outside_200_to_599_is_a_bad_gateway_with_the_reason(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;
        let status = async |code: &str| app.get(&format!("/api/v1/plugins/probe/status/{code}"), &a.admin.token).await;

        for passed in [200, 404, 599] {
            assert_eq!(status(&passed.to_string()).await.ok(passed), "the status asked for");
        }
        // 101 would hand the connection over; 99 and 1000 are not statuses (wasi:http refuses
        // them to the plugin, which may go on to answer 200 all the same); 1xx and 6xx are not
        // final answers a caller can use.
        for refused in ["101", "99", "1000", "199", "600"] {
            let answer = status(refused).await;
            answer.problem(502, "plugin_failed");
            let detail = answer.body["detail"].as_str().unwrap();
            assert!(detail.contains(&format!("HTTP status {refused}")) && detail.contains("200 to 599"), "{detail}");
            if refused == "199" {
                // A good answer in between keeps the breaker closed.
                status("204").await.ok(204);
            }
        }
        assert_eq!(status("201").await.ok(201), "the status asked for");
    }
);

db_test!(
    async fn a_control_character_in_a_kv_key_is_invalid_input_on_every_backend(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;
        let set = async |key: &str| app.get(&format!("/api/v1/plugins/probe/kv-set?{key}"), &a.admin.token).await;

        // The probe answers 400 for the host's "invalid" (final) and 503 for "unavailable"
        // (worth a retry): a NUL must be the former on PostgreSQL too, not a database error.
        for (key, found) in [("a%00b", "U+0000"), ("line%0Abreak", "U+000A"), ("del%7F", "U+007F")] {
            let answer = set(key).await;
            let detail = answer.ok(400).as_str().unwrap().to_owned();
            assert!(detail.starts_with("invalid: keys may not contain control characters"), "{detail}");
            assert!(detail.contains(found), "{detail}");
        }
        set("plain%20key%2Fwith%25").await.ok(204);
    }
);

db_test!(
    async fn an_event_larger_than_the_cap_is_refused_to_the_plugin_and_not_stored(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;
        let publish = async |bytes: usize| app.get(&format!("/api/v1/plugins/probe/publish?{bytes}"), &a.admin.token).await;
        let stored = async || {
            let events = app.get("/api/v1/events?type=plugin.*", &a.admin.token).await;
            events.ok(200)["items"].as_array().unwrap().iter().filter(|e| e["type"] == "plugin.probe.padded").count()
        };

        assert_eq!(publish(1_000).await.status, 204);
        // The Free plan's cap is 64 KiB of payload: a 5 MB event (as a probe once stored) and one
        // just over the cap are refused, as an error the plugin can handle.
        for over in [5_000_000, 64 << 10] {
            let refused = publish(over).await;
            assert_eq!(refused.status, 400, "{}", refused.body);
            assert!(refused.body.to_string().contains("at most 65536"), "{}", refused.body);
        }
        assert_eq!(stored().await, 1, "only the event under the cap was stored");
    }
);

db_test!(
    async fn a_breaker_can_be_reset_three_times_an_hour_then_it_must_close_by_itself(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        enable_probe(&app, &a).await;
        enable_probe(&app, &b).await;
        let reset = async |tenant: &Tenant| {
            app.post("/api/v1/tenant/plugins/probe/breaker/reset", Some(&tenant.admin.token), json!({})).await
        };
        for _ in 0..3 {
            assert_eq!(reset(&a).await.ok(200)["breaker"]["state"], "closed");
        }
        let refused = reset(&a).await;
        refused.problem(429, "too_many_resets");
        assert_eq!(refused.headers["retry-after"], "3600");
        let audited = app.get("/api/v1/audit?action=plugin.breaker_reset", &a.admin.token).await;
        assert_eq!(audited.ok(200)["items"].as_array().unwrap().len(), 3, "the refused reset is not recorded");
        // Another tenant's resets are its own.
        reset(&b).await.ok(200);
    }
);
