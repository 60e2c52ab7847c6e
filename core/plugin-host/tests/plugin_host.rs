//! The plugin host against real components: the UK FCA plugin and the
//! misbehaving fixtures in `fixtures/`.

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use sha2::Digest;

use compliance_uk_fca::UkFca;
use redress_plugin_host::{
    CallError, DeadlineKind, FinalResponse, HostError, InstallOutcome, Outcome, PersonalData,
    PluginHost,
};
use redress_sdk::CompliancePlugin;
use redress_sdk::testing::{TestHost, local_ms};
use support::{
    at, complaint, events_of, install_fixture, limits, manifest, plugins_dir, view_of, wasm,
};

fn open(dir: &std::path::Path) -> PluginHost {
    PluginHost::open(dir, limits()).expect("plugin host opens")
}

fn kind_of(k: &redress_sdk::DeadlineKind) -> DeadlineKind {
    match k {
        redress_sdk::DeadlineKind::Acknowledge => DeadlineKind::Acknowledge,
        redress_sdk::DeadlineKind::SummaryResolution => DeadlineKind::SummaryResolution,
        redress_sdk::DeadlineKind::InitialResponse => DeadlineKind::InitialResponse,
        redress_sdk::DeadlineKind::HoldingReply => DeadlineKind::HoldingReply,
        redress_sdk::DeadlineKind::FinalResponse => DeadlineKind::FinalResponse,
        redress_sdk::DeadlineKind::DelayLetter => DeadlineKind::DelayLetter,
        redress_sdk::DeadlineKind::ExtensionNotice => DeadlineKind::ExtensionNotice,
        redress_sdk::DeadlineKind::Other(s) => DeadlineKind::Other(s.clone()),
    }
}

#[test]
fn uk_plugin_deadlines_match_the_native_rules() {
    let dir = plugins_dir();
    let host = open(dir.path());
    let wasm = wasm::uk_fca();
    let text = manifest("uk-fca", "0.1.0", &["UK"], &wasm, "");
    let info = host
        .install(&wasm, &text, false)
        .expect("UK plugin installs");
    assert!(info.serving());

    let received = local_ms("Europe/London", "2025-03-14 16:30");
    let mut plain = redress_sdk::testing::complaint("UK", received);
    plain.tags = vec![];
    let mut payments = plain.clone();
    payments.tags = vec!["payment-services".into()];
    let events = [
        redress_sdk::ClockEvent {
            at: local_ms("Europe/London", "2025-03-18 09:00"),
            change: redress_sdk::ClockChange::Paused(redress_sdk::PauseReason::AwaitingCustomer),
        },
        redress_sdk::ClockEvent {
            at: local_ms("Europe/London", "2025-03-20 09:00"),
            change: redress_sdk::ClockChange::Resumed,
        },
    ];
    let native_host = TestHost::at(local_ms("Europe/London", "2025-04-01 12:00"));
    for (complaint, events) in [
        (&plain, &[][..]),
        (&payments, &[][..]),
        (&plain, &events[..]),
    ] {
        let native =
            UkFca::deadlines(&native_host, complaint, events).expect("native rules answer");
        let hosted = host
            .deadlines("UK", &view_of(complaint), &events_of(events))
            .expect("hosted plugin answers");
        assert_eq!(native.len(), hosted.len(), "{native:?} vs {hosted:?}");
        for (n, h) in native.iter().zip(&hosted) {
            assert_eq!(kind_of(&n.kind), h.kind);
            assert_eq!(at(n.due_at), h.due_at, "{:?}", n.kind);
            assert_eq!(n.rule, h.rule);
            assert_eq!(n.basis, h.basis);
            assert_eq!(n.paused, h.paused);
        }
    }

    let response = FinalResponse {
        outcome: Outcome::Rejected,
        sent_at: at(received + 86_400_000),
        elements: vec!["reasons".into()],
        redress: None,
        response_category: None,
    };
    let native_response = redress_sdk::testing::final_response(
        redress_sdk::Outcome::Rejected,
        received + 86_400_000,
        &["reasons"],
    );
    let native = UkFca::check_closure(&native_host, &plain, &native_response);
    let hosted = host
        .check_closure("UK", &view_of(&plain), &response)
        .expect("closure check");
    let native_codes: Vec<&str> = native.iter().map(|m| m.code.as_str()).collect();
    let hosted_codes: Vec<&str> = hosted.iter().map(|m| m.code.as_str()).collect();
    assert_eq!(native_codes, hosted_codes);
    let native = UkFca::retention(&native_host, &plain);
    let hosted = host.retention("uk", &view_of(&plain)).expect("retention");
    assert_eq!(native.keep_for_days, hosted.keep_for_days);
    assert_eq!(native.rule, hosted.rule);

    let m = host.metrics();
    let uk = &m.plugins["uk-fca"];
    assert_eq!(uk.calls, 5);
    assert_eq!(uk.successes, 5);
}

