//! The WebAssembly sandbox: one engine, the import policy, and bounded calls.
//!
//! Every call gets a fresh `Store` and instance, so a plugin that traps, runs
//! away or balloons its memory leaves nothing behind for the next call. Time
//! is bounded by epoch interruption (a background thread ticks the engine),
//! memory by a per-store limiter, and optionally work by fuel. The WASI
//! context is empty: no preopened directories, environment, arguments,
//! network or inherited stdio, so the WASI interfaces a std guest links
//! against exist but give it nothing; any other WASI interface is refused at
//! install (see `ALLOWED_WASI`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use semver::Version;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter,
    Store, StoreLimits, StoreLimitsBuilder, Trap,
};
use wasmtime_wasi::p2::pipe::{ClosedInputStream, SinkOutputStream};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::error::{CallError, HostError};
use crate::manifest::{PluginKind, wit_compatible};

/// Bindings for the `compliance-plugin` world, generated from the SDK's WIT.
#[allow(missing_docs, clippy::all, reason = "generated code")]
pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        world: "compliance-plugin",
        path: "../../sdk/wit",
    });
}

use bindings::{CompliancePlugin, CompliancePluginPre};

/// The WIT package version this host implements.
pub const HOST_WIT_VERSION: Version = Version::new(0, 1, 0);

/// Resource bounds for plugin calls. The defaults suit compliance rules,
/// which are small pure computations answering in microseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxLimits {
    /// Longest a single call (instantiation included) may run before it is
    /// interrupted. Default 50 ms.
    pub call_timeout: Duration,
    /// How often the engine's epoch advances; the timeout is enforced to
    /// within one tick. Default 2 ms.
    pub epoch_tick: Duration,
    /// Largest linear memory one instance may grow to. Default 64 MiB.
    pub max_memory_bytes: usize,
    /// Fuel (roughly, WebAssembly instructions) per call, or `None` to rely on
    /// the timeout alone. Fuel makes runaway detection deterministic at some
    /// cost in speed. Default `None`.
    pub fuel: Option<u64>,
    /// Consecutive failed calls after which a plugin is quarantined. Default 5.
    pub quarantine_after: u32,
    /// Instances the pooling allocator reserves room for: the most calls that
    /// can run at once. Default 256.
    pub pooled_instances: u32,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            call_timeout: Duration::from_millis(50),
            epoch_tick: Duration::from_millis(2),
            max_memory_bytes: 64 << 20,
            fuel: None,
            quarantine_after: 5,
            pooled_instances: 256,
        }
    }
}

