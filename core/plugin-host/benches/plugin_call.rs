//! What a plugin call costs: the real UK FCA plugin's `deadlines` through the
//! host (fresh store and instance per call, as in production) against the
//! same rules called natively, plus cold and warm instantiation.
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
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

const CALLS: usize = 20_000;
const WARMUP: usize = 1_000;

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99))
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

struct Bare {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Bare {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

fn main() {
    let wasm = support::wasm::uk_fca();
    println!("UK FCA component: {} KiB", wasm.len() / 1024);

    // ---- through the host -------------------------------------------------
    let dir = support::plugins_dir();
    let host = PluginHost::open(dir.path(), SandboxLimits::default()).expect("host opens");
    let text = support::manifest("uk-fca", "0.1.0", &["UK"], &wasm, "");
    let t = Instant::now();
    host.install(&wasm, &text, false).expect("installs");
    let install = t.elapsed();
    println!(
        "allocator: {}",
        if host.metrics().pooling_allocator {
            "pooling"
        } else {
            "on-demand"
        }
    );

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

    // ---- natively ----------------------------------------------------------
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

    // ---- instantiation -----------------------------------------------------
    let mut config = Config::new();
    config.epoch_interruption(true);
    let mut pooled = config.clone();
    pooled.allocation_strategy(InstanceAllocationStrategy::pooling());
    let engine = Engine::new(&pooled)
        .or_else(|_| Engine::new(&config))
        .expect("engine");
    let mut linker: Linker<Bare> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("wasi links");
    let bare_store = |engine: &Engine| {
        let mut store = Store::new(
            engine,
            Bare {
                wasi: WasiCtx::builder().build(),
                table: ResourceTable::new(),
            },
        );
        store.set_epoch_deadline(u64::MAX / 2);
        store
    };
    let t = Instant::now();
    let component = Component::from_binary(&engine, &wasm).expect("compiles");
    let compile = t.elapsed();
    linker
        .define_unknown_imports_as_traps(&component)
        .expect("stubs host imports");
    let pre = linker.instantiate_pre(&component).expect("links");
    let t = Instant::now();
    pre.instantiate(&mut bare_store(&engine))
        .expect("instantiates");
    let cold = compile + t.elapsed();
    for _ in 0..WARMUP {
        black_box(
            pre.instantiate(&mut bare_store(&engine))
                .expect("instantiates"),
        );
    }
    let (samples, _) = time_each(CALLS, || {
        black_box(
            pre.instantiate(&mut bare_store(&engine))
                .expect("instantiates"),
        );
    });
    let (inst_p50, inst_p99) = percentiles(samples);

    let ratio = wasm_p50.as_secs_f64() / native_p50.as_secs_f64();
    println!("deadlines() over {CALLS} calls, one thread:");
    println!("  hosted  p50 {wasm_p50:>10.2?}  p99 {wasm_p99:>10.2?}  ({per_sec:.0} calls/s)");
    println!("  native  p50 {native_p50:>10.2?}  p99 {native_p99:>10.2?}");
    println!("  hosted/native p50 ratio: {ratio:.2}x");
    println!("install (hash, compile, checks, trial instance, disk): {install:.2?}");
    println!("cold compile + instantiate: {cold:.2?} (compile {compile:.2?})");
    println!("instantiate from InstancePre: p50 {inst_p50:.2?}  p99 {inst_p99:.2?}");
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
