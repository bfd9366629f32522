//! `cargo bench`: the hot paths, for developers, in the terms of `lifecycle-kit bench`
//! (whose figures docs/performance.md's table comes from), each beside its baseline:
//!
//! * `cycle`: start, one 16-byte message, stop on the reference runtime and on wasmi,
//!   beside the engine floor (bare Wasmtime, pooled and on demand: `InstancePre`, the
//!   same calls, a drop) and seed style (a new Engine and a compile per start);
//! * `message`: one 16-byte echo on a ready component, beside the floor's on one bare
//!   instance;
//! * `timeout_overshoot`: a guest spinning in each lifecycle export under a 20 ms
//!   limit; the time per iteration minus 20 ms is how late the interrupt fires.

use criterion::{Criterion, criterion_group, criterion_main};
use lifecycle_kit::bench::{Floor, MESSAGE, seed_style_cycle};
use lifecycle_runtime::engine::Engine;
use lifecycle_runtime::engine::wasmtime::config::Allocation;
use lifecycle_runtime::{ComponentConfig, Limits, ModuleSource, Runtime, WasmiRuntime, lifecycle};
use std::time::{Duration, Instant};

/// Start, one message, stop: one component's whole lifecycle.
async fn cycle<E: Engine>(runtime: &lifecycle::Runtime<E>, module: ModuleSource) {
    let mut actor = runtime.component(module, ComponentConfig::default());
    actor.start().await.unwrap();
    actor.handle_message(MESSAGE).await.unwrap();
    actor.stop(Duration::from_secs(1)).await.unwrap();
}

fn executor() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn cycles(c: &mut Criterion) {
    let rt = executor();
    let bytes: std::sync::Arc<[u8]> = wat::parse_str(lifecycle_kit::bench::echo()).unwrap().into();
    let mut group = c.benchmark_group("cycle");
    let reference = Runtime::new().unwrap();
    let wasmi = WasmiRuntime::new();
    let echo = || ModuleSource::Bytes(bytes.clone());
    group.bench_function("reference", |b| {
        b.to_async(&rt).iter(|| cycle(&reference, echo()))
    });
    group.bench_function("wasmi", |b| b.to_async(&rt).iter(|| cycle(&wasmi, echo())));
    for allocation in Allocation::ALL {
        if let Some(floor) = Floor::new(allocation, &bytes).unwrap() {
            group.bench_function(format!("floor ({allocation})"), |b| {
                b.to_async(&rt)
                    .iter(|| async { floor.cycle().await.unwrap() })
            });
        }
    }
    group.bench_function("seed style (engine + compile per start)", |b| {
        b.to_async(&rt)
            .iter(|| async { seed_style_cycle(&bytes).await.unwrap() })
    });
    group.finish();
}

fn messages(c: &mut Criterion) {
    let rt = executor();
    let bytes = wat::parse_str(lifecycle_kit::bench::echo()).unwrap();
    let mut group = c.benchmark_group("message");
    let reference = Runtime::new().unwrap();
    group.bench_function("reference", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let source = ModuleSource::bytes(bytes.clone());
            let runtime = &reference;
            async move {
                let mut actor = runtime.component(source, ComponentConfig::default());
                actor.start().await.unwrap();
                let began = Instant::now();
                for _ in 0..iters {
                    actor.handle_message(MESSAGE).await.unwrap();
                }
                began.elapsed()
            }
        })
    });
    let floor = Floor::new(Allocation::Pooling, &bytes).unwrap();
    if let Some(floor) = floor {
        group.bench_function("floor", |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let floor = &floor;
                async move { floor.messages(iters as usize).await.unwrap().1 }
            })
        });
    }
    group.finish();
}

fn timeout_overshoot(c: &mut Criterion) {
    let rt = executor();
    let runtime = Runtime::new().unwrap();
    let limit = Duration::from_millis(20);
    let spin = "(loop $l (br $l))";
    let limits = Limits {
        fuel_per_call: u64::MAX,
        start_timeout: limit,
        call_timeout: limit,
        health_timeout: limit,
        ..Limits::default()
    };
    let config = ComponentConfig {
        limits,
        ..ComponentConfig::default()
    };
    let module = |export: &str| {
        let body = match export {
            "_health" => format!(r#"(func (export "_health") (result i32) {spin} (i32.const 0))"#),
            "handle-message" => format!(
                r#"(memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) (i32.const 0)) (func (export "handle-message") (param i32 i32) (result i64) {spin} (i64.const 0))"#
            ),
            _ => format!(r#"(func (export "{export}") {spin})"#),
        };
        ModuleSource::bytes(wat::parse_str(format!("(module {body})")).unwrap())
    };
    let mut group = c.benchmark_group("timeout_overshoot (20 ms limit)");
    group.sample_size(10);
    for export in ["_start", "handle-message", "_health", "_cleanup"] {
        let source = module(export);
        group.bench_function(export, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (runtime, source, config) = (&runtime, source.clone(), config.clone());
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let mut actor = runtime.component(source.clone(), config.clone());
                        if export != "_start" {
                            actor.start().await.unwrap();
                        }
                        let began = Instant::now();
                        match export {
                            "_start" => drop(actor.start().await.unwrap_err()),
                            "handle-message" => drop(actor.handle_message(b"x").await.unwrap_err()),
                            "_health" => drop(actor.health_check().await),
                            _ => drop(actor.stop(limit).await.unwrap()),
                        }
                        total += began.elapsed();
                    }
                    total
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, cycles, messages, timeout_overshoot);
criterion_main!(benches);
