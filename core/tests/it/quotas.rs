//! Quotas per tenant and plugin, through the real host with the probe plugin: kv bytes, kv keys
//! and events a minute are refused past the quota with a final `invalid("quota: …")` (never the
//! retryable `unavailable`), nothing past the quota is stored, the tenant's admins see usage
//! against quota, and another tenant sees none of it. The tests set tiny quotas for the probe
//! the way a platform operator would (the `*_quota` columns of `plugin_usage`), so they write
//! bytes, not megabytes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::guests::{PROBE, enable_probe, install};
use crate::harness::{Tenant, TestApp, db_test};

/// Runs `sql` as the database owner (no row-level security); returns the first column of the
/// first row, if any, as a number.
async fn owner(app: &TestApp, sql: String) -> Option<i64> {
    use sqlx::Connection as _;
    let url = app.inspect_url();
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_optional(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_optional(&mut conn).await.unwrap()
    }
}

/// Sets one of the probe's quotas for `tenant` (`kv_bytes`, `kv_keys`, `events_per_minute`), as
/// an operator's override of the plan's figure.
async fn set_quota(app: &TestApp, tenant: &Tenant, quota: &str, value: i64) {
    let column = format!("{quota}_quota");
    owner(
        app,
        format!(
            "INSERT INTO plugin_usage (tenant_id, plugin_id, {column})
            SELECT id, 'probe', {value} FROM tenants WHERE slug = '{slug}'
            ON CONFLICT (tenant_id, plugin_id) DO UPDATE SET {column} = excluded.{column}",
            slug = tenant.slug
        ),
    )
    .await;
}

/// What the tenant's probe really holds in kv: (bytes of keys and values, keys).
async fn stored(app: &TestApp, tenant: &Tenant) -> (i64, i64) {
    let of_tenant = format!(
        "FROM plugin_kv WHERE plugin_id = 'probe' AND tenant_id = (SELECT id FROM tenants WHERE slug = '{}')",
        tenant.slug
    );
    let key_bytes = if app.db_path().is_some() { "length(CAST(key AS BLOB))" } else { "octet_length(key)" };
    let bytes = owner(
        app,
        format!("SELECT CAST(coalesce(sum({key_bytes} + length(value)), 0) AS BIGINT) {of_tenant}"),
    )
    .await;
    let keys = owner(app, format!("SELECT count(*) {of_tenant}")).await;
    (bytes.unwrap_or(0), keys.unwrap_or(0))
}

/// The probe's `many` events in the tenant's event log.
async fn published(app: &TestApp, tenant: &Tenant) -> usize {
    let events = app.get("/api/v1/events?limit=200", &tenant.admin.token).await;
    events.ok(200)["items"].as_array().unwrap().iter().filter(|e| e["type"] == "plugin.probe.many").count()
}

async fn usage(app: &TestApp, tenant: &Tenant) -> Value {
    app.get("/api/v1/tenant/plugins/probe/usage", &tenant.admin.token).await.ok(200).clone()
}

/// Calls the probe's `route` (`kv-fill?…`, `publish-many?…`): how many host calls worked, and
/// the error that stopped them.
async fn probe(app: &TestApp, tenant: &Tenant, route: &str) -> (u64, Value) {
    let answer = app.get(&format!("/api/v1/plugins/probe/{route}"), &tenant.admin.token).await;
    let body = answer.ok(200);
    (body["done"].as_u64().expect("done"), body["error"].clone())
}

/// The events quota counts calendar minutes: start well inside one, so a burst stays in it.
async fn wait_for_a_fresh_minute() {
    let second = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 60;
    if second >= 45 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
    }
}

