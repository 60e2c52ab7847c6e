//! [`PluginHost`]: installs plugins, keeps the active set, and runs calls.
//!
//! The active set lives in an [`ArcSwap`]: a call loads the current set once
//! and keeps an `Arc` to the plugin it uses, so installing a new version (or
//! disabling, removing, quarantining) swaps the set without waiting for calls
//! in flight, which finish on the version they started with.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use semver::Version;
use sha2::{Digest, Sha256};

use crate::compliance::{
    self, ClockEvent, ComplaintView, Deadline, FinalResponse, MissingElement, RetentionPeriod,
};
use crate::error::{CallError, HostError};
use crate::manifest::{Capability, Manifest, PluginKind, wit_compatible};
use crate::metrics::{self, Metrics, MetricsSnapshot};
use crate::registry::{PluginState, Registry, StateFile};
use crate::sandbox::bindings::CompliancePluginPre;
use crate::sandbox::{
    HOST_WIT_VERSION, Sandbox, SandboxLimits, State, check_exports, check_imports,
};
use crate::signing::TrustedKeys;

/// What an install did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallOutcome {
    /// The version was new: stored, and made the active one.
    Stored,
    /// The version was stored already with this very component and these settings; it
    /// is active again, or its state (enabled, personal data) or its manifest's signature
    /// changed. No other version content was stored.
    Reactivated,
    /// The version was stored and active already, with the same settings: nothing
    /// changed.
    Unchanged,
}

/// A plugin after an install, and what the install did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The plugin as it now stands.
    pub info: PluginInfo,
    /// Whether anything was stored or changed.
    pub outcome: InstallOutcome,
}

/// What `list` reports about one installed plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// Plugin name.
    pub name: String,
    /// The active version.
    pub version: Version,
    /// Every version stored on disk.
    pub installed_versions: Vec<Version>,
    /// Kind, from the active version's manifest (`None` if it failed to load).
    pub kind: Option<PluginKind>,
    /// Regions served, from the active version's manifest.
    pub regions: Vec<String>,
    /// Capabilities asked for.
    pub capabilities: Vec<Capability>,
    /// Whether the operator granted personal data.
    pub personal_data_approved: bool,
    /// Whether the operator enabled it.
    pub enabled: bool,
    /// Quarantine reason, when quarantined.
    pub quarantined: Option<String>,
    /// Failed calls since the last success.
    pub consecutive_failures: u32,
    /// Why the active version could not be loaded, if it could not.
    pub load_error: Option<String>,
}

impl PluginInfo {
    /// Whether calls go to this plugin.
    pub fn serving(&self) -> bool {
        self.enabled && self.quarantined.is_none() && self.load_error.is_none()
    }
}

/// A plugin's answer, labelled with the plugin and version that gave it. During
/// a hot reload the version that answers can differ from the one
/// [`PluginHost::compliance_for`] named a moment earlier, so a caller that
/// records where an answer came from takes it from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered<T> {
    /// Name of the plugin that answered.
    pub plugin: String,
    /// Its version that ran the call.
    pub version: Version,
    /// The answer.
    pub value: T,
}

/// What starting a compliance component costs in a host's sandbox; see
/// [`PluginHost::cold_start`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColdStart {
    /// Compiling the `.wasm` to machine code.
    pub compile: Duration,
    /// Checking its imports and exports.
    pub checks: Duration,
    /// Linking it against the host and instantiating it once, in a store with
    /// the call limits.
    pub first_instance: Duration,
}

/// A compiled, linked version, cached so that state changes do not recompile.
#[derive(Clone)]
struct Compiled {
    sha256: String,
    /// Present for compliance plugins, the only kind this host calls.
    pre: Option<CompliancePluginPre<State>>,
}