/// A `StoreLimits` that also remembers whether it refused memory, so a trap
/// that follows (Rust guests abort when allocation fails) is reported as
/// out-of-memory rather than as a generic crash.
struct Limiter {
    inner: StoreLimits,
    memory_refused: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum)?;
        if !allowed {
            self.memory_refused = true;
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

/// Per-call store data: the empty WASI context and what host functions need.
pub(crate) struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
    plugin: Arc<str>,
    config: Arc<BTreeMap<String, String>>,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl bindings::redress::plugin::types::Host for State {}

/// Longest log message kept; a plugin cannot flood the log pipeline.
const MAX_LOG_MESSAGE: usize = 1024;

/// Bytes of a reused linear memory (and table) slot kept mapped between calls when the
/// kernel can say which pages a call dirtied (`PAGEMAP_SCAN`, Linux 6.7+): only those are
/// reset, in place, so the next call neither faults them in again nor pays for clean ones.
const RESIDENT_BYTES_SCANNED: usize = 2 << 20;
/// The same without the scan: everything kept is zeroed on every call, so keep little.
const RESIDENT_BYTES_BLIND: usize = 128 << 10;
/// Most structured fields kept per log line.
const MAX_LOG_FIELDS: usize = 16;

impl bindings::redress::plugin::host::Host for State {
    fn log(
        &mut self,
        level: bindings::redress::plugin::host::LogLevel,
        message: String,
        fields: Vec<(String, String)>,
    ) {
        use bindings::redress::plugin::host::LogLevel;

        let mut message = message;
        truncate(&mut message, MAX_LOG_MESSAGE);
        let fields: Vec<(String, String)> = fields.into_iter().take(MAX_LOG_FIELDS).collect();
        let plugin = &*self.plugin;
        match level {
            LogLevel::Trace => tracing::trace!(plugin, ?fields, "{message}"),
            LogLevel::Debug => tracing::debug!(plugin, ?fields, "{message}"),
            LogLevel::Info => tracing::info!(plugin, ?fields, "{message}"),
            LogLevel::Warn => tracing::warn!(plugin, ?fields, "{message}"),
            LogLevel::Error => tracing::error!(plugin, ?fields, "{message}"),
        }
    }

    fn now(&mut self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }

    fn config(&mut self, key: String) -> Option<String> {
        self.config.get(&key).cloned()
    }
}

fn truncate(text: &mut String, limit: usize) {
    if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
}

/// The WASI interfaces a plugin may import: exactly those Rust's std for
/// wasm32-wasip2 links into every component, whether or not the plugin uses
/// them (the bundled plugins import all of these and nothing else; a test
/// checks it). Each is harmless under the context [`Sandbox::store`] builds:
///
/// - `wasi:cli/environment`: std's runtime reads the environment (its panic
///   handler looks up `RUST_BACKTRACE`) and arguments. Plugins get none.
/// - `wasi:cli/exit`: the libc under std can end the program. Here that ends
///   only the call, reported as a crash.
/// - `wasi:cli/stdin`, `stdout`, `stderr` and the five `wasi:cli/terminal-*`
///   interfaces: std's `print!`, `eprint!` and panic messages, and the
///   "is this a terminal?" questions asked about them. stdin is closed and
///   stdout and stderr are discarded: what a plugin has to say goes through
///   the host's `log`, with structured fields, and a panic is reported as the
///   trap it causes.
/// - `wasi:io/error`, `wasi:io/poll`, `wasi:io/streams`: the stream resources
///   behind stdio.
///
/// Everything else is refused at install, among them `wasi:filesystem/*`
/// (plugins have no files), `wasi:clocks/*` (time comes from the host's
/// `now()`, so the host can replay and test plugins), `wasi:random/*` (a
/// deadline must not depend on chance; std's `HashMap` seeds itself from it,
/// so plugins use `BTreeMap`), `wasi:sockets/*`, `wasi:http/*`, and anything
/// unknown.
const ALLOWED_WASI: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
];

/// Interfaces of our own package a plugin may import.
const ALLOWED_REDRESS: &[&str] = &["redress:plugin/host", "redress:plugin/types"];

/// Splits `ns:pkg/iface@1.2.3` into the unversioned name and the version.
fn split_versioned(name: &str) -> (&str, Option<Version>) {
    match name.split_once('@') {
        Some((base, version)) => (base, Version::parse(version).ok()),
        None => (name, None),
    }
}

/// Checks a component's imports against the policy, naming the first one refused.
pub(crate) fn check_imports(engine: &Engine, component: &Component) -> Result<(), HostError> {
    for (name, _) in component.component_type().imports(engine) {
        let (base, version) = split_versioned(name);
        if ALLOWED_REDRESS.contains(&base) {
            match version {
                Some(v) if wit_compatible(&HOST_WIT_VERSION, &v) => continue,
                Some(v) => {
                    return Err(HostError::WitIncompatible {
                        plugin: v.to_string(),
                        host: HOST_WIT_VERSION.to_string(),
                    });
                }
                None => {
                    return Err(HostError::ForbiddenImport {
                        interface: name.to_owned(),
                    });
                }
            }
        }
        let wasi_p2 = version
            .as_ref()
            .is_some_and(|v| v.major == 0 && v.minor == 2);
        if wasi_p2 && ALLOWED_WASI.contains(&base) {
            continue;
        }
        return Err(HostError::ForbiddenImport {
            interface: name.to_owned(),
        });
    }
    Ok(())
}

/// Checks that the component exports its kind's interface at a compatible version.
pub(crate) fn check_exports(
    engine: &Engine,
    component: &Component,
    kind: PluginKind,
) -> Result<(), HostError> {
    let wanted = kind.export_interface();
    let found = component.component_type().exports(engine).any(|(name, _)| {
        let (base, version) = split_versioned(name);
        base == wanted && version.is_some_and(|v| wit_compatible(&HOST_WIT_VERSION, &v))
    });
    if found {
        Ok(())
    } else {
        Err(HostError::MissingExport {
            kind: kind.to_string(),
            interface: format!("{wanted}@{HOST_WIT_VERSION}"),
        })
    }
}