#[test]
fn a_runaway_plugin_times_out_and_the_host_keeps_answering() {
    let dir = plugins_dir();
    let host = open(dir.path());
    install_fixture(&host, "spin", "spin", "XS");
    install_fixture(&host, "good", "good", "XG");

    let started = Instant::now();
    let err = host.deadlines("XS", &complaint("XS"), &[]).unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err, CallError::Timeout { ref plugin, .. } if plugin == "spin"),
        "{err}"
    );
    // Stopped, not left running: the bound is far above the 50 ms deadline so a loaded
    // machine cannot fail it, and far below "forever".
    assert!(took < Duration::from_secs(5), "timed out after {took:?}");

    let list = host
        .deadlines("XG", &complaint("XG"), &[])
        .expect("good plugin answers");
    assert_eq!(list.len(), 2);
    assert_eq!(host.metrics().plugins["spin"].failures.timeout, 1);
}

#[test]
fn a_memory_bomb_is_stopped_at_the_cap() {
    let dir = plugins_dir();
    // The default limits: 64 MiB and 50 ms. The bomb asks for memory faster than it can
    // use it, so the cap stops it well inside the deadline.
    let host = open(dir.path());
    assert_eq!(host.limits().max_memory_bytes, 64 << 20);
    assert_eq!(host.limits().call_timeout, Duration::from_millis(50));
    install_fixture(&host, "balloon", "balloon", "XB");
    let err = host.deadlines("XB", &complaint("XB"), &[]).unwrap_err();
    assert!(
        matches!(err, CallError::OutOfMemory { limit_bytes, .. } if limit_bytes == 64 << 20),
        "{err}"
    );
    // The plugin's other functions still work: nothing carried over.
    host.retention("XB", &complaint("XB"))
        .expect("retention answers after the bomb");
    assert_eq!(host.metrics().plugins["balloon"].failures.out_of_memory, 1);
}

#[test]
fn a_fuel_budget_stops_a_loop_and_is_reported_as_fuel() {
    let dir = plugins_dir();
    // A deadline far longer than the budget lasts: what stops the loop is fuel.
    let host = PluginHost::open(
        dir.path(),
        redress_plugin_host::SandboxLimits {
            fuel: Some(20_000_000),
            call_timeout: Duration::from_secs(30),
            ..limits()
        },
    )
    .expect("plugin host opens");
    assert_eq!(host.limits().fuel, Some(20_000_000));
    install_fixture(&host, "spin", "spin", "XS");
    install_fixture(&host, "good", "good", "XG");

    let started = Instant::now();
    let err = host.deadlines("XS", &complaint("XS"), &[]).unwrap_err();
    assert!(
        matches!(err, CallError::FuelExhausted { ref plugin } if plugin == "spin"),
        "{err}"
    );
    assert!(err.to_string().contains("fuel budget"), "{err}");
    assert!(err.is_plugin_fault());
    assert!(started.elapsed() < Duration::from_secs(30));
    // The same budget is plenty for a plugin doing real work.
    let list = host
        .deadlines("XG", &complaint("XG"), &[])
        .expect("a well-behaved plugin runs within the budget");
    assert_eq!(list.len(), 2);

    let m = host.metrics();
    assert_eq!(m.plugins["spin"].failures.fuel_exhausted, 1);
    assert_eq!(m.plugins["spin"].failures.timeout, 0);
    let text = host.prometheus_text();
    assert!(
        text.contains(
            "redress_plugin_call_failures_total{plugin=\"spin\",kind=\"fuel_exhausted\"} 1"
        ),
        "{text}"
    );
}