/// One plugin as calls see it.
struct ActivePlugin {
    name: Arc<str>,
    version: Version,
    manifest: Manifest,
    config: Arc<BTreeMap<String, String>>,
    pre: Option<CompliancePluginPre<State>>,
    share_personal_data: bool,
    /// Why calls are refused, when they are.
    unavailable: Option<String>,
    /// Mirror of the persisted counter, so a success costs no disk write
    /// unless there were failures to forget.
    failures: AtomicU32,
}

/// The set calls use, swapped whole on every change.
#[derive(Default)]
struct Active {
    by_name: BTreeMap<String, Arc<ActivePlugin>>,
    /// Compliance plugins by region, upper case.
    by_region: Vec<(String, Arc<ActivePlugin>)>,
    /// Plugins whose active version failed to load, with the reason.
    failed: BTreeMap<String, String>,
}

/// The plugin host. Cheap to share (`Arc<PluginHost>`); every method takes
/// `&self`. Calls are synchronous and bounded by [`SandboxLimits`], meant to
/// run on a blocking thread pool.
pub struct PluginHost {
    sandbox: Sandbox,
    registry: Mutex<Registry>,
    active: ArcSwap<Active>,
    compiled: Mutex<HashMap<(String, Version), Compiled>>,
    metrics: Arc<Metrics>,
    trusted: TrustedKeys,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl PluginHost {
    /// Opens the plugins directory `dir` (created if missing) and loads every
    /// installed plugin's active version. Signatures are not required.
    pub fn open(dir: &Path, limits: SandboxLimits) -> Result<PluginHost, HostError> {
        Self::open_trusting(dir, limits, TrustedKeys::default())
    }

    /// Like [`open`](Self::open), installing and loading only plugins signed
    /// by one of `trusted` (when it holds any key). An installed plugin that
    /// is not so signed stays on disk but does not serve calls; its region
    /// gets the fallback, and its load error says why.
    pub fn open_trusting(
        dir: &Path,
        limits: SandboxLimits,
        trusted: TrustedKeys,
    ) -> Result<PluginHost, HostError> {
        let sandbox = Sandbox::new(limits)?;
        let registry = Registry::open(dir)?;
        let host = PluginHost {
            sandbox,
            registry: Mutex::new(registry),
            active: ArcSwap::from_pointee(Active::default()),
            compiled: Mutex::new(HashMap::new()),
            metrics: Arc::default(),
            trusted,
        };
        {
            let registry = lock(&host.registry);
            host.rebuild(&registry);
        }
        tracing::info!(dir = %dir.display(), plugins = host.active.load().by_name.len(), "plugin host open");
        Ok(host)
    }

    /// Validates and installs a plugin version from its component bytes and
    /// `plugin.toml` text, and makes it the active version (enabled, failure
    /// counter and quarantine cleared). `approve_personal_data` is the
    /// operator's grant of the `personal-data` capability; without it the
    /// plugin never sees personal data even if its manifest asks.
    ///
    /// When the host trusts publisher keys, the manifest must carry a valid
    /// signature by one of them. Every refusal is counted in the metrics.
    ///
    /// A version is stored once: the same name and version again with another
    /// component or another manifest (other regions, config, capabilities) is
    /// refused with [`HostError::VersionConflict`], since it would silently change
    /// what serves a region under a version number already seen. The very same
    /// component and manifest again store nothing; see [`install_version`](Self::install_version).
    pub fn install(
        &self,
        wasm: &[u8],
        manifest_toml: &str,
        approve_personal_data: bool,
    ) -> Result<PluginInfo, HostError> {
        self.install_version(wasm, manifest_toml, approve_personal_data)
            .map(|installed| installed.info)
    }

    /// [`install`](Self::install), saying whether the version was new, stored already
    /// (and made active again), or stored and active already with the same settings.
    pub fn install_version(
        &self,
        wasm: &[u8],
        manifest_toml: &str,
        approve_personal_data: bool,
    ) -> Result<Installed, HostError> {
        let result = self.install_checked(wasm, manifest_toml, approve_personal_data);
        if let Err(err) = &result {
            self.metrics.record_refusal(err);
            tracing::warn!(error = %err, "plugin install refused");
        }
        result
    }

    fn install_checked(
        &self,
        wasm: &[u8],
        manifest_toml: &str,
        approve_personal_data: bool,
    ) -> Result<Installed, HostError> {
        let manifest = Manifest::parse(manifest_toml)?;
        if !wit_compatible(&HOST_WIT_VERSION, &manifest.wit) {
            return Err(HostError::WitIncompatible {
                plugin: manifest.wit.to_string(),
                host: HOST_WIT_VERSION.to_string(),
            });
        }
        let actual = sha256_hex(wasm);
        if actual != manifest.sha256 {
            return Err(HostError::HashMismatch {
                actual,
                expected: manifest.sha256.clone(),
            });
        }
        self.trusted.check(&manifest)?;
        let compiled = self.compile(&manifest, wasm)?;
        let name = manifest.name.clone();
        let version = manifest.version.to_string();

        let mut registry = lock(&self.registry);
        registry.refresh()?;
        self.check_regions(&registry, &manifest)?;
        // Compared as parsed manifests: the same settings written with other spacing or
        // comments are the same version. A signature is not part of what the version is
        // (it attests the digest, name and version, checked above): signing a version
        // already stored unsigned, or signing it again, keeps the version and stores the
        // new manifest with it.
        let unsigned = |m: &Manifest| Manifest {
            signature: None,
            ..m.clone()
        };
        let (stored_before, resigned) = match registry.read_manifest(&name, &version)? {
            Some(existing) => {
                let existing = Manifest::parse(&existing).ok();
                if existing.as_ref().map(unsigned) != Some(unsigned(&manifest)) {
                    return Err(HostError::VersionConflict { name, version });
                }
                let resigned = existing.is_some_and(|e| e.signature != manifest.signature);
                if resigned {
                    registry.write_version(&name, &version, wasm, manifest_toml)?;
                }
                (true, resigned)
            }
            None => {
                registry.write_version(&name, &version, wasm, manifest_toml)?;
                (false, false)
            }
        };
        let next = PluginState {
            active_version: version.clone(),
            enabled: true,
            quarantined: None,
            personal_data_approved: approve_personal_data,
            consecutive_failures: 0,
        };
        let serving = self
            .active
            .load()
            .by_name
            .get(&name)
            .is_some_and(|p| p.version == manifest.version);
        if stored_before
            && !resigned
            && serving
            && registry.state().plugins.get(&name) == Some(&next)
        {
            let info = info_of(&registry, &self.active.load(), &name, &next);
            return Ok(Installed {
                info,
                outcome: InstallOutcome::Unchanged,
            });
        }
        registry.update(|state| {
            state.plugins.insert(name.clone(), next);
            Ok(())
        })?;
        lock(&self.compiled).insert((name.clone(), manifest.version.clone()), compiled);
        self.rebuild(&registry);
        tracing::info!(
            plugin = %name,
            version = %version,
            kind = %manifest.kind,
            regions = ?manifest.regions,
            personal_data = approve_personal_data && manifest.requests(Capability::PersonalData),
            stored = !stored_before,
            "plugin installed and active"
        );
        drop(registry);
        let info = self.info(&name).ok_or(HostError::UnknownPlugin(name))?;
        Ok(Installed {
            info,
            outcome: if stored_before {
                InstallOutcome::Reactivated
            } else {
                InstallOutcome::Stored
            },
        })
    }

    /// [`install_version`](Self::install_version) from files: the `.wasm` and its
    /// `plugin.toml`.
    pub fn install_files(
        &self,
        wasm: &Path,
        manifest: &Path,
        approve_personal_data: bool,
    ) -> Result<Installed, HostError> {
        let bytes = std::fs::read(wasm).map_err(|e| HostError::io("cannot read", wasm, e))?;
        let text = std::fs::read_to_string(manifest)
            .map_err(|e| HostError::io("cannot read", manifest, e))?;
        self.install_version(&bytes, &text, approve_personal_data)
    }

    /// Every installed plugin, by name.
    pub fn list(&self) -> Vec<PluginInfo> {
        let registry = lock(&self.registry);
        let active = self.active.load();
        registry
            .state()
            .plugins
            .iter()
            .map(|(name, state)| info_of(&registry, &active, name, state))
            .collect()
    }

    /// One installed plugin.
    pub fn info(&self, name: &str) -> Option<PluginInfo> {
        let registry = lock(&self.registry);
        let active = self.active.load();
        let state = registry.state().plugins.get(name)?;
        Some(info_of(&registry, &active, name, state))
    }

    /// Puts a plugin back in service, clearing any quarantine and its failure counter.
    pub fn enable(&self, name: &str) -> Result<(), HostError> {
        self.change_state(name, |state| {
            state.enabled = true;
            state.quarantined = None;
            state.consecutive_failures = 0;
        })?;
        tracing::info!(plugin = %name, "plugin enabled");
        Ok(())
    }

    /// Takes a plugin out of service; its region then has no plugin.
    pub fn disable(&self, name: &str) -> Result<(), HostError> {
        self.change_state(name, |state| state.enabled = false)?;
        tracing::info!(plugin = %name, "plugin disabled");
        Ok(())
    }

    /// Uninstalls a plugin: every version and its state.
    pub fn remove(&self, name: &str) -> Result<(), HostError> {
        let mut registry = lock(&self.registry);
        registry.update(|state| {
            state
                .plugins
                .remove(name)
                .map(|_| ())
                .ok_or_else(|| HostError::UnknownPlugin(name.to_owned()))
        })?;
        // State first: a crash between the two leaves unused files, never a
        // state entry pointing at nothing.
        registry.delete_plugin(name)?;
        lock(&self.compiled).retain(|(n, _), _| n != name);
        self.rebuild(&registry);
        tracing::info!(plugin = %name, "plugin removed");
        Ok(())
    }

    /// Picks up changes another process made to the plugins directory.
    /// Costs one `stat` when nothing changed. Returns whether anything did.
    pub fn reload(&self) -> Result<bool, HostError> {
        let mut registry = lock(&self.registry);
        if !registry.refresh()? {
            return Ok(false);
        }
        self.rebuild(&registry);
        tracing::info!(generation = registry.state().generation, "plugins reloaded");
        Ok(true)
    }

    /// Call counters per plugin.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot(self.sandbox.pooling())
    }

