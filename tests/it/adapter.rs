//! The out-of-process adapter: the suite through `lifecycle-kit adapter` and through a
//! Python adapter, and adapters that hang, crash or never greet costing only their case.

use crate::common::{KIT, json_run, kit};
use lifecycle_conformance::case::{AbiChoice, builtin_dir, load_dir, on_abis};
use lifecycle_conformance::runner::select;
use lifecycle_conformance::{Case, Expectations, ModuleSource};
use lifecycle_contract::{Limits, Step};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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
    let (report, code) = json_run(&["--adapter", &adapter]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["runtime"], "reference");
    assert!(report["total"].as_u64().unwrap() >= 200);
    assert_eq!(report["passed"], report["total"]);
}

/// `run --adapter 'lifecycle-kit adapter --runtime wasmi'` with wasmi's expectations, and
/// `ARGS`: it must pass but for the listed cases it runs, which fail as listed.
fn wasmi_through_the_adapter(args: &[&str]) -> Value {
    let adapter = format!("{KIT} adapter --runtime wasmi");
    let expectations = "conformance/expectations/wasmi.toml";
    let (report, code) = json_run(
        &[
            &["--adapter", &adapter, "--expectations", expectations][..],
            args,
        ]
        .concat(),
    );
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["runtime"], "wasmi");
    assert_eq!(report["failed"], 0);
    assert_eq!(report["xpass"], 0);
    report
}

/// The cases of wasmi's start section (two of them listed in its expectations) through
/// the adapter: a translation of wasmi's outcomes into the protocol and back.
#[test]
fn the_start_section_cases_pass_through_the_adapter_on_wasmi() {
    let report = wasmi_through_the_adapter(&["--filter", "start-section"]);
    assert!(report["passed"].as_u64().unwrap() >= 5, "{report:#}");
    assert_eq!(
        report["xfail"], 2,
        "start-section-spins-past-timeout and start-deadline-covers-start-section-and-start \
         fail as listed: {report:#}"
    );
}

#[test]
#[ignore = "slow tier: the whole suite on wasmi through the adapter, a second whole run beside the in-process one (wasmi module); the default tier runs its start-section cases"]
fn the_suite_passes_through_the_adapter_on_wasmi() {
    let report = wasmi_through_the_adapter(&[]);
    assert_eq!(report["xfail"], 3);
}

#[test]
fn a_faulty_runtime_is_caught_through_the_adapter_too() {
    let adapter = format!("{KIT} adapter --runtime faulty:cleanup-skipped");
    let (report, code) = json_run(&["--adapter", &adapter, "--filter", "LC-STOP-3"]);
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

/// The cases the Python trace adapter refuses, because `trace` cannot express them.
const PYTHON_EXPECTATIONS: &str = "conformance/adapters/python/expectations.toml";

/// `run ARGS` through the Python trace adapter with its expectations: everything it can
/// express passes, and everything else is a case it refuses, as listed, because `trace`
/// cannot express it. The report.
fn the_python_adapter_passes(args: &[&str]) -> Value {
    let script = "conformance/adapters/python/trace_adapter.py";
    let adapter = format!("python3 {script} {KIT}");
    let (report, code) = json_run(
        &[
            &["--adapter", &adapter, "--expectations", PYTHON_EXPECTATIONS][..],
            args,
        ]
        .concat(),
    );
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["runtime"], "python-trace-adapter");
    assert_eq!(report["failed"], 0);
    assert_eq!(report["xpass"], 0);
    for (id, outcome, why) in outcomes(&report) {
        if outcome == "xfail" {
            assert!(why.starts_with("trace "), "{id}: {why}");
        }
    }
    report
}

