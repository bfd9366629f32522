//! SPEC.md §1, §3 (health), §5, §7 and LC-START-7: states, transitions, invalid operations, stop,
//! teardown on every path, and the compile cache.

use crate::common::*;
use lifecycle_runtime::{
    CallOutcome, Event, Health, HealthReason, HealthStatus, ModuleSource, Profile, State,
};
use rstest::rstest;
use serde_json::json;
use std::time::Duration;

const ECHO: &str = "(i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len)))";
const ONE_SECOND: Duration = Duration::from_secs(1);

fn echo_with(extra: &str) -> String {
    actor(ECHO, extra)
}

#[tokio::test]
async fn the_whole_lifecycle_in_order() {
    let rt = runtime();
    let wat = echo_with(
        r#"(func (export "_start")) (func (export "_cleanup")) (func (export "_health") (result i32) (i32.const 0))"#,
    );
    let mut c = rt.component(module(&wat), strict(|_| {}));
    assert_eq!(c.state(), State::Creating);
    c.start().await.unwrap();
    assert_eq!(c.handle_message(b"hi").await.unwrap(), b"hi");
    assert_eq!(c.health_check().await, Health::HEALTHY);
    assert_eq!(c.stop(ONE_SECOND).await.unwrap(), []);
    use State::*;
    assert_eq!(
        transitions(c.events()),
        [
            (Creating, Starting),
            (Starting, Ready),
            (Ready, Stopping),
            (Stopping, Terminated)
        ]
    );
    let calls: Vec<_> = calls(c.events()).into_iter().map(|(e, _)| e).collect();
    assert_eq!(
        calls,
        ["_start", "alloc", "handle-message", "_health", "_cleanup"]
    );
    assert_released(&rt);
}

#[tokio::test]
async fn start_is_allowed_only_in_creating() {
    let rt = runtime();
    let mut c = ready(&rt, &echo_with(""), strict(|_| {})).await;
    let before = c.events().len();
    let err = c.start().await.unwrap_err();
    assert_eq!(
        ident(&err),
        json!({"kind": "invalid_state", "stage": "load", "state": "ready"})
    );
    assert_eq!(c.state(), State::Ready, "changes nothing");
    assert_eq!(rt.live_instances(), 1, "the first instance is untouched");
    assert!(transitions(&c.events()[before..]).is_empty());
    assert_eq!(c.handle_message(b"still").await.unwrap(), b"still");

    c.stop(ONE_SECOND).await.unwrap();
    let err = c.start().await.unwrap_err();
    assert_eq!(
        err.kind().as_str(),
        "invalid_state",
        "never restarted in place"
    );
    assert_eq!(c.state(), State::Terminated);

    let mut failed = rt.component(
        module("(module (func (export \"_start\") unreachable))"),
        strict(|_| {}),
    );
    failed.start().await.unwrap_err();
    assert_eq!(
        failed.start().await.unwrap_err().kind().as_str(),
        "invalid_state"
    );
    assert_eq!(failed.state(), State::Failed);
}