    /// The counters in the Prometheus text format (version 0.0.4, served with
    /// [`PROMETHEUS_CONTENT_TYPE`](crate::PROMETHEUS_CONTENT_TYPE)): calls,
    /// failures by kind, quarantines and a latency histogram per plugin, and
    /// install refusals by reason.
    pub fn prometheus_text(&self) -> String {
        metrics::prometheus_text(&self.metrics, self.sandbox.pooling())
    }

    /// The limits calls run under.
    pub fn limits(&self) -> &SandboxLimits {
        self.sandbox.limits()
    }

    /// Times what installing a compliance component does before it can serve,
    /// in this host's own sandbox (its engine, memory limits and epoch
    /// deadline): compile, check, link and instantiate once. Nothing is
    /// installed. For benchmarks and capacity planning.
    ///
    /// # Errors
    ///
    /// As [`install`](Self::install) would refuse the component.
    pub fn cold_start(&self, wasm: &[u8]) -> Result<ColdStart, HostError> {
        let t = Instant::now();
        let component = self.sandbox.compile(wasm)?;
        let compile = t.elapsed();
        let t = Instant::now();
        check_imports(self.sandbox.engine(), &component)?;
        check_exports(self.sandbox.engine(), &component, PluginKind::Compliance)?;
        let checks = t.elapsed();
        let t = Instant::now();
        self.sandbox.prepare_compliance("cold-start", &component)?;
        Ok(ColdStart {
            compile,
            checks,
            first_instance: t.elapsed(),
        })
    }

