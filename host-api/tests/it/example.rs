//! The example plugin (`examples/order-notes`) through the real host.

use ils_host_api::{Event, InvokeError};
use ils_registry::{Manifest, PluginId};
use serde_json::json;

use crate::support::*;

fn manifest() -> Manifest {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/order-notes/ils-plugin.toml");
    let text = std::fs::read_to_string(path).unwrap();
    // Tests talk plain HTTP to a loopback server; allow that origin too.
    let text = text.replace(
        r#"hosts = ["https://{config.notify_host}"]"#,
        r#"hosts = ["https://{config.notify_host}", "http://{config.notify_host}"]"#,
    );
    Manifest::from_toml(&text).unwrap()
}

fn order_event(id: &str, kind: &str, payload: serde_json::Value) -> Event {
    Event { id: id.into(), kind: kind.into(), occurred_at_ms: 1, payload: payload.to_string() }
}

#[tokio::test]
async fn order_events_are_stored_served_and_forwarded_for_their_tenant_only() {
    let t = host();
    let hook = Upstream::start("ok").await;
    let plugin = t.host.install(&guest("order_notes"), manifest()).await.unwrap();
    let (a, id) = (tenant("practice-a"), PluginId::new("order-notes").unwrap());
    t.services.set_config(
        &a,
        &id,
        json!({"notify_host": format!("127.0.0.1:{}", hook.port), "notify_scheme": "http"}),
    );

    t.host
        .invoke_event(
            &plugin,
            ctx("practice-a"),
            order_event("e1", "order.created", json!({"order_id": "o-1"})),
        )
        .await
        .unwrap();
    t.host
        .invoke_event(
            &plugin,
            ctx("practice-a"),
            order_event("e2", "order.status_changed", json!({"order_id": "o-1", "status": "shipped"})),
        )
        .await
        .unwrap();

    // One kv entry per event, holding the status it gave the order.
    let key = "event/o-1/0000000000000000001/e2";
    assert_eq!(t.services.kv_value(&a, &id, key).as_deref(), Some(&b"shipped"[..]));
    assert_eq!(hook.hits(), 2);
    assert!(hook.last_request.lock().unwrap().contains(r#""status":"shipped""#));

    let mine = t.host.handle_http(&plugin, ctx("practice-a"), get("/orders")).await.unwrap();
    assert_eq!(mine.status(), 200);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(mine.body()).unwrap(),
        json!({"events": 2, "orders": {"o-1": "shipped"}})
    );
    let theirs = t.host.handle_http(&plugin, ctx("practice-b"), get("/orders")).await.unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(theirs.body()).unwrap(),
        json!({"events": 0, "orders": {}})
    );
}

#[tokio::test]
async fn events_it_does_not_subscribe_to_are_not_delivered() {
    let t = host();
    let plugin = t.host.install(&guest("order_notes"), manifest()).await.unwrap();
    let err = t
        .host
        .invoke_event(&plugin, ctx("a"), order_event("e1", "patient.created", json!({})))
        .await
        .unwrap_err();
    assert!(matches!(err, InvokeError::NotSubscribed(_)), "{err}");
    let err = t.host.run_job(&plugin, ctx("a"), "nightly", 0).await.unwrap_err();
    assert!(matches!(err, InvokeError::NotProvided(_)), "{err}");
}

#[tokio::test]
async fn every_invocation_is_measured() {
    let t = host();
    let plugin = t.host.install(&guest("order_notes"), manifest()).await.unwrap();
    t.host.handle_http(&plugin, ctx("a"), get("/orders")).await.unwrap();
    let report = t.metrics.reports().pop().unwrap();
    assert_eq!(
        (report.tenant, report.plugin.as_str(), report.export, report.outcome),
        (tenant("a"), "order-notes", "incoming-handler.handle", "ok")
    );
    assert!(report.peak_memory_bytes > 0);
    assert!(report.cpu_time > std::time::Duration::ZERO && report.cpu_time <= report.duration, "{report:?}");
    assert_eq!((report.outbound_requests, report.events_published), (0, 0));
}
