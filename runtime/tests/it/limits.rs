//! SPEC.md §4, LC-LIMIT-*: limits, fuel, wall-clock timeouts, stack, and every trap code at every
//! place the host calls the guest.

use crate::common::*;
use lifecycle_runtime::{
    Component, Event, Health, HealthReason, HealthStatus, Profile, Resource, Runtime, State,
    TrapCode, Warning,
};
use rstest::rstest;
use serde_json::json;
use std::time::{Duration, Instant};

/// Where the host calls into the guest.
#[derive(Clone, Copy, Debug)]
enum Site {
    Start,
    Message,
    Health,
    Cleanup,
}

/// A module whose lifecycle exports run the given bodies. Has a memory, a 2-slot table
/// (slot 0 null, slot 1 a `[] -> [i32]` function), a recursive function and `$burn`
/// (n iterations of work) for the bodies to use.
fn lifecycle_module(start: &str, message: &str, health: &str, cleanup: &str) -> String {
    format!(
        r#"(module
  (type $void (func))
  (memory (export "memory") 1)
  (table 2 funcref)
  (func $seven (result i32) (i32.const 7))
  (elem (i32.const 1) $seven)
  (func $recurse (call $recurse))
  (func $burn (param $n i64) (local $i i64)
    (loop $l (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $l (i64.lt_u (local.get $i) (local.get $n)))))
  (func (export "_start") {start})
  (func (export "_cleanup") {cleanup})
  (func (export "_health") (result i32) {health} (i32.const 0))
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "handle-message") (param i32 i32) (result i64) {message} (i64.const 0)))"#
    )
}

/// A module whose `site` runs `body`; every other lifecycle export is harmless.
fn at_site(site: Site, body: &str) -> String {
    match site {
        Site::Start => lifecycle_module(body, "", "", ""),
        Site::Message => lifecycle_module("", body, "", ""),
        Site::Health => lifecycle_module("", "", body, ""),
        Site::Cleanup => lifecycle_module("", "", "", body),
    }
}

/// What the host reports for a guest failure at `site`, in stable terms.
async fn outcome_at(
    rt: &Runtime,
    site: Site,
    body: &str,
    edit: impl FnOnce(&mut lifecycle_runtime::Limits),
) -> serde_json::Value {
    let mut c: Component = rt.component(module(&at_site(site, body)), strict(edit));
    let result = match site {
        Site::Start => {
            let err = c.start().await.unwrap_err();
            assert_eq!(c.state(), State::Failed);
            ident(&err)
        }
        Site::Message => {
            c.start().await.unwrap();
            let err = c.handle_message(b"m").await.unwrap_err();
            assert_eq!(c.state(), State::Failed);
            ident(&err)
        }
        Site::Health => {
            c.start().await.unwrap();
            let health = c.health_check().await;
            assert_eq!(c.state(), State::Ready, "health never changes the state");
            assert_eq!(health.status, HealthStatus::Unhealthy);
            json!(health)
        }
        Site::Cleanup => {
            c.start().await.unwrap();
            let warnings = c
                .stop(Duration::from_secs(2))
                .await
                .expect("stop never fails on cleanup");
            assert_eq!(c.state(), State::Terminated);
            assert_eq!(warnings.len(), 1);
            json!(warnings[0])
        }
    };
    drop(c);
    assert_released(rt);
    result
}

fn expected(site: Site, failure: serde_json::Value) -> serde_json::Value {
    let mut v = failure;
    let m = v.as_object_mut().unwrap();
    match site {
        Site::Start => {
            m.insert("stage".into(), json!("_start"));
        }
        Site::Message => {
            m.insert("stage".into(), json!("handle-message"));
        }
        Site::Health => {
            let kind = m.remove("kind").unwrap();
            m.insert("health".into(), json!("unhealthy"));
            m.insert("reason".into(), kind);
        }
        Site::Cleanup => {
            let kind = m["kind"].as_str().unwrap().to_string();
            let warning = match kind.as_str() {
                "trapped" => "cleanup_trapped",
                "fuel_exhausted" => "cleanup_fuel_exhausted",
                "execution_timeout" => "cleanup_timeout",
                other => panic!("{other}"),
            };
            m.insert("kind".into(), json!(warning));
        }
    }
    v
}