    /// Instantiates `region`'s compliance plugin in a fresh store under the
    /// call limits, as every call does, without calling it: the fixed part of
    /// a call's cost. Not counted in the metrics.
    ///
    /// # Errors
    ///
    /// No plugin, an unavailable one, or a failed instantiation.
    pub fn instantiate_only(&self, region: &str) -> Result<(), CallError> {
        let plugin = {
            let active = self.active.load();
            find_region(&active, region).cloned()
        }
        .ok_or_else(|| CallError::NoPlugin {
            region: region.to_owned(),
        })?;
        let pre = match (&plugin.unavailable, &plugin.pre) {
            (None, Some(pre)) => pre,
            (reason, _) => {
                return Err(CallError::Unavailable {
                    plugin: plugin.name.to_string(),
                    reason: reason
                        .clone()
                        .unwrap_or_else(|| "the plugin is not a compliance plugin".to_owned()),
                });
            }
        };
        self.sandbox
            .call(&plugin.name, &plugin.config, pre, |_, _| Ok(()))
    }

    /// The name and version of the compliance plugin serving `region`, if any
    /// (whether or not it is currently available). A call made afterwards may
    /// run on another version if one is installed meanwhile: to label an
    /// answer, use [`deadlines_answered`](Self::deadlines_answered).
    pub fn compliance_for(&self, region: &str) -> Option<(String, Version)> {
        let active = self.active.load();
        find_region(&active, region).map(|p| (p.name.to_string(), p.version.clone()))
    }

