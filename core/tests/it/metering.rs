//! Metering per tenant, plugin and day, through the real host with the probe plugin: the figures
//! a tenant's admins and platform admins read match the calls a test made (by export, with wall
//! and CPU time, outbound requests and bytes against a loopback upstream, events published and
//! kv kept), another tenant sees none of them, two nodes add to the same rows, and a monthly
//! invocation quota (set tiny, as an operator would, in `plugin_usage`) stops the next call with
//! 429 `quota_exceeded`, `Retry-After` and `reset_at`, without calling the plugin.

use std::sync::Arc;
use std::time::Duration;

use ils_core::plugins::invoke::Call;
use serde_json::{Value, json};

use crate::guests::{PROBE, PROBE_CONSENT, install};
use crate::harness::{Tenant, TestApp, db_test};

/// A loopback upstream answering `GET /data` with `body`; returns its port.
async fn upstream(body: &'static str) -> u16 {
    let app = axum::Router::new().route("/data", axum::routing::get(move || async move { body }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

/// Installs the probe allowed to call `http://127.0.0.1:{port}` and enables it for `tenants`.
async fn probe_calling(app: &TestApp, port: u16, tenants: &[&Tenant]) {
    let manifest = PROBE.replace("https://api.example.com", &format!("http://127.0.0.1:{port}"));
    install(app, "probe", &manifest, "free").await;
    for tenant in tenants {
        let body = json!({ "version": "1.0.0", "consent": PROBE_CONSENT });
        app.put("/api/v1/tenant/plugins/probe", &tenant.admin.token, body).await.ok(200);
    }
}

/// Sets the probe's invocations a month for `tenant`, as an operator's override of the plan's.
async fn set_monthly_quota(app: &TestApp, tenant: &Tenant, quota: i64) {
    use sqlx::Connection as _;
    let sql = format!(
        "INSERT INTO plugin_usage (tenant_id, plugin_id, invocations_per_month_quota)
        SELECT id, 'probe', {quota} FROM tenants WHERE slug = '{}'
        ON CONFLICT (tenant_id, plugin_id) DO UPDATE
        SET invocations_per_month_quota = excluded.invocations_per_month_quota",
        tenant.slug
    );
    let url = app.inspect_url();
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
}

async fn call(app: &TestApp, tenant: &Tenant, route: &str) -> crate::harness::Resp {
    app.get(&format!("/api/v1/plugins/probe/{route}"), &tenant.admin.token).await
}

/// An event for the probe, delivered the way the job runner delivers one (through the breaker
/// and the quota).
async fn event(app: &TestApp, tenant: &Tenant, what: &str) -> ils_core::Result<()> {
    let call = Call::Event { kind: format!("probe.{what}"), payload: json!({}) };
    app.state.plugins.invoke(tenant.id.parse().unwrap(), "probe", None, call).await.map(|_| ())
}

async fn metering(app: &TestApp, tenant: &Tenant) -> Value {
    app.get("/api/v1/tenant/plugins/probe/metering", &tenant.admin.token).await.ok(200).clone()
}

/// One export's figures summed over the days returned (a test may straddle midnight).
fn export(metering: &Value, name: &str) -> Value {
    let mut sum = serde_json::Map::new();
    for day in metering["days"].as_array().unwrap() {
        for e in day["exports"].as_array().unwrap().iter().filter(|e| e["export"] == name) {
            for (key, value) in e.as_object().unwrap().iter().filter(|(k, _)| *k != "export") {
                let n = value.as_u64().unwrap();
                let was = sum.get(key).and_then(Value::as_u64).unwrap_or(0);
                let now = if key == "peak_memory_bytes" { was.max(n) } else { was + n };
                sum.insert(key.clone(), json!(now));
            }
        }
    }
    Value::Object(sum)
}

db_test!(
    async fn usage_figures_match_the_calls_a_test_made(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        let port = upstream("0123456789").await;
        probe_calling(&app, port, &[&a]).await;

        for _ in 0..3 {
            call(&app, &a, "kv/nothing").await.ok(200);
        }
        for _ in 0..2 {
            let fetched = call(&app, &a, &format!("fetch?http://127.0.0.1:{port}/data")).await;
            assert_eq!(fetched.ok(200), "upstream 200: 0123456789");
        }
        assert_eq!(call(&app, &a, "publish-many?2").await.ok(200)["done"], 2);
        assert_eq!(call(&app, &a, "kv-fill?k&2&10").await.ok(200)["done"], 2);
        event(&app, &a, "noop").await.unwrap();
        event(&app, &a, "noop").await.unwrap();
        event(&app, &a, "panic").await.unwrap_err();

        // Read at once: this node's figures are flushed before the read.
        let figures = metering(&app, &a).await;
        assert_eq!(figures["plugin_id"], "probe");
        let http = export(&figures, "incoming-handler.handle");
        assert_eq!(http["invocations"], 7, "{figures}");
        assert_eq!(http["failures"], 0);
        assert_eq!(http["outbound_requests"], 2);
        assert_eq!(http["outbound_bytes"], 20, "two response bodies of 10 bytes, no request bodies");
        assert_eq!(http["events_published"], 2);
        assert!(http["wall_time_us"].as_u64().unwrap() > 0, "{http}");
        assert!(http["cpu_time_us"].as_u64().unwrap() > 0, "{http}");
        assert!(http["cpu_time_us"].as_u64() <= http["wall_time_us"].as_u64(), "{http}");
        assert!(http["peak_memory_bytes"].as_u64().unwrap() > 0, "{http}");
        let events = export(&figures, "event-handler.handle");
        assert_eq!((events["invocations"].as_u64(), events["failures"].as_u64()), (Some(3), Some(1)), "{figures}");
        assert_eq!(events["outbound_requests"], 0);
        assert_eq!(figures["total"]["invocations"], 10);
        let today = figures["days"].as_array().unwrap().last().unwrap();
        assert_eq!((today["kv_keys"].as_u64(), today["kv_bytes"].as_u64()), (Some(2), Some(2 * (2 + 10))), "{today}");

        // The usage page counts the same calls against the month's quota (the tenant's Pro plan).
        let usage = app.get("/api/v1/tenant/plugins/probe/usage", &a.admin.token).await;
        let usage = usage.ok(200);
        assert_eq!(usage["invocations_this_month"], json!({ "used": 10, "quota": 100_000 }), "{usage}");
        let resets: jiff::Timestamp = usage["month_resets_at"].as_str().unwrap().parse().unwrap();
        let now = jiff::Timestamp::now();
        assert!(resets > now && resets < now + jiff::SignedDuration::from_hours(24 * 31), "{resets}");
        assert_eq!(resets.to_zoned(jiff::tz::TimeZone::UTC).day(), 1);

        // Prometheus has them by plugin, never by tenant.
        let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains(r#"ils_plugin_outbound_requests_total{plugin="probe"} 2"#), "{metrics}");
        assert!(metrics.contains(r#"ils_plugin_outbound_bytes_total{plugin="probe"} 20"#), "{metrics}");
        assert!(metrics.contains(r#"ils_plugin_events_published_total{plugin="probe"} 2"#), "{metrics}");
        assert!(metrics.contains(r#"ils_plugin_cpu_seconds_total{plugin="probe"}"#), "{metrics}");
        assert!(!metrics.contains(&a.id), "no tenant in a label");
    }
);

db_test!(
    async fn a_monthly_quota_stops_the_next_call_with_429_and_its_reset_time(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        probe_calling(&app, 9, &[&a]).await;
        set_monthly_quota(&app, &a, 3).await;

        for i in 0..3 {
            assert_eq!(call(&app, &a, &format!("kv-fill?k{i}-&1&1")).await.ok(200)["done"], 1);
        }
        // The fourth would publish an event and the fifth store a key: neither runs.
        let refused = call(&app, &a, "publish-many?1").await;
        refused.problem(429, "quota_exceeded");
        let reset_at: jiff::Timestamp = refused.body["reset_at"].as_str().expect("reset_at").parse().unwrap();
        let first_of_next_month = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .last_of_month()
            .tomorrow()
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp();
        assert_eq!(reset_at, first_of_next_month, "{}", refused.body);
        let retry_after: i64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
        let until_reset = reset_at.as_second() - jiff::Timestamp::now().as_second();
        assert!((until_reset - retry_after).abs() <= 2, "Retry-After {retry_after} s, reset in {until_reset} s");
        assert!(refused.body["detail"].as_str().unwrap().contains("3 invocations"), "{}", refused.body);
        call(&app, &a, "kv-fill?late-&1&1").await.problem(429, "quota_exceeded");
        let err = event(&app, &a, "noop").await.unwrap_err();
        assert!(matches!(err, ils_core::Error::QuotaExceeded { .. }), "{err}");

        // The plugin was not called: nothing stored, nothing published, three invocations.
        let usage = app.get("/api/v1/tenant/plugins/probe/usage", &a.admin.token).await.ok(200).clone();
        assert_eq!(usage["kv_keys"]["used"], 3, "{usage}");
        assert_eq!(usage["invocations_this_month"], json!({ "used": 3, "quota": 3 }));
        let events = app.get("/api/v1/events?limit=200", &a.admin.token).await;
        let published = events.ok(200)["items"].as_array().unwrap().iter().filter(|e| e["type"] == "plugin.probe.many").count();
        assert_eq!(published, 0);
        assert_eq!(metering(&app, &a).await["total"]["invocations"], 3);
        let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(
            metrics.contains(r#"ils_plugin_quota_refusals_total{plugin="probe",quota="invocations_per_month"} 3"#),
            "{metrics}"
        );

        // An operator raises the quota: calls go through again once the count is read again.
        set_monthly_quota(&app, &a, 5).await;
        TestApp::eventually(10, || async {
            let answer = call(&app, &a, "kv-fill?again-&1&1").await;
            (answer.status == 200).then_some(())
        })
        .await;
    }
);

db_test!(
    async fn a_tenant_sees_only_its_own_figures_and_platform_admins_see_each_tenants(backend) {
        let app = TestApp::spawn(backend).await;
        let (root, _) = app.platform_admin().await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        probe_calling(&app, 9, &[&a]).await;
        for _ in 0..4 {
            call(&app, &a, "kv/x").await.ok(200);
        }

        // B never enabled the probe: A's figures are not found, not shown.
        app.get("/api/v1/tenant/plugins/probe/metering", &b.admin.token).await.problem(404, "not_found");
        let body = json!({ "version": "1.0.0", "consent": PROBE_CONSENT });
        app.put("/api/v1/tenant/plugins/probe", &b.admin.token, body).await.ok(200);
        let theirs = metering(&app, &b).await;
        assert_eq!((theirs["days"].clone(), theirs["total"]["invocations"].clone()), (json!([]), json!(0)), "{theirs}");
        call(&app, &b, "kv/x").await.ok(200);
        assert_eq!(metering(&app, &b).await["total"]["invocations"], 1);
        assert_eq!(metering(&app, &a).await["total"]["invocations"], 4);
        let tech = app.member(&a, "tess", "lab_tech").await;
        app.get("/api/v1/tenant/plugins/probe/metering", &tech.token).await.problem(403, "forbidden");
        app.get("/api/v1/platform/plugins/probe/metering", &a.admin.token).await.problem(403, "platform_admin_required");

        let platform = app.get("/api/v1/platform/plugins/probe/metering", &root.token).await;
        let platform = platform.ok(200);
        let per_tenant: Vec<(String, u64)> = platform["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["tenant_id"].as_str().unwrap().to_owned(), t["total"]["invocations"].as_u64().unwrap()))
            .collect();
        let mut expected = vec![(a.id.clone(), 4), (b.id.clone(), 1)];
        expected.sort();
        assert_eq!(per_tenant, expected, "{platform}");
        assert_eq!(platform["total"]["invocations"], 5);

        let bad = app.get("/api/v1/tenant/plugins/probe/metering?from=2026-02-10&to=2026-02-01", &a.admin.token).await;
        bad.problem(422, "invalid_input");
        let old = app.get("/api/v1/tenant/plugins/probe/metering?from=2020-01-01&to=2020-01-31", &a.admin.token).await;
        assert_eq!(old.ok(200)["days"], json!([]));
    }
);

db_test!(
    async fn two_nodes_add_to_the_same_rows_and_share_the_monthly_quota(backend) {
        let app = TestApp::spawn(backend).await;
        let a = app.tenant("alpha").await;
        probe_calling(&app, 9, &[&a]).await;
        set_monthly_quota(&app, &a, 5).await;
        // A second `ils serve` on the same database: its own plugin runtime and metering.
        let metrics = Arc::new(ils_host_api::metrics::NoMetrics);
        let node2 = ils_core::plugins::Plugins::new(
            app.db.clone(),
            app.state.sealer.clone(),
            metrics,
            app.state.config.plugins.clone(),
            app.state.plugin_services(),
        );
        let tenant = a.id.parse().unwrap();
        let on_node2 = || Call::Http { method: http::Method::GET, path: "/kv/x".into(), body: Vec::new() };

        call(&app, &a, "kv/x").await.ok(200);
        call(&app, &a, "kv/x").await.ok(200);
        node2.invoke(tenant, "probe", None, on_node2()).await.unwrap();
        node2.invoke(tenant, "probe", None, on_node2()).await.unwrap();
        let http = |m: &Value| export(m, "incoming-handler.handle")["invocations"].as_u64().unwrap();
        assert_eq!(http(&metering(&app, &a).await), 2, "node 2 has not flushed yet");
        node2.metering().flush().await.unwrap();
        let both = metering(&app, &a).await;
        assert_eq!(http(&both), 4, "{both}");
        assert_eq!(both["days"].as_array().unwrap().last().unwrap()["exports"].as_array().unwrap().len(), 1, "one row");

        // The fifth call, on node 2, uses the quota up; node 1 refuses the next once it has read
        // the count again (at most CACHE_FOR later).
        node2.invoke(tenant, "probe", None, on_node2()).await.unwrap();
        node2.metering().flush().await.unwrap();
        tokio::time::sleep(ils_core::plugins::metering::CACHE_FOR + Duration::from_millis(100)).await;
        call(&app, &a, "kv/x").await.problem(429, "quota_exceeded");
        let err = node2.invoke(tenant, "probe", None, on_node2()).await.unwrap_err();
        assert!(matches!(err, ils_core::Error::QuotaExceeded { .. }), "{err}");
        assert_eq!(metering(&app, &a).await["total"]["invocations"], 5);
    }
);
