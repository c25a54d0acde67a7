//! Per-invocation limits. The embedder passes the plan's limits; the manifest may tighten them.

use std::time::Duration;

use ils_registry::ManifestLimits;

/// What an invocation may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget for the call (epoch interruption while wasm runs, a timeout around host calls).
    pub timeout: Duration,
    /// Linear memory ceiling, in bytes (at most the engine's pool ceiling).
    pub memory_bytes: usize,
    /// Table elements ceiling.
    pub table_elements: usize,
    /// Bytes the host may hand to the guest in one invocation (kv values, secrets, records,
    /// outbound response bodies). Breaching it stops the invocation.
    pub host_bytes: usize,
    /// Resource handles the guest may hold at once (streams, requests, pollables…).
    pub resources: usize,
    /// Size of the input to an extension point (event payload, request body, device data).
    pub input_bytes: usize,
    /// Size of the output of an extension point (response body, report, encoded job).
    pub output_bytes: usize,
    /// Largest kv value.
    pub kv_value_bytes: usize,
    /// Largest payload of an event the plugin publishes (its JSON text).
    pub event_bytes: usize,
    /// Log lines kept per invocation (the rest are dropped and counted).
    pub log_lines: usize,
    /// Outbound HTTP requests per invocation.
    pub http_requests: u32,
}

impl Default for Limits {
    /// The Free plan's limits.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            memory_bytes: 32 << 20,
            table_elements: 20_000,
            host_bytes: 8 << 20,
            resources: 1_000,
            input_bytes: 1 << 20,
            output_bytes: 1 << 20,
            kv_value_bytes: 64 << 10,
            event_bytes: 64 << 10,
            log_lines: 100,
            http_requests: 16,
        }
    }
}

impl Limits {
    /// These limits, tightened by a manifest's requests (never loosened).
    pub fn tightened_by(mut self, requested: &ManifestLimits) -> Self {
        if let Some(ms) = requested.timeout_ms {
            self.timeout = self.timeout.min(Duration::from_millis(ms));
        }
        if let Some(mib) = requested.memory_mib {
            self.memory_bytes = self.memory_bytes.min(usize::try_from(mib << 20).unwrap_or(usize::MAX));
        }
        self
    }
}

/// A limit an invocation breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// The wall-clock budget.
    Timeout,
    /// Linear memory.
    Memory,
    /// Table elements.
    Table,
    /// The wasm call stack (deep recursion).
    Stack,
    /// Bytes handed out by the host.
    HostBytes,
    /// Resource handles.
    Resources,
    /// Input size.
    Input,
    /// Output size.
    Output,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Timeout => "wall-clock time limit",
            Self::Memory => "memory limit",
            Self::Table => "table limit",
            Self::Stack => "call stack limit (recursion too deep)",
            Self::HostBytes => "host allocation limit",
            Self::Resources => "resource handle limit",
            Self::Input => "input size limit",
            Self::Output => "output size limit",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_tighten_but_never_loosen() {
        let plan = Limits::default();
        let tight = plan.tightened_by(&ManifestLimits { timeout_ms: Some(100), memory_mib: Some(4) });
        assert_eq!(tight.timeout, Duration::from_millis(100));
        assert_eq!(tight.memory_bytes, 4 << 20);
        let loose = plan.tightened_by(&ManifestLimits { timeout_ms: Some(600_000), memory_mib: Some(4096) });
        assert_eq!(loose, plan);
    }
}
