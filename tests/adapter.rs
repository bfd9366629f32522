//! The out-of-process adapter: the suite through `lifecycle-kit adapter` and through a
//! Python adapter, and adapters that hang, crash or never greet costing only their case.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

const KIT: &str = env!("CARGO_BIN_EXE_lifecycle-kit");

fn run(args: &[&str]) -> (Value, Option<i32>) {
    let mut all = vec!["run", "--format", "json"];
    all.extend_from_slice(args);
    let out = Command::new(KIT)
        .args(&all)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code())
}

fn outcomes(report: &Value) -> Vec<(String, String, String)> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().into(),
                c["outcome"].as_str().unwrap().into(),
                c["reason"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

#[test]
fn the_suite_passes_through_the_process_boundary() {
    let adapter = format!("{KIT} adapter --runtime reference");
    let (report, code) = run(&["--adapter", &adapter]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["runtime"], "reference");
    assert!(report["total"].as_u64().unwrap() >= 200);
    assert_eq!(report["passed"], report["total"]);
}

#[test]
fn the_suite_passes_through_the_adapter_on_wasmi() {
    let adapter = format!("{KIT} adapter --runtime wasmi");
    let (report, code) = run(&[
        "--adapter",
        &adapter,
        "--expectations",
        "conformance/expectations/wasmi.toml",
    ]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["runtime"], "wasmi");
    assert_eq!(report["failed"], 0);
    assert_eq!(report["xfail"], 3);
}

#[test]
fn a_faulty_runtime_is_caught_through_the_adapter_too() {
    let adapter = format!("{KIT} adapter --runtime faulty:cleanup-skipped");
    let (report, code) = run(&["--adapter", &adapter, "--filter", "LC-STOP-3"]);
    assert_eq!(code, Some(1));
    let failed: Vec<String> = outcomes(&report)
        .into_iter()
        .filter(|(_, o, _)| o == "fail")
        .map(|(id, _, _)| id)
        .collect();
    assert!(
        failed.contains(&"cleanup-traps-unreachable".to_string()),
        "{failed:?}"
    );
}

#[test]
fn the_python_adapter_passes_everything_it_can_express() {
    let script = "conformance/adapters/python/trace_adapter.py";
    let adapter = format!("python3 {script} {KIT}");
    let (report, code) = run(&[
        "--adapter",
        &adapter,
        "--expectations",
        "conformance/adapters/python/expectations.toml",
    ]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["runtime"], "python-trace-adapter");
    assert_eq!(report["failed"], 0);
    assert_eq!(report["xpass"], 0);
    assert!(report["passed"].as_u64().unwrap() >= 200);
    for (id, outcome, why) in outcomes(&report) {
        if outcome == "xfail" {
            assert!(why.starts_with("trace "), "{id}: {why}");
        }
    }
}

/// The built-in cases plus two that make the flaky adapter hang and crash.
fn cases_with_traps() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lk-flaky-{}", std::process::id()));
    lifecycle_conformance::case::copy_builtin_cases(&dir).unwrap();
    let extra = r#"
[[case]]
id = "adapter-hangs"
clauses = ["LC-MSG-1"]
scenario = "echo"
steps = ["start", { send = "hang" }, "stop"]

[[case]]
id = "adapter-crashes"
clauses = ["LC-MSG-1"]
scenario = "echo"
steps = ["start", { send = "crash" }, "stop"]
"#;
    std::fs::write(dir.join("zz-flaky.toml"), extra).unwrap();
    dir
}

#[test]
fn a_hanging_or_crashing_adapter_costs_only_its_case() {
    let cases = cases_with_traps();
    let adapter = format!("python3 tests/adapters/flaky.py {KIT}");
    let (report, code) = run(&[
        "--adapter",
        &adapter,
        "--cases",
        cases.to_str().unwrap(),
        "--adapter-timeout-secs",
        "2",
    ]);
    assert_eq!(code, Some(1));
    let all = outcomes(&report);
    let verdict = |id: &str| all.iter().find(|(i, _, _)| i == id).cloned().unwrap();
    let (_, outcome, why) = verdict("adapter-hangs");
    assert_eq!(outcome, "fail");
    assert!(
        // The answer timeout counts from the end of the message's 1 s call timeout.
        why.contains("no answer to `send`") && why.contains("within 3s") && why.contains("killed"),
        "{why}"
    );
    let (_, outcome, why) = verdict("adapter-crashes");
    assert_eq!(outcome, "fail");
    assert!(why.contains("exited while handling `send`"), "{why}");
    let others_failed: Vec<_> = all
        .iter()
        .filter(|(id, o, _)| o != "pass" && !id.starts_with("adapter-"))
        .collect();
    assert!(
        others_failed.is_empty(),
        "the run went on with fresh adapters: {others_failed:?}"
    );
}

