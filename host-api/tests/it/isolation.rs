//! One plugin version, two tenants: config, secrets, kv and events never cross.

use ils_host_api::TenantId;
use ils_registry::PluginId;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_secrets_kv_and_events_stay_with_their_tenant() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let id = PluginId::new("probe").unwrap();
    let (a, b) = (TenantId::new("tenant-a"), TenantId::new("tenant-b"));
    t.services.set_config(&a, &id, json!({"greeting": "hello from A"}));
    t.services.set_secret(&a, &id, "token", "A-token");

    let get_text = |tenant: &'static str, path: &'static str| {
        let (host, plugin) = (t.host.clone(), plugin.clone());
        async move { text(&host.handle_http(&plugin, ctx(tenant), get(path)).await.unwrap()) }
    };
    assert_eq!(get_text("tenant-a", "/config").await, r#"{"greeting":"hello from A"}"#);
    assert_eq!(get_text("tenant-b", "/config").await, "{}");
    assert_eq!(get_text("tenant-a", "/secret/token").await, "A-token");
    assert_eq!(get_text("tenant-b", "/secret/token").await, "");

    // Both tenants write the same key at the same time; each reads its own.
    let writes = (0..10).map(|i| {
        let (host, plugin) = (t.host.clone(), plugin.clone());
        let tenant = if i % 2 == 0 { "tenant-a" } else { "tenant-b" };
        async move {
            let payload = format!(r#"{{"key":"shared","value":"{tenant}"}}"#);
            host.invoke_event(&plugin, ctx(tenant), probe_event("kv-set", &payload)).await.unwrap();
        }
    });
    futures_join_all(writes).await;
    assert_eq!(get_text("tenant-a", "/kv/shared").await, "tenant-a");
    assert_eq!(get_text("tenant-b", "/kv/shared").await, "tenant-b");

    t.host.invoke_event(&plugin, ctx("tenant-a"), probe_event("publish", "")).await.unwrap();
    let published = t.services.published(&a);
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].kind, "plugin.probe.done");
    assert_eq!(published[0].payload, json!({"tenant": "tenant-a"}));
    assert!(t.services.published(&b).is_empty());
}

async fn futures_join_all<F: Future<Output = ()> + Send + 'static>(futures: impl Iterator<Item = F>) {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    for h in handles {
        h.await.unwrap();
    }
}
