//! SPEC.md §3, LC-MSG-*: the message ABI, with every bounds check.

use crate::common::*;
use lifecycle_runtime::{CallOutcome, State, TrapCode};
use rstest::rstest;
use serde_json::json;
use std::time::{Duration, Instant};

const ECHO: &str = "(i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len)))";

#[tokio::test]
async fn a_message_is_copied_in_and_the_reply_copied_out() {
    let rt = runtime();
    let mut c = ready(&rt, &actor(ECHO, ""), strict(|_| {})).await;
    assert_eq!(c.handle_message(b"hello").await.unwrap(), b"hello");
    assert_eq!(
        c.handle_message(b"").await.unwrap(),
        b"",
        "an empty message, no reply"
    );
    let big = vec![0xabu8; 40_000];
    assert_eq!(c.handle_message(&big).await.unwrap(), big);
    let calls = calls(c.events());
    assert_eq!(
        calls[calls.len() - 2..],
        [
            ("alloc", CallOutcome::Returned),
            ("handle-message", CallOutcome::Returned)
        ]
    );
    assert_eq!(c.state(), State::Ready);
}

#[tokio::test]
async fn the_guest_sees_the_exact_bytes_at_the_pointer_alloc_returned() {
    // Replies with (ptr, len) as two little-endian i32s written at 0: proves the
    // host passed what alloc returned and the real length.
    let body = "(i32.store (i32.const 0) (local.get $ptr)) (i32.store (i32.const 4) (local.get $len)) (i64.const 8)";
    let rt = runtime();
    let mut c = ready(&rt, &actor(body, ""), strict(|_| {})).await;
    let reply = c.handle_message(b"abc").await.unwrap();
    assert_eq!(reply, [0, 4, 0, 0, 3, 0, 0, 0], "ptr 1024, len 3");
    let reply = c.handle_message(b"de").await.unwrap();
    assert_eq!(
        reply,
        [3, 4, 0, 0, 2, 0, 0, 0],
        "bump allocator moved to 1027"
    );
}

#[tokio::test]
async fn a_zero_length_reply_is_no_reply_whatever_the_pointer() {
    let rt = runtime();
    let mut c = ready(
        &rt,
        &actor("(i64.const 0x7fffffff00000000)", ""),
        strict(|_| {}),
    )
    .await;
    assert_eq!(c.handle_message(b"x").await.unwrap(), b"");
}

#[rstest]
#[case::minus_one(-1, 1)]
#[case::minus_42(-42, 42)]
#[case::most_negative(i64::MIN, 1u64 << 63)]
#[tokio::test]
async fn a_negative_result_is_an_application_error(#[case] result: i64, #[case] code: u64) {
    let rt = runtime();
    let mut c = ready(
        &rt,
        &actor(&format!("(i64.const {result})"), ""),
        strict(|_| {}),
    )
    .await;
    let err = c.handle_message(b"x").await.unwrap_err();
    assert_eq!(
        ident(&err),
        json!({"kind": "message_error", "stage": "handle-message", "code": code})
    );
    assert_eq!(c.state(), State::Ready, "stays ready");
    assert_eq!(
        c.handle_message(b"y").await.unwrap_err().kind(),
        err.kind(),
        "and keeps serving"
    );
}

#[tokio::test]
async fn a_message_over_the_limit_is_rejected_without_entering_the_guest() {
    let rt = runtime();
    let mut c = ready(&rt, &actor(ECHO, ""), strict(|l| l.max_message_bytes = 8)).await;
    assert_eq!(
        c.handle_message(&[1; 8]).await.unwrap(),
        [1; 8],
        "exactly the limit"
    );
    c.take_events();
    let err = c.handle_message(&[1; 9]).await.unwrap_err();
    assert_eq!(
        ident(&err),
        json!({"kind": "message_rejected", "stage": "handle-message", "reason": "too_large"})
    );
    assert!(
        calls(c.events()).is_empty(),
        "alloc was not called: {:?}",
        c.events()
    );
    assert_eq!(c.state(), State::Ready);
}