#[test]
fn a_panic_is_a_contained_trap() {
    let dir = plugins_dir();
    let host = open(dir.path());
    install_fixture(&host, "panic", "panic", "XP");
    let err = host.deadlines("XP", &complaint("XP"), &[]).unwrap_err();
    assert!(matches!(err, CallError::Trap { .. }), "{err}");
    assert!(err.is_plugin_fault());
    host.retention("XP", &complaint("XP"))
        .expect("next call runs on a fresh instance");
}

#[test]
fn nonsense_answers_are_rejected_as_garbage() {
    let dir = plugins_dir();
    let host = open(dir.path());
    install_fixture(&host, "garbage", "garbage", "XJ");
    let c = complaint("XJ");
    let err = host.deadlines("XJ", &c, &[]).unwrap_err();
    assert!(matches!(err, CallError::Garbage { .. }), "{err}");
    let response = FinalResponse {
        outcome: Outcome::Upheld,
        sent_at: c.received_at,
        elements: vec![],
        redress: None,
        response_category: None,
    };
    let err = host.check_closure("XJ", &c, &response).unwrap_err();
    assert!(matches!(err, CallError::Garbage { .. }), "{err}");
    let err = host.retention("XJ", &c).unwrap_err();
    assert!(matches!(err, CallError::Garbage { .. }), "{err}");
    assert_eq!(host.metrics().plugins["garbage"].failures.garbage, 3);
}

#[test]
fn a_plugin_importing_sockets_or_files_is_refused() {
    let dir = plugins_dir();
    let host = open(dir.path());
    let wasm = wasm::fixture("forbidden");
    let err = host
        .install(
            &wasm,
            &manifest("forbidden", "1.0.0", &["XF"], &wasm, ""),
            false,
        )
        .unwrap_err();
    match &err {
        HostError::ForbiddenImport { interface } => {
            let refused = ["wasi:sockets/", "wasi:filesystem/", "wasi:clocks/"];
            assert!(
                refused.iter().any(|r| interface.starts_with(r)),
                "{interface}"
            );
            assert!(err.to_string().contains(interface.as_str()));
        }
        other => panic!("expected a forbidden import, got {other}"),
    }
    assert!(host.list().is_empty());
}

