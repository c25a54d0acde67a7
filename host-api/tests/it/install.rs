//! Install-time checks and the compiled-code cache.

use ils_host_api::{HostConfig, InstallError, PluginHost};
use ils_registry::Manifest;

use crate::support::*;

#[tokio::test]
async fn install_records_the_sdk_stamp_and_the_platform_version() {
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    assert_eq!(plugin.platform().to_string(), "0.3.0");
    assert_eq!(plugin.sdk(), Some("ils-plugin-sdk/0.1.0 ils:platform@0.3.0"));
    assert_eq!(
        PluginHost::supported_platforms().iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["0.1.0", "0.2.0", "0.3.0"]
    );
}

#[tokio::test]
async fn a_manifest_asking_for_another_platform_version_is_refused() {
    let t = host();
    let text = r#"
id = "probe"
name = "Probe"
version = "1.0.0"
publisher = "ILS tests"
platform = "^0.4"
provides = ["event-handler"]
capabilities = ["kv", "secrets", "events-publish", "clinical-read", "http-outbound", "orders-read", "orders-annotate", "inventory-read", "reports-read", "files-write", "notify-email"]
events = ["probe.*"]
outbound.hosts = ["https://api.example.com"]
"#;
    let err = t.host.install(&guest("probe"), Manifest::from_toml(text).unwrap()).await.unwrap_err();
    assert!(matches!(err, InstallError::UnsupportedVersion { .. }), "{err}");
    assert!(err.to_string().contains("manifest allows ils:platform ^0.4"), "{err}");
}

#[tokio::test]
async fn a_component_mixing_platform_versions_is_refused() {
    // What a plugin would be if one of its crates were built against 0.1.0 and another against
    // 0.2.0: each import would be linked, but against different versions of the same host.
    let component = wat::parse_str(
        r#"(component
            (import "ils:platform/log@0.1.0" (instance (export "info" (func (param "message" string)))))
            (import "ils:platform/log@0.2.0" (instance (export "info" (func (param "message" string)))))
        )"#,
    )
    .unwrap();
    let t = host();
    let err = t.host.install(&component, probe_manifest_on(">=0.1, <0.3", &[], "")).await.unwrap_err();
    assert!(matches!(&err, InstallError::Invalid(m) if m.contains("mixes ils:platform versions")), "{err}");
    assert!(err.to_string().contains("ils:platform/log@0.1.0"), "{err}");
}

#[tokio::test]
async fn garbage_is_not_installed() {
    let t = host();
    let err = t.host.install(b"\0asm\x0d\0\x01\0garbage", probe_manifest(PROBE_CAPS, "")).await.unwrap_err();
    assert!(matches!(err, InstallError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn compiled_code_is_cached_on_disk_by_content() {
    let cache = tempfile::tempdir().unwrap();
    let services = ils_host_api::fakes::FakeServices::new();
    let config = HostConfig { cache_dir: cache.path().into(), allow_private_networks: false };
    let host = PluginHost::new(engine(), services.services(), config).unwrap();
    let cached = || -> Vec<_> {
        walk(cache.path()).into_iter().filter(|p| p.extension().is_some_and(|e| e == "cwasm")).collect()
    };
    assert!(cached().is_empty());
    host.install(&guest("probe"), probe_manifest(PROBE_CAPS, "")).await.unwrap();
    let first = cached();
    assert_eq!(first.len(), 1);
    // A second install (another process after a restart, say) finds the same file.
    let plugin = host.install(&guest("probe"), probe_manifest(PROBE_CAPS, "")).await.unwrap();
    assert_eq!(cached(), first);
    host.invoke_event(&plugin, ctx("a"), probe_event("noop", "")).await.unwrap();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

#[tokio::test]
async fn every_extension_point_is_reachable_and_sdk_defaults_answer() {
    use ils_host_api::{InvokeError, ReportFormat};

    let t = host();
    let text = r#"
id = "probe"
name = "Probe"
version = "1.0.0"
publisher = "ILS tests"
platform = "^0.3"
provides = ["event-handler", "scheduled", "http", "equipment-driver", "report-provider", "recommender"]
capabilities = ["kv", "secrets", "events-publish", "clinical-read", "http-outbound", "orders-read", "orders-annotate", "inventory-read", "reports-read", "files-write", "notify-email"]
events = ["probe.*"]
outbound.hosts = ["https://api.example.com"]
schedules = [{ name = "nightly", cron = "0 2 * * *" }]
recommendations = [{ kind = "frames", title = "Frames" }]
"#;
    let plugin = t.host.install(&guest("probe"), Manifest::from_toml(text).unwrap()).await.unwrap();
    let (h, p) = (&t.host, &plugin);
    h.run_job(p, ctx("a"), "nightly", 0).await.unwrap();
    assert!(matches!(h.run_job(p, ctx("a"), "weekly", 0).await, Err(InvokeError::NotProvided(_))));
    let reports: Vec<String> = h.list_reports(p, ctx("a")).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(reports, ["kv-summary", "slow", "stored", "broken"]);
    let not_a_driver = |r: Result<_, InvokeError>| match r {
        Err(InvokeError::Plugin { message, retryable: false }) => message,
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("expected the SDK's default error"),
    };
    assert_eq!(
        not_a_driver(h.decode(p, ctx("a"), "rt-5100", b"data".to_vec()).await.map(drop)),
        "this plugin is not an equipment driver"
    );
    assert_eq!(
        not_a_driver(h.encode_job(p, ctx("a"), "edger", "{}").await.map(drop)),
        "this plugin is not an equipment driver"
    );
    // The probe offers reports; an id it does not know is its own error.
    assert_eq!(
        not_a_driver(h.render_report(p, ctx("a"), "r", "{}", ReportFormat::Csv).await.map(drop)),
        "no report r"
    );
    assert_eq!(
        not_a_driver(h.recommend(p, ctx("a"), "frames", "{}").await.map(drop)),
        "this plugin is not a recommender"
    );
}
