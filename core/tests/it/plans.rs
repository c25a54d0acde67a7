//! Plans as data (ADR 025): platform admins list, create, edit and delete plans and include or
//! exclude plugins; a tenant's plan decides which plugins it may enable and each call's limits
//! and quotas; a plan change disables what the new plan leaves out (data kept) and enables it
//! again when a plan includes it; migration 0016 carries a database made at 0014 over.

use serde_json::{Value, json};

use crate::guests::{PROBE, PROBE_CONSENT, install};
use crate::harness::{Backend, Tenant, TestApp, db_test, fresh_database};

/// A platform admin's token (TOTP enrolled).
async fn root(app: &TestApp) -> String {
    app.platform_admin().await.0.token
}

async fn enable_probe(app: &TestApp, tenant: &Tenant) -> Value {
    let body = json!({ "version": "1.0.0", "consent": PROBE_CONSENT, "config": { "greeting": "hello" } });
    app.put("/api/v1/tenant/plugins/probe", &tenant.admin.token, body).await.body
}

async fn move_to(app: &TestApp, root: &str, tenant: &Tenant, plan: &str) -> Value {
    let path = format!("/api/v1/tenants/{}", tenant.id);
    app.patch(&path, root, json!({ "plan": plan })).await.ok(200).clone()
}

async fn probe(app: &TestApp, tenant: &Tenant, route: &str) -> crate::harness::Resp {
    app.get(&format!("/api/v1/plugins/probe/{route}"), &tenant.admin.token).await
}

fn new_plan(slug: &str, rank: i64) -> Value {
    json!({
        "slug": slug, "name": "Gold", "rank": rank, "price_label": "£99 / month",
        "timeout_ms": 20000, "memory_bytes": 100 << 20, "kv_bytes": 1 << 30, "kv_keys": 500000,
        "events_per_minute": 6000, "invocations_per_month": 500000,
    })
}

db_test!(
    async fn the_four_plans_are_seeded_with_the_figures_the_code_held(backend) {
        let app = TestApp::spawn(backend).await;
        let root = root(&app).await;
        let plans = app.get("/api/v1/platform/plans", &root).await;
        let plans = plans.ok(200).as_array().unwrap().clone();
        let figures: Vec<Value> = plans
            .iter()
            .map(|p| {
                json!([p["slug"], p["rank"], p["timeout_ms"], p["memory_bytes"], p["kv_bytes"], p["kv_keys"],
                    p["events_per_minute"], p["invocations_per_month"]])
            })
            .collect();
        let mib = 1_i64 << 20;
        assert_eq!(
            figures,
            vec![
                json!(["free", 10, 5000, 32 * mib, 10 * mib, 10_000, 600, 10_000]),
                json!(["pro", 20, 10000, 64 * mib, 100 * mib, 100_000, 3000, 100_000]),
                json!(["premium", 30, 30000, 128 * mib, 1024 * mib, 1_000_000, 12_000, 1_000_000]),
                json!(["enterprise", 40, 30000, 128 * mib, 4096 * mib, 4_000_000, 30_000, 4_000_000]),
            ]
        );
        assert_eq!(plans[1]["name"], "Pro");
        assert_eq!(plans[1]["price_label"], Value::Null);
    }
);