#[test]
fn a_wrong_digest_is_refused() {
    let dir = plugins_dir();
    let host = open(dir.path());
    let wasm = wasm::fixture("good");
    let text = manifest("good", "1.0.0", &["XG"], b"other bytes", "");
    let err = host.install(&wasm, &text, false).unwrap_err();
    assert!(matches!(err, HostError::HashMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains("rebuild or fix the manifest"),
        "{err}"
    );
}

#[test]
fn an_incompatible_wit_version_is_refused() {
    let dir = plugins_dir();
    let host = open(dir.path());
    let wasm = wasm::fixture("good");
    for wit in ["0.2.0", "1.0.0"] {
        let text = manifest("good", "1.0.0", &["XG"], &wasm, "")
            .replace("wit = \"0.1.0\"", &format!("wit = \"{wit}\""));
        let err = host.install(&wasm, &text, false).unwrap_err();
        assert!(matches!(err, HostError::WitIncompatible { .. }), "{err}");
    }
    let text =
        manifest("good", "1.0.0", &["XG"], &wasm, "").replace("wit = \"0.1.0\"", "wit = \"0.1.9\"");
    host.install(&wasm, &text, false)
        .expect("a newer patch of the same minor is compatible");
}

#[test]
fn five_consecutive_failures_quarantine_until_enabled() {
    let dir = plugins_dir();
    let host = open(dir.path());
    install_fixture(&host, "panic", "panic", "XP");
    let c = complaint("XP");
    // A success in between resets the counter.
    for _ in 0..4 {
        host.deadlines("XP", &c, &[]).unwrap_err();
    }
    host.retention("XP", &c).expect("retention succeeds");
    assert_eq!(host.info("panic").unwrap().consecutive_failures, 0);
    for _ in 0..5 {
        assert!(matches!(
            host.deadlines("XP", &c, &[]),
            Err(CallError::Trap { .. })
        ));
    }
    let info = host.info("panic").unwrap();
    assert!(info.quarantined.is_some(), "{info:?}");
    assert!(!info.serving());
    let err = host.retention("XP", &c).unwrap_err();
    assert!(matches!(err, CallError::Unavailable { .. }), "{err}");
    assert_eq!(host.metrics().plugins["panic"].quarantines, 1);

    // The quarantine is on disk: a fresh host sees it too.
    let other = open(dir.path());
    assert!(other.info("panic").unwrap().quarantined.is_some());
    drop(other);

    host.enable("panic").unwrap();
    let info = host.info("panic").unwrap();
    assert!(info.serving() && info.consecutive_failures == 0, "{info:?}");
    host.retention("XP", &c).expect("back in service");
}

#[test]
fn disable_and_remove() {
    let dir = plugins_dir();
    let host = open(dir.path());
    install_fixture(&host, "good", "good", "XG");
    host.disable("good").unwrap();
    let err = host.retention("XG", &complaint("XG")).unwrap_err();
    assert!(matches!(err, CallError::Unavailable { .. }), "{err}");
    host.enable("good").unwrap();
    host.retention("XG", &complaint("XG")).unwrap();
    host.remove("good").unwrap();
    assert!(matches!(
        host.retention("XG", &complaint("XG")),
        Err(CallError::NoPlugin { .. })
    ));
    assert!(!dir.path().join("good").exists());
    assert!(matches!(
        host.remove("good"),
        Err(HostError::UnknownPlugin(_))
    ));
}

#[test]
fn a_region_has_one_plugin_and_a_version_one_component() {
    let dir = plugins_dir();
    let host = open(dir.path());
    install_fixture(&host, "good", "good", "XG");
    let wasm = wasm::fixture("panic");
    let err = host
        .install(
            &wasm,
            &manifest("other", "1.0.0", &["XG"], &wasm, ""),
            false,
        )
        .unwrap_err();
    assert!(matches!(err, HostError::RegionTaken { .. }), "{err}");
    let err = host
        .install(&wasm, &manifest("good", "1.0.0", &["XG"], &wasm, ""), false)
        .unwrap_err();
    assert!(matches!(err, HostError::VersionConflict { .. }), "{err}");
}

#[test]
fn a_version_is_stored_once_and_the_same_upload_again_changes_nothing() {
    let dir = plugins_dir();
    let host = open(dir.path());
    let wasm = wasm::fixture("good");
    let first = manifest("good", "1.0.0", &["XG"], &wasm, "");
    let installed = host.install_version(&wasm, &first, false).unwrap();
    assert_eq!(installed.outcome, InstallOutcome::Stored);

    // Same component, same version, another manifest: each is refused, and what serves
    // the region stays as it was.
    for (what, text) in [
        (
            "regions",
            manifest("good", "1.0.0", &["XG", "XH"], &wasm, ""),
        ),
        (
            "config",
            manifest(
                "good",
                "1.0.0",
                &["XG"],
                &wasm,
                "[config]\nack-days = \"7\"\n",
            ),
        ),
        (
            "capabilities",
            manifest(
                "good",
                "1.0.0",
                &["XG"],
                &wasm,
                "capabilities = [\"personal-data\"]\n",
            ),
        ),
    ] {
        let err = host.install_version(&wasm, &text, false).unwrap_err();
        assert!(
            matches!(err, HostError::VersionConflict { .. }),
            "{what}: {err}"
        );
    }
    let stored = std::fs::read_to_string(dir.path().join("good/1.0.0/plugin.toml")).unwrap();
    assert_eq!(stored, first);
    assert_eq!(host.info("good").unwrap().regions, ["XG"]);
    assert!(host.compliance_for("XH").is_none());

    // The very same upload, even spaced differently: nothing to do.
    let again = host
        .install_version(&wasm, &first.replace(" = ", "="), false)
        .unwrap();
    assert_eq!(again.outcome, InstallOutcome::Unchanged);
    assert_eq!(again.info.version.to_string(), "1.0.0");

    // A new version is the way to change it; the old one stays stored and can be made
    // active again by installing it again.
    let next = manifest("good", "1.1.0", &["XG", "XH"], &wasm, "");
    assert_eq!(
        host.install_version(&wasm, &next, false).unwrap().outcome,
        InstallOutcome::Stored
    );
    assert_eq!(host.compliance_for("XH").unwrap().1.to_string(), "1.1.0");
    let back = host.install_version(&wasm, &first, false).unwrap();
    assert_eq!(back.outcome, InstallOutcome::Reactivated);
    assert_eq!(back.info.version.to_string(), "1.0.0");
    assert!(host.compliance_for("XH").is_none());
}

#[test]
fn config_reaches_the_plugin() {
    let dir = plugins_dir();
    let host = open(dir.path());
    let wasm = wasm::fixture("good");
    let text = manifest(
        "good",
        "1.0.0",
        &["XG"],
        &wasm,
        "[config]\nack-days = \"7\"\n",
    );
    host.install(&wasm, &text, false).unwrap();
    let c = complaint("XG");
    let list = host.deadlines("XG", &c, &[]).unwrap();
    let ack = list
        .iter()
        .find(|d| d.kind == DeadlineKind::Acknowledge)
        .unwrap();
    assert_eq!(ack.due_at, c.received_at + chrono::Duration::days(7));
    assert!(ack.basis.contains("now="), "{}", ack.basis);
}

#[test]
fn plugins_see_no_environment_or_arguments_and_their_stdio_goes_nowhere() {
    let dir = plugins_dir();
    let host = open(dir.path());
    install_fixture(&host, "good", "good", "XG");
    // The fixture prints to stdout and stderr (a closed stream would make that panic)
    // and counts what std::env gives it.
    let list = host.deadlines("XG", &complaint("XG"), &[]).unwrap();
    assert!(list[0].basis.contains("env=0; args=0"), "{}", list[0].basis);
}

#[test]
fn the_bundled_plugins_import_only_what_rust_std_needs() {
    let engine = wasmtime::Engine::default();
    let component = wasmtime::component::Component::from_binary(&engine, &wasm::uk_fca())
        .expect("the UK plugin compiles");
    let mut imports: Vec<String> = component
        .component_type()
        .imports(&engine)
        .map(|(name, _)| name.split('@').next().unwrap_or(name).to_owned())
        .collect();
    imports.sort();
    eprintln!("compliance-uk-fca imports {imports:?}");
    assert_eq!(imports, EXPECTED_IMPORTS);
}

/// What a compliance plugin built with Rust std for wasm32-wasip2 imports: the host
/// interface and the WASI interfaces std's runtime links in. docs/plugins.md says why
/// each is there.
const EXPECTED_IMPORTS: &[&str] = &[
    "redress:plugin/host",
    "redress:plugin/types",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stderr",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stderr",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
];

#[test]
fn personal_data_reaches_only_approved_plugins_that_ask() {
    let dir = plugins_dir();
    let host = open(dir.path());
    let wasm = wasm::fixture("good");
    let mut c = complaint("XG");
    c.personal_data = Some(PersonalData {
        name: "Ada Lovelace".into(),
        contact: "ada@example.invalid".into(),
        customer_number: None,
        narrative: "charged twice".into(),
    });
    let asks = "capabilities = [\"personal-data\"]\n";
    // The operator's approval may change on the same version; what the manifest asks for
    // may not (a version is stored once), so the plugin that stops asking is 1.1.0.
    for (version, extra, approve, expected) in [
        ("1.0.0", asks, true, "personal-data=present"),
        ("1.0.0", asks, false, "personal-data=absent"),
        ("1.1.0", "", true, "personal-data=absent"),
    ] {
        host.install(
            &wasm,
            &manifest("good", version, &["XG"], &wasm, extra),
            approve,
        )
        .unwrap();
        let list = host.deadlines("XG", &c, &[]).unwrap();
        assert!(
            list[0].basis.contains(expected),
            "{extra:?} approve={approve}: {}",
            list[0].basis
        );
    }
}

#[test]
fn installing_v2_under_load_swaps_without_failures() {
    let dir = plugins_dir();
    // What is under test is the swap, not the call deadline: four threads calling flat out
    // on a loaded 2-core CI machine can be descheduled past 50 ms, so the deadline is wide.
    let wide = redress_plugin_host::SandboxLimits {
        call_timeout: Duration::from_secs(5),
        ..limits()
    };
    let host = Arc::new(PluginHost::open(dir.path(), wide).expect("plugin host opens"));
    install_fixture(&host, "good", "good", "XG");
    let v2 = wasm::fixture("good-v2");
    let v2_manifest = manifest("good", "2.0.0", &["XG"], &v2, "");

    let threads = 4;
    let start = Arc::new(Barrier::new(threads + 1));
    let installed = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (host, start, installed, failures) = (
                Arc::clone(&host),
                Arc::clone(&start),
                Arc::clone(&installed),
                Arc::clone(&failures),
            );
            thread::spawn(move || {
                let c = complaint("XG");
                let (mut calls, mut v2_calls) = (0u64, 0u64);
                start.wait();
                // Keep calling until the swap happened and v2 served a good number of calls.
                while !(installed.load(Ordering::SeqCst) && v2_calls >= 50) {
                    match host.deadlines_answered("XG", &c, &[]) {
                        // The label is the version that ran the call, which wrote its
                        // version into the rule: the two always agree.
                        Ok(answer) => {
                            let rule = &answer.value[0].rule;
                            assert!(
                                rule.contains(&format!("FIXTURE-{}", answer.version)),
                                "answer labelled {} says {rule}",
                                answer.version
                            );
                            assert_eq!(answer.plugin, "good");
                            if answer.version.major == 2 {
                                v2_calls += 1;
                            } else {
                                // v1 answers until the swap, and calls in flight may finish on it after.
                                assert_eq!(answer.version.major, 1, "{rule}");
                            }
                        }
                        Err(e) => {
                            eprintln!("call failed during hot reload: {e}");
                            failures.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    start.wait();
    thread::sleep(Duration::from_millis(100));
    host.install(&v2, &v2_manifest, false).expect("v2 installs");
    installed.store(true, Ordering::SeqCst);
    let after = host.deadlines("XG", &complaint("XG"), &[]).unwrap();
    assert!(after[0].rule.contains("FIXTURE-2.0.0"), "{}", after[0].rule);
    let calls: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(failures.load(Ordering::SeqCst), 0, "of {calls} calls");
    let info = host.info("good").unwrap();
    assert_eq!(info.version, semver::Version::new(2, 0, 0));
    assert_eq!(info.installed_versions.len(), 2);
}

#[test]
fn reload_picks_up_an_install_made_by_another_process() {
    let dir = plugins_dir();
    let server = open(dir.path());
    assert!(!server.reload().unwrap(), "nothing changed yet");
    let cli = open(dir.path());
    install_fixture(&cli, "good", "good", "XG");
    assert!(matches!(
        server.deadlines("XG", &complaint("XG"), &[]),
        Err(CallError::NoPlugin { .. })
    ));
    assert!(server.reload().unwrap());
    assert!(!server.reload().unwrap(), "second reload is a no-op");
    server
        .deadlines("XG", &complaint("XG"), &[])
        .expect("server serves the new plugin");
    cli.disable("good").unwrap();
    assert!(server.reload().unwrap());
    assert!(matches!(
        server.deadlines("XG", &complaint("XG"), &[]),
        Err(CallError::Unavailable { .. })
    ));
}

#[test]
fn the_host_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PluginHost>();
}

#[test]
fn a_host_that_trusts_keys_installs_only_what_they_signed() {
    use redress_plugin_host::{PublisherKey, SignatureError, TrustedKeys};

    let acme = PublisherKey::generate("acme").unwrap();
    let mallory = PublisherKey::generate("mallory").unwrap();
    let public = acme.public_key_base64();
    let trusted = TrustedKeys::from_base64([("acme", public.as_str())]).unwrap();
    let dir = plugins_dir();
    let host = PluginHost::open_trusting(dir.path(), limits(), trusted).unwrap();
    let wasm = wasm::fixture("good");
    let unsigned = manifest("good", "1.0.0", &["XG"], &wasm, "");

    let err = host.install(&wasm, &unsigned, false).unwrap_err();
    assert!(
        matches!(err, HostError::Signature(SignatureError::Unsigned)),
        "{err}"
    );
    assert!(err.to_string().contains("redress plugin sign"), "{err}");

    let theirs = mallory.sign_manifest(&unsigned, &wasm).unwrap();
    let err = host.install(&wasm, &theirs, false).unwrap_err();
    assert!(
        matches!(err, HostError::Signature(SignatureError::UnknownKey { .. })),
        "{err}"
    );

    // The signed manifest, with another component whose digest someone wrote in.
    let signed = acme.sign_manifest(&unsigned, &wasm).unwrap();
    let other = wasm::fixture("good-v2");
    let swapped = signed.replace(
        &hex::encode(sha2::Sha256::digest(&wasm)),
        &hex::encode(sha2::Sha256::digest(&other)),
    );
    let err = host.install(&other, &swapped, false).unwrap_err();
    assert!(
        matches!(err, HostError::Signature(SignatureError::Mismatch { .. })),
        "{err}"
    );
    assert!(host.list().is_empty(), "nothing refused was installed");

    let info = host.install(&wasm, &signed, false).expect("signed by acme");
    assert!(info.serving());
    host.deadlines("XG", &complaint("XG"), &[]).unwrap();
    let text = host.prometheus_text();
    assert!(
        text.contains("redress_plugin_install_refusals_total{reason=\"signature\"} 3"),
        "{text}"
    );
}

#[test]
fn an_installed_plugin_that_can_no_longer_load_is_unavailable_not_absent() {
    use redress_plugin_host::{PublisherKey, TrustedKeys};

    let dir = plugins_dir();
    {
        let host = open(dir.path());
        install_fixture(&host, "good", "good", "XG");
        install_fixture(&host, "panic", "unsigned", "XU");
    }
    // Someone replaces the stored component of `good` behind the host's back.
    std::fs::write(
        dir.path().join("good/1.0.0/plugin.wasm"),
        wasm::fixture("panic"),
    )
    .unwrap();
    let restarted = open(dir.path());
    // Another server requires signatures, which neither has.
    let key = PublisherKey::generate("acme").unwrap();
    let public = key.public_key_base64();
    let trusted = TrustedKeys::from_base64([("acme", public.as_str())]).unwrap();
    let strict = PluginHost::open_trusting(dir.path(), limits(), trusted).unwrap();

    for (host, name, region, why) in [
        (&restarted, "good", "XG", "sha256"),
        (&strict, "unsigned", "XU", "not signed"),
    ] {
        let info = host.info(name).unwrap();
        let load_error = info.load_error.clone().expect("a load error");
        assert!(load_error.contains(why), "{load_error}");
        assert!(!info.serving());
        assert_eq!(info.regions, [region]);
        let err = host.deadlines(region, &complaint(region), &[]).unwrap_err();
        match &err {
            CallError::Unavailable { plugin, reason } => {
                assert_eq!(plugin, name);
                assert!(reason.contains("cannot be loaded"), "{reason}");
            }
            other => panic!("expected unavailable, got {other}"),
        }
        assert_eq!(host.metrics().plugins[name].failures.unavailable, 1);
    }
}

#[test]
fn prometheus_text_has_calls_failures_and_latency_per_plugin() {
    let dir = plugins_dir();
    let host = open(dir.path());
    install_fixture(&host, "good", "good", "XG");
    install_fixture(&host, "panic", "panic", "XP");
    host.deadlines("XG", &complaint("XG"), &[]).unwrap();
    host.retention("XG", &complaint("XG")).unwrap();
    host.deadlines("XP", &complaint("XP"), &[]).unwrap_err();
    let text = host.prometheus_text();
    for line in [
        "# TYPE redress_plugin_calls_total counter",
        "redress_plugin_calls_total{plugin=\"good\"} 2",
        "redress_plugin_calls_total{plugin=\"panic\"} 1",
        "redress_plugin_call_failures_total{plugin=\"panic\",kind=\"trap\"} 1",
        "redress_plugin_call_failures_total{plugin=\"good\",kind=\"trap\"} 0",
        "redress_plugin_quarantines_total{plugin=\"panic\"} 0",
        "# TYPE redress_plugin_call_duration_seconds histogram",
        "redress_plugin_call_duration_seconds_count{plugin=\"good\"} 2",
        "redress_plugin_call_duration_seconds_bucket{plugin=\"good\",le=\"+Inf\"} 2",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in\n{text}"
        );
    }
}
