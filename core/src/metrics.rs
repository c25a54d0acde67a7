//! Prometheus metrics: HTTP requests, plugin invocations (and what they cost, by plugin), quota
//! refusals, webhook deliveries, and — read when scraped — the job queue and the database pool.
//!
//! Every label takes values from a bounded set, so no request can create series at will: a
//! method outside the standard ones is counted as `other`, a route is its template (or
//! `unmatched`), a job kind is one the code defines.

use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ils_host_api::metrics::{InvocationReport, MetricsSink};
use ils_webhooks::Outcome;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use ils_storage::PoolStats;

use crate::jobs::stats::JobCount;

/// Labels of a request metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method; one outside the standard methods is recorded as `other`.
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

/// Labels of the per-plugin usage counters (no tenant: per-tenant usage is in the metering API).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginOnly {
    /// Plugin id.
    pub plugin: String,
}

/// Labels of the quota refusal counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QuotaLabels {
    /// Plugin id.
    pub plugin: String,
    /// The quota: `invocations_per_month`, `kv_bytes`, `kv_keys` or `events_per_minute`.
    pub quota: &'static str,
}

/// Labels of a job-queue gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    /// The job kind (`deliver_webhook`, `dispatch_event`, …).
    pub kind: String,
    /// `queued` (waiting for its time or a worker), `running`, `retryable` (failed, to be tried
    /// again) or `dead` (out of attempts; see `/api/v1/platform/jobs`).
    pub state: &'static str,
}

/// Labels of a webhook delivery counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    /// `delivered`, `failed` (retried), `gone` (410: endpoint disabled) or `refused` (address not allowed).
    pub outcome: &'static str,
}

/// Labels of the fair-share snooze counter (no tenant: the label set stays bounded).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FairLabels {
    /// `webhook` or `plugin`.
    pub work: &'static str,
}

/// How long job-queue counts are reused: `/metrics` is public, so scrapes must not become a way
/// to load the database.
const JOBS_REFRESH: Duration = Duration::from_secs(1);

/// The methods counted under their own name.
const METHODS: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

/// `method` if it is a standard method, else `other`.
fn method_label(method: &str) -> &str {
    if METHODS.contains(&method) { method } else { "other" }
}

