//! `cargo bench`: what the README's performance figures come from.
//!
//! * `start_stop`: one full component lifecycle (start, one message, stop) on the
//!   reference runtime and on wasmi, side by side with the baseline the reference
//!   replaces: a new Engine and a compile for every component start.
//! * `timeout_overshoot`: a guest spinning in each lifecycle export under a 20 ms
//!   limit; the time per iteration minus 20 ms is how late the interrupt fires.

use criterion::{Criterion, criterion_group, criterion_main};
use lifecycle_kit::engine::Engine;
use lifecycle_kit::{ComponentConfig, Limits, ModuleSource, Runtime, WasmiRuntime, lifecycle};
use std::time::{Duration, Instant};

const ECHO: &str = include_str!("../examples/echo.wat");

/// Start, one message, stop: one component's whole lifecycle.
async fn cycle<E: Engine>(runtime: &lifecycle::Runtime<E>, module: ModuleSource) {
    let mut actor = runtime.component(module, ComponentConfig::default());
    actor.start().await.unwrap();
    actor.handle_message(b"hello").await.unwrap();
    actor.stop(Duration::from_secs(1)).await.unwrap();
}

fn start_stop(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bytes: std::sync::Arc<[u8]> = wat::parse_str(ECHO).unwrap().into();
    let mut group = c.benchmark_group("start_stop");

    // The same lifecycle on each backend; wasmi's calls run on blocking threads.
    let reference = Runtime::new().unwrap();
    let wasmi = WasmiRuntime::new();
    let echo = || ModuleSource::Bytes(bytes.clone());
    group.bench_function("reference (cached module)", |b| {
        b.to_async(&rt).iter(|| cycle(&reference, echo()))
    });
    group.bench_function("wasmi (cached module)", |b| {
        b.to_async(&rt).iter(|| cycle(&wasmi, echo()))
    });

    // The baseline: what a runtime that builds an Engine and compiles per start pays.
    group.bench_function("baseline (engine + compile per start)", |b| {
        b.iter(|| {
            let mut config = wasmtime::Config::new();
            config.consume_fuel(true).epoch_interruption(true);
            let engine = wasmtime::Engine::new(&config).unwrap();
            let module = wasmtime::Module::from_binary(&engine, &bytes).unwrap();
            let mut store = wasmtime::Store::new(&engine, ());
            store.set_fuel(u64::MAX).unwrap();
            store.set_epoch_deadline(u64::MAX);
            let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
            let start = instance
                .get_typed_func::<(), ()>(&mut store, "_start")
                .unwrap();
            start.call(&mut store, ()).unwrap();
            let alloc = instance
                .get_typed_func::<i32, i32>(&mut store, "alloc")
                .unwrap();
            let handle = instance
                .get_typed_func::<(i32, i32), i64>(&mut store, "handle-message")
                .unwrap();
            let memory = instance.get_memory(&mut store, "memory").unwrap();
            let ptr = alloc.call(&mut store, 5).unwrap();
            memory.write(&mut store, ptr as usize, b"hello").unwrap();
            handle.call(&mut store, (ptr, 5)).unwrap();
            instance
                .get_typed_func::<(), ()>(&mut store, "_cleanup")
                .unwrap()
                .call(&mut store, ())
                .unwrap();
        })
    });
    group.finish();
}

fn timeout_overshoot(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
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

criterion_group!(benches, start_stop, timeout_overshoot);
criterion_main!(benches);