/// Advances the engine's epoch until the sandbox is dropped.
struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The engine, linker and limits shared by every plugin.
pub(crate) struct Sandbox {
    engine: Engine,
    linker: Linker<State>,
    limits: SandboxLimits,
    deadline_ticks: u64,
    pooling: bool,
    _ticker: Ticker,
}

/// Which phase of a call failed, for classifying the error.
#[derive(Clone, Copy)]
enum Phase {
    Instantiate,
    Call,
}

impl Sandbox {
    /// Builds the engine (pooling allocator when the machine allows it) and
    /// starts the epoch ticker.
    pub(crate) fn new(limits: SandboxLimits) -> Result<Sandbox, HostError> {
        if limits.call_timeout.is_zero() || limits.epoch_tick.is_zero() {
            return Err(HostError::Engine(
                "call_timeout and epoch_tick must be positive".into(),
            ));
        }
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.consume_fuel(limits.fuel.is_some());
        let n = limits.pooled_instances.max(1);
        let pool = |resident: usize, scan: Enabled| {
            let mut pool = PoolingAllocationConfig::default();
            pool.total_component_instances(n)
                .total_core_instances(n.saturating_mul(8))
                .total_memories(n.saturating_mul(2))
                .total_tables(n.saturating_mul(4))
                .max_memory_size(limits.max_memory_bytes)
                // Every call instantiates afresh in a slot another call used: resetting
                // its pages in place, instead of handing them back to the kernel and
                // faulting them in again, is most of what a warm call costs.
                .linear_memory_keep_resident(resident)
                .table_keep_resident(resident)
                .pagemap_scan(scan);
            let mut pooled = config.clone();
            pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
            Engine::new(&pooled)
        };
        let (engine, pooling) = match pool(RESIDENT_BYTES_SCANNED, Enabled::Yes)
            .map(|engine| (engine, "dirty pages"))
            .or_else(|_| pool(RESIDENT_BYTES_BLIND, Enabled::No).map(|e| (e, "first pages")))
        {
            Ok((engine, reset)) => {
                tracing::info!(
                    allocator = "pooling",
                    instances = n,
                    reset,
                    "plugin engine ready"
                );
                (engine, true)
            }
            Err(err) => {
                tracing::warn!(allocator = "on-demand", error = %err, "pooling allocator unavailable; allocating plugin instances on demand");
                let engine =
                    Engine::new(&config).map_err(|e| HostError::Engine(format!("{e:#}")))?;
                (engine, false)
            }
        };

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| HostError::Engine(format!("{e:#}")))?;
        CompliancePlugin::add_to_linker::<State, HasSelf<State>>(&mut linker, |state| state)
            .map_err(|e| HostError::Engine(format!("{e:#}")))?;