/// The ways a case uses the adapter protocol: each step, a module sent as bytes or as a
/// path, two components at once, a case of several cycles, each profile, each limit away
/// from its default, each capability a case needs (one the Python adapter does not
/// declare among them), and a case the adapter refuses (one `refused` lists).
fn protocol_paths(cases: &[Case], refused: &Expectations) -> BTreeSet<String> {
    let defaults = Limits::default().to_json();
    let mut paths = BTreeSet::new();
    for case in cases {
        if refused.xfail.contains_key(&case.id) {
            paths.insert("refused".to_string());
        }
        for step in &case.steps {
            paths.insert(format!("step {}", step_name(step)));
        }
        if case.modules.len() > 1 {
            paths.insert("two components".to_string());
        }
        if case.cycles > 1 {
            paths.insert("cycles".to_string());
        }
        for need in &case.needs {
            paths.insert(format!("needs {need}"));
        }
        for module in &case.modules {
            paths.insert(match module.module {
                ModuleSource::Bytes(_) => "module as bytes".to_string(),
                _ => "module from a file".to_string(),
            });
            paths.insert(format!("profile {}", module.profile));
            let limits = module.limits.to_json();
            for (key, value) in limits.as_object().unwrap() {
                if defaults[key] != *value {
                    paths.insert(format!("limit {key}"));
                }
            }
        }
    }
    paths
}

fn step_name(step: &Step) -> &'static str {
    match step {
        Step::Start => "start",
        Step::Send(_) => "send",
        Step::Health => "health",
        Step::Stop(_) => "stop",
    }
}

/// The shards of the suite the default tier runs through the Python adapter: the fewest
/// cases, in shards of 22, that take every way of using the protocol.
const PYTHON_SHARDS: [(u64, u64); 2] = [(17, 22), (19, 22)];

/// Two twenty-seconds of the suite through the Python adapter, chosen to take every way
/// of using the protocol the whole suite takes (checked here, so that a change of the
/// cases that leaves a way out fails this test rather than weakening it): what it runs,
/// it passes, and what it refuses is what `trace` cannot express.
#[test]
fn the_python_adapter_passes_everything_it_can_express_in_shards_that_use_the_whole_protocol() {
    // As `run` takes them: both ABIs (the component cases are unsupported here).
    let (all, _) = on_abis(load_dir(&builtin_dir()).unwrap(), AbiChoice::All);
    let refused = Expectations::load(Path::new(PYTHON_EXPECTATIONS)).unwrap();
    let shards: Vec<Vec<Case>> = PYTHON_SHARDS
        .iter()
        .map(|&shard| select(all.clone(), None, Some(shard)))
        .collect();
    let missing: Vec<String> = protocol_paths(&all, &refused)
        .difference(&protocol_paths(&shards.concat(), &refused))
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "shards {PYTHON_SHARDS:?} leave out {missing:?}: choose others"
    );
    let mut seen = BTreeSet::new();
    for (&(k, n), shard) in PYTHON_SHARDS.iter().zip(&shards) {
        let report = the_python_adapter_passes(&["--shard", &format!("{k}/{n}")]);
        assert_eq!(report["total"].as_u64(), Some(shard.len() as u64));
        for outcome in ["passed", "xfail", "unsupported"] {
            if report[outcome].as_u64().unwrap() > 0 {
                seen.insert(outcome);
            }
        }
    }
    assert_eq!(seen.len(), 3, "passed, refused and unsupported: {seen:?}");
}

#[test]
#[ignore = "slow tier: the whole suite through the Python adapter, which runs `lifecycle-kit trace` for every operation (minutes); the default tier runs two shards that take every way of using the protocol"]
fn the_python_adapter_passes_everything_it_can_express() {
    let report = the_python_adapter_passes(&[]);
    assert!(report["passed"].as_u64().unwrap() >= 200);
}

static TRAPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The built-in cases plus two that make the flaky adapter hang and crash, in a directory
/// of this test process.
fn cases_with_traps() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lk-flaky-{}-{}",
        std::process::id(),
        TRAPS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
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
    // First, so that the run's other cases come after them.
    std::fs::write(dir.join("0-flaky.toml"), extra).unwrap();
    dir
}

