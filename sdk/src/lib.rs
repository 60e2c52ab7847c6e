//! Write Redress plugins: the WIT contract, guest bindings, business-day
//! calendars and a native test harness.
//!
//! Redress runs behaviour that differs by region as WebAssembly components.
//! The contract is the WIT package `redress:plugin@0.1.0` shipped in this
//! crate's `wit/` folder. Its `compliance-plugin` world imports the `host`
//! interface (structured `log`, `now`, `config`, and nothing else) and
//! exports `compliance`: `deadlines`, `check-closure` and `retention`. The
//! `localization-plugin`, `triage-plugin` and `care-plugin` worlds are part
//! of the contract too; this version of the SDK binds only `compliance`.
//!
//! # Design
//!
//! A plugin's rules are a plain Rust impl of [`CompliancePlugin`] working on
//! native types ([`Complaint`], [`ClockEvent`], [`Deadline`], ...), with the
//! host behind `&dyn` [`Host`]. On `wasm32`, [`export_compliance!`] wires
//! that impl to the bindings wit-bindgen generated from the WIT, converting
//! between wire and native types. Natively the macro expands to nothing, so
//! the same rules run under `cargo test` with [`testing::TestHost`]. The
//! bindings exist only for `target_arch = "wasm32"`; the crate builds
//! natively without wit-bindgen.
//!
//! Deadlines are counted by [`clock::DeadlineClock`] in the region's time
//! zone with its [`calendar::BusinessCalendar`]: whole local days after the
//! day the clock started, skipping non-business days when the rule says
//! business days, skipping days paused throughout, restarting on new facts
//! where the region's [`clock::ClockPolicy`] says so. A deadline is due at the
//! local midnight that ends its last day.
//!
//! # Example
//!
//! A complete plugin for a firm that promises, on top of the UK rules, to
//! acknowledge every complaint within 2 business days:
//!
//! ```
//! use redress_sdk::calendar::{BusinessCalendar, Region};
//! use redress_sdk::clock::{ClockPolicy, DeadlineClock, Period, Timeline};
//! use redress_sdk::{
//!     ClockEvent, Complaint, CompliancePlugin, Deadline, DeadlineKind, FinalResponse, Host,
//!     LogLevel, MissingElement, PluginError, RetentionAnchor, RetentionPeriod, element,
//!     missing_from,
//! };
//!
//! pub struct PromptAcknowledgement;
//!
//! impl CompliancePlugin for PromptAcknowledgement {
//!     fn deadlines(
//!         host: &dyn Host,
//!         complaint: &Complaint,
//!         events: &[ClockEvent],
//!     ) -> Result<Vec<Deadline>, PluginError> {
//!         let calendar = BusinessCalendar::new(Region::Uk);
//!         let timeline = Timeline::build(complaint.received_at, events, ClockPolicy::RUNS_THROUGH)?;
//!         let clock = DeadlineClock::new(&calendar, &timeline, host.now());
//!         host.log(LogLevel::Debug, "counting", &[("reference", &complaint.reference)]);
//!         Ok(vec![Deadline {
//!             kind: DeadlineKind::Acknowledge,
//!             due_at: clock.due_at(Period::BusinessDays(2))?,
//!             rule: "Firm policy ACK-2".into(),
//!             paused: false,
//!             basis: "2 business days after receipt, Europe/London".into(),
//!         }])
//!     }
//!
//!     fn check_closure(
//!         _host: &dyn Host,
//!         _complaint: &Complaint,
//!         response: &FinalResponse,
//!     ) -> Vec<MissingElement> {
//!         missing_from(
//!             response,
//!             &[(element::REASONS, "Give the reasons for the decision.")],
//!             "Firm policy FR-1",
//!         )
//!     }
//!
//!     fn retention(_host: &dyn Host, _complaint: &Complaint) -> RetentionPeriod {
//!         RetentionPeriod {
//!             keep_for_days: redress_sdk::retention::years_at_most(3),
//!             anchor: RetentionAnchor::Closed,
//!             rule: "Firm policy RET-3".into(),
//!         }
//!     }
//! }
//!
//! // In the plugin crate (crate-type = ["cdylib", "rlib"]) this makes the
//! // component's exports when built for wasm32-wasip2; natively it is empty.
//! redress_sdk::export_compliance!(PromptAcknowledgement);
//!
//! // A native test: received on Friday 2025-12-19 at 16:30 London time, so the
//! // two business days are Monday 22 and Tuesday 23 December.
//! use redress_sdk::testing::{TestHost, complaint, deadline, local_ms};
//!
//! let received = local_ms("Europe/London", "2025-12-19 16:30");
//! let host = TestHost::at(received);
//! let list = PromptAcknowledgement::deadlines(&host, &complaint("UK", received), &[])?;
//! let ack = deadline(&list, &DeadlineKind::Acknowledge);
//! assert_eq!(ack.due_at, local_ms("Europe/London", "2025-12-24 00:00"));
//! # Ok::<(), PluginError>(())
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release -p my-plugin`;
//! the `.wasm` in `target/wasm32-wasip2/release/` is already a component.
//! `docs/plugins.md` in the Redress repository walks through packaging and
//! installing it.

#![warn(missing_docs, unreachable_pub)]

extern crate self as redress_sdk;

pub mod calendar;
pub mod clock;
pub mod closure;
pub mod complaint;
pub mod deadline;
pub mod error;
pub mod host;
pub mod plugin;
pub mod retention;
pub mod testing;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod guest;

pub use clock::{ClockChange, ClockEvent, Extension, PauseReason};
pub use closure::{FinalResponse, MissingElement, Outcome, element, missing_from};
pub use complaint::{Complaint, ComplaintStatus, Money, PersonalData, Timestamp};
pub use deadline::{Deadline, DeadlineKind};
pub use error::{ErrorKind, PluginError};
pub use host::{Host, LogLevel};
pub use plugin::CompliancePlugin;
pub use retention::{RetentionAnchor, RetentionPeriod};

/// The WIT package, file by file, for hosts and tools that want the text.
pub const WIT_FILES: &[(&str, &str)] = &[
    ("types.wit", include_str!("../wit/types.wit")),
    ("host.wit", include_str!("../wit/host.wit")),
    ("compliance.wit", include_str!("../wit/compliance.wit")),
    ("localization.wit", include_str!("../wit/localization.wit")),
    ("triage.wit", include_str!("../wit/triage.wit")),
    ("care.wit", include_str!("../wit/care.wit")),
    ("worlds.wit", include_str!("../wit/worlds.wit")),
];

/// The WIT package version this SDK implements, which a plugin manifest's
/// `wit` field names. A host accepts a plugin whose `wit` has its major
/// version (while below 1.0, its minor version).
pub const WIT_VERSION: &str = "0.1.0";

/// Bindings wit-bindgen generates for the `compliance-plugin` world.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
#[allow(missing_docs, unreachable_pub, clippy::all, reason = "generated code")]
pub mod bindings {
    wit_bindgen::generate!({
        world: "compliance-plugin",
        path: "wit",
        pub_export_macro: true,
        export_macro_name: "__export_compliance_world",
        default_bindings_module: "::redress_sdk::bindings",
        runtime_path: "::redress_sdk::__private::wit_bindgen::rt",
    });
}

#[doc(hidden)]
pub mod __private {
    #[cfg(target_arch = "wasm32")]
    pub use wit_bindgen;
}

/// Exports a [`CompliancePlugin`] impl as the component's `compliance`
/// interface.
///
/// Call it once, at the root of a `cdylib` crate, with the type that
/// implements [`CompliancePlugin`]. On `wasm32` it generates the exported
/// functions; on other targets it expands to nothing, so the crate still
/// builds and tests natively.
///
/// # Examples
///
/// See the [crate documentation](crate) for a complete plugin.
#[macro_export]
macro_rules! export_compliance {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            use $crate::bindings::exports::redress::plugin::compliance as wire;
            use $crate::bindings::redress::plugin::types as wire_types;

            struct RedressComplianceExport;

            impl wire::Guest for RedressComplianceExport {
                fn deadlines(
                    complaint: wire_types::Complaint,
                    events: ::std::vec::Vec<wire_types::ClockEvent>,
                ) -> ::core::result::Result<::std::vec::Vec<wire::Deadline>, wire_types::PluginError>
                {
                    $crate::guest::deadlines::<$plugin>(complaint, events)
                }

                fn check_closure(
                    complaint: wire_types::Complaint,
                    response: wire::FinalResponse,
                ) -> ::std::vec::Vec<wire::MissingElement> {
                    $crate::guest::check_closure::<$plugin>(complaint, response)
                }

                fn retention(complaint: wire_types::Complaint) -> wire::RetentionPeriod {
                    $crate::guest::retention::<$plugin>(complaint)
                }
            }

            $crate::bindings::__export_compliance_world!(
                RedressComplianceExport with_types_in $crate::bindings
            );
        };
    };
}
