//! Runs Redress plugins — WebAssembly components built against the
//! `redress:plugin@0.1.0` WIT contract — in a sandbox.
//!
//! * [`manifest`]: the `plugin.toml` every plugin ships with.
//! * [`PluginHost`]: install (digest, WIT version, import policy, export and
//!   instantiation checks), the on-disk registry, hot reload, and the
//!   compliance calls the core makes.
//! * [`SandboxLimits`]: time, memory and fuel bounds for every call.
//! * [`compliance`]: plain Rust mirrors of the contract's records.
//! * [`metrics`]: per-plugin counters, also in the Prometheus text format.
//! * [`signing`]: publisher signatures and the keys a host trusts.
//!
//! Plugins get no file system, network, environment, randomness or clock
//! beyond the host's `now()`: the WASI context they run with is empty, and
//! components importing files, clocks, random numbers, sockets or HTTP are
//! refused at install.

#![warn(missing_docs)]

pub mod compliance;
pub mod error;
mod host;
pub mod manifest;
pub mod metrics;
mod registry;
mod sandbox;
pub mod signing;

pub use compliance::{
    ClockChange, ClockEvent, ComplaintStatus, ComplaintView, Deadline, DeadlineKind, ErrorKind,
    Extension, FinalResponse, MissingElement, Money, Outcome, PauseReason, PersonalData,
    RetentionAnchor, RetentionPeriod,
};
pub use error::{CallError, HostError, ManifestError};
pub use host::{Answered, ColdStart, InstallOutcome, Installed, PluginHost, PluginInfo};
pub use manifest::{Capability, Manifest, ManifestSignature, PluginKind};
pub use metrics::{FailureCounts, MetricsSnapshot, PROMETHEUS_CONTENT_TYPE, PluginMetrics};
pub use sandbox::{HOST_WIT_VERSION, SandboxLimits};
pub use signing::{PublisherKey, SignatureError, TrustedKeys};
