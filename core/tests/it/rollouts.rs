//! Versions for tenants over real HTTP, on both backends: tenants follow a semver range or stay
//! pinned; a platform admin rolls an approved version out to named tenants, then a share of the
//! rest by a stable hash, then all; a version that fails is rolled back automatically with the
//! reason recorded (by a stage change's judgement, and by the watcher on its own); a rollout
//! holds the tenants whose consent, plan or configuration does not cover the new version; an
//! admin rolls back by hand and moves every tenant off a yanked version. Every move is audited
//! in the tenant's log and emitted to it.

use std::time::Duration;

use ils_core::ids::TenantId;
use ils_core::publishing::rollout::bucket;
use serde_json::{Value, json};

use crate::guests::{PROBE, PROBE_CONSENT, component};
use crate::harness::{Actor, Tenant, TestApp, db_test};
use crate::registry::{Publishing, publish, publisher, signed};

/// A call the probe answers on a healthy version (it takes 3 MB for a value it then stores under
/// no key); on a version limited to 2 MiB of memory it fails (the host stops it at the limit:
/// the plugin's fault).
const HEAVY: &str = "/api/v1/plugins/probe/kv-fill?heavy&0&3000000";

/// The probe's manifest at `version`, with `extra` appended (limits, another schema…) and
/// `more_caps` added to what it asks for.
fn probe(version: &str, more_caps: &[&str], extra: &str) -> String {
    let mut text = PROBE.replace("version = \"1.0.0\"", &format!("version = \"{version}\""));
    if !more_caps.is_empty() {
        let added: String = more_caps.iter().map(|c| format!(", {c:?}")).collect();
        text = text.replace("\"notify-email\"]", &format!("\"notify-email\"{added}]"));
    }
    format!("{text}{extra}")
}

/// The failing version's extra manifest text: 2 MiB of memory, less than a heavy call needs.
const STARVED: &str = "[limits]\nmemory_mib = 2\n";

fn probe_component() -> Vec<u8> {
    std::fs::read(component("probe")).expect("probe component")
}

/// Publishes and approves `manifest` as `acme`.
async fn release(app: &TestApp, root: &Actor, acme: &Publishing, manifest: &str) {
    let published = publish(app, &acme.dev.token, signed(&acme.key, manifest, &probe_component())).await;
    let version = published.ok(201)["version"].as_str().expect("version").to_owned();
    let path = format!("/api/v1/registry/plugins/probe/versions/{version}/approve");
    app.post(&path, Some(&root.token), json!({})).await.ok(200);
}

/// Enables probe `version` for `tenant` with full consent, following `track` ("" pins it).
async fn enable(app: &TestApp, tenant: &Tenant, version: &str, track: &str) {
    let body = json!({ "version": version, "consent": PROBE_CONSENT, "track": track });
    app.put("/api/v1/tenant/plugins/probe", &tenant.admin.token, body).await.ok(200);
}

async fn version_of(app: &TestApp, tenant: &Tenant) -> String {
    let mine = app.get("/api/v1/tenant/plugins/probe", &tenant.admin.token).await;
    mine.ok(200)["enablement"]["version"].as_str().expect("version").to_owned()
}

fn rollout_path(version: &str) -> String {
    format!("/api/v1/registry/plugins/probe/versions/{version}/rollout")
}

fn tenant_id(t: &Tenant) -> TenantId {
    t.id.parse().expect("tenant id")
}

/// The `plugin.version_moved` events the tenant received, as (from, to, by).
async fn moves_told(app: &TestApp, tenant: &Tenant) -> Vec<(String, String, String)> {
    let events = app.get("/api/v1/events?type=plugin.version_moved&limit=100", &tenant.admin.token).await;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    events.ok(200)["items"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| (text(&e["data"]["from"]), text(&e["data"]["to"]), text(&e["data"]["by"])))
        .collect()
}