    /// Every deadline the complaint must meet under `region`'s rules.
    pub fn deadlines(
        &self,
        region: &str,
        complaint: &ComplaintView,
        events: &[ClockEvent],
    ) -> Result<Vec<Deadline>, CallError> {
        self.deadlines_answered(region, complaint, events)
            .map(|answer| answer.value)
    }

    /// Like [`deadlines`](Self::deadlines), with the plugin name and version
    /// that computed them.
    pub fn deadlines_answered(
        &self,
        region: &str,
        complaint: &ComplaintView,
        events: &[ClockEvent],
    ) -> Result<Answered<Vec<Deadline>>, CallError> {
        self.call(region, |plugin, pre| {
            let wire_complaint =
                compliance::complaint_to_wire(complaint, plugin.share_personal_data);
            let wire_events = compliance::events_to_wire(events);
            let answer =
                self.sandbox
                    .call(&plugin.name, &plugin.config, pre, |store, instance| {
                        instance.redress_plugin_compliance().call_deadlines(
                            store,
                            &wire_complaint,
                            &wire_events,
                        )
                    })?;
            match answer {
                Ok(list) => compliance::deadlines_from_wire(complaint.received_at, list)
                    .map(|value| Answered {
                        plugin: plugin.name.to_string(),
                        version: plugin.version.clone(),
                        value,
                    })
                    .map_err(|reason| CallError::Garbage {
                        plugin: plugin.name.to_string(),
                        reason,
                    }),
                Err(err) => Err(CallError::Plugin {
                    plugin: plugin.name.to_string(),
                    kind: compliance::error_kind_from_wire(err.kind),
                    message: err.message,
                }),
            }
        })
    }

    /// What the final response lacks under `region`'s rules; empty when complete.
    pub fn check_closure(
        &self,
        region: &str,
        complaint: &ComplaintView,
        response: &FinalResponse,
    ) -> Result<Vec<MissingElement>, CallError> {
        self.call(region, |plugin, pre| {
            let wire_complaint =
                compliance::complaint_to_wire(complaint, plugin.share_personal_data);
            let wire_response = compliance::response_to_wire(response);
            let answer =
                self.sandbox
                    .call(&plugin.name, &plugin.config, pre, |store, instance| {
                        instance.redress_plugin_compliance().call_check_closure(
                            store,
                            &wire_complaint,
                            &wire_response,
                        )
                    })?;
            compliance::missing_from_wire(answer).map_err(|reason| CallError::Garbage {
                plugin: plugin.name.to_string(),
                reason,
            })
        })
    }

