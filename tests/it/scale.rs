//! The allocators, `bench` and `soak`: the suite under each allocator, a pool exhausted on
//! purpose, every figure `bench --json` promises, and a bounded soak. The soak and the
//! bench measure their own processes (`lifecycle-kit soak`, `bench`), not this one, so
//! these tests share the binary.

use crate::common::kit;
use lifecycle_runtime::engine::wasmtime::config::{Allocation, WasmtimeConfig};
use lifecycle_runtime::lifecycle::{Options, Runtime};
use lifecycle_runtime::{ComponentConfig, Fault, ModuleSource, Resource, Stage, State};
use serde_json::Value;
use std::process::Output;

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// The whole suite under both allocators, through the command line. (The default tier
/// runs it pooled in process, in the suite module, and on demand through the command line,
/// in run_cli.)
#[test]
#[ignore = "slow tier: the whole suite twice more; the default tier runs it once under each allocator"]
fn the_suite_passes_under_each_allocator() {
    for allocator in ["on-demand", "pooling"] {
        let out = kit(&["run", "--format", "json", "--allocator", allocator]);
        let report = json(&out);
        assert_eq!(out.status.code(), Some(0), "{allocator}: {report:#}");
        assert!(report["total"].as_u64().unwrap() >= 200);
        assert_eq!(report["passed"], report["total"], "{allocator}");
    }
}