#[rstest]
#[tokio::test]
async fn every_trap_code_at_every_call_site(
    #[values(Site::Start, Site::Message, Site::Health, Site::Cleanup)] site: Site,
    #[values(
        ("unreachable", "unreachable"),
        ("stack_overflow", "(call $recurse)"),
        ("memory_out_of_bounds", "(drop (i32.load (i32.const 65536)))"),
        ("table_out_of_bounds", "(call_indirect (type $void) (i32.const 5))"),
        ("indirect_call_to_null", "(call_indirect (type $void) (i32.const 0))"),
        ("bad_signature", "(call_indirect (type $void) (i32.const 1))"),
        ("integer_overflow", "(drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))"),
        ("integer_divide_by_zero", "(drop (i32.rem_u (i32.const 1) (i32.const 0)))"),
        ("bad_conversion_to_integer", "(drop (i32.trunc_f32_s (f32.const nan)))"),
    )]
    trap: (&str, &str),
) {
    let (code, body) = trap;
    let rt = runtime();
    let got = outcome_at(&rt, site, body, |_| {}).await;
    assert_eq!(
        got,
        expected(site, json!({"kind": "trapped", "trap": code})),
        "{site:?}"
    );
}

#[rstest]
#[tokio::test]
async fn fuel_exhaustion_is_never_a_bare_trap(
    #[values(Site::Start, Site::Message, Site::Health, Site::Cleanup)] site: Site,
) {
    let rt = runtime();
    let got = outcome_at(&rt, site, SPIN, |l| l.fuel_per_call = 50_000).await;
    assert_eq!(
        got,
        expected(site, json!({"kind": "fuel_exhausted"})),
        "{site:?}"
    );
}

/// Each wall-clock limit interrupts a guest that never yields. Fuel is unlimited, so
/// only the deadline can stop it; the bound is generous, the kind proves the interrupt.
#[rstest]
#[tokio::test]
async fn every_timeout_interrupts_a_tight_loop(
    #[values(Site::Start, Site::Message, Site::Health, Site::Cleanup)] site: Site,
) {
    let rt = runtime();
    let limit = Duration::from_millis(200);
    let mut c = rt.component(
        module(&at_site(site, SPIN)),
        strict(|l| {
            l.fuel_per_call = u64::MAX;
            l.start_timeout = limit;
            l.call_timeout = limit;
            l.health_timeout = limit;
        }),
    );
    if !matches!(site, Site::Start) {
        c.start().await.unwrap();
    }
    let began = Instant::now();
    let got = match site {
        Site::Start => ident(&c.start().await.unwrap_err()),
        Site::Message => ident(&c.handle_message(b"m").await.unwrap_err()),
        Site::Health => json!(c.health_check().await),
        Site::Cleanup => json!(c.stop(limit).await.unwrap()[0]),
    };
    let took = began.elapsed();
    assert_eq!(
        got,
        expected(site, json!({"kind": "execution_timeout"})),
        "{site:?}"
    );
    assert!(
        took >= limit && took < limit + SLACK,
        "{site:?} took {took:?}"
    );
}

#[tokio::test]
async fn fuel_is_refilled_before_every_call() {
    let rt = runtime();
    // One unit of work costs more than half the budget: two units in one call run out
    // (shown first), so every call below succeeds only if its budget was refilled.
    let fuel = 1_000_000;
    let unit = 100_000u64;
    let double = at_site(
        Site::Message,
        &format!("(call $burn (i64.const {}))", 2 * unit),
    );
    let mut c = ready(&rt, &double, strict(|l| l.fuel_per_call = fuel)).await;
    assert_eq!(
        c.handle_message(b"m").await.unwrap_err().kind().as_str(),
        "fuel_exhausted"
    );

    let once = format!("(call $burn (i64.const {unit}))");
    let wat = lifecycle_module(&once, &once, &once, &once);
    let mut c = ready(&rt, &wat, strict(|l| l.fuel_per_call = fuel)).await;
    for _ in 0..3 {
        c.handle_message(b"m").await.expect("message after refill");
        assert_eq!(c.health_check().await, Health::HEALTHY);
    }
    assert_eq!(
        c.stop(Duration::from_secs(1)).await.unwrap(),
        [],
        "cleanup after refill"
    );
}

#[tokio::test]
async fn the_stack_limit_turns_deep_recursion_into_stack_overflow() {
    let rt = runtime();
    let got = outcome_at(&rt, Site::Message, "(call $recurse)", |_| {}).await;
    assert_eq!(got["trap"], "stack_overflow");
}

const GROW_MEMORY: &str =
    "(i32.store (i32.const 0) (memory.grow (i32.load8_u (local.get $ptr)))) (i64.const 4)";