/// Asserts a refusal the plugin can handle and will not retry: `invalid`, saying `quota:`.
#[track_caller]
fn assert_quota_refusal(error: &Value, says: &str) {
    assert_eq!(error["kind"], "invalid", "a final error, not a retryable one: {error}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("invalid: quota: ") && message.contains(says), "{message}");
}

db_test!(
    async fn kv_is_refused_at_its_byte_quota_and_nothing_past_it_is_stored(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;
        set_quota(&app, &a, "kv_bytes", 1000).await;
        let before = usage(&app, &a).await;
        assert_eq!(before["kv_bytes"], json!({ "used": 0, "quota": 1000 }), "{before}");

        // Keys `big0`…`big9` take 4 + 90 bytes each (940); `big10` would take 95 more.
        let (done, error) = probe(&app, &a, "kv-fill?big&100&90").await;
        assert_eq!(done, 10);
        assert_quota_refusal(&error, "kv storage is full");
        assert_eq!(app.get("/api/v1/plugins/probe/kv/big10", &a.admin.token).await.ok(200), &Value::Null, "refused key absent");
        assert_eq!(app.get("/api/v1/plugins/probe/kv/big9", &a.admin.token).await.ok(200), &json!("v".repeat(90)));
        assert_eq!(stored(&app, &a).await, (940, 10));

        // Still full: a new key is refused again and nothing is stored; the admins see it all.
        let (done, error) = probe(&app, &a, "kv-fill?more&1&90").await;
        assert_eq!(done, 0);
        assert_quota_refusal(&error, "kv storage is full");
        assert_eq!(stored(&app, &a).await, (940, 10));
        let after = usage(&app, &a).await;
        assert_eq!(after["kv_bytes"], json!({ "used": 940, "quota": 1000 }), "{after}");
        assert_eq!(after["kv_keys"]["used"], 10);
        assert_eq!(after["refusals"], 2);
        assert!(after["last_refusal"].as_str().unwrap().starts_with("quota: kv storage is full"), "{after}");

        // Rewriting a key with a smaller value is allowed when full, and gives bytes back.
        let (done, error) = probe(&app, &a, "kv-fill?big&1&10").await;
        assert_eq!((done, &error), (1, &Value::Null));
        assert_eq!(stored(&app, &a).await, (860, 10));
        assert_eq!(usage(&app, &a).await["kv_bytes"]["used"], 860);
    }
);

db_test!(
    async fn kv_is_refused_at_its_key_quota_and_the_refused_key_is_absent(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;
        set_quota(&app, &a, "kv_keys", 5).await;

        let (done, error) = probe(&app, &a, "kv-fill?k&8&1").await;
        assert_eq!(done, 5);
        assert_quota_refusal(&error, "keys");
        assert_eq!(app.get("/api/v1/plugins/probe/kv/k5", &a.admin.token).await.ok(200), &Value::Null, "refused key absent");
        assert_eq!(stored(&app, &a).await.1, 5);
        // An existing key may still be rewritten at the quota.
        let (done, error) = probe(&app, &a, "kv-fill?k&5&2").await;
        assert_eq!((done, &error), (5, &Value::Null));
        let usage = usage(&app, &a).await;
        assert_eq!(usage["kv_keys"], json!({ "used": 5, "quota": 5 }), "{usage}");
        assert_eq!(usage["kv_bytes"]["used"], 5 * (2 + 2));
        assert_eq!(usage["refusals"], 1);
    }
);

db_test!(
    async fn events_past_the_quota_of_a_minute_are_refused_and_not_stored(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;
        set_quota(&app, &a, "events_per_minute", 5).await;
        wait_for_a_fresh_minute().await;

        let (done, error) = probe(&app, &a, "publish-many?20").await;
        assert_eq!(done, 5);
        assert_quota_refusal(&error, "events a minute");
        assert_eq!(published(&app, &a).await, 5, "only the events within the quota exist");
        let usage = usage(&app, &a).await;
        assert_eq!(usage["events_this_minute"]["quota"], 5, "{usage}");
        assert!(usage["events_this_minute"]["used"].as_u64().unwrap() <= 5, "{usage}");
        assert_eq!(usage["refusals"], 1);
    }
);

db_test!(
    async fn concurrent_callers_together_stay_within_the_quotas(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;
        set_quota(&app, &a, "kv_bytes", 1000).await;
        set_quota(&app, &a, "events_per_minute", 5).await;
        wait_for_a_fresh_minute().await;

        // Four callers at once, each writing until refused (the probing that found the gap).
        let fills = ["w0-", "w1-", "w2-", "w3-"].map(|prefix| {
            let (app, a) = (&app, &a);
            async move { probe(app, a, &format!("kv-fill?{prefix}&100&90")).await }
        });
        let fills = futures_util::future::join_all(fills).await;
        let written: u64 = fills.iter().map(|(done, _)| done).sum();
        for (_, error) in &fills {
            assert_quota_refusal(error, "kv storage is full");
        }
        let (bytes, keys) = stored(&app, &a).await;
        assert!(bytes <= 1000, "stored {bytes} bytes past the quota of 1000");
        assert_eq!(u64::try_from(keys).unwrap(), written, "every write the callers were told of, and no other");
        let usage = usage(&app, &a).await;
        assert_eq!(usage["kv_bytes"]["used"], bytes, "the count matches what is stored: {usage}");

        let bursts = (0..4).map(|_| probe(&app, &a, "publish-many?20"));
        let bursts = futures_util::future::join_all(bursts).await;
        let accepted: u64 = bursts.iter().map(|(done, _)| done).sum();
        assert_eq!(accepted, 5, "{bursts:?}");
        assert_eq!(published(&app, &a).await, 5);
    }
);

db_test!(
    async fn plugin_usage_is_for_the_tenants_admins_only(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        let b = app.tenant("beta").await;
        enable_probe(&app, &a).await;
        let (done, _) = probe(&app, &a, "kv-fill?a&3&10").await;
        assert_eq!(done, 3);

        // B never enabled the probe: A's usage is not found, not shown.
        app.get("/api/v1/tenant/plugins/probe/usage", &b.admin.token).await.problem(404, "not_found");
        // Once B enables it, B sees its own (empty) usage, on its plan's quotas.
        enable_probe(&app, &b).await;
        let theirs = usage(&app, &b).await;
        assert_eq!(theirs["kv_keys"]["used"], 0, "{theirs}");
        assert_eq!(theirs["kv_bytes"]["quota"], 100 << 20, "Pro plan: 100 MiB");
        assert_eq!(usage(&app, &a).await["kv_keys"]["used"], 3);
        // Staff who are not company admins may not read it.
        let tech = app.member(&a, "tess", "lab_tech").await;
        app.get("/api/v1/tenant/plugins/probe/usage", &tech.token).await.problem(403, "forbidden");
    }
);

db_test!(
    async fn the_migration_counts_what_plugins_stored_before_quotas(backend) {
        let app = TestApp::spawn(backend).await;
        install(&app, "probe", PROBE, "free").await;
        let a = app.tenant("alpha").await;
        enable_probe(&app, &a).await;
        probe(&app, &a, "kv-fill?old&4&25").await;
        // A key of more bytes than characters: quotas count bytes.
        probe(&app, &a, "kv-fill?na%C3%AFve&1&3").await;
        let counted = |usage: Value| (usage["kv_bytes"]["used"].as_i64().unwrap(), usage["kv_keys"]["used"].as_i64().unwrap());
        let as_written = counted(usage(&app, &a).await);
        assert_eq!(as_written, stored(&app, &a).await);
        assert_eq!(as_written.1, 5);

        // As if the rows predated quotas: no usage row, then the migration's backfill.
        owner(&app, "DELETE FROM plugin_usage".to_owned()).await;
        let migration = if app.db_path().is_some() {
            include_str!("../../../migrations/sqlite/0011_plugin_quotas.sql")
        } else {
            include_str!("../../../migrations/postgres/0011_plugin_quotas.sql")
        };
        let start = migration.find("INSERT INTO plugin_usage").expect("the backfill");
        let backfill = &migration[start..start + migration[start..].find(';').unwrap()];
        assert_eq!(usage(&app, &a).await["kv_keys"]["used"], 0, "no usage row: nothing counted");
        owner(&app, backfill.to_owned()).await;
        assert_eq!(counted(usage(&app, &a).await), as_written);
    }
);
