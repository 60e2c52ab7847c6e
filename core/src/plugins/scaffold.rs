//! `redress plugin new`: a compliance plugin crate that builds, tests and installs as it
//! stands, for a partner to edit into their own rules.

use std::fs;
use std::path::{Path, PathBuf};

/// Where the new crate gets `redress-sdk` from. The SDK is not on crates.io yet, so a
/// partner depends on a checkout of the Redress repository (by path) or on the
/// repository itself (by git); `Version` is for when it is published.
#[derive(Debug, Clone)]
pub enum SdkSource {
    /// A directory holding the SDK (`<checkout>/sdk`).
    Path(PathBuf),
    /// The Redress repository, at a tag, branch or commit when given.
    Git { url: String, rev: Option<String> },
    /// A version published on crates.io.
    Version(String),
}

/// Why a plugin crate could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "plugin name {0:?} must be 3 to 64 lower-case ASCII letters, digits and hyphens, starting with a letter"
    )]
    Name(String),
    #[error("region {0:?} has no calendar in the SDK; use one of US, UK, EU, CN, SG")]
    Region(String),
    #[error(
        "only compliance plugins can be scaffolded in this release; the {0} world has no SDK bindings yet"
    )]
    Kind(String),
    #[error("{} already exists; choose another name or directory", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Creates the crate `name` under `parent` and returns its directory.
///
/// # Errors
/// A bad name, kind or region, an existing directory, or a failed write.
pub fn create(
    parent: &Path,
    name: &str,
    kind: &str,
    region: &str,
    sdk: &SdkSource,
) -> Result<PathBuf, ScaffoldError> {
    let valid_name = (3..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_name {
        return Err(ScaffoldError::Name(name.to_owned()));
    }
    if kind != "compliance" {
        return Err(ScaffoldError::Kind(kind.to_owned()));
    }
    let (variant, zone) = match region {
        "US" => ("Us", "America/New_York"),
        "UK" => ("Uk", "Europe/London"),
        "EU" => ("Eu", "Europe/Brussels"),
        "CN" => ("Cn", "Asia/Shanghai"),
        "SG" => ("Sg", "Asia/Singapore"),
        other => return Err(ScaffoldError::Region(other.to_owned())),
    };
    let dir = parent.join(name);
    if dir.exists() {
        return Err(ScaffoldError::Exists(dir));
    }
    let sdk_dep = match sdk {
        SdkSource::Version(v) => format!("redress-sdk = \"{v}\""),
        SdkSource::Path(p) => format!("redress-sdk = {{ path = {:?} }}", p.display().to_string()),
        SdkSource::Git { url, rev: None } => format!("redress-sdk = {{ git = {url:?} }}"),
        SdkSource::Git {
            url,
            rev: Some(rev),
        } => format!("redress-sdk = {{ git = {url:?}, rev = {rev:?} }}"),
    };
    let type_name: String = name
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    let crate_name = name.replace('-', "_");
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{Type}}", &type_name)
            .replace("{{region}}", region)
            .replace("{{Region}}", variant)
            .replace("{{zone}}", zone)
            .replace("{{sdk}}", &sdk_dep)
    };
    for (file, template) in [
        ("Cargo.toml", CARGO_TOML),
        ("src/lib.rs", LIB_RS),
        ("tests/rules.rs", TESTS_RS),
        ("plugin.toml", PLUGIN_TOML),
        ("README.md", README_MD),
    ] {
        let path = dir.join(file);
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).map_err(|source| ScaffoldError::Io {
                path: folder.to_owned(),
                source,
            })?;
        }
        fs::write(&path, fill(template)).map_err(|source| ScaffoldError::Io { path, source })?;
    }
    Ok(dir)
}

const CARGO_TOML: &str = r#"[package]
name = "{{name}}"
version = "0.1.0"
edition = "2024"
rust-version = "1.95"
publish = false

# A workspace of its own, so the crate builds wherever it is placed.
[workspace]

[lib]
# cdylib: the WebAssembly component; rlib: the same rules for native tests.
crate-type = ["cdylib", "rlib"]

[dependencies]
{{sdk}}

[profile.release]
opt-level = "s"
lto = true
"#;

