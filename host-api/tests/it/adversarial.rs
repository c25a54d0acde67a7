//! Misbehaving plugins are stopped with a clear error; the host keeps serving others.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ils_host_api::{InstallError, InvokeError, Limit, Limits};
use ils_registry::Capability;

use crate::support::*;

fn limits() -> Limits {
    Limits { timeout: Duration::from_secs(3), memory_bytes: 16 << 20, ..Limits::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_infinite_loop_is_stopped_while_other_tenants_are_served() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let looping_done = Arc::new(AtomicBool::new(false));

    let looping = {
        let (host, plugin, done) = (t.host.clone(), plugin.clone(), looping_done.clone());
        tokio::spawn(async move {
            let r = host
                .invoke_event(&plugin, ctx("tenant-loop").with_limits(limits()), probe_event("loop", ""))
                .await;
            done.store(true, Ordering::SeqCst);
            r
        })
    };
    // Meanwhile another tenant's calls go through, before the loop is stopped.
    for _ in 0..5 {
        t.host.invoke_event(&plugin, ctx("tenant-busy"), probe_event("noop", "")).await.expect("noop");
    }
    assert!(!looping_done.load(Ordering::SeqCst), "the other tenant was served while the loop ran");

    let err = looping.await.unwrap().unwrap_err();
    assert!(matches!(err, InvokeError::LimitExceeded(Limit::Timeout)), "{err}");
    assert_eq!(err.to_string(), "plugin stopped: wall-clock time limit exceeded");
    t.host
        .invoke_event(&plugin, ctx("tenant-loop"), probe_event("noop", ""))
        .await
        .expect("the same tenant again");
}

#[tokio::test]
async fn unbounded_memory_growth_is_stopped_at_the_limit() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let err = t
        .host
        .invoke_event(&plugin, ctx("a").with_limits(limits()), probe_event("grow", ""))
        .await
        .unwrap_err();
    assert!(matches!(err, InvokeError::LimitExceeded(Limit::Memory)), "{err}");
    let report = t.metrics.reports().pop().unwrap();
    assert_eq!(report.outcome, "limit_exceeded");
    assert!(report.peak_memory_bytes <= 16 << 20, "peak {} within the limit", report.peak_memory_bytes);
    t.host.invoke_event(&plugin, ctx("a"), probe_event("noop", "")).await.expect("host still serves");
}

#[tokio::test]
async fn cpu_time_grows_with_the_guests_own_work() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    t.host.invoke_event(&plugin, ctx("a"), probe_event("noop", "")).await.unwrap();
    let idle = t.metrics.reports().pop().unwrap();
    t.host.invoke_event(&plugin, ctx("a"), probe_event("compute", "3000000")).await.unwrap();
    let busy = t.metrics.reports().pop().unwrap();
    assert!(idle.cpu_time > Duration::ZERO, "{idle:?}");
    assert!(busy.cpu_time > idle.cpu_time * 10, "busy {:?}, idle {:?}", busy.cpu_time, idle.cpu_time);
    assert!(busy.cpu_time <= busy.duration, "{busy:?}");
}

#[tokio::test]
async fn deep_recursion_is_stopped() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let err = t.host.invoke_event(&plugin, ctx("a"), probe_event("recurse", "")).await.unwrap_err();
    assert!(matches!(err, InvokeError::LimitExceeded(Limit::Stack)), "{err}");
    t.host.invoke_event(&plugin, ctx("a"), probe_event("noop", "")).await.expect("host still serves");
}

#[tokio::test]
async fn oversized_output_is_refused() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let small = t.host.handle_http(&plugin, ctx("a"), get("/big?100")).await.unwrap();
    assert_eq!(small.body().len(), 100);
    let err = t.host.handle_http(&plugin, ctx("a"), get("/big?5000000")).await.unwrap_err();
    assert!(matches!(err, InvokeError::LimitExceeded(Limit::Output)), "{err}");
}

#[tokio::test]
async fn oversized_input_is_refused_before_the_plugin_runs() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let big = "x".repeat(2 << 20);
    let err = t.host.invoke_event(&plugin, ctx("a"), probe_event("noop", &big)).await.unwrap_err();
    assert!(matches!(err, InvokeError::LimitExceeded(Limit::Input)), "{err}");
}

#[tokio::test]
async fn a_panic_is_a_crash_with_the_plugins_message() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let err = t.host.invoke_event(&plugin, ctx("a"), probe_event("panic", "")).await.unwrap_err();
    let InvokeError::Trap(message) = &err else { panic!("{err}") };
    assert!(message.starts_with("wasm trap: wasm `unreachable` instruction executed"), "{message}");
    assert!(message.contains("probe asked to panic"), "{message}");

    // The same from an HTTP route: a crash, reported at once (not when the deadline passes).
    let err = t.host.handle_http(&plugin, ctx("a"), get("/panic")).await.unwrap_err();
    let InvokeError::Trap(message) = &err else { panic!("{err}") };
    assert!(message.contains("probe route asked to panic"), "{message}");
}