    /// How long the complaint's records must be kept under `region`'s rules.
    pub fn retention(
        &self,
        region: &str,
        complaint: &ComplaintView,
    ) -> Result<RetentionPeriod, CallError> {
        self.call(region, |plugin, pre| {
            let wire_complaint =
                compliance::complaint_to_wire(complaint, plugin.share_personal_data);
            let answer =
                self.sandbox
                    .call(&plugin.name, &plugin.config, pre, |store, instance| {
                        instance
                            .redress_plugin_compliance()
                            .call_retention(store, &wire_complaint)
                    })?;
            compliance::retention_from_wire(answer).map_err(|reason| CallError::Garbage {
                plugin: plugin.name.to_string(),
                reason,
            })
        })
    }

    /// Finds the region's plugin, runs `body`, and does the bookkeeping:
    /// metrics, failure counter, quarantine.
    fn call<R>(
        &self,
        region: &str,
        body: impl FnOnce(&ActivePlugin, &CompliancePluginPre<State>) -> Result<R, CallError>,
    ) -> Result<R, CallError> {
        let plugin = {
            let active = self.active.load();
            find_region(&active, region).cloned()
        };
        let Some(plugin) = plugin else {
            return Err(CallError::NoPlugin {
                region: region.to_owned(),
            });
        };
        let ready = match (&plugin.unavailable, &plugin.pre) {
            (None, Some(pre)) => Ok(pre),
            (Some(reason), _) => Err(reason.clone()),
            (None, None) => Err("the plugin is not a compliance plugin".to_owned()),
        };
        let started = Instant::now();
        let outcome = match ready {
            Ok(pre) => body(&plugin, pre),
            Err(reason) => Err(CallError::Unavailable {
                plugin: plugin.name.to_string(),
                reason,
            }),
        };
        let elapsed = started.elapsed();
        self.metrics.record(&plugin.name, elapsed, &outcome);
        match &outcome {
            Ok(_) => self.record_success(&plugin),
            Err(err) if err.is_plugin_fault() => {
                tracing::warn!(plugin = %plugin.name, version = %plugin.version, error = %err, "plugin call failed");
                self.record_failure(&plugin, err);
            }
            Err(err) => tracing::debug!(plugin = %plugin.name, error = %err, "plugin call refused"),
        }
        outcome
    }

    fn record_success(&self, plugin: &ActivePlugin) {
        if plugin.failures.swap(0, Ordering::Relaxed) == 0 {
            return;
        }
        let mut registry = lock(&self.registry);
        let result = registry.update(|state| {
            if let Some(entry) = state.plugins.get_mut(&*plugin.name)
                && entry.active_version == plugin.version.to_string()
            {
                entry.consecutive_failures = 0;
            }
            Ok(())
        });
        if let Err(err) = result {
            tracing::error!(plugin = %plugin.name, error = %err, "cannot persist the plugin's failure counter");
        }
    }

    fn record_failure(&self, plugin: &ActivePlugin, err: &CallError) {
        let threshold = self.sandbox.limits().quarantine_after.max(1);
        let mut registry = lock(&self.registry);
        let result = registry.update(|state| {
            let Some(entry) = state.plugins.get_mut(&*plugin.name) else {
                return Ok(None);
            };
            // A call that started on an older version says nothing about the new one.
            if entry.active_version != plugin.version.to_string() {
                return Ok(None);
            }
            entry.consecutive_failures = entry.consecutive_failures.saturating_add(1);
            plugin
                .failures
                .store(entry.consecutive_failures, Ordering::Relaxed);
            if entry.consecutive_failures >= threshold && entry.quarantined.is_none() {
                let reason = format!(
                    "quarantined after {} consecutive failed calls; the last: {err}",
                    entry.consecutive_failures
                );
                entry.quarantined = Some(reason.clone());
                return Ok(Some(reason));
            }
            Ok(None)
        });
        match result {
            Ok(Some(reason)) => {
                self.metrics.record_quarantine(&plugin.name);
                tracing::error!(plugin = %plugin.name, version = %plugin.version, %reason, "plugin quarantined; enable it to put it back in service");
                self.rebuild(&registry);
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(plugin = %plugin.name, error = %err, "cannot persist the plugin's failure counter")
            }
        }
    }