db_test!(
    async fn a_platform_admin_creates_edits_and_deletes_a_plan_and_is_refused_what_would_break(backend) {
        let app = TestApp::spawn(backend).await;
        let root = root(&app).await;
        let created = app.post("/api/v1/platform/plans", Some(&root), new_plan("gold", 25)).await;
        let created = created.ok(201);
        assert_eq!((created["slug"].clone(), created["tenants"].clone()), (json!("gold"), json!(0)));
        assert_eq!(created["plugins"], json!([]));
        let order: Vec<Value> = app.get("/api/v1/platform/plans", &root).await.ok(200).as_array().unwrap()
            .iter().map(|p| p["slug"].clone()).collect();
        assert_eq!(order, vec![json!("free"), json!("pro"), json!("gold"), json!("premium"), json!("enterprise")]);

        app.post("/api/v1/platform/plans", Some(&root), new_plan("gold", 26)).await.problem(409, "plan_exists");
        app.post("/api/v1/platform/plans", Some(&root), new_plan("silver", 20)).await.problem(409, "rank_taken");
        let mut bad = new_plan("silver", 21);
        bad["timeout_ms"] = json!(0);
        app.post("/api/v1/platform/plans", Some(&root), bad).await.problem(422, "invalid_input");
        let mut bad = new_plan("silver", 21);
        bad["memory_bytes"] = json!(1_i64 << 40);
        app.post("/api/v1/platform/plans", Some(&root), bad).await.problem(422, "invalid_input");
        let mut bad = new_plan("Silver!", 21);
        bad["kv_keys"] = json!(-1);
        app.post("/api/v1/platform/plans", Some(&root), bad).await.problem(422, "invalid_input");

        let edit = json!({ "name": "Gold plus", "price_label": "", "invocations_per_month": 7 });
        let edited = app.patch("/api/v1/platform/plans/gold", &root, edit).await;
        let edited = edited.ok(200);
        assert_eq!((edited["name"].clone(), edited["price_label"].clone()), (json!("Gold plus"), Value::Null));
        assert_eq!((edited["invocations_per_month"].clone(), edited["kv_keys"].clone()), (json!(7), json!(500000)));
        app.patch("/api/v1/platform/plans/gold", &root, json!({ "rank": 10 })).await.problem(409, "rank_taken");
        app.patch("/api/v1/platform/plans/gold", &root, json!({ "colour": "gold" })).await.problem(422, "invalid_body");
        app.patch("/api/v1/platform/plans/tin", &root, json!({ "name": "Tin" })).await.problem(404, "not_found");
        assert_eq!(app.get("/api/v1/platform/plans/gold", &root).await.ok(200)["name"], "Gold plus");

        // A tenant on it keeps it; so does a version approved from it.
        let a = app.tenant("alpha").await;
        app.patch(&format!("/api/v1/tenants/{}", a.id), &root, json!({ "plan": "gold" })).await.ok(200);
        let refused = app.delete("/api/v1/platform/plans/gold", &root).await;
        refused.problem(409, "plan_in_use");
        app.patch(&format!("/api/v1/tenants/{}", a.id), &root, json!({ "plan": "tin" })).await.problem(422, "invalid_input");
        app.patch(&format!("/api/v1/tenants/{}", a.id), &root, json!({ "plan": "pro" })).await.ok(200);
        install(&app, "probe", PROBE, "gold").await;
        app.delete("/api/v1/platform/plans/gold", &root).await.problem(409, "plan_in_use");
        install(&app, "probe", PROBE, "premium").await;
        app.delete("/api/v1/platform/plans/gold", &root).await.ok(204);
        app.get("/api/v1/platform/plans/gold", &root).await.problem(404, "not_found");

        let audit = app.get("/api/v1/platform/audit?limit=100", &root).await;
        let actions: Vec<String> = audit.ok(200)["items"].as_array().unwrap().iter()
            .map(|e| e["action"].as_str().unwrap().to_owned()).collect();
        for action in ["plan.created", "plan.updated", "plan.deleted"] {
            assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
        }
    }
);

db_test!(
    async fn only_platform_admins_reach_plans(backend) {
        let app = TestApp::spawn(backend).await;
        let _root = root(&app).await;
        let a = app.tenant("alpha").await;
        let token = &a.admin.token;
        app.get("/api/v1/platform/plans", token).await.problem(403, "platform_admin_required");
        app.get("/api/v1/platform/plans/free", token).await.problem(403, "platform_admin_required");
        app.post("/api/v1/platform/plans", Some(token), new_plan("gold", 25)).await.problem(403, "platform_admin_required");
        app.patch("/api/v1/platform/plans/free", token, json!({ "invocations_per_month": 1 }))
            .await
            .problem(403, "platform_admin_required");
        app.delete("/api/v1/platform/plans/free", token).await.problem(403, "platform_admin_required");
        app.put("/api/v1/platform/plans/free/plugins/probe", token, json!({})).await.problem(403, "platform_admin_required");
        app.delete("/api/v1/platform/plans/free/plugins/probe", token).await.problem(403, "platform_admin_required");
        app.patch(&format!("/api/v1/tenants/{}", a.id), token, json!({ "plan": "enterprise" }))
            .await
            .problem(403, "platform_admin_required");
        let anonymous = app.call(reqwest::Method::GET, "/api/v1/platform/plans", None, None).await;
        anonymous.problem(401, "unauthenticated");
    }
);

