//! SPEC.md §2: the start steps in order, and the error each one gives.

use crate::common::*;
use lifecycle_runtime::{ModuleSource, Profile, State};
use rstest::rstest;
use serde_json::json;
use std::time::{Duration, Instant};

const FULL: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "_start"))
  (func (export "_cleanup"))
  (func (export "_health") (result i32) (i32.const 0))
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "handle-message") (param i32 i32) (result i64) (i64.const 0)))"#;

#[tokio::test]
async fn a_module_with_every_lifecycle_export_starts() {
    let rt = runtime();
    let c = ready(&rt, FULL, strict(|_| {})).await;
    assert_eq!(
        transitions(c.events()),
        [
            (State::Creating, State::Starting),
            (State::Starting, State::Ready)
        ]
    );
    assert_eq!(rt.live_instances(), 1);
    assert_eq!(rt.accounted_memory_bytes(), 65_536);
}

#[tokio::test]
async fn an_empty_module_starts_and_no_export_is_required() {
    let rt = runtime();
    let c = ready(&rt, "(module)", strict(|_| {})).await;
    assert!(calls(c.events()).is_empty());
}

#[tokio::test]
async fn a_missing_file_is_component_not_found_at_load() {
    let rt = runtime();
    let err = start_error(
        &rt,
        ModuleSource::file("/no/such/module.wasm"),
        strict(|_| {}),
    )
    .await;
    assert_eq!(
        ident(&err),
        json!({"kind": "component_not_found", "stage": "load"})
    );
}

#[tokio::test]
async fn a_wat_file_is_converted_by_extension_and_a_wasm_file_never_is() {
    let dir = std::env::temp_dir().join(format!("lk-src-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = "(module (func (export \"_start\")))";
    std::fs::write(dir.join("m.wat"), text).unwrap();
    std::fs::write(dir.join("m.wasm"), text).unwrap();
    std::fs::write(dir.join("bad.wat"), "(module (func").unwrap();
    let rt = runtime();
    let mut c = rt.component(ModuleSource::file(dir.join("m.wat")), strict(|_| {}));
    c.start().await.expect("WAT by extension");
    c.stop(Duration::from_secs(1)).await.unwrap();
    let err = start_error(&rt, ModuleSource::file(dir.join("m.wasm")), strict(|_| {})).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "validation_failed", "stage": "validate", "reason": "bad_magic"})
    );
    let err = start_error(&rt, ModuleSource::file(dir.join("bad.wat")), strict(|_| {})).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "validation_failed", "stage": "validate", "reason": "malformed"})
    );
}

#[rstest]
#[case::empty(b"".to_vec())]
#[case::garbage(b"not a wasm module at all".to_vec())]
#[case::short(b"\0asm".to_vec())]
#[case::bad_magic(b"\0wasm\x01\0\0\0".to_vec())]
#[case::bad_version(b"\0asm\x02\0\0\0".to_vec())]
#[case::component_binary(b"\0asm\x0d\0\x01\0".to_vec())]
#[case::wat_text_as_bytes(b"(module)".to_vec())]
#[tokio::test]
async fn the_host_checks_magic_and_version(#[case] bytes: Vec<u8>) {
    let rt = runtime();
    let err = start_error(&rt, ModuleSource::bytes(bytes), strict(|_| {})).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "validation_failed", "stage": "validate", "reason": "bad_magic"})
    );
    assert_eq!(rt.compilations(), 0, "never reaches the engine");
}

