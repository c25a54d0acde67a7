//! Prometheus metrics for the HTTP layer.

use ils_host_api::metrics::{InvocationReport, MetricsSink};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of a request metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method.
    pub method: String,
    /// The matched route template (`/api/v1/users/{user_id}`), or `unmatched`.
    pub route: String,
    /// Response status code.
    pub status: u16,
}

/// Labels of a plugin invocation metric (no tenant: per-tenant usage is not a metric label).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabels {
    /// Plugin id.
    pub plugin: String,
    /// Extension point called (`event-handler.handle`, `http.handle`…).
    pub export: String,
    /// `ok` or the failure's code (`limit_exceeded`, `trap`, `plugin_error`…).
    pub outcome: String,
}

/// The metrics registry and the instruments the host updates.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    plugin_calls: Family<PluginLabels, Counter>,
    plugin_latency: Family<PluginLabels, Histogram>,
    plugin_memory: Family<PluginLabels, Histogram>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with the HTTP instruments.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("ils");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests served", requests.clone());
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
        });
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency in seconds",
            latency.clone(),
        );
        let plugin_calls = Family::<PluginLabels, Counter>::default();
        registry.register("plugin_invocations", "Plugin invocations", plugin_calls.clone());
        let plugin_latency = Family::<PluginLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0])
        });
        registry.register(
            "plugin_invocation_duration_seconds",
            "Plugin invocation time in seconds, instantiation included",
            plugin_latency.clone(),
        );
        let plugin_memory = Family::<PluginLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(65_536.0, 2.0, 12))
        });
        registry.register(
            "plugin_peak_memory_bytes",
            "Peak linear memory of a plugin invocation in bytes",
            plugin_memory.clone(),
        );
        Self { registry, requests, latency, plugin_calls, plugin_latency, plugin_memory }
    }

    /// Records one plugin invocation (the plugin host reports each through [`MetricsSink`]).
    pub fn observe_plugin(&self, report: &InvocationReport) {
        let labels = PluginLabels {
            plugin: report.plugin.to_string(),
            export: report.export.to_owned(),
            outcome: report.outcome.to_owned(),
        };
        self.plugin_calls.get_or_create(&labels).inc();
        self.plugin_latency.get_or_create(&labels).observe(report.duration.as_secs_f64());
        #[allow(clippy::cast_precision_loss)]
        self.plugin_memory.get_or_create(&labels).observe(report.peak_memory_bytes as f64);
    }

    /// Records one served request.
    pub fn observe_request(&self, labels: &RequestLabels, seconds: f64) {
        self.requests.get_or_create(labels).inc();
        self.latency.get_or_create(labels).observe(seconds);
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl MetricsSink for Metrics {
    fn record(&self, report: InvocationReport) {
        self.observe_plugin(&report);
    }
}