db_test!(
    async fn a_plan_change_disables_what_the_new_plan_leaves_out_keeps_its_data_and_the_move_back_enables_it(backend) {
        let app = TestApp::spawn(backend).await;
        let root = root(&app).await;
        install(&app, "probe", PROBE, "pro").await;
        let a = app.tenant("alpha").await;
        assert_eq!(enable_probe(&app, &a).await["enabled"], true);
        assert_eq!(probe(&app, &a, "kv-fill?k&1&5").await.ok(200)["done"], 1);
        app.put("/api/v1/tenant/plugins/probe/secrets/token", &a.admin.token, json!({ "value": "s3cret" })).await.ok(204);

        let moved = move_to(&app, &root, &a, "free").await;
        assert_eq!(moved["plan"], "free");
        assert_eq!(moved["plugins_disabled"], json!(["probe"]));
        assert_eq!(moved["plugins_reenabled"], json!([]));
        let shown = app.get("/api/v1/tenant/plugins/probe", &a.admin.token).await;
        let shown = shown.ok(200);
        assert_eq!(shown["available"], false);
        assert_eq!((shown["enablement"]["enabled"].clone(), shown["enablement"]["disabled_by_plan"].clone()), (json!(false), json!(true)));
        probe(&app, &a, "kv/k0").await.problem(404, "plugin_not_enabled");
        let again = json!({ "version": "1.0.0", "consent": PROBE_CONSENT });
        app.put("/api/v1/tenant/plugins/probe", &a.admin.token, again).await.problem(403, "plan_required");

        let events = app.get("/api/v1/events?limit=100", &a.admin.token).await;
        let told = events.ok(200)["items"].as_array().unwrap().iter().any(|e| {
            e["type"] == "plugin.disabled_by_plan" && e["data"]["plugin_id"] == "probe" && e["data"]["plan"] == "free"
        });
        assert!(told, "the tenant is told: {}", events.body);
        let audit = app.get("/api/v1/audit?action=plugin.disabled_by_plan", &a.admin.token).await;
        assert_eq!(audit.ok(200)["items"][0]["changes"]["version"], "1.0.0");

        // A move that changes nothing for it says so; the move back brings it back as it was.
        assert_eq!(move_to(&app, &root, &a, "free").await["plugins_disabled"], json!([]));
        let back = move_to(&app, &root, &a, "premium").await;
        assert_eq!((back["plugins_disabled"].clone(), back["plugins_reenabled"].clone()), (json!([]), json!(["probe"])));
        let shown = app.get("/api/v1/tenant/plugins/probe", &a.admin.token).await;
        let enablement = &shown.ok(200)["enablement"];
        assert_eq!((enablement["enabled"].clone(), enablement["disabled_by_plan"].clone()), (json!(true), json!(false)));
        assert_eq!(enablement["capabilities"].as_array().unwrap().len(), PROBE_CONSENT.len(), "the same consent");
        assert_eq!(probe(&app, &a, "kv/k0").await.body, "vvvvv", "kv kept");
        assert_eq!(probe(&app, &a, "config").await.body, json!({ "greeting": "hello" }), "configuration kept");
        assert_eq!(probe(&app, &a, "secret/token").await.body, "s3cret", "secrets kept");
        let audit = app.get("/api/v1/audit?action=plugin.reenabled_by_plan", &a.admin.token).await;
        assert_eq!(audit.ok(200)["items"][0]["entity_id"], "probe");

        // A tenant admin's own disable is theirs: the plan does not bring it back.
        move_to(&app, &root, &a, "free").await;
        app.delete("/api/v1/tenant/plugins/probe", &a.admin.token).await.ok(204);
        assert_eq!(move_to(&app, &root, &a, "pro").await["plugins_reenabled"], json!([]));
    }
);