#[test]
fn bad_allocators_and_counts_are_one_line() {
    for (args, says) in [
        (
            &["run", "--allocator", "heap"][..],
            "unknown allocator `heap`",
        ),
        (&["soak", "--cycles", "0"][..], "--cycles"),
        (&["bench", "--slow"][..], "--slow"),
    ] {
        let out = kit(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(says) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
}

/// A pool of two instances, full: the third start is the host running out, not a trap,
/// and a slot given back is usable again.
#[tokio::test]
async fn a_full_pool_fails_start_with_resource_limit_exceeded() {
    let config = WasmtimeConfig {
        pool_instances: 2,
        ..WasmtimeConfig::default()
    };
    let engine = lifecycle_runtime::Wasmtime::new(&config).unwrap();
    assert_eq!(engine.allocation(), Allocation::Pooling);
    let runtime = Runtime::on(engine, Options::default());
    let echo = || {
        runtime.component(
            ModuleSource::file("examples/echo.wat"),
            ComponentConfig::default(),
        )
    };
    let (mut a, mut b, mut c) = (echo(), echo(), echo());
    a.start().await.unwrap();
    b.start().await.unwrap();
    let err = c.start().await.expect_err("the pool is full");
    assert_eq!(
        (err.stage, err.fault.clone()),
        (
            Stage::Instantiate,
            Fault::ResourceLimitExceeded {
                resource: Resource::Instances
            }
        ),
        "{err}"
    );
    assert_eq!(c.state(), State::Failed);
    assert_eq!(runtime.counters().live_instances, 2);
    a.stop(std::time::Duration::from_secs(1)).await.unwrap();
    let mut d = echo();
    d.start()
        .await
        .expect("a stopped component gave its slot back");
    assert_eq!(d.handle_message(b"again").await.unwrap(), b"again");
}

#[test]
fn bench_json_has_every_figure_and_both_baselines() {
    let out = kit(&["bench", "--quick", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(
        report["allocation"], "pooling",
        "the host pools, as CI's does"
    );
    for key in [
        "cycle_p50_us",
        "spawn_p50_us",
        "stop_p50_us",
        "message_p50_us",
        "messages_per_sec",
        "messages_per_sec_all_cores",
        "rss_per_component_bytes",
        "max_components_per_gib",
        "max_components_held",
        "cycle_vs_floor_pooled",
        "cycle_vs_seed_style",
        "messages_vs_floor",
        "timeout_overshoot_p99_ms",
        "component_cycle_vs_floor_pooled",
        "component_messages_vs_floor",
    ] {
        let figure = report[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {report:#}"));
        assert!(figure > 0.0, "{key} = {figure}");
    }
    for baseline in [
        "floor_pooled",
        "floor_on_demand",
        "seed_style",
        "wasmi",
        "component",
        "component_floor_pooled",
        "component_floor_on_demand",
    ] {
        let cycle = report[baseline]["cycle_p50_us"].as_f64();
        assert!(cycle.is_some_and(|us| us > 0.0), "{baseline}: {report:#}");
    }
    let entries: Vec<&str> = report["timeout_overshoot_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["entry"].as_str().unwrap())
        .collect();
    assert_eq!(entries, ["_start", "handle-message", "_health", "_cleanup"]);
    // Every overshoot is a timeout that fired: never before its 50 ms, and a timer a
    // second late would show here.
    for o in report["timeout_overshoot_ms"].as_array().unwrap() {
        assert!(o["p99_ms"].as_f64().unwrap() < 1_000.0, "{o}");
    }
}

/// A soak too short to judge growth, through the command line, under each allocator:
/// every misbehaviour went as named and nothing was left live, and the only failure is
/// that growth was not measured.
#[test]
fn a_short_soak_leaves_nothing_live() {
    for allocator in ["pooling", "on-demand"] {
        let out = kit(&["soak", "--cycles", "40", "--json", "--allocator", allocator]);
        let report = json(&out);
        assert_eq!(out.status.code(), Some(1), "{allocator}: {report:#}");
        assert_eq!(report["allocation"], allocator);
        assert_eq!(report["progress"]["cycles"], 40);
        assert_eq!(report["progress"]["max_live_after_a_cycle"], 0);
        assert_eq!(report["progress"]["live_instances"], 0);
        assert_eq!(report["progress"]["accounted_memory_bytes"], 0);
        assert_eq!(report["progress"]["unexpected"], 0);
        let failures = report["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 1, "{report:#}");
        assert!(
            failures[0]
                .as_str()
                .unwrap()
                .starts_with("growth not measured"),
            "{report:#}"
        );
    }
}

/// The bounded soak CI runs: every misbehaviour, nothing left live, no growth.
#[test]
#[ignore = "slow tier: a soak of 20 000 cycles under each allocator, which measures the process's growth"]
fn a_bounded_soak_leaves_nothing_live_and_does_not_grow() {
    for allocator in ["pooling", "on-demand"] {
        let out = kit(&[
            "soak",
            "--cycles",
            "20000",
            "--json",
            "--allocator",
            allocator,
        ]);
        let report = json(&out);
        assert_eq!(out.status.code(), Some(0), "{allocator}: {report:#}");
        assert_eq!(
            report["allocation"], allocator,
            "the host pools, as CI's does"
        );
        assert_eq!(report["progress"]["cycles"], 20000);
        assert_eq!(report["progress"]["max_live_after_a_cycle"], 0);
        assert_eq!(report["progress"]["unexpected"], 0);
        assert!(
            report["rss_growth_per_cycle"].as_f64().is_some(),
            "{report:#}"
        );
        assert_eq!(report["failures"], serde_json::json!([]));
    }
}

/// A pooled runtime holds every memory to its slot size, and says so as a denied growth
/// and a refused start, as a limit would; on demand, the component's own limits rule.
#[tokio::test]
async fn a_pool_slot_is_a_ceiling_like_a_limit() {
    let grows = r#"(module (memory (export "memory") 1)
        (func (export "alloc") (param i32) (result i32) (i32.const 0))
        (func (export "handle-message") (param i32 i32) (result i64)
          (i64.extend_i32_s (memory.grow (i32.const 31)))))"#;
    let declares = r#"(module (memory 40))"#;
    let wasm = |wat: &str| ModuleSource::bytes(wat::parse_str(wat).unwrap());
    for allocation in Allocation::ALL {
        let config = WasmtimeConfig {
            allocation,
            memory_ceiling: 16 * 65536,
            pool_instances: 4,
            ..WasmtimeConfig::default()
        };
        let runtime = Runtime::on(
            lifecycle_runtime::Wasmtime::new(&config).unwrap(),
            Options::default(),
        );
        let mut c = runtime.component(wasm(grows), ComponentConfig::default());
        c.start().await.unwrap();
        let reply = c.handle_message(b"").await;
        let denied = c
            .events()
            .iter()
            .any(|e| matches!(e, lifecycle_runtime::Event::GrowthDenied { .. }));
        let mut big = runtime.component(wasm(declares), ComponentConfig::default());
        let refused = big.start().await.err().map(|e| e.fault);
        match allocation {
            Allocation::Pooling => {
                assert!(denied, "{:?}", c.events());
                assert_eq!(
                    refused,
                    Some(Fault::ResourceLimitExceeded {
                        resource: Resource::Memory
                    })
                );
            }
            Allocation::OnDemand => {
                assert!(!denied && reply.is_ok(), "{:?}", c.events());
                assert_eq!(refused, None);
            }
        }
    }
}

/// A pool the host cannot reserve is no failure: the runtime allocates on demand.
#[tokio::test]
async fn a_pool_the_host_cannot_reserve_falls_back_to_on_demand() {
    let config = WasmtimeConfig {
        pool_instances: u32::MAX,
        ..WasmtimeConfig::default()
    };
    let engine = lifecycle_runtime::Wasmtime::new(&config).unwrap();
    assert_eq!(engine.allocation(), Allocation::OnDemand);
    let runtime = Runtime::on(engine, Options::default());
    let mut c = runtime.component(
        ModuleSource::file("examples/echo.wat"),
        ComponentConfig::default(),
    );
    c.start().await.unwrap();
    assert_eq!(c.handle_message(b"on demand").await.unwrap(), b"on demand");
}
