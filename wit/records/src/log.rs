//! Plugin log lines (`ils:platform/log`).

use serde::{Deserialize, Serialize};

/// The severity of a plugin's log line; the host writes it at the same `tracing` level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that the plugin handled.
    Warn,
    /// A failure, written at `tracing`'s error level.
    Error,
}