db_test!(
    async fn excluding_a_plugin_disables_it_for_the_plans_tenants_only_and_including_it_brings_it_back(backend) {
        let app = TestApp::spawn(backend).await;
        let root = root(&app).await;
        install(&app, "probe", PROBE, "pro").await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("bravo").await;
        move_to(&app, &root, &b, "enterprise").await;
        enable_probe(&app, &a).await;
        enable_probe(&app, &b).await;
        let pro = app.get("/api/v1/platform/plans/pro", &root).await;
        assert_eq!(pro.ok(200)["plugins"], json!(["probe"]));
        let free = app.get("/api/v1/platform/plans/free", &root).await;
        assert_eq!(free.ok(200)["plugins"], json!([]), "installed from pro: not in free");

        let excluded = app.delete("/api/v1/platform/plans/pro/plugins/probe", &root).await;
        let excluded = excluded.ok(200);
        assert_eq!(excluded["included"], false);
        assert_eq!(excluded["tenants_disabled"], json!([a.id]));
        app.delete("/api/v1/platform/plans/pro/plugins/probe", &root).await.problem(404, "not_found");
        probe(&app, &a, "kv/x").await.problem(404, "plugin_not_enabled");
        probe(&app, &b, "kv/x").await.ok(200);

        let included = app.put("/api/v1/platform/plans/pro/plugins/probe", &root, json!({})).await;
        assert_eq!(included.ok(200)["tenants_reenabled"], json!([a.id]));
        probe(&app, &a, "kv/x").await.ok(200);
        app.put("/api/v1/platform/plans/pro/plugins/nothing-here", &root, json!({})).await.problem(404, "not_found");
        app.put("/api/v1/platform/plans/tin/plugins/probe", &root, json!({})).await.problem(404, "not_found");
    }
);

db_test!(
    async fn limits_and_quotas_come_from_the_plan_as_a_platform_admin_edits_it(backend) {
        let app = TestApp::spawn(backend).await;
        let root = root(&app).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;
        let usage = app.get("/api/v1/tenant/plugins/probe/usage", &a.admin.token).await;
        assert_eq!(usage.ok(200)["invocations_this_month"]["quota"], 100_000);

        let edit = json!({ "invocations_per_month": 2, "kv_keys": 1 });
        app.patch("/api/v1/platform/plans/pro", &root, edit).await.ok(200);
        let filled = probe(&app, &a, "kv-fill?q&2&1").await;
        let filled = filled.ok(200);
        assert_eq!(filled["done"], 1, "one key: the plan's kv_keys");
        assert!(filled["error"]["message"].as_str().unwrap().contains("quota: kv holds 1 keys"), "{filled}");
        probe(&app, &a, "kv/q0").await.ok(200);
        let refused = probe(&app, &a, "kv/q0").await;
        refused.problem(429, "quota_exceeded");
        assert!(refused.body["detail"].as_str().unwrap().contains("2 invocations"), "{}", refused.body);

        // A plugin call's timeout is the plan's too: 50 ms stops a loop long before Pro's 10 s.
        app.patch("/api/v1/platform/plans/pro", &root, json!({ "invocations_per_month": 100, "timeout_ms": 50 })).await.ok(200);
        let started = std::time::Instant::now();
        let slow = probe(&app, &a, "loop").await;
        slow.problem(502, "plugin_failed");
        assert!(started.elapsed() < std::time::Duration::from_secs(3), "stopped after {:?}", started.elapsed());
    }
);

/// Runs `sql` as the database owner at `url`.
async fn owner_exec(url: &str, sql: &str) {
    use sqlx::Connection as _;
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.unwrap();
    }
}

/// One text column of the first row `sql` returns, at `url`.
async fn owner_rows(url: &str, sql: &str) -> Vec<String> {
    use sqlx::Connection as _;
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&mut conn).await.unwrap()
    }
}

