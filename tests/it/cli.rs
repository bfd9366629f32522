//! The `trace` command: its JSON, its timeline, its exit codes, and bad input.

use crate::common::{KIT, kit};
use serde_json::Value;

/// What `trace ARGS` prints, once it has exited 0.
fn traced(args: &[&str]) -> String {
    let mut all = vec!["trace"];
    all.extend_from_slice(args);
    let out = kit(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn trace_json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&traced(&all)).expect("one JSON object")
}

/// The echo actor, two messages (one empty) and a health check.
const ECHO: [&str; 6] = [
    "examples/echo.wat",
    "--send",
    "hello",
    "--send",
    "",
    "--health",
];

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

/// Insta's settings for this module's snapshots: in `tests/snapshots/`, named
/// `cli__NAME` as when this module was a test binary of its own.
fn snapshots() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

#[test]
fn echo_example_trace() {
    let t = trace_json(&ECHO);
    snapshots().bind(|| insta::assert_json_snapshot!("cli__echo_example_trace", summary(&t)));
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
        let mut settings = snapshots();
        settings.set_snapshot_suffix(example);
        settings
            .bind(|| insta::assert_json_snapshot!("cli__misbehaving_examples_trace", summary(&t)));
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
    let out = kit(&["trace", "examples/echo.wat", "--send", "hello", "--health"]);
    assert_eq!(out.status.code(), Some(0));
    let timeline = String::from_utf8(out.stdout).unwrap();
    snapshots()
        .bind(|| insta::assert_snapshot!("cli__the_timeline_has_one_line_per_event", timeline));
}

#[test]
fn bad_flags_exit_2_with_one_line() {
    for args in [
        &["trace", "examples/echo.wat", "--bogus"][..],
        &["trace", "examples/echo.wat", "--fuel", "-1"],
        &["trace", "examples/echo.wat", "--fuel", "lots"],
        &["trace", "examples/echo.wat", "--profile", "loose"],
        &["trace"],
        &["trace", "examples/echo.wat", "--runtime", "bogus"],
        &[
            "trace",
            "examples/echo.wat",
            "--runtime",
            "faulty:no-such-defect",
        ],
        &[
            "trace",
            "examples/echo.wat",
            "--runtime",
            "wasmi",
            "--adapter",
            "x",
        ],
        &["frobnicate"],
    ] {
        let out = kit(args);
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

/// `trace` takes the runtime under test as `run` does: a built-in one by name, or one
/// behind an adapter process. On the echo actor every conforming runtime tells the same
/// story, to the byte, in the timeline and in the JSON (counters after each operation
/// included).
#[test]
fn every_runtime_traces_the_echo_actor_alike() {
    let (on_reference, on_wasmi) = (
        format!("{KIT} adapter --runtime reference"),
        format!("{KIT} adapter --runtime wasmi"),
    );
    for form in [&[][..], &["--json"]] {
        let trace = |how: &[&str]| traced(&[&ECHO[..], form, how].concat());
        let reference = trace(&[]);
        assert!(reference.contains("_cleanup"), "{reference}");
        for how in [
            ["--runtime", "reference"],
            ["--runtime", "wasmi"],
            ["--adapter", &on_reference],
            ["--adapter", &on_wasmi],
        ] {
            assert_eq!(trace(&how), reference, "{how:?} {form:?}");
        }
    }
}

/// The runtime `trace` is given is the one it runs: wasmi cannot translate a function
/// with 50,000 locals, which Wasmtime compiles, and a mutant that skips `_cleanup` skips
/// it in the trace, whether named or behind an adapter.
#[test]
fn trace_runs_the_runtime_it_is_given() {
    let demanding = "conformance/cases/modules/demanding.wasm";
    assert_eq!(trace_json(&[demanding])["ops"][0]["ok"], true);
    let wasmi = trace_json(&[demanding, "--runtime", "wasmi"]);
    assert_eq!(wasmi["ops"][0]["error"]["kind"], "load_failed", "{wasmi:#}");
    let adapter = format!("{KIT} adapter --runtime wasmi");
    let served = trace_json(&[demanding, "--adapter", &adapter]);
    assert_eq!(
        served["ops"][0]["error"]["kind"], "load_failed",
        "{served:#}"
    );

    let stop_calls = |t: &Value| t["ops"][1]["calls"].clone();
    let echo = "examples/echo.wat";
    assert_eq!(
        stop_calls(&trace_json(&[echo])),
        serde_json::json!([{"export": "_cleanup", "outcome": "returned"}])
    );
    let adapter = format!("{KIT} adapter --runtime faulty:cleanup-skipped");
    for how in [
        ["--runtime", "faulty:cleanup-skipped"],
        ["--adapter", adapter.as_str()],
    ] {
        let t = trace_json(&[echo, how[0], how[1]]);
        assert_eq!(stop_calls(&t), serde_json::json!([]), "{how:?}: {t:#}");
    }
}

/// An adapter command that does not start is bad input, as an unknown `--runtime` is.
#[test]
fn an_adapter_that_cannot_start_is_one_error_line() {
    let out = kit(&[
        "trace",
        "examples/echo.wat",
        "--adapter",
        "/no/such/adapter --flag",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "error: --adapter `/no/such/adapter --flag`: cannot create the runtime under test: cannot start adapter `/no/such/adapter`"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// An adapter that leaves the protocol midway cannot be traced: one line says where,
/// and no half trace is printed.
#[test]
fn an_adapter_that_breaks_the_protocol_is_one_error_line() {
    let adapter = format!("python3 tests/adapters/malformed.py not-json {KIT}");
    let out = kit(&["trace", "examples/echo.wat", "--adapter", &adapter]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: adapter protocol: the answer to `start`")
            && stderr.contains("is not JSON"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}