#[tokio::test]
async fn hoarding_resource_handles_is_stopped() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let err = t.host.invoke_event(&plugin, ctx("a"), probe_event("many-handles", "")).await.unwrap_err();
    assert!(matches!(err, InvokeError::LimitExceeded(Limit::Resources)), "{err}");
}

#[tokio::test]
async fn an_ungranted_capability_is_a_denial_the_plugin_sees() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    // Declared in the manifest, but the tenant granted only kv.
    let only_kv = || ctx_with("a", &[Capability::Kv]);
    let response = t.host.handle_http(&plugin, only_kv(), get("/secret/token")).await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(text(&response), "denied: capability secrets is not granted to this plugin for this tenant");
    let err = t.host.invoke_event(&plugin, only_kv(), probe_event("publish", "")).await.unwrap_err();
    let InvokeError::Plugin { message, retryable: false } = &err else { panic!("{err}") };
    assert!(message.contains("events-publish is not granted"), "{message}");
    assert!(t.services.published(&tenant("a")).is_empty());
    // The granted one works in the same plugin.
    assert_eq!(t.host.handle_http(&plugin, only_kv(), get("/kv/x")).await.unwrap().status(), 200);
}

#[tokio::test]
async fn another_tenants_data_cannot_be_read() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let a = tenant("tenant-a");
    t.services.add_patient(
        &a,
        ils_host_api::services::Patient {
            id: "p-1".into(),
            given_name: "Ann".into(),
            family_name: "Smith".into(),
            date_of_birth: "1980-02-03".into(),
            nhs_number: None,
        },
    );
    t.host
        .invoke_event(
            &plugin,
            ctx("tenant-a"),
            probe_event("kv-set", r#"{"key":"plan","value":"A's secret plan"}"#),
        )
        .await
        .unwrap();

    assert_eq!(
        text(&t.host.handle_http(&plugin, ctx("tenant-a"), get("/kv/plan")).await.unwrap()),
        "A's secret plan"
    );
    assert_eq!(
        text(&t.host.handle_http(&plugin, ctx("tenant-a"), get("/patient/p-1")).await.unwrap()),
        "Ann Smith"
    );

    let kv = t.host.handle_http(&plugin, ctx("tenant-b"), get("/kv/plan")).await.unwrap();
    assert_eq!((kv.status().as_u16(), text(&kv)), (200, String::new()));
    let patient = t.host.handle_http(&plugin, ctx("tenant-b"), get("/patient/p-1")).await.unwrap();
    assert_eq!((patient.status().as_u16(), text(&patient)), (404, "not found".to_string()));

    // Only the successful read was audited, against tenant A.
    assert_eq!(t.services.audit_log(&a).len(), 1);
    assert!(t.services.audit_log(&tenant("tenant-b")).is_empty());
}

#[tokio::test]
async fn outbound_http_reaches_only_allowed_hosts() {
    let t = host();
    let allowed = Upstream::start("hello").await;
    let other = Upstream::start("should never be reached").await;
    let caps = PROBE_CAPS.to_vec();
    let extra = format!("[outbound]\nhosts = [\"http://127.0.0.1:{}\"]", allowed.port);
    let plugin = t.install_probe(probe_manifest(&caps, &extra)).await;

    let ok = t
        .host
        .handle_http(&plugin, ctx("a"), get(&format!("/fetch?http://127.0.0.1:{}/x", allowed.port)))
        .await
        .unwrap();
    assert_eq!(text(&ok), "upstream 200: hello");
    let report = t.metrics.reports().pop().unwrap();
    assert_eq!((report.outbound_requests, report.outbound_bytes), (1, 5), "one request, 5 bytes back");

    let denied = t
        .host
        .handle_http(&plugin, ctx("a"), get(&format!("/fetch?http://127.0.0.1:{}/x", other.port)))
        .await
        .unwrap();
    assert_eq!(denied.status(), 502);
    let report = t.metrics.reports().pop().unwrap();
    assert_eq!((report.outbound_requests, report.outbound_bytes), (0, 0), "a refused request is not sent");
    assert!(text(&denied).contains("HttpRequestDenied"), "{}", text(&denied));
    let elsewhere = t.host.handle_http(&plugin, ctx("a"), get("/fetch?http://example.com/")).await.unwrap();
    assert!(text(&elsewhere).contains("HttpRequestDenied"), "{}", text(&elsewhere));
    assert_eq!(other.hits(), 0);
    assert_eq!(allowed.hits(), 1);

    // Without the tenant's grant, even the allowed host is refused.
    let ungranted = ctx_with("a", &[Capability::Kv]);
    let r = t
        .host
        .handle_http(&plugin, ungranted, get(&format!("/fetch?http://127.0.0.1:{}/x", allowed.port)))
        .await
        .unwrap();
    assert!(text(&r).contains("HttpRequestDenied"), "{}", text(&r));
    assert_eq!(allowed.hits(), 1);
}