    fn change_state(
        &self,
        name: &str,
        change: impl FnOnce(&mut PluginState),
    ) -> Result<(), HostError> {
        let mut registry = lock(&self.registry);
        registry.update(|state| {
            let entry = state
                .plugins
                .get_mut(name)
                .ok_or_else(|| HostError::UnknownPlugin(name.to_owned()))?;
            change(entry);
            Ok(())
        })?;
        self.rebuild(&registry);
        Ok(())
    }

    /// Refuses a manifest claiming a region another installed plugin serves.
    fn check_regions(&self, registry: &Registry, manifest: &Manifest) -> Result<(), HostError> {
        if manifest.kind != PluginKind::Compliance {
            return Ok(());
        }
        for (other, state) in &registry.state().plugins {
            if *other == manifest.name {
                continue;
            }
            let Some(text) = registry.read_manifest(other, &state.active_version)? else {
                continue;
            };
            let Ok(theirs) = Manifest::parse(&text) else {
                continue;
            };
            if theirs.kind != PluginKind::Compliance {
                continue;
            }
            if let Some(region) = manifest.regions.iter().find(|r| theirs.regions.contains(r)) {
                return Err(HostError::RegionTaken {
                    region: region.clone(),
                    other: other.clone(),
                });
            }
        }
        Ok(())
    }

    /// Compiles and checks a component against its manifest.
    fn compile(&self, manifest: &Manifest, wasm: &[u8]) -> Result<Compiled, HostError> {
        let component = self.sandbox.compile(wasm)?;
        check_imports(self.sandbox.engine(), &component)?;
        check_exports(self.sandbox.engine(), &component, manifest.kind)?;
        let pre = match manifest.kind {
            PluginKind::Compliance => Some(
                self.sandbox
                    .prepare_compliance(&manifest.name, &component)?,
            ),
            _ => None,
        };
        Ok(Compiled {
            sha256: manifest.sha256.clone(),
            pre,
        })
    }

    /// Loads one plugin's active version, from the cache when its digest matches.
    fn load(
        &self,
        registry: &Registry,
        name: &str,
        state: &PluginState,
    ) -> Result<(Manifest, Compiled), HostError> {
        let text = registry
            .read_manifest(name, &state.active_version)?
            .ok_or_else(|| {
                HostError::io(
                    "cannot find",
                    registry.version_dir(name, &state.active_version),
                    std::io::ErrorKind::NotFound.into(),
                )
            })?;
        let manifest = Manifest::parse(&text)?;
        self.trusted.check(&manifest)?;
        let key = (name.to_owned(), manifest.version.clone());
        if let Some(hit) = lock(&self.compiled).get(&key)
            && hit.sha256 == manifest.sha256
        {
            return Ok((manifest, hit.clone()));
        }
        let wasm = registry.read_wasm(name, &state.active_version)?;
        let actual = sha256_hex(&wasm);
        if actual != manifest.sha256 {
            return Err(HostError::HashMismatch {
                actual,
                expected: manifest.sha256,
            });
        }
        let compiled = self.compile(&manifest, &wasm)?;
        lock(&self.compiled).insert(key, compiled.clone());
        Ok((manifest, compiled))
    }

