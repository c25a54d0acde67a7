//! Components built against `ils:platform@0.1.0` and `@0.2.0` and kept as binaries
//! (`tests/fixtures/platform-0.X.0`): whatever the SDK targets now, the host installs and runs
//! what third parties built against an older version, unchanged.

use ils_host_api::Event;
use ils_registry::{Manifest, PluginId};
use serde_json::json;

use crate::support::*;

fn fixture(name: &str) -> Vec<u8> {
    fixture_of("0.1.0", name)
}

fn fixture_of(version: &str, name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/platform-{version}/{name}.wasm", env!("CARGO_MANIFEST_DIR"));
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
    let manifest = Manifest::from_toml(&text.replace("platform = \"^0.3\"", "platform = \"^0.1\"")).unwrap();
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

/// One host process, one plugin of each version, the same tenant: each answers through its own
/// version's bindings (0.3.0 through 0.2.0's linker, whose interfaces it includes), and each
/// keeps its own kv.
#[tokio::test]
async fn plugins_of_0_1_0_0_2_0_and_0_3_0_run_side_by_side_in_one_host() {
    let t = host();
    let named = |mut manifest: Manifest, id: &str| {
        manifest.id = PluginId::new(id).unwrap();
        manifest
    };
    let v1 = t.host.install(&fixture("probe"), probe_manifest_on("^0.1", PROBE_CAPS, "")).await.expect("0.1");
    let v2 = t
        .host
        .install(&fixture_of("0.2.0", "probe"), named(probe_manifest_on("^0.2", PROBE_CAPS, ""), "probe-two"))
        .await
        .expect("0.2");
    let v3 = t
        .host
        .install(&guest("probe"), named(probe_manifest(PROBE_CAPS, ""), "probe-three"))
        .await
        .expect("0.3");
    let minors = [&v1, &v2, &v3].map(|p| p.platform().minor);
    assert_eq!(minors, [1, 2, 3]);
    assert!(v2.imports().iter().any(|i| i.starts_with("ils:platform/kv@0.2.")), "{:?}", v2.imports());
    assert!(
        v3.imports().iter().any(|i| i.starts_with("ils:platform/kv@0.2.")),
        "0.3 takes 0.2's kv: {:?}",
        v3.imports()
    );
    for (plugin, key) in [(&v1, "one"), (&v2, "two"), (&v3, "three")] {
        let set = t.host.handle_http(plugin, ctx("a"), get(&format!("/kv-set?{key}"))).await.expect("set");
        assert!(set.status().is_success(), "{}", set.status());
        t.host.invoke_event(plugin, ctx("a"), probe_event("noop", "")).await.expect("event");
    }
    let read = |plugin, key: &'static str| {
        let t = &t;
        async move { t.host.handle_http(plugin, ctx("a"), get(&format!("/kv/{key}"))).await.expect("get") }
    };
    assert_eq!(text(&read(&v1, "one").await), "probe");
    assert_eq!(text(&read(&v2, "two").await), "probe");
    assert_eq!(text(&read(&v3, "three").await), "probe");
    assert_eq!(text(&read(&v1, "two").await), "", "the 0.1 plugin does not see the 0.2 plugin's kv");
    assert_eq!(text(&read(&v3, "two").await), "");
    assert_eq!(text(&read(&v2, "three").await), "");
}
