//! The `trace` command: its JSON, its timeline, its exit codes, and bad input.

use serde_json::Value;
use std::process::{Command, Output};

fn lifecycle_kit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lifecycle-kit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn trace_json(args: &[&str]) -> Value {
    let mut all = vec!["trace"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = lifecycle_kit(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// The trace without events, details and memory figures: what a reader checks first.
fn summary(trace: &Value) -> Value {
    let mut t = trace.clone();
    for op in t["ops"].as_array_mut().unwrap() {
        let op = op.as_object_mut().unwrap();
        op.remove("events");
        if let Some(e) = op.get_mut("error") {
            e.as_object_mut().unwrap().remove("detail");
        }
    }
    t
}

#[test]
fn echo_example_trace() {
    let t = trace_json(&[
        "examples/echo.wat",
        "--send",
        "hello",
        "--send",
        "",
        "--health",
    ]);
    insta::assert_json_snapshot!(summary(&t));
}

#[test]
fn misbehaving_examples_trace() {
    for (example, args) in [
        (
            "trap-on-message",
            &["--send", "a", "--send", "b", "--health"][..],
        ),
        (
            "spin-cleanup",
            &["--stop-timeout-ms", "100", "--fuel", "18446744073709551615"][..],
        ),
        (
            "memory-bomb",
            &["--send", "grow", "--max-memory", "131072"][..],
        ),
        ("bad-export", &["--send", "x", "--health"][..]),
    ] {
        let path = format!("examples/{example}.wat");
        let mut all = vec![path.as_str()];
        all.extend_from_slice(args);
        let t = trace_json(&all);
        insta::with_settings!({snapshot_suffix => example}, {
            insta::assert_json_snapshot!(summary(&t));
        });
        assert_eq!(t["live_instances"], 0, "{example}");
    }
}

#[test]
fn a_missing_module_is_a_component_error_not_a_crash() {
    let t = trace_json(&["no/such/file.wasm", "--send", "x"]);
    assert_eq!(t["ops"][0]["error"]["kind"], "component_not_found");
    assert_eq!(t["ops"][1]["error"]["kind"], "invalid_state");
    assert_eq!(t["final_state"], "terminated");
}

#[test]
fn garbage_and_text_in_a_wasm_file_are_bad_magic() {
    let dir = std::env::temp_dir().join(format!("lk-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in [
        ("garbage.wasm", &b"\xff\xfe garbage"[..]),
        ("text.wasm", b"(module)"),
        ("empty.wasm", b""),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let t = trace_json(&[path.to_str().unwrap()]);
        assert_eq!(t["ops"][0]["error"]["reason"], "bad_magic", "{name}");
    }
}

#[test]
fn the_timeline_has_one_line_per_event() {
    let out = lifecycle_kit(&["trace", "examples/echo.wat", "--send", "hello", "--health"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn bad_flags_exit_2_with_one_line() {
    for args in [
        &["trace", "examples/echo.wat", "--bogus"][..],
        &["trace", "examples/echo.wat", "--fuel", "-1"],
        &["trace", "examples/echo.wat", "--fuel", "lots"],
        &["trace", "examples/echo.wat", "--profile", "loose"],
        &["trace"],
        &["frobnicate"],
    ] {
        let out = lifecycle_kit(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error:"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn every_flag_reaches_the_component() {
    // Each flag set so tight that the echo actor fails in a way only that flag explains.
    let t = trace_json(&["examples/echo.wat", "--max-memory", "0"]);
    assert_eq!(t["ops"][0]["error"]["resource"], "memory");
    let t = trace_json(&["examples/echo.wat", "--fuel", "0"]);
    assert_eq!(t["ops"][0]["error"]["kind"], "fuel_exhausted");
    let t = trace_json(&[
        "examples/echo.wat",
        "--max-message-bytes",
        "2",
        "--send",
        "abc",
    ]);
    assert_eq!(t["ops"][1]["error"]["reason"], "too_large");
    // Timeouts: a guest that spins where the flag applies, with fuel to spare, so only
    // that flag's deadline can stop it.
    let spin = |export: &str| {
        let wat = std::env::temp_dir().join(format!("lk-spin{export}-{}.wat", std::process::id()));
        let body = "(loop $l (br $l))";
        let module = match export {
            "_health" => {
                format!(r#"(module (func (export "_health") (result i32) {body} (i32.const 0)))"#)
            }
            "handle-message" => format!(
                r#"(module (memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) (i32.const 0)) (func (export "handle-message") (param i32 i32) (result i64) {body} (i64.const 0)))"#
            ),
            _ => format!(r#"(module (func (export "{export}") {body}))"#),
        };
        std::fs::write(&wat, module).unwrap();
        wat.to_str().unwrap().to_string()
    };
    let fuel = ["--fuel", "18446744073709551615"];
    let t = trace_json(&[
        &spin("_start"),
        "--start-timeout-ms",
        "50",
        fuel[0],
        fuel[1],
    ]);
    assert_eq!(t["ops"][0]["error"]["kind"], "execution_timeout");
    let t = trace_json(&[
        &spin("handle-message"),
        "--call-timeout-ms",
        "50",
        "--send",
        "x",
        fuel[0],
        fuel[1],
    ]);
    assert_eq!(t["ops"][1]["error"]["kind"], "execution_timeout");
    let t = trace_json(&[
        &spin("_health"),
        "--health-timeout-ms",
        "50",
        "--health",
        fuel[0],
        fuel[1],
    ]);
    assert_eq!(t["ops"][1]["reason"], "execution_timeout");
    let t = trace_json(&[
        &spin("_cleanup"),
        "--stop-timeout-ms",
        "50",
        fuel[0],
        fuel[1],
    ]);
    assert_eq!(t["ops"][1]["warnings"][0]["kind"], "cleanup_timeout");
    let t = trace_json(&["examples/spin-cleanup.wat", "--profile", "standard"]);
    assert_eq!(t["ops"][0]["ok"], true);
    let wat = std::env::temp_dir().join(format!("lk-table-{}.wat", std::process::id()));
    std::fs::write(&wat, "(module (table 3 funcref))").unwrap();
    let t = trace_json(&[wat.to_str().unwrap(), "--max-table-elements", "2"]);
    assert_eq!(t["ops"][0]["error"]["resource"], "table");
}
