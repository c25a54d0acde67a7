//! Per-invocation measurements, handed to the embedder (core exports them to Prometheus).

use std::sync::Mutex;
use std::time::Duration;

use ils_records::TenantId;
use ils_registry::PluginId;

/// One invocation, measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationReport {
    /// The tenant the plugin ran for.
    pub tenant: TenantId,
    /// The plugin, as its manifest names it.
    pub plugin: PluginId,
    /// The plugin's version.
    pub version: semver::Version,
    /// Extension point, such as `event-handler.handle`.
    pub export: &'static str,
    /// Wall-clock time, instantiation included.
    pub duration: Duration,
    /// Time the guest spent running WebAssembly: host calls, waits for I/O and waits for a CPU
    /// slot excluded. The measure of CPU a plugin used (the engine does not meter fuel).
    pub cpu_time: Duration,
    /// `ok` or an [`crate::InvokeError::code`].
    pub outcome: &'static str,
    /// Peak linear memory, bytes.
    pub peak_memory_bytes: usize,
    /// Bytes the host handed to the guest.
    pub host_bytes: usize,
    /// Log lines dropped over the per-invocation budget.
    pub log_lines_dropped: usize,
    /// Outbound HTTP requests the host sent for the plugin (refused ones are not sent).
    pub outbound_requests: u32,
    /// Outbound HTTP body bytes: request bodies sent plus response bodies the plugin read.
    pub outbound_bytes: u64,
    /// Events the plugin published (accepted by the host).
    pub events_published: u32,
}

/// Receives a report after every invocation.
pub trait MetricsSink: Send + Sync {
    /// Records one invocation. Called on the invoking task: keep it cheap.
    fn record(&self, report: InvocationReport);

    /// Records a call or a write of `plugin` that the embedder refused for one of its quotas
    /// (`quota` names which, from a fixed set). The host itself never calls it; by default it
    /// does nothing.
    fn quota_refused(&self, plugin: &PluginId, quota: &'static str) {
        let _ = (plugin, quota);
    }
}

/// Discards reports.
#[derive(Debug, Default)]
pub struct NoMetrics;

impl MetricsSink for NoMetrics {
    fn record(&self, _report: InvocationReport) {}
}

/// Keeps every report in memory (tests, `ils plugin invoke`).
#[derive(Debug, Default)]
pub struct MetricsRecorder(Mutex<Vec<InvocationReport>>);

impl MetricsRecorder {
    /// The reports so far.
    pub fn reports(&self) -> Vec<InvocationReport> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl MetricsSink for MetricsRecorder {
    fn record(&self, report: InvocationReport) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(report);
    }
}