/// Features each profile leaves out: valid WebAssembly 3.0, so `unsupported_feature`.
#[rstest]
#[case::simd_in_strict(Profile::Strict, "(func (drop (v128.const i64x2 0 0)))")]
#[case::bulk_memory_in_strict(
    Profile::Strict,
    "(memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0)))"
)]
#[case::reference_types_in_strict(Profile::Strict, "(func (drop (ref.null extern)))")]
#[case::multi_memory(Profile::Standard, "(memory 1) (memory 1)")]
#[case::threads(Profile::Standard, "(memory 1 1 shared)")]
#[case::memory64(Profile::Standard, "(memory i64 1)")]
#[case::tail_calls(Profile::Standard, "(func $f (return_call $f))")]
#[case::relaxed_simd(
    Profile::Standard,
    "(func (drop (f32x4.relaxed_madd (v128.const i64x2 0 0) (v128.const i64x2 0 0) (v128.const i64x2 0 0))))"
)]
#[case::exceptions(Profile::Standard, "(tag $t) (func (throw $t))")]
#[case::gc_types(Profile::Standard, "(type (struct (field i32)))")]
#[case::extended_const(
    Profile::Standard,
    "(global i32 (i32.add (i32.const 1) (i32.const 2)))"
)]
#[tokio::test]
async fn features_outside_the_profile_are_unsupported(
    #[case] profile: Profile,
    #[case] fields: &str,
) {
    let rt = runtime();
    let err = start_error(
        &rt,
        module(&format!("(module {fields})")),
        config(profile, |_| {}),
    )
    .await;
    assert_eq!(
        ident(&err),
        json!({"kind": "validation_failed", "stage": "validate", "reason": "unsupported_feature"})
    );
}

#[rstest]
#[case::simd(Profile::Standard, "(func (drop (v128.const i64x2 0 0)))")]
#[case::bulk_memory(
    Profile::Standard,
    "(memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0)))"
)]
#[case::reference_types(Profile::Standard, "(func (drop (ref.null extern)))")]
#[case::multi_value(Profile::Strict, "(func (result i32 i32) (i32.const 1) (i32.const 2))")]
#[case::sign_extension(Profile::Strict, "(func (drop (i32.extend8_s (i32.const 1))))")]
#[case::saturating_conversion(Profile::Strict, "(func (drop (i32.trunc_sat_f32_s (f32.const 1))))")]
#[case::mutable_global(Profile::Strict, "(global (export \"g\") (mut i32) (i32.const 0))")]
#[tokio::test]
async fn features_inside_the_profile_start(#[case] profile: Profile, #[case] fields: &str) {
    let rt = runtime();
    ready(&rt, &format!("(module {fields})"), config(profile, |_| {})).await;
}

fn truncated_full() -> Vec<u8> {
    let bytes = wat::parse_str(FULL).unwrap();
    bytes[..bytes.len() - 3].to_vec()
}

#[rstest]
#[case::type_error(wat::parse_str("(module (func (result i32) (i64.const 0)))").unwrap())]
#[case::truncated(truncated_full())]
#[case::unknown_section(b"\0asm\x01\0\0\0\x7f\x00".to_vec())]
#[case::overlong_leb(b"\0asm\x01\0\0\0\x01\x80\x80\x80\x80\x80\x00".to_vec())]
#[tokio::test]
async fn other_invalid_modules_are_malformed(#[case] bytes: Vec<u8>) {
    let rt = runtime();
    let err = start_error(&rt, ModuleSource::bytes(bytes), strict(|_| {})).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "validation_failed", "stage": "validate", "reason": "malformed"})
    );
}

