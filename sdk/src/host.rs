//! The host functions a plugin may call (WIT `host` interface).
//!
//! Plugin logic takes a `&dyn Host` so that the same code runs inside the
//! wasm component (where `WasmHost` calls the real imports) and natively in
//! `cargo test` (where [`crate::testing::TestHost`] stands in).

use crate::complaint::Timestamp;

/// Severity of a log line (WIT `log-level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Very detailed tracing.
    Trace,
    /// Detail for developers.
    Debug,
    /// What an operator wants to see.
    Info,
    /// Something odd that did not stop the plugin.
    Warn,
    /// Something failed.
    Error,
}

/// What the host offers a plugin.
pub trait Host {
    /// Writes a structured log line. `fields` are key/value pairs; never
    /// pass personal data.
    fn log(&self, level: LogLevel, message: &str, fields: &[(&str, &str)]);

    /// The host's current time.
    fn now(&self) -> Timestamp;

    /// A configuration value the operator set for this plugin.
    fn config(&self, key: &str) -> Option<String>;
}

/// The real host, reached through the component's imports.
#[cfg(target_arch = "wasm32")]
#[derive(Debug, Clone, Copy, Default)]
pub struct WasmHost;

#[cfg(target_arch = "wasm32")]
impl Host for WasmHost {
    fn log(&self, level: LogLevel, message: &str, fields: &[(&str, &str)]) {
        use crate::bindings::redress::plugin::host;

        let level = match level {
            LogLevel::Trace => host::LogLevel::Trace,
            LogLevel::Debug => host::LogLevel::Debug,
            LogLevel::Info => host::LogLevel::Info,
            LogLevel::Warn => host::LogLevel::Warn,
            LogLevel::Error => host::LogLevel::Error,
        };
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        host::log(level, message, &fields);
    }

    fn now(&self) -> Timestamp {
        crate::bindings::redress::plugin::host::now()
    }

    fn config(&self, key: &str) -> Option<String> {
        crate::bindings::redress::plugin::host::config(key)
    }
}