db_test!(
    async fn migration_0016_carries_a_database_made_at_0014_over_with_its_data(backend) {
        let (_dir, options, _pg) = fresh_database(backend).await;
        let owner = options.migrate_url.clone().unwrap_or_else(|| options.url.clone());
        let dir = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(dir);
        let mut at_0014 = sqlx::migrate::Migrator::new(path).await.unwrap();
        at_0014.migrations = at_0014.migrations.iter().filter(|m| m.version <= 14).cloned().collect::<Vec<_>>().into();
        let (tenant, time) = match backend {
            Backend::Sqlite => ("x'0193a3b0000070008000000000000001'", "'2026-01-01T00:00:00.000000Z'"),
            Backend::Postgres => ("'0193a3b0-0000-7000-8000-000000000001'", "now()"),
        };
        match backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&format!("{owner}?mode=rwc")).await.unwrap();
                at_0014.run(&pool).await.unwrap();
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&owner).await.unwrap();
                at_0014.run(&pool).await.unwrap();
                pool.close().await;
            }
        }
        let zeros = "0".repeat(64);
        let ones = "1".repeat(64);
        owner_exec(&owner, &format!(
            "INSERT INTO tenants (id, slug, name, kind, status, plan, created_at, updated_at, rx_steps)
                VALUES ({tenant}, 'acme', 'Acme', 'lab', 'active', 'pro', {time}, {time}, 'eighth');
            INSERT INTO plugin_catalogue (plugin_id, version, digest, manifest, min_plan, added_at)
                VALUES ('probe', '1.0.0', '{zeros}', 'm', 'pro', {time}), ('probe', '1.1.0', '{ones}', 'm', 'premium', {time});
            INSERT INTO tenant_plugins (tenant_id, plugin_id, version, enabled, capabilities, config, enabled_at, updated_at)
                VALUES ({tenant}, 'probe', '1.0.0', TRUE, 'kv', '{{\"a\":1}}', {time}, {time});
            INSERT INTO plugin_kv (tenant_id, plugin_id, key, value, updated_at)
                VALUES ({tenant}, 'probe', 'k', {value}, {time});",
            value = if backend == Backend::Sqlite { "x'76'" } else { "'\\x76'::bytea" },
        )).await;

        ils_core::db::migrate(&options).await.expect("0016 over a 0014 database");

        assert_eq!(owner_rows(&owner, "SELECT slug || ' ' || plan || ' ' || rx_steps FROM tenants").await, vec!["acme pro eighth"]);
        assert_eq!(
            owner_rows(&owner, "SELECT plan || ' ' || plugin_id FROM plan_plugins ORDER BY plan").await,
            vec!["enterprise probe", "premium probe", "pro probe"],
            "the lowest plan of its versions, and every plan above"
        );
        assert_eq!(
            owner_rows(&owner, "SELECT plugin_id || ' ' || version || ' ' || min_plan FROM plugin_catalogue ORDER BY version").await,
            vec!["probe 1.0.0 pro", "probe 1.1.0 premium"]
        );
        assert_eq!(owner_rows(&owner, "SELECT config FROM tenant_plugins WHERE NOT disabled_by_plan").await, vec![r#"{"a":1}"#]);
        assert_eq!(owner_rows(&owner, "SELECT key FROM plugin_kv").await, vec!["k"]);
        if backend == Backend::Sqlite {
            let broken = owner_rows(&owner, "SELECT \"table\" FROM pragma_foreign_key_check").await;
            assert!(broken.is_empty(), "{broken:?}");
        }
        // The plan is a reference now: an unknown one is refused, a new plan's slug accepted.
        use sqlx::Connection as _;
        let unknown = format!(
            "INSERT INTO tenants (id, slug, name, kind, status, plan, created_at, updated_at)
                VALUES ({}, 'gold-co', 'Gold', 'lab', 'active', 'gold', {time}, {time})",
            tenant.replace("01'", "02'")
        );
        let refused = if backend == Backend::Sqlite {
            let mut conn = sqlx::SqliteConnection::connect(&owner).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(unknown.clone())).execute(&mut conn).await.is_err()
        } else {
            let mut conn = sqlx::PgConnection::connect(&owner).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(unknown.clone())).execute(&mut conn).await.is_err()
        };
        assert!(refused, "a tenant on no plan");
        owner_exec(&owner, &format!(
            "INSERT INTO plans (slug, name, rank, timeout_ms, memory_bytes, kv_bytes, kv_keys, events_per_minute,
                invocations_per_month, created_at, updated_at) VALUES ('gold', 'Gold', 25, 1, 1048576, 0, 0, 0, 0, {time}, {time})"
        )).await;
        owner_exec(&owner, &unknown).await;
    }
);