#[tokio::test]
async fn loopback_is_refused_unless_the_operator_allows_it() {
    let upstream = Upstream::start("private").await;
    let cache = tempfile::tempdir().unwrap();
    let services = ils_host_api::fakes::FakeServices::new();
    let config = ils_host_api::HostConfig { cache_dir: cache.path().into(), allow_private_networks: false };
    let host = ils_host_api::PluginHost::new(engine(), services.services(), config).unwrap();
    let caps = PROBE_CAPS.to_vec();
    let extra = format!("[outbound]\nhosts = [\"http://127.0.0.1:{}\"]", upstream.port);
    let plugin = host.install(&guest("probe"), probe_manifest(&caps, &extra)).await.unwrap();
    let r = host
        .handle_http(&plugin, ctx("a"), get(&format!("/fetch?http://127.0.0.1:{}/", upstream.port)))
        .await
        .unwrap();
    assert!(text(&r).contains("DestinationIpProhibited"), "{}", text(&r));
    assert_eq!(upstream.hits(), 0);
}

#[tokio::test]
async fn a_component_importing_an_undeclared_interface_is_refused_at_install() {
    let t = host();
    let without_clinical: Vec<&str> = PROBE_CAPS.iter().copied().filter(|c| *c != "clinical-read").collect();
    let err = t.host.install(&guest("probe"), probe_manifest(&without_clinical, "")).await.unwrap_err();
    let InstallError::UndeclaredImport { import, needs } = &err else { panic!("{err}") };
    assert_eq!(import, "ils:platform/clinical@0.2.0");
    assert_eq!(*needs, Some(Capability::ClinicalRead));
    assert_eq!(
        err.to_string(),
        "component imports ils:platform/clinical@0.2.0, which its manifest does not declare (needs capability clinical-read)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_misbehaviour_at_once_leaves_another_tenant_unaffected() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    t.host
        .invoke_event(&plugin, ctx("calm"), probe_event("kv-set", r#"{"key":"k","value":"calm's"}"#))
        .await
        .unwrap();

    let attacks = [
        ("loop", Limit::Timeout),
        ("grow", Limit::Memory),
        ("recurse", Limit::Stack),
        ("many-handles", Limit::Resources),
    ]
    .map(|(what, limit)| {
        let (host, plugin) = (t.host.clone(), plugin.clone());
        tokio::spawn(async move {
            let r =
                host.invoke_event(&plugin, ctx("rogue").with_limits(limits()), probe_event(what, "")).await;
            (what, limit, r)
        })
    });
    let calm = {
        let (host, plugin) = (t.host.clone(), plugin.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..10 {
                let r = host.handle_http(&plugin, ctx("calm"), get("/kv/k")).await.unwrap();
                seen.push(text(&r));
            }
            seen
        })
    };
    for attack in attacks {
        let (what, limit, result) = attack.await.unwrap();
        let err = result.unwrap_err();
        assert!(matches!(err, InvokeError::LimitExceeded(l) if l == limit), "{what}: {err}");
    }
    assert_eq!(calm.await.unwrap(), vec!["calm's".to_string(); 10]);
    // The rogue tenant wrote nothing anywhere.
    let rogue = t.host.handle_http(&plugin, ctx("rogue"), get("/kv/k")).await.unwrap();
    assert_eq!(text(&rogue), "");
}

#[tokio::test]
async fn host_allocations_are_capped_per_invocation() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let id = ils_registry::PluginId::new("probe").unwrap();
    t.services.set_config(&tenant("a"), &id, serde_json::json!({ "notes": "n".repeat(4096) }));
    let small = Limits { host_bytes: 1024, ..Limits::default() };
    let err = t.host.handle_http(&plugin, ctx("a").with_limits(small), get("/config")).await.unwrap_err();
    assert!(matches!(err, InvokeError::LimitExceeded(Limit::HostBytes)), "{err}");
    // Within the default budget the same call works.
    assert_eq!(t.host.handle_http(&plugin, ctx("a"), get("/config")).await.unwrap().status(), 200);
}

#[tokio::test]
async fn an_oversized_kv_value_is_an_error_the_plugin_sees() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    let value = "v".repeat(100 << 10);
    let payload = serde_json::json!({"key": "big", "value": value}).to_string();
    let err = t.host.invoke_event(&plugin, ctx("a"), probe_event("kv-set", &payload)).await.unwrap_err();
    let InvokeError::Plugin { message, .. } = &err else { panic!("{err}") };
    assert_eq!(message, "too large");
    assert_eq!(
        t.services.kv_value(&tenant("a"), &ils_registry::PluginId::new("probe").unwrap(), "big"),
        None
    );
}