#[rstest]
#[case::past_the_end("(i32.const 65534)")]
#[case::negative("(i32.const -1)")]
#[case::exactly_at_the_end("(i32.const 65536)")]
#[tokio::test]
async fn an_alloc_pointer_outside_memory_is_rejected(#[case] ptr: &str) {
    let wat = format!(
        r#"(module (memory (export "memory") 1)
             (func (export "alloc") (param i32) (result i32) {ptr})
             (func (export "handle-message") (param i32 i32) (result i64) unreachable))"#
    );
    let rt = runtime();
    let mut c = ready(&rt, &wat, strict(|_| {})).await;
    let err = c.handle_message(b"abc").await.unwrap_err();
    assert_eq!(
        ident(&err),
        json!({"kind": "message_rejected", "stage": "handle-message", "reason": "alloc_out_of_bounds"})
    );
    assert_eq!(c.state(), State::Ready);
    assert!(
        !calls(c.events())
            .iter()
            .any(|(e, _)| *e == "handle-message")
    );
}

#[tokio::test]
async fn an_alloc_pointer_whose_last_byte_fits_is_accepted() {
    let wat = r#"(module (memory (export "memory") 1)
        (func (export "alloc") (param i32) (result i32) (i32.const 65533))
        (func (export "handle-message") (param i32 i32) (result i64) (i64.const 0x0000fffd00000003)))"#;
    let rt = runtime();
    let mut c = ready(&rt, wat, strict(|_| {})).await;
    assert_eq!(c.handle_message(b"xyz").await.unwrap(), b"xyz");
}

#[rstest]
#[case::starts_past_the_end("(i64.const 0x0001000000000001)")]
#[case::runs_past_the_end("(i64.const 0x0000ffff00000002)")]
#[case::huge_pointer("(i64.const 0x7fffffff00000001)")]
#[case::huge_length("(i64.const 0x00000000ffffffff)")]
#[tokio::test]
async fn a_reply_outside_memory_is_rejected(#[case] result: &str) {
    let rt = runtime();
    let mut c = ready(&rt, &actor(result, ""), strict(|_| {})).await;
    let err = c.handle_message(b"x").await.unwrap_err();
    assert_eq!(
        ident(&err),
        json!({"kind": "message_rejected", "stage": "handle-message", "reason": "reply_out_of_bounds"})
    );
    assert_eq!(c.state(), State::Ready);
}

#[tokio::test]
async fn a_reply_over_the_limit_is_rejected() {
    let rt = runtime();
    let mut c = ready(
        &rt,
        &actor("(i64.const 9)", ""),
        strict(|l| l.max_message_bytes = 8),
    )
    .await;
    let err = c.handle_message(b"x").await.unwrap_err();
    assert_eq!(
        ident(&err),
        json!({"kind": "message_rejected", "stage": "handle-message", "reason": "reply_too_large"})
    );
    assert_eq!(c.state(), State::Ready);
    let mut c = ready(
        &rt,
        &actor("(i64.const 8)", ""),
        strict(|l| l.max_message_bytes = 8),
    )
    .await;
    assert_eq!(
        c.handle_message(b"x").await.unwrap().len(),
        8,
        "exactly the limit"
    );
}

#[tokio::test]
async fn a_message_to_a_component_without_handle_message_is_missing_export() {
    let rt = runtime();
    let mut c = ready(&rt, "(module)", strict(|_| {})).await;
    let err = c.handle_message(b"x").await.unwrap_err();
    assert_eq!(
        ident(&err),
        json!({"kind": "missing_export", "stage": "handle-message", "export": "handle-message"})
    );
    assert_eq!(c.state(), State::Ready);
}

