//! Shared engine, guest components, hosts and a loopback HTTP server.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use ils_host_api::fakes::FakeServices;
use ils_host_api::metrics::MetricsRecorder;
use ils_host_api::{
    EngineConfig, Grants, HostConfig, InvocationContext, PluginEngine, PluginHost, PluginVersion, TenantId,
};
use ils_registry::{Capability, Manifest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One engine per test binary: each pooled engine reserves its own address space.
pub fn engine() -> PluginEngine {
    static ENGINE: OnceLock<PluginEngine> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            PluginEngine::new(EngineConfig { max_memory_bytes: 64 << 20, ..EngineConfig::with_instances(32) })
                .expect("engine")
        })
        .clone()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Builds the guest components once per test binary (a no-op when `scripts/test` built them).
fn guests_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace().join("target"));
        let target = if target.is_absolute() { target } else { workspace().join(target) };
        let target = target.join("wasm-guests");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(workspace())
            .env("CARGO_TARGET_DIR", &target)
            .args(["build", "--quiet", "--target", "wasm32-wasip2", "--profile", "plugin"])
            .args(["-p", "ils-probe-guest", "-p", "order-notes"])
            .status()
            .expect("run cargo to build the guest components");
        assert!(status.success(), "building guest components failed (is the wasm32-wasip2 target installed? scripts/test installs it)");
        target.join("wasm32-wasip2").join("plugin")
    })
}

/// The bytes of a guest component (`probe` or `order_notes`).
pub fn guest(name: &str) -> Vec<u8> {
    let path = guests_dir().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The probe's manifest with these capabilities.
pub fn probe_manifest(capabilities: &[&str], extra: &str) -> Manifest {
    probe_manifest_on("^0.3", capabilities, extra)
}

/// The probe's manifest for a plugin built against the `ils:platform` versions in `platform`.
pub fn probe_manifest_on(platform: &str, capabilities: &[&str], extra: &str) -> Manifest {
    let caps = capabilities.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ");
    let extra = if capabilities.contains(&"http-outbound") && !extra.contains("[outbound]") {
        format!("{extra}\n[outbound]\nhosts = [\"https://api.example.com\"]\n")
    } else {
        extra.to_string()
    };
    let text = format!(
        r#"
id = "probe"
name = "Probe"
version = "1.0.0"
publisher = "ILS tests"
platform = "{platform}"
provides = ["event-handler", "http"]
capabilities = [{caps}]
events = ["probe.*"]
{extra}
"#
    );
    Manifest::from_toml(&text).expect("probe manifest")
}

/// Every capability the probe imports.
pub const PROBE_CAPS: &[&str] = &[
    "kv",
    "secrets",
    "events-publish",
    "clinical-read",
    "http-outbound",
    "orders-read",
    "orders-annotate",
    "inventory-read",
    "reports-read",
    "files-write",
    "notify-email",
];

/// A host over fresh in-memory services, sharing the engine and the compile cache.
pub struct TestHost {
    pub host: PluginHost,
    pub services: FakeServices,
    pub metrics: Arc<MetricsRecorder>,
}

pub fn host() -> TestHost {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    let cache = CACHE.get_or_init(|| tempfile::tempdir().expect("cache dir"));
    let services = FakeServices::new();
    let metrics = Arc::new(MetricsRecorder::default());
    let config = HostConfig { cache_dir: cache.path().to_path_buf(), allow_private_networks: true };
    let host =
        PluginHost::new(engine(), services.services(), config).expect("host").with_metrics(metrics.clone());
    TestHost { host, services, metrics }
}

impl TestHost {
    pub async fn install_probe(&self, manifest: Manifest) -> PluginVersion {
        self.host.install(&guest("probe"), manifest).await.expect("install probe")
    }
}

/// The tenant a test names: the same name is always the same tenant (a UUID made from the name).
pub fn tenant(name: &str) -> TenantId {
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(name.as_bytes());
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&hash[..16]);
    TenantId::from(uuid::Builder::from_custom_bytes(bytes).into_uuid())
}

/// A context for the tenant named `name`, granting every capability the manifest declares.
pub fn ctx(name: &str) -> InvocationContext {
    InvocationContext::new(tenant(name)).with_grants(Grants::all())
}

/// A context for the tenant named `name`, granting only `caps`.
pub fn ctx_with(name: &str, caps: &[Capability]) -> InvocationContext {
    InvocationContext::new(tenant(name)).with_grants(caps.iter().copied().collect())
}

/// A loopback HTTP server answering every request with 200 and `body`, counting requests.
pub struct Upstream {
    pub port: u16,
    pub hits: Arc<AtomicUsize>,
    pub last_request: Arc<std::sync::Mutex<String>>,
}

impl Upstream {
    pub async fn start(body: &'static str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let hits = Arc::new(AtomicUsize::new(0));
        let last_request = Arc::new(std::sync::Mutex::new(String::new()));
        let (h, l) = (hits.clone(), last_request.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (h, l) = (h.clone(), l.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 << 10];
                    let mut got = 0;
                    // Read headers, then as much body as content-length says.
                    loop {
                        let Ok(n) = socket.read(&mut buf[got..]).await else { return };
                        if n == 0 {
                            break;
                        }
                        got += n;
                        let text = String::from_utf8_lossy(&buf[..got]).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let len = text
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            if got >= end + 4 + len {
                                break;
                            }
                        }
                    }
                    h.fetch_add(1, Ordering::SeqCst);
                    *l.lock().unwrap() = String::from_utf8_lossy(&buf[..got]).to_string();
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        Self { port, hits, last_request }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A GET request to a plugin route.
pub fn get(path: &str) -> http::Request<bytes::Bytes> {
    http::Request::get(format!("http://plugin.local{path}")).body(bytes::Bytes::new()).expect("request")
}

/// A response body as text.
pub fn text(response: &http::Response<bytes::Bytes>) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

/// An event for the probe.
pub fn probe_event(what: &str, payload: &str) -> ils_host_api::Event {
    ils_host_api::Event {
        id: format!("ev-{what}"),
        kind: format!("probe.{what}"),
        occurred_at_ms: 0,
        payload: payload.into(),
    }
}
