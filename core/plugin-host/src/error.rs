//! Errors, each worded so the operator reading it knows what to do next.

use std::path::PathBuf;
use std::time::Duration;

use crate::compliance::ErrorKind;

/// A `plugin.toml` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The text is not valid TOML or has unexpected keys or types.
    #[error("plugin.toml is malformed: {0}")]
    Syntax(String),
    /// A required field is absent.
    #[error("plugin.toml lacks the required field `{0}`")]
    Missing(&'static str),
    /// A field is present but its value is unusable.
    #[error("plugin.toml field `{field}` is invalid: {reason}")]
    Invalid {
        /// The field's name.
        field: &'static str,
        /// What is wrong and how to write it.
        reason: String,
    },
}

impl ManifestError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ManifestError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// Why a registry operation (open, install, enable, ...) failed.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The manifest is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Reading or writing the plugins directory failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What the host was doing.
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The `.wasm` bytes are not the ones the manifest pins.
    #[error(
        "the component's sha256 is {actual}, the manifest says {expected}: rebuild or fix the manifest"
    )]
    HashMismatch {
        /// Digest of the bytes given.
        actual: String,
        /// Digest the manifest names.
        expected: String,
    },
    /// The publisher signature is missing, unknown or wrong while the host
    /// requires one.
    #[error(transparent)]
    Signature(#[from] crate::signing::SignatureError),
    /// The plugin was built against an incompatible WIT contract.
    #[error(
        "the plugin was built against WIT redress:plugin@{plugin}, this host implements @{host}: \
         rebuild the plugin with a redress-sdk for WIT {host}"
    )]
    WitIncompatible {
        /// The plugin's WIT version (from its manifest or its imports).
        plugin: String,
        /// The host's WIT version.
        host: String,
    },
    /// The component imports an interface the sandbox does not grant.
    #[error(
        "the component imports `{interface}`, which plugins may not use: remove the code that \
         needs it (files, network, HTTP, the system clock: use the host's now(), or random \
         numbers: a std HashMap seeds itself from them, use a BTreeMap) and rebuild"
    )]
    ForbiddenImport {
        /// The full import name, e.g. `wasi:sockets/tcp@0.2.6`.
        interface: String,
    },
    /// The component does not export its kind's interface.
    #[error(
        "the manifest says kind {kind}, but the component does not export `{interface}`: \
         build it for the {kind}-plugin world or fix the manifest's kind"
    )]
    MissingExport {
        /// The manifest's kind.
        kind: String,
        /// The interface expected.
        interface: String,
    },
    /// The bytes are not a component Wasmtime can compile.
    #[error(
        "the .wasm is not a valid WebAssembly component ({reason}): build it with --target wasm32-wasip2"
    )]
    Compile {
        /// Wasmtime's explanation.
        reason: String,
    },
    /// The component compiled but cannot be instantiated against its world.
    #[error(
        "the component does not instantiate against the {world} world ({reason}): rebuild it with the current redress-sdk"
    )]
    Instantiate {
        /// The world it was checked against.
        world: &'static str,
        /// Wasmtime's explanation.
        reason: String,
    },
    /// That version is installed already with another component or manifest.
    #[error(
        "version {version} of plugin {name} is already installed with a different component \
         or manifest: give the changed plugin a new version in plugin.toml"
    )]
    VersionConflict {
        /// Plugin name.
        name: String,
        /// Its version.
        version: String,
    },
    /// Another plugin already serves one of the regions.
    #[error("region {region} is already served by plugin {other}: remove that plugin first")]
    RegionTaken {
        /// The contested region.
        region: String,
        /// The plugin serving it.
        other: String,
    },
    /// No plugin of that name is installed.
    #[error("no plugin named {0:?} is installed: see the list of installed plugins")]
    UnknownPlugin(String),
    /// `state.json` cannot be read.
    #[error("{} is corrupt ({reason}): restore it from a backup or delete it and reinstall the plugins", path.display())]
    CorruptState {
        /// Path of the state file.
        path: PathBuf,
        /// Parser's explanation.
        reason: String,
    },
    /// Wasmtime could not be set up with the given limits.
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
}

impl HostError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        HostError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Why a call into a plugin produced no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No installed plugin serves the region.
    #[error("no compliance plugin is installed for region {region}")]
    NoPlugin {
        /// The region asked for.
        region: String,
    },
    /// The plugin serving the region is disabled or quarantined.
    #[error("plugin {plugin} for this region is unavailable: {reason}")]
    Unavailable {
        /// Plugin name.
        plugin: String,
        /// "disabled by the operator" or the quarantine reason.
        reason: String,
    },
    /// The call ran past its deadline and was interrupted.
    #[error("plugin {plugin} did not answer within {limit:?} and was stopped")]
    Timeout {
        /// Plugin name.
        plugin: String,
        /// The deadline that was exceeded.
        limit: Duration,
    },
    /// The call used up its fuel budget.
    #[error("plugin {plugin} used up its fuel budget and was stopped")]
    FuelExhausted {
        /// Plugin name.
        plugin: String,
    },
    /// The plugin tried to use more memory than its cap.
    #[error("plugin {plugin} tried to use more than {limit_bytes} bytes of memory and was stopped")]
    OutOfMemory {
        /// Plugin name.
        plugin: String,
        /// The memory cap.
        limit_bytes: usize,
    },
    /// The plugin trapped (panicked, hit `unreachable`, ...).
    #[error("plugin {plugin} crashed: {message}")]
    Trap {
        /// Plugin name.
        plugin: String,
        /// Wasmtime's description of the trap.
        message: String,
    },
    /// The plugin ran and returned an error of its own.
    #[error("plugin {plugin} reported {kind}: {message}")]
    Plugin {
        /// Plugin name.
        plugin: String,
        /// The plugin's error kind.
        kind: ErrorKind,
        /// The plugin's explanation.
        message: String,
    },
    /// The plugin answered, but the answer makes no sense and was discarded.
    #[error("plugin {plugin} returned an unusable answer: {reason}")]
    Garbage {
        /// Plugin name.
        plugin: String,
        /// What is wrong with the answer.
        reason: String,
    },
}

impl CallError {
    /// Whether this outcome counts against the plugin's health: a fault of the
    /// plugin itself, as opposed to a missing plugin or a complaint the plugin
    /// rightly refused.
    pub fn is_plugin_fault(&self) -> bool {
        match self {
            CallError::NoPlugin { .. } | CallError::Unavailable { .. } => false,
            CallError::Plugin { kind, .. } => *kind == ErrorKind::Internal,
            CallError::Timeout { .. }
            | CallError::FuelExhausted { .. }
            | CallError::OutOfMemory { .. }
            | CallError::Trap { .. }
            | CallError::Garbage { .. } => true,
        }
    }

    /// The plugin involved, if one was.
    pub fn plugin(&self) -> Option<&str> {
        match self {
            CallError::NoPlugin { .. } => None,
            CallError::Unavailable { plugin, .. }
            | CallError::Timeout { plugin, .. }
            | CallError::FuelExhausted { plugin }
            | CallError::OutOfMemory { plugin, .. }
            | CallError::Trap { plugin, .. }
            | CallError::Plugin { plugin, .. }
            | CallError::Garbage { plugin, .. } => Some(plugin),
        }
    }
}
