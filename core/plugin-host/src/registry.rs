//! The plugins directory on disk.
//!
//! Layout: `<dir>/<name>/<version>/{plugin.wasm, plugin.toml}` plus
//! `<dir>/state.json`, which records per plugin the active version and its
//! operational state. Every file is written to a temporary name and renamed
//! into place, so a crash or a concurrent reader never sees half a file, and
//! every change to `state.json` bumps its `generation` so that another
//! process (the CLI next to a running server) can be noticed cheaply.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::error::HostError;
use crate::manifest::MANIFEST_FILE;

/// File name of a plugin's component inside its version directory.
pub(crate) const WASM_FILE: &str = "plugin.wasm";
/// File name of the registry state.
pub(crate) const STATE_FILE: &str = "state.json";

/// Operational state of one installed plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PluginState {
    /// The version calls go to.
    pub(crate) active_version: String,
    /// Whether the operator wants it to run.
    pub(crate) enabled: bool,
    /// Why it was taken out of service automatically, if it was.
    pub(crate) quarantined: Option<String>,
    /// Whether the operator granted the `personal-data` capability.
    pub(crate) personal_data_approved: bool,
    /// Failed calls since the last success.
    pub(crate) consecutive_failures: u32,
}

/// Contents of `state.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StateFile {
    /// Bumped on every write.
    pub(crate) generation: u64,
    /// By plugin name.
    pub(crate) plugins: BTreeMap<String, PluginState>,
}

/// What identifies one written version of `state.json` without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: u64,
}

fn stamp(path: &Path) -> Result<Option<Stamp>, HostError> {
    match fs::metadata(path) {
        Ok(meta) => Ok(Some(Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&meta),
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(HostError::io("cannot inspect", path, e)),
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        HostError::io("cannot write", path, e)
    })
}

/// The plugins directory and the last `state.json` read from or written to it.
#[derive(Debug)]
pub(crate) struct Registry {
    dir: PathBuf,
    state: StateFile,
    seen: Option<Stamp>,
}

impl Registry {
    /// Opens (creating if needed) the plugins directory and reads its state.
    pub(crate) fn open(dir: &Path) -> Result<Registry, HostError> {
        fs::create_dir_all(dir)
            .map_err(|e| HostError::io("cannot create the plugins directory", dir, e))?;
        let mut registry = Registry {
            dir: dir.to_owned(),
            state: StateFile::default(),
            seen: None,
        };
        registry.refresh()?;
        Ok(registry)
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    /// The state as last read or written.
    pub(crate) fn state(&self) -> &StateFile {
        &self.state
    }

    /// Re-reads `state.json` if it changed on disk since it was last seen.
    /// Costs one `stat` when nothing changed. Returns whether the state differs.
    pub(crate) fn refresh(&mut self) -> Result<bool, HostError> {
        let path = self.state_path();
        let now = stamp(&path)?;
        if now == self.seen {
            return Ok(false);
        }
        let next = match &now {
            None => StateFile::default(),
            Some(_) => {
                let bytes = match fs::read(&path) {
                    Ok(bytes) => bytes,
                    // Replaced between stat and read; the next refresh sees it.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
                    Err(e) => return Err(HostError::io("cannot read", path, e)),
                };
                serde_json::from_slice(&bytes).map_err(|e| HostError::CorruptState {
                    path: path.clone(),
                    reason: e.to_string(),
                })?
            }
        };
        self.seen = now;
        let changed = next != self.state;
        self.state = next;
        Ok(changed)
    }

    /// Applies `change` to the freshest state and writes it back atomically.
    /// Nothing is written when `change` fails.
    pub(crate) fn update<T>(
        &mut self,
        change: impl FnOnce(&mut StateFile) -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        self.refresh()?;
        let mut next = self.state.clone();
        let out = change(&mut next)?;
        next.generation += 1;
        let bytes = serde_json::to_vec_pretty(&next).expect("state serializes");
        let path = self.state_path();
        write_atomic(&path, &bytes)?;
        self.state = next;
        self.seen = stamp(&path)?;
        Ok(out)
    }

    /// Directory of one version of a plugin.
    pub(crate) fn version_dir(&self, name: &str, version: &str) -> PathBuf {
        self.dir.join(name).join(version)
    }

    /// Stores a version's component and manifest; the manifest goes last, so a
    /// version directory with a manifest always has its component.
    pub(crate) fn write_version(
        &self,
        name: &str,
        version: &str,
        wasm: &[u8],
        manifest: &str,
    ) -> Result<(), HostError> {
        let dir = self.version_dir(name, version);
        fs::create_dir_all(&dir).map_err(|e| HostError::io("cannot create", &dir, e))?;
        write_atomic(&dir.join(WASM_FILE), wasm)?;
        write_atomic(&dir.join(MANIFEST_FILE), manifest.as_bytes())
    }

    /// The manifest text of a stored version, or `None` if it is not stored.
    pub(crate) fn read_manifest(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<String>, HostError> {
        let path = self.version_dir(name, version).join(MANIFEST_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(HostError::io("cannot read", path, e)),
        }
    }

    /// The component bytes of a stored version.
    pub(crate) fn read_wasm(&self, name: &str, version: &str) -> Result<Vec<u8>, HostError> {
        let path = self.version_dir(name, version).join(WASM_FILE);
        fs::read(&path).map_err(|e| HostError::io("cannot read", path, e))
    }

    /// Versions of a plugin present on disk.
    pub(crate) fn installed_versions(&self, name: &str) -> Vec<semver::Version> {
        let mut versions: Vec<semver::Version> = fs::read_dir(self.dir.join(name))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path().join(MANIFEST_FILE).is_file())
            .filter_map(|entry| {
                entry
                    .file_name()
                    .to_str()
                    .and_then(|v| semver::Version::parse(v).ok())
            })
            .collect();
        versions.sort();
        versions
    }

    /// Deletes every stored version of a plugin.
    pub(crate) fn delete_plugin(&self, name: &str) -> Result<(), HostError> {
        let path = self.dir.join(name);
        match fs::remove_dir_all(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(HostError::io("cannot delete", path, e)),
        }
    }
}