fn moved_tenants(rollout: &Value) -> Vec<String> {
    let mut ids: Vec<String> = rollout["moved"]
        .as_array()
        .expect("moved")
        .iter()
        .filter(|m| m["returned_at"].is_null())
        .map(|m| m["tenant_id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

/// A test app configured by `configure`, with a platform admin, a publisher (the `devshop`
/// tenant's admin's) and probe 1.0.0 published and approved.
struct World {
    app: TestApp,
    root: Actor,
    devshop: Tenant,
    acme: Publishing,
}

async fn world(backend: crate::harness::Backend, configure: impl FnOnce(&mut ils_core::AppConfig)) -> World {
    let app = TestApp::spawn_with(backend, configure).await;
    let (root, _totp) = app.platform_admin().await;
    let devshop = app.tenant("devshop").await;
    let acme = publisher(&app, &devshop.admin, "acme-plugins").await;
    release(&app, &root, &acme, &probe("1.0.0", &[], "")).await;
    World { app, root, devshop, acme }
}

db_test!(
    async fn a_version_reaches_named_tenants_then_half_then_all_and_a_failing_one_is_rolled_back(backend) {
        let World { app, root, devshop, acme } = world(backend, |c| {
            // Judged here only by stage changes: the watcher has its own test.
            c.plugins.rollout_check_every = Duration::from_secs(3600);
            c.plugins.breaker_threshold = 3;
        }).await;

        let alpha = app.tenant("alpha").await;
        let pinned = app.tenant("pinned").await;
        let mut shops = Vec::new();
        for i in 0..8 {
            shops.push(app.tenant(&format!("shop-{i}")).await);
        }
        enable(&app, &alpha, "1.0.0", "^1.0").await;
        enable(&app, &pinned, "1.0.0", "").await;
        for shop in &shops {
            enable(&app, shop, "1.0.0", "^1").await;
        }
        let mine = app.get("/api/v1/tenant/plugins/probe", &alpha.admin.token).await;
        assert_eq!(mine.ok(200)["enablement"]["track"], "^1.0");
        let mine = app.get("/api/v1/tenant/plugins/probe", &pinned.admin.token).await;
        assert_eq!(mine.ok(200)["enablement"]["track"], Value::Null);
        // The previous version's record: every call works.
        for t in shops.iter().chain([&alpha, &pinned]) {
            app.get(HEAVY, &t.admin.token).await.ok(200);
        }

        // 1.1.1: the named tenant first, and no one else.
        release(&app, &root, &acme, &probe("1.1.1", &[], "")).await;
        app.post(&rollout_path("1.1.1"), Some(&devshop.admin.token), json!({ "tenants": [alpha.id] }))
            .await
            .problem(403, "platform_admin_required");
        let started = app.post(&rollout_path("1.1.1"), Some(&root.token), json!({ "tenants": [alpha.id] })).await;
        let started = started.ok(201);
        assert_eq!((started["status"].as_str(), started["percent"].as_u64()), (Some("active"), Some(0)));
        assert_eq!(started["previous"], "1.0.0");
        assert_eq!(moved_tenants(started), vec![alpha.id.clone()]);
        assert_eq!(version_of(&app, &alpha).await, "1.1.1");
        for t in shops.iter().chain([&pinned]) {
            assert_eq!(version_of(&app, t).await, "1.0.0");
        }
        assert_eq!(moves_told(&app, &alpha).await, vec![("1.0.0".into(), "1.1.1".into(), "rollout".into())]);
        assert!(moves_told(&app, &shops[0]).await.is_empty());
        let log = app.get("/api/v1/audit?action=plugin.version_moved", &alpha.admin.token).await;
        assert_eq!(log.ok(200)["items"].as_array().map(Vec::len), Some(1), "the move is in the tenant's audit log");
        app.get(HEAVY, &alpha.admin.token).await.ok(200);

        // Another roll-out of the plugin waits for this one.
        app.post(&rollout_path("1.0.0"), Some(&root.token), json!({})).await.problem(409, "rollout_active");

        // Half: exactly the tenants whose bucket is below 50 — never the pinned one.
        let half = app.patch(&rollout_path("1.1.1"), &root.token, json!({ "percent": 50 })).await;
        let half = half.ok(200);
        let mut expected: Vec<String> = shops
            .iter()
            .filter(|s| bucket("probe", tenant_id(s)) < 50)
            .map(|s| s.id.clone())
            .chain([alpha.id.clone()])
            .collect();
        expected.sort();
        assert_eq!(moved_tenants(half), expected);
        for shop in &shops {
            let want = if bucket("probe", tenant_id(shop)) < 50 { "1.1.1" } else { "1.0.0" };
            assert_eq!(version_of(&app, shop).await, want, "{}", shop.slug);
        }
        app.patch(&rollout_path("1.1.1"), &root.token, json!({ "percent": 20 }))
            .await
            .problem(422, "invalid_input");

        // All: every tenant that follows a range; the pinned one stays.
        let all = app.patch(&rollout_path("1.1.1"), &root.token, json!({ "percent": 100 })).await;
        assert_eq!(all.ok(200)["status"], "completed");
        for shop in &shops {
            assert_eq!(version_of(&app, shop).await, "1.1.1");
        }
        assert_eq!(version_of(&app, &pinned).await, "1.0.0");

        // 1.1.2 fails every heavy call: its named tenant's breaker opens, and the next stage
        // change rolls it back instead, with the reason recorded.
        release(&app, &root, &acme, &probe("1.1.2", &[], STARVED)).await;
        let body = json!({ "tenants": [alpha.id], "min_calls": 5 });
        app.post(&rollout_path("1.1.2"), Some(&root.token), body).await.ok(201);
        assert_eq!(version_of(&app, &alpha).await, "1.1.2");
        for _ in 0..3 {
            let failed = app.get(HEAVY, &alpha.admin.token).await;
            assert!(failed.status >= 500, "1.1.2 fails: {}", failed.status);
        }
        let judged = app.patch(&rollout_path("1.1.2"), &root.token, json!({ "percent": 50 })).await;
        judged.problem(409, "rollout_rolled_back");
        let rollout = app.get(&rollout_path("1.1.2"), &root.token).await;
        let rollout = rollout.ok(200);
        assert_eq!(rollout["status"], "rolled_back");
        let reason = rollout["reason"].as_str().expect("reason");
        assert!(reason.contains("breakers opened"), "{reason}");
        assert_eq!(rollout["health"]["breaker_trips"], 1);
        assert_eq!(rollout["health"]["failures"], 3);
        assert_eq!(version_of(&app, &alpha).await, "1.1.1", "back where it came from");
        assert_eq!(moves_told(&app, &alpha).await.last(), Some(&("1.1.2".into(), "1.1.1".into(), "rollback".into())));
        // Its breaker closed with the move: the calls work again.
        app.get(HEAVY, &alpha.admin.token).await.ok(200);
        for shop in &shops {
            assert_eq!(version_of(&app, shop).await, "1.1.1", "no one else ever had 1.1.2");
        }
        let platform_log = app.get("/api/v1/platform/audit?action=plugin_rollout.rolled_back", &root.token).await;
        let entry = &platform_log.ok(200)["items"][0];
        assert_eq!(entry["changes"]["automatic"], true);
        assert_eq!(entry["changes"]["reason"], reason);
    }
);

db_test!(
    async fn the_watcher_rolls_back_a_version_whose_failure_rate_exceeds_the_previous_ones(backend) {
        let World { app, root, acme, .. } = world(backend, |c| {
            c.plugins.rollout_check_every = Duration::from_millis(200);
            // No breaker trips: the failure rate alone decides.
            c.plugins.breaker_threshold = 10_000;
        }).await;
        let alpha = app.tenant("alpha").await;
        let beta = app.tenant("beta").await;
        enable(&app, &alpha, "1.0.0", "^1").await;
        enable(&app, &beta, "1.0.0", "^1").await;
        for _ in 0..10 {
            app.get(HEAVY, &beta.admin.token).await.ok(200);
        }
        release(&app, &root, &acme, &probe("1.2.0", &[], STARVED)).await;
        let body = json!({ "tenants": [alpha.id], "min_calls": 8, "margin": 0.05 });
        app.post(&rollout_path("1.2.0"), Some(&root.token), body).await.ok(201);
        // Light calls work on 1.2.0 too: half of alpha's calls fail.
        for _ in 0..6 {
            app.get(HEAVY, &alpha.admin.token).await;
            app.get("/api/v1/plugins/probe/config", &alpha.admin.token).await.ok(200);
        }
        let reason = TestApp::eventually(30, || async {
            let r = app.get(&rollout_path("1.2.0"), &root.token).await;
            let r = r.ok(200);
            (r["status"] == "rolled_back").then(|| r["reason"].as_str().unwrap_or_default().to_owned())
        })
        .await;
        // Judged as soon as it ran 8 calls, whenever the watcher looked: every other call failed.
        let (failed, calls) = reason
            .split_once(" calls failed")
            .and_then(|(counts, _)| counts.split_once(" of "))
            .map(|(f, c)| (f.parse::<u64>().expect("failures"), c.parse::<u64>().expect("calls")))
            .unwrap_or_else(|| panic!("no counts in {reason:?}"));
        assert!(calls >= 8 && failed == calls.div_ceil(2), "{reason}");
        assert_eq!(version_of(&app, &alpha).await, "1.0.0");
        assert_eq!(version_of(&app, &beta).await, "1.0.0");
        // It stays rolled back: widening it is refused.
        app.patch(&rollout_path("1.2.0"), &root.token, json!({ "percent": 100 }))
            .await
            .problem(409, "rollout_not_active");
    }
);

db_test!(
    async fn a_rollout_holds_tenants_its_version_is_not_for_and_admins_roll_back_and_move_by_hand(backend) {
        let World { app, root, devshop, acme } = world(backend, |c| c.plugins.rollout_check_every = Duration::from_secs(3600)).await;
        let consenting = app.tenant("consenting").await;
        let configured = app.tenant("configured").await;
        let pinned = app.tenant("pinned").await;
        for t in [&consenting, &configured] {
            enable(&app, t, "1.0.0", "^1").await;
        }
        enable(&app, &pinned, "1.0.0", "").await;
        let config = json!({ "greeting": "a long greeting" });
        app.put("/api/v1/tenant/plugins/probe/config", &configured.admin.token, config).await.ok(200);

        // A range must contain the version it enables.
        let body = json!({ "version": "1.0.0", "consent": PROBE_CONSENT, "track": "^2" });
        app.put("/api/v1/tenant/plugins/probe", &consenting.admin.token, body).await.problem(422, "invalid_input");
        let body = json!({ "version": "1.0.0", "consent": PROBE_CONSENT, "track": "one point oh" });
        app.put("/api/v1/tenant/plugins/probe", &consenting.admin.token, body).await.problem(422, "invalid_input");

        // 1.1.0 asks for one capability more: nobody is moved without consenting to it.
        release(&app, &root, &acme, &probe("1.1.0", &["orders-transition"], "")).await;
        let ids = json!({ "tenants": [consenting.id, configured.id, pinned.id] });
        let started = app.post(&rollout_path("1.1.0"), Some(&root.token), ids).await;
        let started = started.ok(201);
        assert!(moved_tenants(started).is_empty());
        let held: Vec<(&str, &str)> = started["held"]
            .as_array()
            .expect("held")
            .iter()
            .map(|h| (h["tenant_id"].as_str().unwrap(), h["code"].as_str().unwrap()))
            .collect();
        assert!(held.contains(&(consenting.id.as_str(), "consent_required")), "{held:?}");
        assert!(held.iter().all(|(t, _)| *t != pinned.id), "a pinned tenant is not reached: {held:?}");
        assert_eq!(version_of(&app, &consenting).await, "1.0.0");
        app.post(&format!("{}/rollback", rollout_path("1.1.0")), Some(&root.token), json!({ "reason": " " }))
            .await
            .problem(422, "invalid_input");
        let manual = app
            .post(&format!("{}/rollback", rollout_path("1.1.0")), Some(&root.token), json!({ "reason": "asks too much" }))
            .await;
        assert_eq!(manual.ok(200)["status"], "rolled_back");
        assert_eq!(manual.ok(200)["reason"], "asks too much");

        // 1.2.0 narrows the greeting: the configured tenant is held, the other moves.
        let narrow = "[config_schema]\ntype = \"object\"\nproperties.greeting = { type = \"string\", maxLength = 5 }\nadditionalProperties = false\n";
        let manifest = probe("1.2.0", &[], "").replace(
            "[config_schema]\ntype = \"object\"\nproperties.greeting = { type = \"string\", maxLength = 40 }\nadditionalProperties = false\n",
            narrow,
        );
        assert!(manifest.contains("maxLength = 5"));
        release(&app, &root, &acme, &manifest).await;
        let body = json!({ "tenants": [consenting.id, configured.id] });
        let started = app.post(&rollout_path("1.2.0"), Some(&root.token), body).await;
        let started = started.ok(201);
        assert_eq!(moved_tenants(started), vec![consenting.id.clone()]);
        assert_eq!(started["held"][0]["tenant_id"], configured.id);
        assert_eq!(started["held"][0]["code"], "invalid_config");
        // A manual rollback takes the moved tenant back, and tells it why.
        app.post(&format!("{}/rollback", rollout_path("1.2.0")), Some(&root.token), json!({ "reason": "support calls" }))
            .await
            .ok(200);
        assert_eq!(version_of(&app, &consenting).await, "1.0.0");
        let events = app.get("/api/v1/events?type=plugin.version_moved&limit=10", &consenting.admin.token).await;
        let last = events.ok(200)["items"].as_array().and_then(|items| items.last()).cloned();
        assert_eq!(last.map(|e| e["data"]["reason"].clone()), Some(json!("support calls")));
        app.post(&format!("{}/rollback", rollout_path("1.2.0")), Some(&root.token), json!({ "reason": "again" }))
            .await
            .problem(409, "rollout_not_active");

        // 1.0.0 is yanked: an admin moves everyone off it, pinned or not; the configured tenant
        // cannot run 1.2.0 and stays, listed.
        let yank = json!({ "reason": "leaks memory" });
        app.post("/api/v1/registry/plugins/probe/versions/1.0.0/yank", Some(&root.token), yank).await.ok(200);
        let path = "/api/v1/registry/plugins/probe/versions/1.0.0/move";
        app.post(path, Some(&devshop.admin.token), json!({ "to": "1.2.0", "reason": "yanked" }))
            .await
            .problem(403, "platform_admin_required");
        let back = "/api/v1/registry/plugins/probe/versions/1.2.0/move";
        app.post(back, Some(&root.token), json!({ "to": "1.0.0", "reason": "try the old one" }))
            .await
            .problem(409, "version_yanked");
        let moved = app.post(path, Some(&root.token), json!({ "to": "1.2.0", "reason": "1.0.0 was yanked" })).await;
        let moved = moved.ok(200);
        let mut ids: Vec<&str> = moved["moved"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        ids.sort_unstable();
        let mut want = vec![consenting.id.as_str(), pinned.id.as_str()];
        want.sort_unstable();
        assert_eq!(ids, want);
        assert_eq!(moved["held"][0]["tenant_id"], configured.id);
        assert_eq!(version_of(&app, &pinned).await, "1.2.0");
        assert_eq!(version_of(&app, &configured).await, "1.0.0");
        let told = moves_told(&app, &pinned).await;
        assert_eq!(told, vec![("1.0.0".into(), "1.2.0".into(), "platform_admin".into())]);
        // Other tenants' roll-out data stays the platform's.
        app.get(&rollout_path("1.2.0"), &consenting.admin.token).await.problem(403, "platform_admin_required");
    }
);