    /// Rebuilds the active set from the registry state and swaps it in.
    fn rebuild(&self, registry: &Registry) {
        let state: &StateFile = registry.state();
        let mut next = Active::default();
        for (name, entry) in &state.plugins {
            match self.load(registry, name, entry) {
                Ok((manifest, compiled)) => {
                    let unavailable = if !entry.enabled {
                        Some("disabled by the operator".to_owned())
                    } else {
                        entry.quarantined.clone()
                    };
                    let plugin = Arc::new(ActivePlugin {
                        name: Arc::from(name.as_str()),
                        version: manifest.version.clone(),
                        config: Arc::new(manifest.config.clone()),
                        pre: compiled.pre,
                        share_personal_data: entry.personal_data_approved
                            && manifest.requests(Capability::PersonalData),
                        unavailable,
                        failures: AtomicU32::new(entry.consecutive_failures),
                        manifest,
                    });
                    if plugin.manifest.kind == PluginKind::Compliance {
                        for region in &plugin.manifest.regions {
                            next.by_region.push((region.clone(), Arc::clone(&plugin)));
                        }
                    }
                    next.by_name.insert(name.clone(), plugin);
                }
                Err(err) => {
                    tracing::error!(plugin = %name, version = %entry.active_version, error = %err, "cannot load plugin; it will not serve calls");
                    // Its regions stay claimed, so their calls fail as unavailable and
                    // the failure shows on each complaint's history, rather than
                    // quietly looking like a region with no plugin.
                    if let Some(plugin) = unloadable(registry, name, entry, &err) {
                        for region in &plugin.manifest.regions {
                            next.by_region.push((region.clone(), Arc::clone(&plugin)));
                        }
                        next.by_name.insert(name.clone(), plugin);
                    }
                    next.failed.insert(name.clone(), err.to_string());
                }
            }
        }
        // Forget compiled versions no longer active; calls in flight keep their own handle.
        lock(&self.compiled).retain(|(name, version), _| {
            state
                .plugins
                .get(name)
                .is_some_and(|p| p.active_version == version.to_string())
        });
        self.active.store(Arc::new(next));
    }
}

/// A stand-in for an installed compliance plugin whose active version cannot be
/// loaded, when its manifest at least says which regions it serves.
fn unloadable(
    registry: &Registry,
    name: &str,
    entry: &PluginState,
    err: &HostError,
) -> Option<Arc<ActivePlugin>> {
    let text = registry
        .read_manifest(name, &entry.active_version)
        .ok()
        .flatten()?;
    let manifest = Manifest::parse(&text).ok()?;
    if manifest.kind != PluginKind::Compliance {
        return None;
    }
    Some(Arc::new(ActivePlugin {
        name: Arc::from(name),
        version: manifest.version.clone(),
        config: Arc::default(),
        pre: None,
        share_personal_data: false,
        unavailable: Some(format!("its installed version cannot be loaded: {err}")),
        failures: AtomicU32::new(entry.consecutive_failures),
        manifest,
    }))
}

fn find_region<'a>(active: &'a Active, region: &str) -> Option<&'a Arc<ActivePlugin>> {
    active
        .by_region
        .iter()
        .find(|(r, _)| r.eq_ignore_ascii_case(region))
        .map(|(_, p)| p)
}

fn info_of(registry: &Registry, active: &Active, name: &str, state: &PluginState) -> PluginInfo {
    let loaded = active.by_name.get(name);
    PluginInfo {
        name: name.to_owned(),
        version: loaded
            .map(|p| p.version.clone())
            .or_else(|| Version::parse(&state.active_version).ok())
            .unwrap_or_else(|| Version::new(0, 0, 0)),
        installed_versions: registry.installed_versions(name),
        kind: loaded.map(|p| p.manifest.kind),
        regions: loaded
            .map(|p| p.manifest.regions.clone())
            .unwrap_or_default(),
        capabilities: loaded
            .map(|p| p.manifest.capabilities.clone())
            .unwrap_or_default(),
        personal_data_approved: state.personal_data_approved,
        enabled: state.enabled,
        quarantined: state.quarantined.clone(),
        consecutive_failures: state.consecutive_failures,
        load_error: active.failed.get(name).cloned(),
    }
}
