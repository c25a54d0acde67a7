//! One plugin version, two tenants: config, secrets, kv, events and memory never cross.

use ils_registry::PluginId;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_secrets_kv_and_events_stay_with_their_tenant() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let id = PluginId::new("probe").unwrap();
    let (a, b) = (tenant("tenant-a"), tenant("tenant-b"));
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
    assert_eq!(published[0].payload, json!({"tenant": a.to_string()}), "the tenant id the plugin sees");
    assert!(t.services.published(&b).is_empty());
}

/// Every call gets a fresh instance, whatever its pool slot held before: the few pages a short
/// call dirties are reset in place, the rest are returned to the kernel.
#[tokio::test]
async fn no_call_sees_the_memory_of_an_earlier_one() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    for i in 0..12 {
        let tenant = if i % 2 == 0 { "tenant-a" } else { "tenant-b" };
        // Within the memory a freed slot keeps resident, then well beyond it.
        let dirty = if i % 3 == 0 {
            0
        } else if i % 3 == 1 {
            64 << 10
        } else {
            3 << 20
        };
        let result =
            t.host.invoke_event(&plugin, ctx(tenant), probe_event("remember", &dirty.to_string())).await;
        assert!(result.is_ok(), "call {i} saw an earlier call's memory: {result:?}");
    }
}

async fn futures_join_all<F: Future<Output = ()> + Send + 'static>(futures: impl Iterator<Item = F>) {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    for h in handles {
        h.await.unwrap();
    }
}

#[tokio::test]
async fn orders_and_stock_are_read_per_tenant_and_writes_need_their_own_grant() {
    use ils_host_api::services::{Order, OrderStatus, StockLevel};
    use ils_registry::Capability;

    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let a = tenant("lab-a");
    t.services.add_order(
        &a,
        Order {
            id: "o-1".into(),
            reference: "A-0001".into(),
            status: OrderStatus::InProduction,
            practice_id: "practice-x".into(),
            lab_id: "lab-a".into(),
            created_at_ms: 1,
            due_date: None,
            details: json!({}),
        },
    );
    t.services.add_stock(
        &a,
        StockLevel { item_id: "i-1".into(), sku: "CR39-65".into(), location_id: "l-1".into(), on_hand: 12 },
    );

    let call = |tenant: &'static str, path: &'static str, caps: &'static [Capability]| {
        let (host, plugin) = (t.host.clone(), plugin.clone());
        async move {
            let r = host.handle_http(&plugin, ctx_with(tenant, caps), get(path)).await.unwrap();
            (r.status().as_u16(), text(&r))
        }
    };
    const READ: &[Capability] = &[Capability::OrdersRead, Capability::InventoryRead];
    const ANNOTATE: &[Capability] = &[Capability::OrdersRead, Capability::OrdersAnnotate];
    assert_eq!(call("lab-a", "/order/o-1", READ).await, (200, "in-production".into()));
    assert_eq!(call("lab-b", "/order/o-1", READ).await, (404, "not found".into()));
    assert_eq!(call("lab-a", "/stock/CR39-65", READ).await, (200, "12".into()));
    assert_eq!(call("lab-b", "/stock/CR39-65", READ).await, (200, "0".into()));

    let (status, body) = call("lab-a", "/annotate/o-1", READ).await;
    assert_eq!((status, body.contains("orders-annotate is not granted")), (403, true), "{body}");
    assert!(t.services.order_notes(&a).is_empty());
    assert_eq!(call("lab-a", "/annotate/o-1", ANNOTATE).await, (200, "noted".into()));
    assert_eq!(t.services.order_notes(&a), vec![("o-1".to_string(), "probe was here".to_string())]);
    assert_eq!(call("lab-b", "/annotate/o-1", ANNOTATE).await, (404, "not found".into()));
}