#[tokio::test]
async fn memory_growth_past_the_limit_returns_minus_one_and_does_not_trap() {
    let rt = runtime();
    let mut c = ready(
        &rt,
        &actor(GROW_MEMORY, ""),
        strict(|l| l.max_memory_bytes = 3 * 65_536),
    )
    .await;
    assert_eq!(rt.accounted_memory_bytes(), 65_536);
    // Grow by 2 pages: allowed (1 -> 3 pages), returns the old size.
    assert_eq!(c.handle_message(&[2]).await.unwrap(), 1i32.to_le_bytes());
    assert_eq!(rt.accounted_memory_bytes(), 3 * 65_536);
    c.take_events();
    // Grow by 1 more: past the limit, -1, no trap, still ready, nothing more accounted.
    assert_eq!(c.handle_message(&[1]).await.unwrap(), (-1i32).to_le_bytes());
    assert_eq!(c.state(), State::Ready);
    assert_eq!(rt.accounted_memory_bytes(), 3 * 65_536);
    assert!(c.events().contains(&Event::GrowthDenied {
        resource: Resource::Memory,
        current: 3 * 65_536,
        desired: 4 * 65_536
    }));
    // Growing by 0 is always fine.
    assert_eq!(c.handle_message(&[0]).await.unwrap(), 3i32.to_le_bytes());
    c.stop(Duration::from_secs(1)).await.unwrap();
    assert_released(&rt);
}

#[tokio::test]
async fn memory_growth_past_the_module_maximum_fails_without_leaking_accounting() {
    let rt = runtime();
    let wat = actor(GROW_MEMORY, "").replace(
        "(memory (export \"memory\") 1)",
        "(memory (export \"memory\") 1 2)",
    );
    let mut c = ready(&rt, &wat, strict(|_| {})).await;
    assert_eq!(c.handle_message(&[5]).await.unwrap(), (-1i32).to_le_bytes());
    assert_eq!(rt.accounted_memory_bytes(), 65_536);
    assert_eq!(c.handle_message(&[1]).await.unwrap(), 1i32.to_le_bytes());
    assert_eq!(rt.accounted_memory_bytes(), 2 * 65_536);
}

#[tokio::test]
async fn table_growth_past_the_limit_returns_minus_one_and_does_not_trap() {
    let rt = runtime();
    let grow = "(i32.store (i32.const 0) (table.grow $t (ref.null func) (i32.load8_u (local.get $ptr)))) (i64.const 4)";
    let wat = actor(grow, "(table $t 2 funcref)");
    let mut c = ready(
        &rt,
        &wat,
        config(Profile::Standard, |l| l.max_table_elements = 5),
    )
    .await;
    assert_eq!(
        c.handle_message(&[3]).await.unwrap(),
        2i32.to_le_bytes(),
        "2 -> 5 allowed"
    );
    c.take_events();
    assert_eq!(
        c.handle_message(&[1]).await.unwrap(),
        (-1i32).to_le_bytes(),
        "5 -> 6 denied"
    );
    assert_eq!(c.state(), State::Ready);
    assert!(c.events().contains(&Event::GrowthDenied {
        resource: Resource::Table,
        current: 5,
        desired: 6
    }));
}

#[tokio::test]
async fn health_failures_keep_the_component_ready_and_serving() {
    let rt = runtime();
    let mut c = ready(&rt, &at_site(Site::Health, "unreachable"), strict(|_| {})).await;
    let health = c.health_check().await;
    assert_eq!(
        health.reason,
        Some(HealthReason::Trapped {
            trap: TrapCode::Unreachable
        })
    );
    assert_eq!(c.handle_message(b"still serving").await.unwrap(), b"");
    assert_eq!(rt.live_instances(), 1);
}

#[tokio::test]
async fn a_cleanup_timeout_is_a_warning_and_stop_still_terminates() {
    let rt = runtime();
    let mut c = ready(
        &rt,
        &at_site(Site::Cleanup, SPIN),
        strict(|l| l.fuel_per_call = u64::MAX),
    )
    .await;
    let warnings = c.stop(Duration::from_millis(100)).await.unwrap();
    assert_eq!(warnings, [Warning::CleanupTimeout]);
    assert_eq!(c.state(), State::Terminated);
    assert!(c.events().contains(&Event::Warning {
        warning: Warning::CleanupTimeout
    }));
    assert_released(&rt);
}