const LIB_RS: &str = r#"//! {{name}}: complaint-handling rules for region {{region}} as a Redress compliance plugin.
//!
//! Replace the rules below with your firm's and name the source of each in `rule`.

use redress_sdk::calendar::{BusinessCalendar, Region};
use redress_sdk::clock::{ClockPolicy, DeadlineClock, Period, Timeline};
use redress_sdk::{
    ClockEvent, Complaint, CompliancePlugin, Deadline, DeadlineKind, FinalResponse, Host,
    MissingElement, PluginError, RetentionAnchor, RetentionPeriod, element, missing_from,
};

/// The plugin.
pub struct {{Type}};

redress_sdk::export_compliance!({{Type}});

impl CompliancePlugin for {{Type}} {
    fn deadlines(
        host: &dyn Host,
        complaint: &Complaint,
        events: &[ClockEvent],
    ) -> Result<Vec<Deadline>, PluginError> {
        let calendar = BusinessCalendar::from_host(Region::{{Region}}, host)?;
        // Pauses while waiting on the customer stop the clock; new facts do not restart it.
        let timeline = Timeline::build(complaint.received_at, events, ClockPolicy::RUNS_THROUGH)?;
        let clock = DeadlineClock::new(&calendar, &timeline, host.now());
        Ok(vec![
            clock.deadline(
                DeadlineKind::Acknowledge,
                Period::BusinessDays(2),
                "Firm policy ACK-1: acknowledge within 2 business days",
            )?,
            clock.deadline(
                DeadlineKind::FinalResponse,
                Period::BusinessDays(15),
                "Firm policy FR-1: final response within 15 business days",
            )?,
        ])
    }

    fn check_closure(
        _host: &dyn Host,
        _complaint: &Complaint,
        response: &FinalResponse,
    ) -> Vec<MissingElement> {
        missing_from(
            response,
            &[(element::REASONS, "Give the reasons for the decision.")],
            "Firm policy FR-2",
        )
    }

    fn retention(_host: &dyn Host, _complaint: &Complaint) -> RetentionPeriod {
        RetentionPeriod {
            keep_for_days: redress_sdk::retention::years_at_most(5),
            anchor: RetentionAnchor::Closed,
            rule: "Firm policy RET-1: keep 5 years after closure".into(),
        }
    }
}
"#;

const TESTS_RS: &str = r#"//! The rules run natively, with the SDK's test host standing in for Redress.

use redress_sdk::testing::{TestHost, complaint, deadline, local_ms};
use redress_sdk::{CompliancePlugin, DeadlineKind};
use {{crate}}::{{Type}};

#[test]
fn acknowledgement_and_final_response_fall_on_business_days() {
    // A Monday morning in 2026, away from public holidays.
    let received = local_ms("{{zone}}", "2026-03-02 09:00");
    let host = TestHost::at(received);
    let list = {{Type}}::deadlines(&host, &complaint("{{region}}", received), &[]).unwrap();
    // Two business days after Monday: Tuesday and Wednesday; due at Wednesday's midnight.
    assert_eq!(
        deadline(&list, &DeadlineKind::Acknowledge).due_at,
        local_ms("{{zone}}", "2026-03-05 00:00")
    );
    assert!(deadline(&list, &DeadlineKind::FinalResponse).due_at > received);
}
"#;

const PLUGIN_TOML: &str = r#"# What Redress reads before it installs the component.
name = "{{name}}"
version = "0.1.0"
kind = "compliance"
regions = ["{{region}}"]
# The redress:plugin WIT version the SDK was built with.
wit = "0.1.0"
# `redress plugin seal target/wasm32-wasip2/release/{{crate}}.wasm --manifest plugin.toml`
# writes the component's digest here after each build.
sha256 = ""
capabilities = []
"#;

const README_MD: &str = r#"# {{name}}

A Redress compliance plugin for region {{region}}.

```sh
cargo test                                              # the rules, natively
cargo build --release --target wasm32-wasip2            # the component
redress plugin seal target/wasm32-wasip2/release/{{crate}}.wasm --manifest plugin.toml
redress plugin install target/wasm32-wasip2/release/{{crate}}.wasm --manifest plugin.toml
```
"#;
