//! Per-plugin call counters the core exposes: as JSON in the admin API's plugin
//! list ([`MetricsSnapshot`]) and in the Prometheus text format
//! ([`PluginHost::prometheus_text`](crate::PluginHost::prometheus_text)).
//!
//! Plain atomics and one latency histogram per plugin, updated on every call
//! without a lock on the hot path once a plugin's counters exist. The
//! Prometheus exposition is written by `prometheus-client` from these same
//! values, so the two views never disagree.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde::Serialize;

use crate::error::{CallError, HostError};

/// Upper bounds, in seconds, of the call latency histogram's buckets: from a
/// warm call (tens of microseconds) to the default 50 ms deadline and past it.
const LATENCY_BUCKETS: [f64; 13] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1,
];

#[derive(Debug)]
struct Counters {
    calls: AtomicU64,
    successes: AtomicU64,
    timeout: AtomicU64,
    fuel_exhausted: AtomicU64,
    out_of_memory: AtomicU64,
    trap: AtomicU64,
    plugin_error: AtomicU64,
    garbage: AtomicU64,
    unavailable: AtomicU64,
    quarantines: AtomicU64,
    total_nanos: AtomicU64,
    peak_nanos: AtomicU64,
    latency: Histogram,
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            calls: AtomicU64::default(),
            successes: AtomicU64::default(),
            timeout: AtomicU64::default(),
            fuel_exhausted: AtomicU64::default(),
            out_of_memory: AtomicU64::default(),
            trap: AtomicU64::default(),
            plugin_error: AtomicU64::default(),
            garbage: AtomicU64::default(),
            unavailable: AtomicU64::default(),
            quarantines: AtomicU64::default(),
            total_nanos: AtomicU64::default(),
            peak_nanos: AtomicU64::default(),
            latency: Histogram::new(LATENCY_BUCKETS),
        }
    }
}

/// Failed calls of one plugin, by cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FailureCounts {
    /// Interrupted at the call deadline.
    pub timeout: u64,
    /// Ran out of fuel.
    pub fuel_exhausted: u64,
    /// Hit the memory cap.
    pub out_of_memory: u64,
    /// Trapped.
    pub trap: u64,
    /// Returned an error of its own.
    pub plugin_error: u64,
    /// Returned an unusable answer.
    pub garbage: u64,
    /// Refused because disabled, quarantined or the host was busy.
    pub unavailable: u64,
}

/// Counters of one plugin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PluginMetrics {
    /// Calls attempted.
    pub calls: u64,
    /// Calls that returned a usable answer.
    pub successes: u64,
    /// Calls that did not, by cause.
    pub failures: FailureCounts,
    /// Times the plugin was quarantined.
    pub quarantines: u64,
    /// Time spent in calls that ran, summed.
    pub total_call_time: Duration,
    /// Longest single call.
    pub peak_call_time: Duration,
}

/// Counters of every plugin called since the host opened, by plugin name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MetricsSnapshot {
    /// Per plugin.
    pub plugins: BTreeMap<String, PluginMetrics>,
    /// Whether instances come from the pooling allocator.
    pub pooling_allocator: bool,
}

/// The live counters.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    plugins: RwLock<HashMap<String, Arc<Counters>>>,
    /// Installs refused, by reason.
    refusals: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    fn counters(&self, plugin: &str) -> Arc<Counters> {
        if let Some(c) = self
            .plugins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(plugin)
        {
            return Arc::clone(c);
        }
        let mut map = self.plugins.write().unwrap_or_else(|e| e.into_inner());
        Arc::clone(map.entry(plugin.to_owned()).or_default())
    }

    /// Records one call's outcome and duration.
    pub(crate) fn record<T>(
        &self,
        plugin: &str,
        elapsed: Duration,
        outcome: &Result<T, CallError>,
    ) {
        let c = self.counters(plugin);
        c.calls.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        c.total_nanos.fetch_add(nanos, Ordering::Relaxed);
        c.peak_nanos.fetch_max(nanos, Ordering::Relaxed);
        c.latency.observe(elapsed.as_secs_f64());
        let counter = match outcome {
            Ok(_) => &c.successes,
            Err(CallError::Timeout { .. }) => &c.timeout,
            Err(CallError::FuelExhausted { .. }) => &c.fuel_exhausted,
            Err(CallError::OutOfMemory { .. }) => &c.out_of_memory,
            Err(CallError::Trap { .. }) => &c.trap,
            Err(CallError::Plugin { .. }) => &c.plugin_error,
            Err(CallError::Garbage { .. }) => &c.garbage,
            Err(CallError::Unavailable { .. } | CallError::NoPlugin { .. }) => &c.unavailable,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records an install the host refused.
    pub(crate) fn record_refusal(&self, err: &HostError) {
        let mut refusals = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        *refusals.entry(refusal_reason(err)).or_default() += 1;
    }

    pub(crate) fn record_quarantine(&self, plugin: &str) {
        self.counters(plugin)
            .quarantines
            .fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, pooling_allocator: bool) -> MetricsSnapshot {
        let map = self.plugins.read().unwrap_or_else(|e| e.into_inner());
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let plugins = map
            .iter()
            .map(|(name, c)| {
                (
                    name.clone(),
                    PluginMetrics {
                        calls: load(&c.calls),
                        successes: load(&c.successes),
                        failures: FailureCounts {
                            timeout: load(&c.timeout),
                            fuel_exhausted: load(&c.fuel_exhausted),
                            out_of_memory: load(&c.out_of_memory),
                            trap: load(&c.trap),
                            plugin_error: load(&c.plugin_error),
                            garbage: load(&c.garbage),
                            unavailable: load(&c.unavailable),
                        },
                        quarantines: load(&c.quarantines),
                        total_call_time: Duration::from_nanos(load(&c.total_nanos)),
                        peak_call_time: Duration::from_nanos(load(&c.peak_nanos)),
                    },
                )
            })
            .collect();
        MetricsSnapshot {
            plugins,
            pooling_allocator,
        }
    }
}

/// The label an install refusal is counted under.
fn refusal_reason(err: &HostError) -> &'static str {
    match err {
        HostError::Manifest(_) => "invalid_manifest",
        HostError::HashMismatch { .. } => "hash_mismatch",
        HostError::Signature(_) => "signature",
        HostError::WitIncompatible { .. } => "wit_incompatible",
        HostError::ForbiddenImport { .. } => "forbidden_import",
        HostError::MissingExport { .. } => "missing_export",
        HostError::Compile { .. } => "not_a_component",
        HostError::Instantiate { .. } => "does_not_instantiate",
        HostError::VersionConflict { .. } | HostError::RegionTaken { .. } => "conflict",
        HostError::UnknownPlugin(_)
        | HostError::Io { .. }
        | HostError::CorruptState { .. }
        | HostError::Engine(_) => "host_error",
    }
}

