//! Shared helpers for the plugin host's integration tests and benchmark.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod wasm;

use std::path::Path;

use chrono::{DateTime, Utc};
use redress_plugin_host::{
    ClockChange, ClockEvent, ComplaintStatus, ComplaintView, Extension, Money, PauseReason,
    PersonalData,
};
use sha2::{Digest, Sha256};

/// A `plugin.toml` for `wasm` with the given identity; `extra` is appended
/// verbatim (capabilities, `[config]`).
pub fn manifest(name: &str, version: &str, regions: &[&str], wasm: &[u8], extra: &str) -> String {
    let regions: Vec<String> = regions.iter().map(|r| format!("{r:?}")).collect();
    format!(
        "name = \"{name}\"\nversion = \"{version}\"\nkind = \"compliance\"\nregions = [{}]\n\
         wit = \"0.1.0\"\nsha256 = \"{}\"\n{extra}",
        regions.join(", "),
        hex::encode(Sha256::digest(wasm)),
    )
}

/// Installs a fixture component under `name` for `region`.
pub fn install_fixture(
    host: &redress_plugin_host::PluginHost,
    fixture: &str,
    name: &str,
    region: &str,
) {
    let wasm = wasm::fixture(fixture);
    let text = manifest(name, "1.0.0", &[region], &wasm, "");
    host.install(&wasm, &text, false)
        .unwrap_or_else(|e| panic!("installing fixture {fixture}: {e}"));
}

/// Milliseconds to `DateTime<Utc>`.
pub fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).expect("timestamp in range")
}

/// The host's view of an SDK complaint, field by field.
pub fn view_of(c: &redress_sdk::Complaint) -> ComplaintView {
    ComplaintView {
        reference: c.reference.clone(),
        region: c.region.clone(),
        product: c.product.clone(),
        sub_product: c.sub_product.clone(),
        issue: c.issue.clone(),
        sub_issue: c.sub_issue.clone(),
        channel: c.channel.clone(),
        received_at: at(c.received_at),
        customer_time_zone: c.customer_time_zone.clone(),
        tags: c.tags.clone(),
        amount_in_dispute: c.amount_in_dispute.as_ref().map(|m| Money {
            minor_units: m.minor_units,
            currency: m.currency.clone(),
        }),
        status: match c.status {
            redress_sdk::ComplaintStatus::Received => ComplaintStatus::Received,
            redress_sdk::ComplaintStatus::Acknowledged => ComplaintStatus::Acknowledged,
            redress_sdk::ComplaintStatus::InProgress => ComplaintStatus::InProgress,
            redress_sdk::ComplaintStatus::AwaitingCustomer => ComplaintStatus::AwaitingCustomer,
            redress_sdk::ComplaintStatus::Escalated => ComplaintStatus::Escalated,
            redress_sdk::ComplaintStatus::Resolved => ComplaintStatus::Resolved,
            redress_sdk::ComplaintStatus::Closed => ComplaintStatus::Closed,
            redress_sdk::ComplaintStatus::Reopened => ComplaintStatus::Reopened,
        },
        personal_data: c.personal_data.as_ref().map(|p| PersonalData {
            name: p.name.clone(),
            contact: p.contact.clone(),
            customer_number: p.customer_number.clone(),
            narrative: p.narrative.clone(),
        }),
    }
}

/// The host's view of SDK clock events.
pub fn events_of(events: &[redress_sdk::ClockEvent]) -> Vec<ClockEvent> {
    events
        .iter()
        .map(|e| ClockEvent {
            at: at(e.at),
            change: match &e.change {
                redress_sdk::ClockChange::Paused(r) => ClockChange::Paused(match r {
                    redress_sdk::PauseReason::AwaitingCustomer => PauseReason::AwaitingCustomer,
                    redress_sdk::PauseReason::ExternalAppraisal => PauseReason::ExternalAppraisal,
                    redress_sdk::PauseReason::Other(t) => PauseReason::Other(t.clone()),
                }),
                redress_sdk::ClockChange::Resumed => ClockChange::Resumed,
                redress_sdk::ClockChange::Extended(x) => ClockChange::Extended(Extension {
                    days: x.days,
                    notice_given: x.notice_given,
                }),
                redress_sdk::ClockChange::NewFacts => ClockChange::NewFacts,
            },
        })
        .collect()
}

/// A neutral complaint for `region`, as the host sees it.
pub fn complaint(region: &str) -> ComplaintView {
    view_of(&redress_sdk::testing::complaint(
        region,
        redress_sdk::testing::utc_ms("2025-03-14 10:00"),
    ))
}

/// A temporary plugins directory.
pub fn plugins_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// Limits for tests: the defaults with a small instance pool, since many
/// hosts run side by side in one test process.
pub fn limits() -> redress_plugin_host::SandboxLimits {
    redress_plugin_host::SandboxLimits {
        pooled_instances: 16,
        ..Default::default()
    }
}

/// Whether `path` exists.
pub fn exists(path: &Path) -> bool {
    path.exists()
}
