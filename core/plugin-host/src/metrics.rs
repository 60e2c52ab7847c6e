//! Per-plugin call counters the core can expose (Prometheus, admin API).
//!
//! Plain atomics, updated on every call without a lock on the hot path once a
//! plugin's counters exist.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;

use crate::error::CallError;

#[derive(Debug, Default)]
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