/// The metrics registry and the instruments the host updates.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    plugin_calls: Family<PluginLabels, Counter>,
    plugin_latency: Family<PluginLabels, Histogram>,
    plugin_memory: Family<PluginLabels, Histogram>,
    plugin_cpu: Family<PluginOnly, Counter<f64, AtomicU64>>,
    plugin_outbound_requests: Family<PluginOnly, Counter>,
    plugin_outbound_bytes: Family<PluginOnly, Counter>,
    plugin_events: Family<PluginOnly, Counter>,
    quota_refusals: Family<QuotaLabels, Counter>,
    deliveries: Family<DeliveryLabels, Counter>,
    fair_snoozes: Family<FairLabels, Counter>,
    jobs: Family<JobLabels, Gauge>,
    pool_size: Gauge<u64, AtomicU64>,
    pool_idle: Gauge<u64, AtomicU64>,
    pool_max: Gauge<u64, AtomicU64>,
    /// When the job-queue gauges were last read; held while they are replaced or rendered, so
    /// a scrape never shows them half-replaced.
    jobs_read: Mutex<Option<Instant>>,
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
        let plugin_cpu = Family::<PluginOnly, Counter<f64, AtomicU64>>::default();
        registry.register(
            "plugin_cpu_seconds",
            "Time plugins spent running their own code (host calls and waits excluded), in seconds",
            plugin_cpu.clone(),
        );
        let plugin_outbound_requests = Family::<PluginOnly, Counter>::default();
        registry.register(
            "plugin_outbound_requests",
            "Outbound HTTP requests plugins sent",
            plugin_outbound_requests.clone(),
        );
        let plugin_outbound_bytes = Family::<PluginOnly, Counter>::default();
        registry.register(
            "plugin_outbound_bytes",
            "Outbound HTTP body bytes of plugins, sent and received",
            plugin_outbound_bytes.clone(),
        );
        let plugin_events = Family::<PluginOnly, Counter>::default();
        registry.register("plugin_events_published", "Events plugins published", plugin_events.clone());
        let quota_refusals = Family::<QuotaLabels, Counter>::default();
        registry.register(
            "plugin_quota_refusals",
            "Plugin calls and writes refused for a quota of the tenant's plan",
            quota_refusals.clone(),
        );
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register("webhook_deliveries", "Webhook delivery attempts by outcome", deliveries.clone());
        let fair_snoozes = Family::<FairLabels, Counter>::default();
        registry.register(
            "job_fair_share_snoozes",
            "Deliveries put back because their tenant already ran its share of this process's workers",
            fair_snoozes.clone(),
        );
        let jobs = Family::<JobLabels, Gauge>::default();
        registry.register("jobs", "Jobs in the queue by kind and state, read when scraped", jobs.clone());
        let pool_size = Gauge::<u64, AtomicU64>::default();
        registry.register(
            "db_pool_connections",
            "Open database connections, in use or idle",
            pool_size.clone(),
        );
        let pool_idle = Gauge::<u64, AtomicU64>::default();
        registry.register("db_pool_idle_connections", "Idle database connections", pool_idle.clone());
        let pool_max = Gauge::<u64, AtomicU64>::default();
        registry.register("db_pool_max_connections", "The database pool's size limit", pool_max.clone());
        Self {
            registry,
            requests,
            latency,
            plugin_calls,
            plugin_latency,
            plugin_memory,
            plugin_cpu,
            plugin_outbound_requests,
            plugin_outbound_bytes,
            plugin_events,
            quota_refusals,
            deliveries,
            fair_snoozes,
            jobs,
            pool_size,
            pool_idle,
            pool_max,
            jobs_read: Mutex::new(None),
        }
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
        let plugin = PluginOnly { plugin: labels.plugin };
        self.plugin_cpu.get_or_create(&plugin).inc_by(report.cpu_time.as_secs_f64());
        self.plugin_outbound_requests.get_or_create(&plugin).inc_by(u64::from(report.outbound_requests));
        self.plugin_outbound_bytes.get_or_create(&plugin).inc_by(report.outbound_bytes);
        self.plugin_events.get_or_create(&plugin).inc_by(u64::from(report.events_published));
    }

    /// Records a plugin call or write refused for `quota`.
    pub fn observe_quota_refusal(&self, plugin: &str, quota: &'static str) {
        self.quota_refusals.get_or_create(&QuotaLabels { plugin: plugin.to_owned(), quota }).inc();
    }

    /// Records one served request.
    pub fn observe_request(&self, labels: &RequestLabels, seconds: f64) {
        let method = method_label(&labels.method);
        let owned;
        let labels = if method == labels.method {
            labels
        } else {
            owned = RequestLabels { method: method.to_owned(), ..labels.clone() };
            &owned
        };
        self.requests.get_or_create(labels).inc();
        self.latency.get_or_create(labels).observe(seconds);
    }

    /// Records one webhook delivery attempt.
    pub fn observe_delivery(&self, outcome: Outcome) {
        self.deliveries.get_or_create(&DeliveryLabels { outcome: outcome.as_str() }).inc();
    }

    /// Records one delivery put back because its tenant ran its share of the workers.
    /// `work` is the kind of work: `webhook` or `plugin`.
    pub fn observe_fair_snooze(&self, work: &'static str) {
        self.fair_snoozes.get_or_create(&FairLabels { work }).inc();
    }

    fn jobs_lock(&self) -> MutexGuard<'_, Option<Instant>> {
        self.jobs_read.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the job-queue gauges are due to be read again (at most once a second); a `true`
    /// answer claims the read.
    pub fn jobs_due(&self) -> bool {
        let mut read = self.jobs_lock();
        let now = Instant::now();
        if read.is_some_and(|at| now.duration_since(at) < JOBS_REFRESH) {
            return false;
        }
        *read = Some(now);
        true
    }

    /// Replaces the job-queue gauges with `counts` (a kind and state absent from them is gone
    /// from the queue, so its series goes too).
    pub fn set_jobs(&self, counts: &[JobCount]) {
        let _replacing = self.jobs_lock();
        self.jobs.clear();
        for count in counts {
            let labels = JobLabels { kind: count.kind.clone(), state: count.state.as_str() };
            self.jobs.get_or_create(&labels).set(count.jobs);
        }
    }

    /// Sets the database pool gauges.
    pub fn set_pool(&self, pool: PoolStats) {
        self.pool_size.set(u64::from(pool.size));
        self.pool_idle.set(u64::try_from(pool.idle).unwrap_or(u64::MAX));
        self.pool_max.set(u64::from(pool.max));
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let _whole = self.jobs_lock();
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

    fn quota_refused(&self, plugin: &ils_registry::PluginId, quota: &'static str) {
        self.observe_quota_refusal(plugin.as_str(), quota);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        let metrics = Metrics::new();
        for method in ["GET", "FOO", "PROPFIND", "get", "BREW"] {
            let labels =
                RequestLabels { method: method.to_owned(), route: "unmatched".to_owned(), status: 404 };
            metrics.observe_request(&labels, 0.001);
        }
        let text = metrics.render();
        assert!(
            text.contains(r#"ils_http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"ils_http_requests_total{method="other",route="unmatched",status="404"} 4"#),
            "{text}"
        );
        assert!(!text.contains("PROPFIND") && !text.contains("FOO"), "{text}");
    }

    #[test]
    fn quota_refusals_are_counted_by_plugin_and_quota() {
        let metrics = Metrics::new();
        let probe = ils_registry::PluginId::new("probe").unwrap();
        MetricsSink::quota_refused(&metrics, &probe, "invocations_per_month");
        MetricsSink::quota_refused(&metrics, &probe, "invocations_per_month");
        MetricsSink::quota_refused(&metrics, &probe, "kv_bytes");
        let text = metrics.render();
        assert!(
            text.contains(
                r#"ils_plugin_quota_refusals_total{plugin="probe",quota="invocations_per_month"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"ils_plugin_quota_refusals_total{plugin="probe",quota="kv_bytes"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn the_job_queue_is_read_at_most_once_a_second() {
        let metrics = Metrics::new();
        assert!(metrics.jobs_due(), "the first scrape reads the queue");
        assert!(!metrics.jobs_due(), "a scrape right after reuses the counts");
    }
}
