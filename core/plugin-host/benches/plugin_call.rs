//! What a plugin call costs: the real UK FCA plugin's `deadlines` through the
//! host (fresh store and instance per call, as in production) against the
//! same rules called natively in the same run, plus what starting the
//! component costs, all in the host's own sandbox (its engine, memory limits
//! and epoch deadline).
//!
//! Run with `cargo bench -p redress-plugin-host --bench plugin_call`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use compliance_uk_fca::UkFca;
use redress_plugin_host::{PluginHost, SandboxLimits};
use redress_sdk::CompliancePlugin;
use redress_sdk::testing::{TestHost, local_ms};

const CALLS: usize = 20_000;
const WARMUP: usize = 1_000;
const COLD_STARTS: usize = 20;

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let rank = |q: f64| {
        let last = samples.len().saturating_sub(1);
        // Nearest rank, computed in integers: q is 0.5 or 0.99.
        (last * (q * 100.0) as usize).div_ceil(100)
    };
    (samples[rank(0.50)], samples[rank(0.99)])
}

fn time_each(n: usize, mut f: impl FnMut()) -> (Vec<Duration>, Duration) {
    let mut samples = Vec::with_capacity(n);
    let all = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    (samples, all.elapsed())
}

fn main() {
    let wasm = support::wasm::uk_fca();
    println!("UK FCA component: {} KiB", wasm.len() / 1024);

    let dir = support::plugins_dir();
    let host = PluginHost::open(dir.path(), SandboxLimits::default()).expect("host opens");
    let limits = host.limits();
    println!(
        "sandbox: {} allocator, {:?} deadline, {} MiB memory cap",
        if host.metrics().pooling_allocator {
            "pooling"
        } else {
            "on-demand"
        },
        limits.call_timeout,
        limits.max_memory_bytes >> 20
    );

    // ---- starting the component, in the host's sandbox ---------------------
    let mut compile = Vec::with_capacity(COLD_STARTS);
    let mut first_instance = Vec::with_capacity(COLD_STARTS);
    for _ in 0..COLD_STARTS {
        let cold = host.cold_start(&wasm).expect("the component starts");
        compile.push(cold.compile);
        first_instance.push(cold.checks + cold.first_instance);
    }
    let (compile_p50, _) = percentiles(compile);
    let (first_p50, _) = percentiles(first_instance);

    let text = support::manifest("uk-fca", "0.1.0", &["UK"], &wasm, "");
    let t = Instant::now();
    host.install(&wasm, &text, false).expect("installs");
    let install = t.elapsed();

    for _ in 0..WARMUP {
        host.instantiate_only("UK").expect("instantiates");
    }
    let (samples, _) = time_each(CALLS, || {
        host.instantiate_only(black_box("UK"))
            .expect("instantiates");
    });
    let (inst_p50, inst_p99) = percentiles(samples);

    // ---- a warm call through the host --------------------------------------
    let received = local_ms("Europe/London", "2025-03-14 16:30");
    let mut native_complaint = redress_sdk::testing::complaint("UK", received);
    native_complaint.tags = vec!["payment-services".into()];
    let view = support::view_of(&native_complaint);

    for _ in 0..WARMUP {
        black_box(host.deadlines("UK", &view, &[]).expect("answers"));
    }
    let (samples, total) = time_each(CALLS, || {
        black_box(
            host.deadlines("UK", black_box(&view), &[])
                .expect("answers"),
        );
    });
    let (wasm_p50, wasm_p99) = percentiles(samples);
    let per_sec = CALLS as f64 / total.as_secs_f64();

    // ---- the same rules, natively, in the same run -------------------------
    let native_host = TestHost::at(received);
    for _ in 0..WARMUP {
        black_box(UkFca::deadlines(&native_host, &native_complaint, &[]).expect("answers"));
    }
    let (samples, _) = time_each(CALLS, || {
        black_box(
            UkFca::deadlines(&native_host, black_box(&native_complaint), &[]).expect("answers"),
        );
    });
    let (native_p50, native_p99) = percentiles(samples);

    let ratio = wasm_p50.as_secs_f64() / native_p50.as_secs_f64();
    println!("deadlines() over {CALLS} calls, one thread:");
    println!("  hosted  p50 {wasm_p50:>10.2?}  p99 {wasm_p99:>10.2?}  ({per_sec:.0} calls/s)");
    println!("  native  p50 {native_p50:>10.2?}  p99 {native_p99:>10.2?}");
    println!("  hosted/native p50 ratio: {ratio:.2}x");
    println!(
        "cold start, p50 of {COLD_STARTS}: compile {compile_p50:.2?}, checks + link + first instance {first_p50:.2?}"
    );
    println!("install (hash, compile, checks, trial instance, disk): {install:.2?}");
    println!(
        "instantiate in a fresh store, as each call does: p50 {inst_p50:.2?}  p99 {inst_p99:.2?}"
    );
    println!(
        "goal warm p50 <= 20us: {}; within 5x native: {}",
        if wasm_p50 <= Duration::from_micros(20) {
            "met"
        } else {
            "NOT met"
        },
        if ratio <= 5.0 { "met" } else { "NOT met" }
    );
}
