//! Helpers shared by the integration tests.
#![allow(dead_code)]

use lifecycle_runtime::{
    CallOutcome, Component, ComponentConfig, Error, Event, Limits, ModuleSource, Profile, Runtime,
    State,
};
use std::time::Duration;

pub fn runtime() -> Runtime {
    Runtime::new().expect("the reference runtime starts")
}

pub fn module(wat: &str) -> ModuleSource {
    ModuleSource::bytes(wat::parse_str(wat).expect("test WAT parses"))
}

pub fn config(profile: Profile, edit: impl FnOnce(&mut Limits)) -> ComponentConfig {
    let mut limits = Limits::default();
    edit(&mut limits);
    ComponentConfig {
        profile,
        limits,
        ..ComponentConfig::default()
    }
}

pub fn strict(edit: impl FnOnce(&mut Limits)) -> ComponentConfig {
    config(Profile::Strict, edit)
}

/// A component of `wat` with default limits, already started successfully.
pub async fn ready(rt: &Runtime, wat: &str, config: ComponentConfig) -> Component {
    let mut c = rt.component(module(wat), config);
    c.start().await.expect("start succeeds");
    assert_eq!(c.state(), State::Ready);
    c
}

/// Starts a component that must fail to start, and checks it failed cleanly: state
/// `failed`, the two transitions, and nothing held.
pub async fn start_error(rt: &Runtime, source: ModuleSource, config: ComponentConfig) -> Error {
    let mut c = rt.component(source, config);
    let err = c.start().await.expect_err("start fails");
    assert_eq!(c.state(), State::Failed);
    assert_eq!(
        transitions(c.events()),
        [
            (State::Creating, State::Starting),
            (State::Starting, State::Failed)
        ]
    );
    assert_released(rt);
    c.stop(Duration::from_secs(1))
        .await
        .expect("stop after a failed start");
    assert_eq!(c.state(), State::Terminated);
    err
}

pub fn assert_released(rt: &Runtime) {
    assert_eq!(rt.live_instances(), 0, "live instances");
    assert_eq!(rt.accounted_memory_bytes(), 0, "accounted memory");
}

pub use lifecycle_contract::events::transitions;

pub fn calls(events: &[Event]) -> Vec<(&'static str, CallOutcome)> {
    lifecycle_contract::events::guest_calls(events)
        .into_iter()
        .map(|call| (call.export.as_str(), call.outcome))
        .collect()
}

/// The error as its stable JSON (kind, stage, fields), without the free-text detail.
pub fn ident(err: &Error) -> serde_json::Value {
    let mut v = serde_json::to_value(err).unwrap();
    v.as_object_mut().unwrap().remove("detail");
    v
}

/// A module with memory, a bump `alloc` and `handle-message` running `body`
/// (params `$ptr`, `$len`; must leave an i64), plus any `extra` fields.
pub fn actor(body: &str, extra: &str) -> String {
    format!(
        r#"(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "alloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $n)))
    (local.get $p))
  (func (export "handle-message") (param $ptr i32) (param $len i32) (result i64)
    {body})
  {extra})"#
    )
}

/// A loop that never yields and never ends.
pub const SPIN: &str = "(loop $l (br $l))";

/// Generous slack for wall-clock assertions: they prove the interrupt fired, not speed.
pub const SLACK: Duration = Duration::from_secs(5);

/// A loop of `n` iterations over a local counter: work that never yields.
pub fn spin_iterations(n: u64) -> String {
    format!(
        "(local $i i64) (loop $l (local.set $i (i64.add (local.get $i) (i64.const 1))) (br_if $l (i64.lt_u (local.get $i) (i64.const {n}))))"
    )
}

/// Iterations of [`spin_iterations`] per millisecond on this machine: the fastest of
/// five probes, so that work sized from it takes at least as long as intended unless
/// the machine speeds up between probe and test.
pub async fn iterations_per_ms(rt: &Runtime) -> f64 {
    let probe = 10_000_000u64;
    let wat = actor(&format!("{} (i64.const 0)", spin_iterations(probe)), "");
    let mut c = ready(rt, &wat, strict(|l| l.fuel_per_call = u64::MAX)).await;
    let mut fastest = Duration::MAX;
    for _ in 0..5 {
        let began = std::time::Instant::now();
        c.handle_message(b"").await.unwrap();
        fastest = fastest.min(began.elapsed());
    }
    probe as f64 / fastest.as_secs_f64() / 1000.0
}

/// A deadline that must cover two guest calls together (`first` then `second`), checked
/// without depending on how fast the machine is: `first` burns about 60% of `limit` at
/// this machine's fastest measured speed, `second` never ends. Under one deadline,
/// `second` is interrupted `limit` after `first` began; a deadline armed again for
/// `second` would let it run a whole `limit` more, at least 1.6 × `limit` in all. The
/// check fails only past 1.5 × `limit`, so a busy machine (which only makes `first`
/// slower, and at worst interrupts it instead) cannot fail it.
pub const SHARED_DEADLINE: Duration = Duration::from_secs(1);

/// The iterations `first` burns for [`SHARED_DEADLINE`]: 60% of it at the fastest speed.
pub async fn shared_deadline_burn(rt: &Runtime) -> String {
    let ms = SHARED_DEADLINE.as_millis() as f64 * 0.6;
    spin_iterations((iterations_per_ms(rt).await * ms) as u64)
}

/// Asserts what [`SHARED_DEADLINE`] promises of a call that took `took`.
pub fn assert_one_deadline(took: Duration, err: &Error) {
    assert_eq!(err.kind().as_str(), "execution_timeout", "{err}");
    assert!(took >= SHARED_DEADLINE, "fired early: {took:?}");
    assert!(
        took < SHARED_DEADLINE.mul_f64(1.5),
        "took {took:?}: the second call got a deadline of its own"
    );
}
