//! The fake devices over real loopback TCP and a real pseudo-terminal, against host sides
//! written with `dcs_driver` as the ILS host runs it.

#![allow(clippy::unwrap_used, missing_docs)]

mod cli;
mod edger;
mod refractor;
mod tracer;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

/// How long any one wait may take before the test fails: generous, for a busy 2-core machine.
pub const GUARD: Duration = Duration::from_secs(20);

/// A file under `recordings/`.
pub fn recording(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recordings").join(name)
}

/// Awaits `future`, failing the test if it takes longer than [`GUARD`].
pub async fn guard<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(GUARD, future).await.unwrap_or_else(|_| panic!("{what}: no progress in {GUARD:?}"))
}