#[rstest]
#[case::start_as_global(
    "_start",
    r#"(global (export "_start") i32 (i32.const 0))"#,
    "not_a_function"
)]
#[case::cleanup_as_memory("_cleanup", r#"(memory (export "_cleanup") 1)"#, "not_a_function")]
#[case::health_as_table("_health", r#"(table (export "_health") 1 funcref)"#, "not_a_function")]
#[case::memory_as_function("memory", r#"(func (export "memory"))"#, "not_a_memory")]
#[case::start_takes_params("_start", r#"(func (export "_start") (param i32))"#, "wrong_signature")]
#[case::start_returns(
    "_start",
    r#"(func (export "_start") (result i32) (i32.const 0))"#,
    "wrong_signature"
)]
#[case::cleanup_returns(
    "_cleanup",
    r#"(func (export "_cleanup") (result i32) (i32.const 0))"#,
    "wrong_signature"
)]
#[case::health_returns_nothing("_health", r#"(func (export "_health"))"#, "wrong_signature")]
#[case::health_returns_i64(
    "_health",
    r#"(func (export "_health") (result i64) (i64.const 0))"#,
    "wrong_signature"
)]
#[case::alloc_i64(
    "alloc",
    r#"(func (export "alloc") (param i64) (result i32) (i32.const 0))"#,
    "wrong_signature"
)]
#[case::alloc_no_result("alloc", r#"(func (export "alloc") (param i32))"#, "wrong_signature")]
#[case::handle_returns_i32("handle-message", r#"(memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) (i32.const 0)) (func (export "handle-message") (param i32 i32) (result i32) (i32.const 0))"#, "wrong_signature")]
#[case::handle_one_param("handle-message", r#"(memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) (i32.const 0)) (func (export "handle-message") (param i32) (result i64) (i64.const 0))"#, "wrong_signature")]
#[case::handle_without_alloc("alloc", r#"(memory (export "memory") 1) (func (export "handle-message") (param i32 i32) (result i64) (i64.const 0))"#, "missing")]
#[case::handle_without_memory("memory", r#"(memory 1) (func (export "alloc") (param i32) (result i32) (i32.const 0)) (func (export "handle-message") (param i32 i32) (result i64) (i64.const 0))"#, "missing")]
#[tokio::test]
async fn lifecycle_exports_are_checked_before_instantiation(
    #[case] export: &str,
    #[case] fields: &str,
    #[case] reason: &str,
) {
    let rt = runtime();
    // The `_start` traps: had the module been instantiated and started, we would see it.
    let wat = format!("(module {fields} (func (start $boom)) (func $boom unreachable))")
        .replace("(func (start $boom))", "(start $boom)");
    let err = start_error(&rt, module(&wat), strict(|_| {})).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "bad_export", "stage": "exports", "export": export, "reason": reason})
    );
}

#[rstest]
#[case::function(r#"(import "env" "log" (func))"#, "env::log")]
#[case::memory(r#"(import "env" "mem" (memory 1))"#, "env::mem")]
#[case::table(r#"(import "host" "tab" (table 1 funcref))"#, "host::tab")]
#[case::global(r#"(import "wasi" "g" (global i32))"#, "wasi::g")]
#[tokio::test]
async fn every_import_fails_to_link(#[case] import: &str, #[case] name: &str) {
    let rt = runtime();
    let err = start_error(&rt, module(&format!("(module {import})")), strict(|_| {})).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "link_failed", "stage": "link", "import": name})
    );
}

#[tokio::test]
async fn the_first_failing_step_decides_the_error() {
    let rt = runtime();
    // Bad export and an import: exports are checked before linking.
    let both = r#"(module (import "env" "f" (func)) (func (export "_start") (param i32)))"#;
    let err = start_error(&rt, module(both), strict(|_| {})).await;
    assert_eq!(err.kind().as_str(), "bad_export");
    // An import and an oversized memory: linking comes before instantiation.
    let both = r#"(module (import "env" "f" (func)) (memory 2000))"#;
    let err = start_error(&rt, module(both), strict(|_| {})).await;
    assert_eq!(err.kind().as_str(), "link_failed");
    // Unsupported feature and a bad export: validation comes first.
    let both = r#"(module (func (export "_start") (param i32) (drop (v128.const i64x2 0 0))))"#;
    let err = start_error(&rt, module(both), strict(|_| {})).await;
    assert_eq!(err.kind().as_str(), "validation_failed");
}

#[rstest]
#[case::memory_over_limit("(memory 3)", "memory")]
#[case::table_over_limit("(table 11 funcref)", "table")]
#[tokio::test]
async fn initial_sizes_over_the_limits_fail_instantiation(
    #[case] fields: &str,
    #[case] resource: &str,
) {
    let rt = runtime();
    let limits = strict(|l| {
        l.max_memory_bytes = 2 * 65_536;
        l.max_table_elements = 10;
    });
    let err = start_error(&rt, module(&format!("(module {fields})")), limits).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "resource_limit_exceeded", "stage": "instantiate", "resource": resource})
    );
}