/// The two cases that make the flaky adapter hang and crash, and the others `ARGS`
/// selects, through it: only those two fail, each saying how, and the run goes on.
fn a_hanging_or_crashing_adapter_costs_only_its_case(args: &[&str]) {
    let cases = cases_with_traps();
    let adapter = format!("python3 tests/adapters/flaky.py {KIT}");
    let (report, code) = json_run(
        &[
            &[
                "--adapter",
                &adapter,
                "--cases",
                cases.to_str().unwrap(),
                // An answer is due 1 s after the message's 1 s call timeout: well before
                // the runner's own verdict on a guest still running 2 s past it
                // (LC-LIMIT-4), so the adapter's timeout is what ends the case.
                "--adapter-timeout-secs",
                "1",
            ][..],
            args,
        ]
        .concat(),
    );
    assert_eq!(code, Some(1));
    let all = outcomes(&report);
    let verdict = |id: &str| all.iter().find(|(i, _, _)| i == id).cloned().unwrap();
    let (_, outcome, why) = verdict("adapter-hangs");
    assert_eq!(outcome, "fail");
    assert!(
        // The answer timeout counts from the end of the message's 1 s call timeout.
        why.contains("no answer to `send`") && why.contains("within 2s") && why.contains("killed"),
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
    let others_passed = all.iter().filter(|(_, o, _)| o == "pass").count();
    assert!(others_passed >= 10, "{all:?}");
    let _ = std::fs::remove_dir_all(cases);
}

/// With the cases of their clause, LC-MSG-1 (the cases that make the adapter hang and
/// crash come first, so the others run after them).
#[test]
fn a_hanging_or_crashing_adapter_costs_only_its_case_among_the_cases_of_its_clause() {
    a_hanging_or_crashing_adapter_costs_only_its_case(&["--filter", "LC-MSG-1"]);
}

#[test]
#[ignore = "slow tier: the whole suite through a Python proxy adapter (a minute); the default tier runs the cases of one clause"]
fn a_hanging_or_crashing_adapter_costs_only_its_case_in_the_whole_suite() {
    a_hanging_or_crashing_adapter_costs_only_its_case(&[]);
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
            let out = kit(&["run", "--format", format, "--adapter", adapter]);
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
        let out = kit(&[
            "run",
            "--format",
            "json",
            "--filter",
            "start-returns",
            "--adapter",
            &adapter,
        ]);
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

/// `run ARGS` through an adapter whose guest calls never time out: every timeout case
/// it runs fails with LC-LIMIT-4 in seconds (the adapter process killed); the number of
/// them.
fn an_adapter_whose_guest_calls_never_time_out_fails_each_timeout_case_in_seconds(
    args: &[&str],
) -> usize {
    let adapter = format!("{KIT} adapter --runtime faulty:fuel-less-timeouts-never-fire");
    let (report, code) = json_run(&[&["--adapter", &adapter][..], args].concat());
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
    judged
}

/// A guest spinning at each entry a timeout bounds.
#[test]
fn an_adapter_whose_guest_calls_never_time_out_fails_each_spinning_guest_in_seconds() {
    let judged = an_adapter_whose_guest_calls_never_time_out_fails_each_timeout_case_in_seconds(&[
        "--filter",
        "spins-past-timeout",
    ]);
    assert!(judged >= 6, "{judged}");
}

#[test]
#[ignore = "slow tier: every LC-LIMIT-4 case waits out the run's slack through the adapter (half a minute); the default tier runs a guest spinning at each entry"]
fn an_adapter_whose_guest_calls_never_time_out_fails_each_lc_limit_4_case_in_seconds() {
    let judged = an_adapter_whose_guest_calls_never_time_out_fails_each_timeout_case_in_seconds(&[
        "--filter",
        "LC-LIMIT-4",
    ]);
    assert!(judged >= 5, "{judged}");
}

/// An adapter that reads no text: it refuses every `create` whose module is not a wasm
/// binary.
fn binary_only() -> String {
    format!("python3 tests/adapters/binary_only.py {KIT}")
}

/// A scratch directory of this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lk-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The kit compiles a `.wat` file before an adapter sees it: `trace` through an adapter
/// that reads no text shows what it shows in process.
#[test]
fn trace_of_a_wat_file_works_through_an_adapter_that_reads_no_text() {
    let args = ["trace", "examples/echo.wat", "--send", "hello", "--health"];
    let in_process = kit(&args);
    assert_eq!(in_process.status.code(), Some(0));
    let adapter = binary_only();
    let through = kit(&[&args[..], &["--adapter", &adapter]].concat());
    let stderr = String::from_utf8_lossy(&through.stderr);
    assert_eq!(through.status.code(), Some(0), "{stderr}");
    let timeline = String::from_utf8_lossy(&through.stdout);
    assert_eq!(timeline, String::from_utf8_lossy(&in_process.stdout));
    assert!(
        timeline.contains("message \"hello\" (5 bytes): reply \"hello\" (5 bytes)")
            && timeline.contains("call _start: returned")
            && timeline.contains("call _cleanup: returned"),
        "{timeline}"
    );
}

/// A `.wat` file that does not parse is `validation_failed`, reason `malformed`, at stage
/// `validate`, in process and through an adapter alike (which is sent a malformed binary
/// in its place, and the trace says so).
#[test]
fn a_wat_file_that_does_not_parse_is_malformed_through_an_adapter_too() {
    let dir = scratch("bad-wat");
    let bad = dir.join("bad.wat");
    std::fs::write(&bad, "(module (func").unwrap();
    let bad = bad.to_str().unwrap();
    let summary = |out: &std::process::Output| {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let trace: Value = serde_json::from_slice(&out.stdout).unwrap();
        let start = &trace["ops"][0];
        let mut error = start["error"].clone();
        error.as_object_mut().unwrap().remove("detail");
        let transitions: Vec<Value> = trace["ops"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|op| op["events"].as_array().unwrap().clone())
            .filter(|e| e["event"] == "transition")
            .collect();
        (error, transitions, trace["final_state"].clone())
    };
    let in_process = summary(&kit(&["trace", bad, "--json"]));
    assert_eq!(
        in_process.0,
        serde_json::json!({"kind": "validation_failed", "stage": "validate", "reason": "malformed"})
    );
    for adapter in [binary_only(), format!("{KIT} adapter --runtime reference")] {
        let out = kit(&["trace", bad, "--json", "--adapter", &adapter]);
        assert_eq!(summary(&out), in_process, "{adapter}");
        let out = kit(&["trace", bad, "--adapter", &adapter]);
        let timeline = String::from_utf8_lossy(&out.stdout);
        assert!(
            timeline.contains("bad.wat is not valid WAT")
                && timeline.contains("a malformed binary in its place"),
            "{adapter}: {timeline}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Cases whose modules are `.wat` files: one that parses, one that does not, one that
/// is missing.
fn wat_file_cases() -> PathBuf {
    let dir = scratch("wat-cases");
    std::fs::copy("examples/echo.wat", dir.join("echo.wat")).unwrap();
    std::fs::write(dir.join("bad.wat"), "(module (func").unwrap();
    let cases = r#"
[[case]]
id = "wat-file-echo"
clauses = ["LC-MSG-1"]
description = "a module given as a .wat file"
file = "echo.wat"
steps = ["start", { send = "hi" }, "health", "stop"]
expect = { final_state = "terminated", transitions = [
  ["creating", "starting"], ["starting", "ready"], ["ready", "stopping"], ["stopping", "terminated"],
], ops = [
  { op = "start", ok = true, calls = [{ export = "_start", outcome = "returned" }] },
  { op = "message", ok = true, message_hex = "6869", reply_hex = "6869", calls = [
    { export = "alloc", outcome = "returned" }, { export = "handle-message", outcome = "returned" },
  ] },
  { op = "health", ok = true, health = "healthy", calls = [{ export = "_health", outcome = "returned" }] },
  { op = "stop", ok = true, warnings = [], calls = [{ export = "_cleanup", outcome = "returned" }] },
] }

[[case]]
id = "wat-file-that-does-not-parse"
clauses = ["LC-START-4"]
description = "a .wat file that is not valid text"
file = "bad.wat"
steps = ["start", "stop"]
expect = { final_state = "terminated", transitions = [
  ["creating", "starting"], ["starting", "failed"], ["failed", "stopping"], ["stopping", "terminated"],
], ops = [
  { op = "start", ok = false, error = { kind = "validation_failed", stage = "validate", reason = "malformed" } },
  { op = "stop", ok = true, warnings = [] },
] }

[[case]]
id = "wat-file-missing"
clauses = ["LC-START-1"]
description = "a .wat file that does not exist"
file = "missing.wat"
steps = ["start", "stop"]
expect = { final_state = "terminated", transitions = [
  ["creating", "starting"], ["starting", "failed"], ["failed", "stopping"], ["stopping", "terminated"],
], ops = [
  { op = "start", ok = false, error = { kind = "component_not_found", stage = "load" } },
  { op = "stop", ok = true, warnings = [] },
] }
"#;
    std::fs::write(dir.join("wat-files.toml"), cases).unwrap();
    dir
}

/// The same cases pass in process, through the built-in adapter, through the Python
/// trace adapter, and through an adapter that reads no text.
#[test]
fn cases_with_wat_files_pass_through_every_adapter() {
    let dir = wat_file_cases();
    let file = dir.join("wat-files.toml");
    let cases = file.to_str().unwrap();
    let python = format!("python3 conformance/adapters/python/trace_adapter.py {KIT}");
    let reference = format!("{KIT} adapter --runtime reference");
    let binary_only = binary_only();
    let mut runs = vec![vec!["--cases", cases]];
    for adapter in [&reference, &python, &binary_only] {
        runs.push(vec!["--cases", cases, "--adapter", adapter.as_str()]);
    }
    for args in runs {
        let (report, code) = json_run(&args);
        assert_eq!(code, Some(0), "{args:?}: {report:#}");
        let all = outcomes(&report);
        assert_eq!(all.len(), 3, "{args:?}: {all:?}");
        assert!(all.iter().all(|(_, o, _)| o == "pass"), "{args:?}: {all:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The second implementation of the component ABI: components transpiled by jco and run
/// on Node (`conformance/adapters/jco`, installed by `npm ci`, as `.ci/run` does). Every
/// component case it can run passes; what it cannot is `unsupported` by the capability it
/// does not declare (`fuel`, and `core_modules` for the core cases), and each expected
/// failure is a jco difference from the canonical ABI, named in its reason.
#[test]
#[ignore = "slow tier: the whole suite through the jco adapter on Node (about a minute and a half); needs `npm ci` in conformance/adapters/jco"]
fn the_jco_adapter_runs_every_component_case_it_can() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/adapters/jco");
    assert!(
        Path::new(dir).join("node_modules").is_dir(),
        "{dir}: run `npm ci` there first (.ci/run does)"
    );
    let expectations = "conformance/adapters/jco/expectations.toml";
    let adapter = "node conformance/adapters/jco/adapter.mjs";
    let (report, code) = json_run(&["--adapter", adapter, "--expectations", expectations]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["runtime"], "jco");
    assert_eq!(
        (report["failed"].as_u64(), report["xpass"].as_u64()),
        (Some(0), Some(0))
    );
    assert!(report["passed"].as_u64().unwrap() >= 300, "{report:#}");
    let gated: BTreeSet<&str> = report["unsupported_by_capability"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        gated,
        BTreeSet::from(["core_modules", "fuel"]),
        "{report:#}"
    );
    for (id, outcome, why) in outcomes(&report) {
        if outcome == "xfail" {
            assert!(id.contains("reply") || id.contains("utf8"), "{id}: {why}");
            assert!(why.starts_with("jco "), "{id}: {why}");
        }
    }
}
