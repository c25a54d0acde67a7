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
    let plugin =
        t.host.install(&fixture("probe"), probe_manifest_on("^0.1", PROBE_CAPS, "")).await.expect("install");
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
    // As it was published then: for ils:platform 0.1.
    let manifest = Manifest::from_toml(&text.replace("platform = \"^0.2\"", "platform = \"^0.1\"")).unwrap();
    let plugin = t.host.install(&fixture("order_notes"), manifest).await.expect("install");
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

/// One host process, one plugin of each version, the same tenant: both answer, each through
/// its own version's bindings, and each keeps its own kv.
#[tokio::test]
async fn a_0_1_0_plugin_and_a_0_2_0_plugin_run_side_by_side_in_one_host() {
    let t = host();
    let old =
        t.host.install(&fixture("probe"), probe_manifest_on("^0.1", PROBE_CAPS, "")).await.expect("0.1");
    let new = {
        let mut manifest = probe_manifest(PROBE_CAPS, "");
        manifest.id = PluginId::new("probe-two").unwrap();
        t.host.install(&guest("probe"), manifest).await.expect("0.2")
    };
    assert_eq!((old.platform().minor, new.platform().minor), (1, 2));
    assert!(new.imports().iter().any(|i| i.starts_with("ils:platform/kv@0.2.")), "{:?}", new.imports());
    for (plugin, key) in [(&old, "old-key"), (&new, "new-key")] {
        let set = t.host.handle_http(plugin, ctx("a"), get(&format!("/kv-set?{key}"))).await.expect("set");
        assert!(set.status().is_success(), "{}", set.status());
        t.host.invoke_event(plugin, ctx("a"), probe_event("noop", "")).await.expect("event");
    }
    let read = |plugin, key: &'static str| {
        let t = &t;
        async move { t.host.handle_http(plugin, ctx("a"), get(&format!("/kv/{key}"))).await.expect("get") }
    };
    assert_eq!(text(&read(&old, "old-key").await), "probe");
    assert_eq!(text(&read(&new, "new-key").await), "probe");
    assert_eq!(text(&read(&old, "new-key").await), "", "the 0.1 plugin does not see the 0.2 plugin's kv");
    assert_eq!(text(&read(&new, "old-key").await), "");
}