#[tokio::test]
async fn initial_sizes_at_the_limits_instantiate() {
    let rt = runtime();
    let limits = strict(|l| {
        l.max_memory_bytes = 2 * 65_536;
        l.max_table_elements = 10;
    });
    let c = ready(&rt, "(module (memory 2) (table 10 funcref))", limits).await;
    assert_eq!(rt.accounted_memory_bytes(), 2 * 65_536);
    drop(c);
    assert_released(&rt);
}

#[tokio::test]
async fn a_second_table_exceeds_the_one_table_limit() {
    let rt = runtime();
    let two = "(module (table 1 funcref) (table 1 funcref))";
    let err = start_error(&rt, module(two), config(Profile::Standard, |_| {})).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "resource_limit_exceeded", "stage": "instantiate", "resource": "table"})
    );
}

#[rstest]
#[case::data_out_of_bounds("(memory 1) (data (i32.const 65535) \"ab\")", "memory_out_of_bounds")]
#[case::elem_out_of_bounds(
    "(table 1 funcref) (func $f) (elem (i32.const 1) $f)",
    "table_out_of_bounds"
)]
#[case::start_section_traps("(func $s unreachable) (start $s)", "unreachable")]
#[tokio::test]
async fn traps_during_instantiation(#[case] fields: &str, #[case] trap: &str) {
    let rt = runtime();
    let err = start_error(&rt, module(&format!("(module {fields})")), strict(|_| {})).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "trapped", "stage": "instantiate", "trap": trap})
    );
}

#[tokio::test]
async fn the_start_timeout_covers_the_start_section() {
    let rt = runtime();
    let limits = strict(|l| {
        l.start_timeout = Duration::from_millis(200);
        l.fuel_per_call = u64::MAX;
    });
    let began = Instant::now();
    let wat = format!("(module (func $s {SPIN}) (start $s))");
    let err = start_error(&rt, module(&wat), limits).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "execution_timeout", "stage": "instantiate"})
    );
    assert!(began.elapsed() >= Duration::from_millis(200));
    assert!(began.elapsed() < Duration::from_millis(200) + SLACK);
}

#[tokio::test]
async fn the_start_section_has_a_fuel_budget() {
    let rt = runtime();
    let wat = format!("(module (func $s {SPIN}) (start $s))");
    let err = start_error(&rt, module(&wat), strict(|l| l.fuel_per_call = 10_000)).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "fuel_exhausted", "stage": "instantiate"})
    );
}

#[tokio::test]
async fn start_failures_in_start_function() {
    let rt = runtime();
    let trap = r#"(module (func (export "_start") unreachable))"#;
    let err = start_error(&rt, module(trap), strict(|_| {})).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "trapped", "stage": "_start", "trap": "unreachable"})
    );

    let spin = format!(r#"(module (func (export "_start") {SPIN}))"#);
    let err = start_error(&rt, module(&spin), strict(|l| l.fuel_per_call = 10_000)).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "fuel_exhausted", "stage": "_start"})
    );

    let limits = strict(|l| {
        l.start_timeout = Duration::from_millis(200);
        l.fuel_per_call = u64::MAX;
    });
    let began = Instant::now();
    let err = start_error(&rt, module(&spin), limits).await;
    assert_eq!(
        ident(&err),
        json!({"kind": "execution_timeout", "stage": "_start"})
    );
    assert!(began.elapsed() >= Duration::from_millis(200));
    assert!(began.elapsed() < Duration::from_millis(200) + SLACK);
}

#[tokio::test]
async fn the_start_timeout_covers_start_section_and_start_together() {
    // The start section burns most of the limit, `_start` never ends: one deadline for
    // both (see `SHARED_DEADLINE`).
    let rt = runtime();
    let wat = format!(
        r#"(module (func $s {}) (start $s) (func (export "_start") {SPIN}))"#,
        shared_deadline_burn(&rt).await
    );
    let limits = strict(|l| {
        l.start_timeout = SHARED_DEADLINE;
        l.fuel_per_call = u64::MAX;
    });
    let began = Instant::now();
    let mut c = rt.component(module(&wat), limits);
    let err = c.start().await.unwrap_err();
    assert_one_deadline(began.elapsed(), &err);
    assert_eq!(c.state(), State::Failed);
    assert_released(&rt);
}
