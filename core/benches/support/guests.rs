//! The plugin components the tests and benchmarks run, built for wasm32-wasip2 once per process
//! (a no-op when `scripts/test` built them). Shared by `core/tests/it/guests.rs` and the
//! benchmarks; standard library only.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root")
}

/// The directory of the built components (`order_notes.wasm`, `probe.wasm`, …), building them
/// on first use.
pub fn guests_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace().join("target"));
        let target = if target.is_absolute() { target } else { workspace().join(target) };
        let target = target.join("wasm-guests");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(workspace())
            .env("CARGO_TARGET_DIR", &target)
            .args(["build", "--quiet", "--target", "wasm32-wasip2", "--profile", "plugin"])
            .args([
                "-p",
                "ils-probe-guest",
                "-p",
                "order-notes",
                "-p",
                "dcs-driver",
                "-p",
                "nidek-rs232",
                "-p",
                "nhs-gos",
                "-p",
                "ils-reports",
                "-p",
                "ils-recommendations",
                "-p",
                "ils-shopify-sync",
                "-p",
                "ils-sms-gateway",
            ])
            .status()
            .expect("run cargo to build the guest components");
        assert!(
            status.success(),
            "building guest components failed (scripts/test installs the wasm32-wasip2 target)"
        );
        target.join("wasm32-wasip2").join("plugin")
    })
}
