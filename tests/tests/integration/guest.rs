//! Builds the plugins the tests install, once per test run: the five regional compliance
//! plugins from `plugins/`, and the plugin host's fixtures: a well-behaved one and the
//! hostile ones (a loop, a memory bomb, a trap, garbage answers, forbidden imports).
//!
//! They build with `cargo build --release --target wasm32-wasip2` into a target directory
//! of their own: the `cargo test` running us holds the lock on the main one.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use redress_plugin_host::{PluginHost, SandboxLimits};
use sha2::{Digest, Sha256};

const TRIPLE: &str = "wasm32-wasip2";

fn out_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("guest-wasm")
}

fn build(manifest: &Path, packages: &[&str]) {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .args(["build", "--release", "--target", TRIPLE, "--manifest-path"])
        .arg(manifest)
        .env("CARGO_TARGET_DIR", out_dir())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET");
    for p in packages {
        command.args(["-p", p]);
    }
    let status = command.status().expect("cargo runs");
    assert!(
        status.success(),
        "building {packages:?} for {TRIPLE} failed; is the target installed (rustup target add {TRIPLE})?"
    );
}

/// The component bytes of `crate_name` (e.g. `compliance_uk_fca`, `fixture_spin`).
pub fn component(crate_name: &str) -> Vec<u8> {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        build(
            &root.join("Cargo.toml"),
            &[
                "compliance-us-cfpb",
                "compliance-uk-fca",
                "compliance-eu",
                "compliance-cn",
                "compliance-sg",
            ],
        );
        build(
            &root.join("core/plugin-host/fixtures/Cargo.toml"),
            &[
                "fixture-good",
                "fixture-spin",
                "fixture-balloon",
                "fixture-panic",
                "fixture-garbage",
                "fixture-forbidden",
            ],
        );
    });
    let path = out_dir()
        .join(TRIPLE)
        .join("release")
        .join(format!("{crate_name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A manifest for `wasm` serving `region`.
pub fn manifest(name: &str, version: &str, region: &str, wasm: &[u8]) -> String {
    format!(
        "name = \"{name}\"\nversion = \"{version}\"\nkind = \"compliance\"\nregions = [\"{region}\"]\n\
         wit = \"0.1.0\"\nsha256 = \"{}\"\n",
        hex::encode(Sha256::digest(wasm))
    )
}

/// The default limits (50 ms, 64 MiB) with a pool small enough for many hosts in one
/// test process.
pub fn limits() -> SandboxLimits {
    SandboxLimits {
        pooled_instances: 8,
        ..Default::default()
    }
}

/// A plugin host in a temporary directory with `plugins` installed as
/// (crate name, plugin name, region).
pub fn host_with(plugins: &[(&str, &str, &str)]) -> (Arc<PluginHost>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = PluginHost::open(dir.path(), limits()).expect("plugin host opens");
    for (crate_name, name, region) in plugins {
        let wasm = component(crate_name);
        host.install(&wasm, &manifest(name, "1.0.0", region, &wasm), false)
            .unwrap_or_else(|e| panic!("installing {name}: {e}"));
    }
    (Arc::new(host), dir)
}