#[rstest]
#[case::creating(State::Creating)]
#[case::failed(State::Failed)]
#[case::terminated(State::Terminated)]
#[tokio::test]
async fn messages_are_allowed_only_in_ready(#[case] state: State) {
    let rt = runtime();
    let wat = echo_with(
        r#"(func (export "_start") (if (i32.eqz (global.get $next)) (then unreachable)))"#,
    );
    let mut c = rt.component(module(&wat), strict(|_| {}));
    match state {
        State::Creating => {}
        State::Failed => {
            let wat = echo_with(r#"(func (export "_start") unreachable)"#);
            c = rt.component(module(&wat), strict(|_| {}));
            c.start().await.unwrap_err();
        }
        State::Terminated => {
            c.start().await.unwrap();
            c.stop(ONE_SECOND).await.unwrap();
        }
        _ => unreachable!(),
    }
    let before = c.events().len();
    let err = c.handle_message(b"x").await.unwrap_err();
    assert_eq!(
        ident(&err),
        json!({"kind": "invalid_state", "stage": "handle-message", "state": state.as_str()})
    );
    assert_eq!(c.state(), state);
    assert!(calls(&c.events()[before..]).is_empty(), "guest not entered");
    assert!(transitions(&c.events()[before..]).is_empty());
}

#[tokio::test]
async fn health_in_every_observable_state() {
    let rt = runtime();
    let wat = echo_with(r#"(func (export "_health") (result i32) (i32.const 1))"#);
    let mut c = rt.component(module(&wat), strict(|_| {}));
    let not_ready = |state, status| Health {
        status,
        reason: Some(HealthReason::NotReady { state }),
    };
    assert_eq!(
        c.health_check().await,
        not_ready(State::Creating, HealthStatus::Degraded)
    );
    c.start().await.unwrap();
    assert_eq!(
        c.health_check().await.status,
        HealthStatus::Degraded,
        "from _health"
    );
    assert_eq!(calls(c.events()).last().unwrap().0, "_health");
    c.stop(ONE_SECOND).await.unwrap();
    assert_eq!(
        c.health_check().await,
        not_ready(State::Terminated, HealthStatus::Unhealthy)
    );

    let mut f = rt.component(module("(module (func (export \"_start\") unreachable) (func (export \"_health\") (result i32) (i32.const 0)))"), strict(|_| {}));
    f.start().await.unwrap_err();
    let before = f.events().len();
    assert_eq!(
        f.health_check().await,
        not_ready(State::Failed, HealthStatus::Unhealthy)
    );
    assert_eq!(
        f.events().len(),
        before,
        "no call, no event, no state change"
    );
    // `starting` and `stopping` are never observable between operations; their mapping
    // (degraded) is covered by the unit tests of `Health::for_state`.
}

#[rstest]
#[case::healthy(0, HealthStatus::Healthy, None)]
#[case::degraded(1, HealthStatus::Degraded, Some(HealthReason::GuestReported))]
#[case::unhealthy(2, HealthStatus::Unhealthy, Some(HealthReason::GuestReported))]
#[case::unknown_3(3, HealthStatus::Unhealthy, Some(HealthReason::UnknownHealthCode { code: 3 }))]
#[case::unknown_negative(-1, HealthStatus::Unhealthy, Some(HealthReason::UnknownHealthCode { code: -1 }))]
#[tokio::test]
async fn health_codes_map_as_the_contract_says(
    #[case] code: i32,
    #[case] status: HealthStatus,
    #[case] reason: Option<HealthReason>,
) {
    let rt = runtime();
    let wat = format!(r#"(module (func (export "_health") (result i32) (i32.const {code})))"#);
    let mut c = ready(&rt, &wat, strict(|_| {})).await;
    assert_eq!(c.health_check().await, Health { status, reason });
    assert_eq!(c.state(), State::Ready);
}

#[tokio::test]
async fn without_a_health_export_a_ready_component_is_healthy() {
    let rt = runtime();
    let mut c = ready(&rt, "(module)", strict(|_| {})).await;
    assert_eq!(c.health_check().await, Health::HEALTHY);
    assert!(calls(c.events()).is_empty());
}

#[tokio::test]
async fn stop_is_idempotent_on_terminated() {
    let rt = runtime();
    let mut c = ready(
        &rt,
        &echo_with(r#"(func (export "_cleanup"))"#),
        strict(|_| {}),
    )
    .await;
    c.stop(ONE_SECOND).await.unwrap();
    let before = c.events().to_vec();
    assert_eq!(c.stop(ONE_SECOND).await.unwrap(), []);
    assert_eq!(c.stop(ONE_SECOND).await.unwrap(), []);
    assert_eq!(c.events(), before, "no events");
    assert_eq!(
        calls(c.events())
            .iter()
            .filter(|(e, _)| *e == "_cleanup")
            .count(),
        1,
        "cleanup ran once"
    );
}

#[tokio::test]
async fn stop_from_creating_terminates_without_loading() {
    let rt = runtime();
    let mut c = rt.component(ModuleSource::file("/does/not/exist.wasm"), strict(|_| {}));
    assert_eq!(c.stop(ONE_SECOND).await.unwrap(), []);
    assert_eq!(
        transitions(c.events()),
        [
            (State::Creating, State::Stopping),
            (State::Stopping, State::Terminated)
        ]
    );
    assert_eq!(rt.compilations(), 0);
}

#[tokio::test]
async fn cleanup_runs_only_from_ready() {
    let rt = runtime();
    // `_cleanup` traps, so a call would show as a warning.
    let cleanup = r#"(func (export "_cleanup") unreachable)"#;
    let mut failed = rt.component(
        module(&format!(
            r#"(module {cleanup} (func (export "_start") unreachable))"#
        )),
        strict(|_| {}),
    );
    failed.start().await.unwrap_err();
    assert_eq!(failed.stop(ONE_SECOND).await.unwrap(), []);
    assert!(!calls(failed.events()).iter().any(|(e, _)| *e == "_cleanup"));

    let mut creating = rt.component(module(&format!("(module {cleanup})")), strict(|_| {}));
    assert_eq!(creating.stop(ONE_SECOND).await.unwrap(), []);

    let mut ready = ready(&rt, &format!("(module {cleanup})"), strict(|_| {})).await;
    let warnings = ready.stop(ONE_SECOND).await.unwrap();
    assert_eq!(
        json!(warnings),
        json!([{"kind": "cleanup_trapped", "trap": "unreachable"}])
    );
    assert_eq!(ready.state(), State::Terminated);
    assert_released(&rt);
}

#[tokio::test]
async fn dropping_a_component_in_any_state_releases_everything() {
    let rt = runtime();
    let wat = echo_with("");
    // creating
    drop(rt.component(module(&wat), strict(|_| {})));
    assert_released(&rt);
    // ready, with grown memory
    let mut c = ready(
        &rt,
        &wat.replace(
            "(memory (export \"memory\") 1)",
            "(memory (export \"memory\") 4)",
        ),
        strict(|_| {}),
    )
    .await;
    c.handle_message(b"x").await.unwrap();
    assert_eq!(
        (rt.live_instances(), rt.accounted_memory_bytes()),
        (1, 4 * 65_536)
    );
    drop(c);
    assert_released(&rt);
    // failed after ready
    let mut c = ready(&rt, &actor("unreachable", ""), strict(|_| {})).await;
    c.handle_message(b"x").await.unwrap_err();
    drop(c);
    assert_released(&rt);
    // terminated
    let mut c = ready(&rt, &wat, strict(|_| {})).await;
    c.stop(ONE_SECOND).await.unwrap();
    drop(c);
    assert_released(&rt);
}

#[tokio::test]
async fn an_abandoned_start_never_leaves_the_component_starting() {
    let rt = runtime();
    let wat = format!(r#"(module (memory 1) (func (export "_start") {SPIN}))"#);
    let mut c = rt.component(module(&wat), strict(|l| l.fuel_per_call = u64::MAX));
    // The caller gives up long before the start timeout (5 s) would fire.
    let gave_up = tokio::time::timeout(Duration::from_millis(100), c.start()).await;
    assert!(gave_up.is_err(), "the caller's timeout fired");
    assert_eq!(c.state(), State::Failed);
    assert!(
        c.events()
            .contains(&Event::Cancelled { operation: "start" })
    );
    assert_released(&rt);
    assert_eq!(c.stop(ONE_SECOND).await.unwrap(), []);
}

#[tokio::test]
async fn an_abandoned_message_fails_the_component() {
    let rt = runtime();
    let mut c = ready(
        &rt,
        &actor(&format!("{SPIN} (i64.const 0)"), ""),
        strict(|l| l.fuel_per_call = u64::MAX),
    )
    .await;
    let gave_up = tokio::time::timeout(Duration::from_millis(100), c.handle_message(b"x")).await;
    assert!(gave_up.is_err());
    assert_eq!(c.state(), State::Failed);
    assert_released(&rt);
}

#[tokio::test]
async fn an_abandoned_stop_still_terminates() {
    let rt = runtime();
    let wat = format!(r#"(module (func (export "_cleanup") {SPIN}))"#);
    let mut c = ready(&rt, &wat, strict(|l| l.fuel_per_call = u64::MAX)).await;
    let gave_up =
        tokio::time::timeout(Duration::from_millis(100), c.stop(Duration::from_secs(30))).await;
    assert!(gave_up.is_err());
    assert_eq!(c.state(), State::Terminated);
    assert_released(&rt);
}

#[tokio::test]
async fn a_cached_module_starts_without_compiling() {
    let rt = runtime();
    let wat = echo_with(r#"(func (export "_start"))"#);
    let mut first = ready(&rt, &wat, strict(|_| {})).await;
    assert_eq!(rt.compilations(), 1);
    for _ in 0..10 {
        let mut c = ready(&rt, &wat, strict(|_| {})).await;
        assert_eq!(c.handle_message(b"x").await.unwrap(), b"x");
        c.stop(ONE_SECOND).await.unwrap();
    }
    assert_eq!(rt.compilations(), 1, "ten more starts, no compile");
    assert_eq!(
        first.handle_message(b"y").await.unwrap(),
        b"y",
        "instances are independent"
    );
    // Another profile is another engine: one more compile, then cached too.
    ready(&rt, &wat, config(Profile::Standard, |_| {})).await;
    ready(&rt, &wat, config(Profile::Standard, |_| {})).await;
    assert_eq!(rt.compilations(), 2);
    // Different limits reuse the compiled module: limits are per store, not per module.
    ready(&rt, &wat, strict(|l| l.max_memory_bytes = 1 << 20)).await;
    assert_eq!(rt.compilations(), 2);
}

#[tokio::test]
async fn each_component_gets_its_own_instance_state() {
    let rt = runtime();
    // Replies with a per-instance counter: shared state between stores would show.
    let count = "(global.set $n (i32.add (global.get $n) (i32.const 1))) (i32.store (i32.const 0) (global.get $n)) (i64.const 4)";
    let wat = actor(count, "(global $n (mut i32) (i32.const 0))");
    let mut a = ready(&rt, &wat, strict(|_| {})).await;
    let mut b = ready(&rt, &wat, strict(|_| {})).await;
    assert_eq!(a.handle_message(b"").await.unwrap(), 1i32.to_le_bytes());
    assert_eq!(a.handle_message(b"").await.unwrap(), 2i32.to_le_bytes());
    assert_eq!(b.handle_message(b"").await.unwrap(), 1i32.to_le_bytes());
    assert_eq!(rt.live_instances(), 2);
}

#[tokio::test]
async fn guest_calls_are_reported_with_their_outcomes() {
    let rt = runtime();
    let mut c = ready(
        &rt,
        &actor("unreachable", r#"(func (export "_start"))"#),
        strict(|_| {}),
    )
    .await;
    c.handle_message(b"x").await.unwrap_err();
    assert_eq!(
        calls(c.events()),
        [
            ("_start", CallOutcome::Returned),
            ("alloc", CallOutcome::Returned),
            (
                "handle-message",
                CallOutcome::Trapped {
                    trap: lifecycle_runtime::TrapCode::Unreachable
                }
            )
        ]
    );
    let errors: Vec<_> = c
        .events()
        .iter()
        .filter(|e| matches!(e, Event::Error { .. }))
        .collect();
    assert_eq!(errors.len(), 1);
}

#[test]
fn an_engine_that_cannot_be_built_is_engine_initialization() {
    // Wasmtime refuses a guest stack larger than the async stack it runs on.
    let mut config = lifecycle_runtime::RuntimeConfig::default();
    config.engine.max_wasm_stack = 64 << 20;
    let err = lifecycle_runtime::Runtime::with_config(config)
        .err()
        .expect("no runtime");
    assert_eq!(err.kind().as_str(), "engine_initialization");
    assert!(err.detail.is_some());
}

/// An engine on a host that has run out: it compiles, but cannot afford an instance.
/// (Written outside the crate, as any backend may be.)
struct OutOfInstances(lifecycle_runtime::Wasmtime);

impl lifecycle_runtime::engine::Engine for OutOfInstances {
    const NAME: &'static str = "out-of-instances";
    const VERSION: &'static str = "test";
    type Module = <lifecycle_runtime::Wasmtime as lifecycle_runtime::engine::Engine>::Module;
    type Guest = lifecycle_runtime::engine::wasmtime::WasmtimeGuest;

    fn compile(
        &self,
        profile: Profile,
        abi: lifecycle_contract::Abi,
        bytes: &[u8],
    ) -> Result<Self::Module, lifecycle_runtime::engine::CompileError> {
        self.0.compile(profile, abi, bytes)
    }

    async fn instantiate(
        &self,
        _: &Self::Module,
        _: lifecycle_runtime::engine::Instantiate,
    ) -> Result<Self::Guest, lifecycle_runtime::engine::Stopped> {
        let detail = "Cannot allocate memory (os error 12)".into();
        Err(lifecycle_runtime::engine::Stopped::Exhausted { detail })
    }
}

#[tokio::test]
async fn a_host_that_runs_out_of_instances_fails_start_with_resource_limit_exceeded() {
    let engine = lifecycle_runtime::Wasmtime::new(&Default::default()).unwrap();
    let runtime = lifecycle_runtime::lifecycle::Runtime::on(
        OutOfInstances(engine),
        lifecycle_runtime::lifecycle::Options::default(),
    );
    let mut c = runtime.component(
        ModuleSource::file(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/echo.wat")),
        lifecycle_runtime::ComponentConfig::default(),
    );
    let err = c.start().await.unwrap_err();
    assert_eq!(
        (err.stage, err.fault),
        (
            lifecycle_runtime::Stage::Instantiate,
            lifecycle_runtime::Fault::ResourceLimitExceeded {
                resource: lifecycle_runtime::Resource::Instances
            }
        ),
        "a host out of instances is no guest trap"
    );
    assert_eq!(c.state(), State::Failed);
    assert_eq!(runtime.live_instances(), 0);
}
