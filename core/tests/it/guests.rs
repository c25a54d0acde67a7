//! Plugin components for the tests — the example plugin (`order-notes`) and the host's probe —
//! built for wasm32-wasip2 once per test binary (a no-op when `scripts/test` built them), and
//! added to a test app's catalogue the way `ils plugin install` adds them.

use std::path::PathBuf;

use ils_core::plugins::catalogue::{self, Added};

use crate::harness::TestApp;

/// The example plugin's manifest, as shipped.
pub const ORDER_NOTES: &str = include_str!("../../../examples/order-notes/ils-plugin.toml");

/// The DCS driver's manifest, as shipped.
pub const DCS_DRIVER: &str = include_str!("../../../plugins/dcs-driver/ils-plugin.toml");
/// The Nidek driver's manifest, as shipped.
pub const NIDEK: &str = include_str!("../../../plugins/nidek-rs232/ils-plugin.toml");

/// The NHS GOS plugin's manifest, as shipped.
pub const NHS_GOS: &str = include_str!("../../../plugins/nhs-gos/ils-plugin.toml");

/// The probe (host-api/tests/guests/probe) with every capability it imports.
pub const PROBE: &str = r#"
id = "probe"
name = "Probe"
version = "1.0.0"
publisher = "ILS tests"
platform = "^0.3"
provides = ["event-handler", "http", "report-provider"]
capabilities = ["kv", "secrets", "events-publish", "clinical-read", "http-outbound", "orders-read", "orders-annotate", "inventory-read", "reports-read", "files-write", "notify-email"]
events = ["probe.*"]
[outbound]
hosts = ["https://api.example.com"]
[config_schema]
type = "object"
properties.greeting = { type = "string", maxLength = 40 }
additionalProperties = false
"#;

#[path = "../../benches/support/guests.rs"]
mod build;

use build::guests_dir;

/// The built component `name` (`order_notes`, `probe`, `dcs_driver`, `nidek_rs232`).
pub fn component(name: &str) -> PathBuf {
    guests_dir().join(format!("{name}.wasm"))
}

/// Adds the component `name` (`order_notes`, `probe`) with `manifest` to the app's catalogue,
/// offered from `plan` (a plan's slug) up.
pub async fn install(app: &TestApp, name: &str, manifest: &str, plan: &str) -> Added {
    let dir = tempfile::tempdir().expect("package dir");
    std::fs::write(dir.path().join("ils-plugin.toml"), manifest).expect("manifest");
    std::fs::copy(component(name), dir.path().join("plugin.wasm")).expect("component");
    let plan = ils_core::tenants::PlanSlug::parse(plan).expect("plan");
    catalogue::add(&app.db, &app.state.plugins, dir.path(), &plan).await.expect("install the package")
}

/// Every capability the probe declares: what a tenant admin consents to when enabling it.
pub const PROBE_CONSENT: [&str; 11] = [
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

/// Enables the probe (installed with [`install`]) for `tenant`, consenting to all it declares.
pub async fn enable_probe(app: &TestApp, tenant: &crate::harness::Tenant) {
    let body = serde_json::json!({ "version": "1.0.0", "consent": PROBE_CONSENT });
    app.put("/api/v1/tenant/plugins/probe", &tenant.admin.token, body).await.ok(200);
}