/// Fatal failures in `alloc` or `handle-message`: the error is returned, the component
/// fails and its store is released at once.
#[rstest]
#[case::trap_in_handler("unreachable", "(i32.const 1024)", json!({"kind": "trapped", "stage": "handle-message", "trap": "unreachable"}))]
#[case::trap_in_alloc("(i64.const 0)", "unreachable", json!({"kind": "trapped", "stage": "handle-message", "trap": "unreachable"}))]
#[case::fuel_in_handler(&format!("{SPIN} (i64.const 0)"), "(i32.const 1024)", json!({"kind": "fuel_exhausted", "stage": "handle-message"}))]
#[case::fuel_in_alloc("(i64.const 0)", &format!("{SPIN} (i32.const 0)"), json!({"kind": "fuel_exhausted", "stage": "handle-message"}))]
#[tokio::test]
async fn fatal_failures_fail_the_component(
    #[case] handler: &str,
    #[case] alloc: &str,
    #[case] expected: serde_json::Value,
) {
    let wat = format!(
        r#"(module (memory (export "memory") 1)
             (func (export "alloc") (param i32) (result i32) {alloc})
             (func (export "handle-message") (param i32 i32) (result i64) {handler})
             (func (export "_cleanup") unreachable))"#
    );
    let rt = runtime();
    let mut c = ready(&rt, &wat, strict(|l| l.fuel_per_call = 100_000)).await;
    let err = c.handle_message(b"x").await.unwrap_err();
    assert_eq!(ident(&err), expected);
    assert_eq!(c.state(), State::Failed);
    assert_eq!(
        transitions(c.events()).last(),
        Some(&(State::Ready, State::Failed))
    );
    assert_released(&rt);
    let again = c.handle_message(b"x").await.unwrap_err();
    assert_eq!(
        ident(&again),
        json!({"kind": "invalid_state", "stage": "handle-message", "state": "failed"})
    );
    // A failed component never runs `_cleanup` (which would trap, and warn).
    assert_eq!(c.stop(Duration::from_secs(1)).await.unwrap(), []);
    assert!(!calls(c.events()).iter().any(|(e, _)| *e == "_cleanup"));
}

#[rstest]
#[case::in_handler(&format!("{SPIN} (i64.const 0)"), "(i32.const 1024)")]
#[case::in_alloc("(i64.const 0)", &format!("{SPIN} (i32.const 0)"))]
#[tokio::test]
async fn the_call_timeout_interrupts_a_tight_loop(#[case] handler: &str, #[case] alloc: &str) {
    let wat = format!(
        r#"(module (memory (export "memory") 1)
             (func (export "alloc") (param i32) (result i32) {alloc})
             (func (export "handle-message") (param i32 i32) (result i64) {handler}))"#
    );
    let rt = runtime();
    let limit = Duration::from_millis(200);
    let mut c = ready(
        &rt,
        &wat,
        strict(|l| {
            l.call_timeout = limit;
            l.fuel_per_call = u64::MAX;
        }),
    )
    .await;
    let began = Instant::now();
    let err = c.handle_message(b"x").await.unwrap_err();
    let took = began.elapsed();
    assert_eq!(
        ident(&err),
        json!({"kind": "execution_timeout", "stage": "handle-message"})
    );
    assert!(took >= limit && took < limit + SLACK, "took {took:?}");
    assert_eq!(c.state(), State::Failed);
    assert_released(&rt);
}

#[tokio::test]
async fn the_call_timeout_covers_alloc_and_handler_together() {
    // `alloc` burns most of the limit, `handle-message` never ends: one deadline for both
    // (see `SHARED_DEADLINE`).
    let rt = runtime();
    let wat = format!(
        r#"(module (memory (export "memory") 1)
             (func (export "alloc") (param i32) (result i32) {} (i32.const 0))
             (func (export "handle-message") (param i32 i32) (result i64) {SPIN} (i64.const 0)))"#,
        shared_deadline_burn(&rt).await,
    );
    let mut c = ready(
        &rt,
        &wat,
        strict(|l| {
            l.call_timeout = SHARED_DEADLINE;
            l.fuel_per_call = u64::MAX;
        }),
    )
    .await;
    let began = Instant::now();
    let err = c.handle_message(b"").await.unwrap_err();
    assert_one_deadline(began.elapsed(), &err);
    assert!(matches!(
        calls(c.events()).last(),
        Some(&(_, CallOutcome::ExecutionTimeout))
    ));
}

#[tokio::test]
async fn a_trap_code_travels_with_the_error() {
    let rt = runtime();
    let div =
        "(i64.div_s (i64.const 1) (i64.extend_i32_u (i32.sub (local.get $len) (local.get $len))))";
    let mut c = ready(&rt, &actor(div, ""), strict(|_| {})).await;
    let err = c.handle_message(b"x").await.unwrap_err();
    assert_eq!(
        err.fault,
        lifecycle_runtime::Fault::Trapped {
            trap: TrapCode::IntegerDivideByZero
        }
    );
}
