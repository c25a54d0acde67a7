//! Components built against `ils:platform@0.1.0` and kept as binaries
//! (`tests/fixtures/platform-0.1.0`): whatever the SDK targets now, the host installs and runs
//! what third parties built against 0.1.0, unchanged.

use ils_host_api::Event;
use ils_registry::{Manifest, PluginId};
use serde_json::json;

use crate::support::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/platform-0.1.0/{name}.wasm", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn the_probe_built_against_0_1_0_installs_and_answers() {
    let t = host();
    let plugin = t.host.install(&fixture("probe"), probe_manifest(PROBE_CAPS, "")).await.expect("install");
    assert!(
        plugin.imports().iter().any(|i| i.starts_with("ils:platform/kv@0.1.")),
        "it imports 0.1: {:?}",
        plugin.imports()
    );
    let answer = t.host.handle_http(&plugin, ctx("a"), get("/big?100")).await.expect("route");
    assert_eq!(answer.body().len(), 100);
    t.host.invoke_event(&plugin, ctx("a"), probe_event("noop", "")).await.expect("event");
    let set = t.host.handle_http(&plugin, ctx("a"), get("/kv-set/greeting")).await.expect("kv set");
    assert!(set.status().is_success(), "{}", set.status());
    let read = t.host.handle_http(&plugin, ctx("a"), get("/kv/greeting")).await.expect("kv get");
    assert_eq!(read.body().as_ref(), b"probe");
}

#[tokio::test]
async fn the_example_built_against_0_1_0_keeps_its_notes_per_tenant() {
    let t = host();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/order-notes/ils-plugin.toml"
    ))
    .expect("manifest");
    let plugin =
        t.host.install(&fixture("order_notes"), Manifest::from_toml(&text).unwrap()).await.expect("install");
    let id = PluginId::new("order-notes").unwrap();
    t.services.set_config(&tenant("a"), &id, json!({}));
    let created = Event {
        id: "e1".into(),
        kind: "order.created".into(),
        occurred_at_ms: 1,
        payload: json!({ "order_id": "o-1" }).to_string(),
    };
    t.host.invoke_event(&plugin, ctx("a"), created).await.expect("event");
    let mine = t.host.handle_http(&plugin, ctx("a"), get("/orders")).await.expect("route");
    assert!(String::from_utf8_lossy(mine.body()).contains("o-1"), "{:?}", mine.body());
    let theirs = t.host.handle_http(&plugin, ctx("b"), get("/orders")).await.expect("route");
    assert!(!String::from_utf8_lossy(theirs.body()).contains("o-1"), "{:?}", theirs.body());
}
