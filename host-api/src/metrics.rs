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
    /// `ok` or an [`crate::InvokeError::code`].
    pub outcome: &'static str,
    /// Peak linear memory, bytes.
    pub peak_memory_bytes: usize,
    /// Bytes the host handed to the guest.
    pub host_bytes: usize,
    /// Log lines dropped over the per-invocation budget.
    pub log_lines_dropped: usize,
}

/// Receives a report after every invocation.
pub trait MetricsSink: Send + Sync {
    /// Records one invocation. Called on the invoking task: keep it cheap.
    fn record(&self, report: InvocationReport);
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