/// Writes the counters in the Prometheus text format (version 0.0.4).
pub(crate) fn prometheus_text(metrics: &Arc<Metrics>, pooling_allocator: bool) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Exposition {
        metrics: Arc::clone(metrics),
        pooling_allocator,
    }));
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &registry);
    text
}

/// The `Content-Type` of [`prometheus_text`]'s output.
pub const PROMETHEUS_CONTENT_TYPE: &str =
    prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Encodes the live counters on each scrape.
#[derive(Debug)]
struct Exposition {
    metrics: Arc<Metrics>,
    pooling_allocator: bool,
}

impl Exposition {
    fn plugins(&self) -> Vec<(String, Arc<Counters>)> {
        let map = self
            .metrics
            .plugins
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let mut plugins: Vec<_> = map
            .iter()
            .map(|(name, c)| (name.clone(), Arc::clone(c)))
            .collect();
        plugins.sort_by(|a, b| a.0.cmp(&b.0));
        plugins
    }
}

fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    rows: &[(Vec<(&str, &str)>, u64)],
) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in rows {
        ConstCounter::new(*value).encode(metric.encode_family(labels)?)?;
    }
    Ok(())
}

impl Collector for Exposition {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let plugins = self.plugins();
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);

        let calls: Vec<_> = plugins
            .iter()
            .map(|(name, c)| (vec![("plugin", name.as_str())], load(&c.calls)))
            .collect();
        counter(
            &mut encoder,
            "redress_plugin_calls",
            "Calls made to each plugin",
            &calls,
        )?;

        let mut failures = Vec::new();
        for (name, c) in &plugins {
            for (kind, value) in [
                ("timeout", &c.timeout),
                ("fuel_exhausted", &c.fuel_exhausted),
                ("out_of_memory", &c.out_of_memory),
                ("trap", &c.trap),
                ("plugin_error", &c.plugin_error),
                ("garbage", &c.garbage),
                ("unavailable", &c.unavailable),
            ] {
                failures.push((vec![("plugin", name.as_str()), ("kind", kind)], load(value)));
            }
        }
        counter(
            &mut encoder,
            "redress_plugin_call_failures",
            "Plugin calls that gave no usable answer, by kind of failure",
            &failures,
        )?;

        let quarantines: Vec<_> = plugins
            .iter()
            .map(|(name, c)| (vec![("plugin", name.as_str())], load(&c.quarantines)))
            .collect();
        counter(
            &mut encoder,
            "redress_plugin_quarantines",
            "Times each plugin was quarantined after repeated failures",
            &quarantines,
        )?;

        let mut latency = encoder.encode_descriptor(
            "redress_plugin_call_duration_seconds",
            "Time each plugin call took, instantiation included",
            None,
            MetricType::Histogram,
        )?;
        for (name, c) in &plugins {
            let labels = [("plugin", name.as_str())];
            c.latency.encode(latency.encode_family(&labels)?)?;
        }

        let refusals: Vec<_> = self
            .metrics
            .refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(reason, n)| (vec![("reason", *reason)], *n))
            .collect();
        counter(
            &mut encoder,
            "redress_plugin_install_refusals",
            "Plugin installs the host refused, by reason",
            &refusals,
        )?;

        let pooling = encoder.encode_descriptor(
            "redress_plugin_pooling_allocator",
            "1 when plugin instances come from the pooling allocator",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(i64::from(self.pooling_allocator)).encode(pooling)?;
        Ok(())
    }
}