        let stop = Arc::new(AtomicBool::new(false));
        let weak = engine.weak();
        let tick = limits.epoch_tick;
        let flag = Arc::clone(&stop);
        thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    thread::sleep(tick);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| HostError::Engine(format!("cannot start the epoch ticker: {e}")))?;

        // One tick more than the timeout covers, so a call always gets at
        // least its full allowance whatever the ticker's phase.
        let deadline_ticks = limits
            .call_timeout
            .as_nanos()
            .div_ceil(limits.epoch_tick.as_nanos()) as u64
            + 1;
        Ok(Sandbox {
            engine,
            linker,
            limits,
            deadline_ticks,
            pooling,
            _ticker: Ticker { stop },
        })
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(crate) fn limits(&self) -> &SandboxLimits {
        &self.limits
    }

    /// Whether instances come from the pooling allocator.
    pub(crate) fn pooling(&self) -> bool {
        self.pooling
    }

    /// Compiles component bytes.
    pub(crate) fn compile(&self, bytes: &[u8]) -> Result<Component, HostError> {
        Component::from_binary(&self.engine, bytes).map_err(|e| HostError::Compile {
            reason: format!("{e:#}"),
        })
    }

    /// Links a compliance component and instantiates it once under the
    /// limits, proving it runs against this host before it is activated.
    pub(crate) fn prepare_compliance(
        &self,
        plugin: &str,
        component: &Component,
    ) -> Result<CompliancePluginPre<State>, HostError> {
        let refuse = |reason: String| HostError::Instantiate {
            world: "compliance-plugin",
            reason,
        };
        let pre = self
            .linker
            .instantiate_pre(component)
            .map_err(|e| refuse(format!("{e:#}")))?;
        let pre = CompliancePluginPre::new(pre).map_err(|e| refuse(format!("{e:#}")))?;
        let mut store = self.store(plugin.into(), Arc::default());
        pre.instantiate(&mut store)
            .map_err(|e| refuse(format!("{e:#}")))?;
        Ok(pre)
    }

    fn store(&self, plugin: Arc<str>, config: Arc<BTreeMap<String, String>>) -> Store<State> {
        // Spelled out rather than left to the builder's defaults: no environment,
        // no arguments, stdin closed, stdout and stderr discarded (a plugin's panic
        // message may quote what it was given; the trap itself is what is reported).
        let wasi = WasiCtx::builder()
            .stdin(ClosedInputStream)
            .stdout(SinkOutputStream)
            .stderr(SinkOutputStream)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limiter = Limiter {
            inner: StoreLimitsBuilder::new()
                .memory_size(self.limits.max_memory_bytes)
                .table_elements(1 << 20)
                .build(),
            memory_refused: false,
        };
        let mut store = Store::new(
            &self.engine,
            State {
                wasi,
                table: ResourceTable::new(),
                limiter,
                plugin,
                config,
            },
        );
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(self.deadline_ticks);
        store.epoch_deadline_trap();
        if let Some(fuel) = self.limits.fuel {
            // Cannot fail: fuel consumption is enabled whenever `fuel` is set.
            let _ = store.set_fuel(fuel);
        }
        store
    }

    /// Instantiates `pre` in a fresh store and runs `call` on it, turning
    /// every way it can fail into a [`CallError`].
    pub(crate) fn call<R>(
        &self,
        plugin: &Arc<str>,
        config: &Arc<BTreeMap<String, String>>,
        pre: &CompliancePluginPre<State>,
        call: impl FnOnce(&mut Store<State>, &CompliancePlugin) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        let mut store = self.store(Arc::clone(plugin), Arc::clone(config));
        let instance = pre
            .instantiate(&mut store)
            .map_err(|e| self.classify(plugin, &store, e, Phase::Instantiate))?;
        call(&mut store, &instance).map_err(|e| self.classify(plugin, &store, e, Phase::Call))
    }

    fn classify(
        &self,
        plugin: &str,
        store: &Store<State>,
        err: wasmtime::Error,
        phase: Phase,
    ) -> CallError {
        let plugin = plugin.to_owned();
        if store.data().limiter.memory_refused {
            return CallError::OutOfMemory {
                plugin,
                limit_bytes: self.limits.max_memory_bytes,
            };
        }
        if let Some(exit) = err.downcast_ref::<wasmtime_wasi::I32Exit>() {
            return CallError::Trap {
                plugin,
                message: format!("the plugin called exit({})", exit.0),
            };
        }
        match err.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => CallError::Timeout {
                plugin,
                limit: self.limits.call_timeout,
            },
            Some(Trap::OutOfFuel) => CallError::FuelExhausted { plugin },
            Some(trap) => CallError::Trap {
                plugin,
                message: trap.to_string(),
            },
            None => match phase {
                // Values the guest hands back that the canonical ABI cannot
                // lift (bad UTF-8, out-of-range discriminants) land here.
                Phase::Call => CallError::Garbage {
                    plugin,
                    reason: format!("the answer could not be decoded: {err:#}"),
                },
                // The component instantiated at install, so a non-trap failure
                // now is the host running out of room (e.g. every pooled slot
                // busy), not the plugin's fault.
                Phase::Instantiate => CallError::Unavailable {
                    plugin,
                    reason: format!("the host could not start an instance: {err:#}"),
                },
            },
        }
    }
}