/// An adapter that does not start or greet leaves nothing to judge: the run cannot
/// begin, as with an unknown `--runtime`. One line says why, exit 2, and no report.
#[test]
fn an_adapter_that_cannot_start_or_greet_fails_clearly() {
    let bad_handshake = format!("python3 tests/adapters/malformed.py bad-handshake {KIT}");
    for (adapter, expected) in [
        (
            "/no/such/adapter",
            "cannot start adapter `/no/such/adapter`",
        ),
        ("python3 -c print('hello')", "handshake is not JSON"),
        (
            bad_handshake.as_str(),
            "the handshake is wrong at `/capabilities`",
        ),
    ] {
        for format in ["human", "json"] {
            let out = Command::new(KIT)
                .args(["run", "--format", format, "--adapter", adapter])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{adapter}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(
                stderr.starts_with(&format!("error: --adapter `{adapter}`: "))
                    && stderr.contains(expected),
                "{stderr}"
            );
            assert!(out.stdout.is_empty(), "no report of no run");
        }
    }
}

#[test]
fn an_adapter_that_breaks_the_protocol_gets_one_clear_line_per_case() {
    for (mode, expected) in [
        ("not-json", "the answer to `start` (request 3) is not JSON"),
        (
            "stray-stdout",
            "anything but protocol lines on stdout breaks the protocol",
        ),
        ("wrong-id", "carries `id` 4"),
        (
            "bad-kind",
            "is wrong at `/outcome/error/kind`: \"exploded\" is not one of",
        ),
        (
            "missing-state",
            "is wrong at `/`: \"state\" is a required property",
        ),
        (
            "bad-event",
            "is wrong at `/events/3/export`: \"main\" is not one of",
        ),
        ("wrong-op", "is wrong at `/outcome/op`"),
        ("refuse", "the adapter refused it: \"no more starts today\""),
        (
            "bad-counters",
            "`counters` (request 1) is wrong at `/live_instances`",
        ),
    ] {
        let adapter = format!("python3 tests/adapters/malformed.py {mode} {KIT}");
        let out = Command::new(KIT)
            .args(["run", "--format", "json", "--filter", "start-returns"])
            .args(["--adapter", &adapter])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{mode}: {stderr}");
        assert_eq!(out.status.code(), Some(1), "{mode}: {stderr}");
        // A wrong handshake leaves no case to run: see the test above.
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let case = &report["cases"][0];
        assert_eq!(case["outcome"], "fail", "{mode}: {case}");
        let reason = case["reason"].as_str().unwrap();
        assert!(reason.contains(expected), "{mode}: {reason}");
        assert_eq!(reason.lines().count(), 1, "{mode}: one line: {reason}");
    }
}

#[test]
fn an_adapter_whose_guest_calls_never_time_out_fails_each_timeout_case_in_seconds() {
    let adapter = format!("{KIT} adapter --runtime faulty:fuel-less-timeouts-never-fire");
    let (report, code) = run(&["--adapter", &adapter, "--filter", "LC-LIMIT-4"]);
    assert_eq!(code, Some(1));
    let mut judged = 0;
    for case in report["cases"].as_array().unwrap() {
        match case["outcome"].as_str().unwrap() {
            // It declares no fuel, so only cases that show fuel running out are skipped.
            "unsupported" => assert_eq!(case["needs"], "fuel", "{case}"),
            "fail" => {
                let reason = case["reason"].as_str().unwrap();
                if reason.starts_with("LC-LIMIT-4: the ") {
                    judged += 1;
                    let ms = case["duration_ms"].as_u64().unwrap();
                    assert!(ms < 10_000, "{} took {ms} ms", case["id"]);
                }
            }
            _ => {}
        }
    }
    assert!(judged >= 5, "{report:#}");
}
