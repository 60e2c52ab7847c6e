//! Builds the guest components the tests run, once per test binary.
//!
//! The fixtures workspace (`fixtures/`) and the real `compliance-uk-fca`
//! plugin are built with `cargo build --release --target wasm32-wasip2`
//! into target directories of their own under `CARGO_TARGET_TMPDIR`. They
//! must not share the main target directory: the `cargo test` that runs us
//! holds its lock, and a nested build there would wait forever.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const TRIPLE: &str = "wasm32-wasip2";

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn build(manifest_path: &Path, package: Option<&str>, target_dir: &Path) -> PathBuf {
    let mut command = Command::new(cargo());
    command
        .args(["build", "--release", "--target", TRIPLE, "--manifest-path"])
        .arg(manifest_path)
        .env("CARGO_TARGET_DIR", target_dir)
        // Flags meant for the host build must not leak into the guest build.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET");
    if let Some(package) = package {
        command.args(["-p", package]);
    }
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build {}: {e}", manifest_path.display()));
    assert!(
        status.success(),
        "building {} for {TRIPLE} failed; is the target installed (rustup target add {TRIPLE})?",
        manifest_path.display()
    );
    target_dir.join(TRIPLE).join("release")
}

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tmp_dir() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

/// Directory holding the built fixtures.
fn fixtures_out() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        build(
            &crate_dir().join("fixtures").join("Cargo.toml"),
            None,
            &tmp_dir().join("plugin-host-fixtures"),
        )
    })
}

/// The component bytes of fixture `name` (`good`, `good-v2`, `spin`, ...).
pub fn fixture(name: &str) -> Vec<u8> {
    let file = format!("fixture_{}.wasm", name.replace('-', "_"));
    let path = fixtures_out().join(&file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The component bytes of the real UK FCA compliance plugin.
pub fn uk_fca() -> Vec<u8> {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    let out = OUT.get_or_init(|| {
        build(
            &crate_dir().join("../../Cargo.toml"),
            Some("compliance-uk-fca"),
            &tmp_dir().join("plugin-host-uk-fca"),
        )
    });
    let path = out.join("compliance_uk_fca.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
