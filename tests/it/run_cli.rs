//! `lifecycle-kit run`: reports, sharding, filters, exit codes and bad input.

use crate::common::{json_run, kit};
use serde_json::Value;
use std::collections::BTreeSet;

fn ids(report: &Value) -> BTreeSet<String> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

/// The whole suite through the command line, allocating on demand: the allocator the rest
/// of the default tier does not run the suite under (the slow tier runs it under each).
#[test]
fn json_report_has_totals_and_cases() {
    let (report, code) = json_run(&["--allocator", "on-demand"]);
    assert_eq!(code, Some(0));
    assert_eq!(report["runtime"], "reference");
    assert!(report["version"].as_str().unwrap().contains("wasmtime 48"));
    let total = report["total"].as_u64().unwrap();
    assert!(total >= 200);
    assert_eq!(report["passed"].as_u64(), Some(total));
    assert_eq!(report["failed"], 0);
    for case in report["cases"].as_array().unwrap() {
        assert_eq!(case["outcome"], "pass", "{case}");
        assert!(case["clauses"].as_array().is_some_and(|c| !c.is_empty()));
        assert!(
            case["duration_ms"].is_u64()
                && case["repro"]
                    .as_str()
                    .unwrap()
                    .starts_with("lifecycle-kit run")
        );
    }
    assert!(report["coverage"]["LC-STOP-2"].as_array().unwrap().len() >= 3);
}

#[test]
fn junit_is_valid_xml_with_a_testcase_per_case() {
    let path = std::env::temp_dir().join(format!("lk-junit-{}.xml", std::process::id()));
    let out = kit(&[
        "run",
        "--filter",
        "LC-STOP",
        "--junit",
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = std::fs::read_to_string(&path).unwrap();
    let beside = format!("{}.tmp-", path.file_name().unwrap().to_str().unwrap());
    assert!(
        std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(&beside)),
        "the report was written beside its place and renamed into it"
    );
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert!(cases.len() >= 10);
    assert!(cases.iter().all(|c| {
        c.attribute("name").is_some()
            && c.attribute("classname")
                .is_some_and(|k| k.starts_with("LC-"))
    }));
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        0
    );
}

/// The shards of `run ARGS` partition it: each case in exactly one of three.
fn shards_partition(args: &[&str]) {
    let (all, _) = json_run(args);
    let all = ids(&all);
    let mut union = BTreeSet::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let (report, code) = json_run(&[args, &["--shard", &shard]].concat());
        assert_eq!(code, Some(0));
        for id in ids(&report) {
            assert!(union.insert(id.clone()), "{id} in two shards");
        }
    }
    assert_eq!(union, all);
}

/// Of a filtered run, through the command line (that the shards of every built-in case
/// are disjoint and cover them all is `conformance/tests/cases.rs`'s
/// `shards_are_disjoint_and_cover_everything`, on the selection alone).
#[test]
fn shards_partition_the_run() {
    shards_partition(&["--filter", "LC-STOP"]);
    for bad in ["0/3", "4/3", "1/0", "x/2", "3"] {
        let out = kit(&["run", "--shard", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).lines().count(),
            1,
            "{bad}"
        );
    }
}

#[test]
fn a_failing_run_exits_1_and_says_how_to_reproduce() {
    let dir = std::env::temp_dir().join(format!("lk-xpass-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let expectations = dir.join("expectations.toml");
    std::fs::write(
        &expectations,
        "[[xfail]]\ncase = \"echo\"\nreason = \"listed by mistake\"\n",
    )
    .unwrap();
    let out = kit(&[
        "run",
        "--filter",
        "echo",
        "--expectations",
        expectations.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let repro = format!(
        "reproduce: lifecycle-kit run --runtime reference --expectations {} --filter echo",
        expectations.display()
    );
    assert!(
        text.contains("XPASS echo") && text.contains(&repro),
        "{text}"
    );
    assert_eq!(
        text.lines().last(),
        Some("1 cases: 0 passed, 0 failed, 0 unsupported, 0 xfail, 1 xpass"),
        "one summary line, every verdict counted once:\n{text}"
    );
}

/// Without `--expectations`, wasmi's own apply: the cases of its start section pass, but
/// the two its file lists, which fail as listed.
#[test]
fn wasmi_runs_with_its_builtin_expectations() {
    let (report, code) = json_run(&["--runtime", "wasmi", "--filter", "start-section"]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["runtime"], "wasmi");
    assert_eq!(report["failed"], 0);
    assert_eq!(report["xfail"], 2);
    assert!(report["passed"].as_u64().unwrap() >= 5, "{report:#}");
}

#[test]
#[ignore = "slow tier: the whole suite on wasmi through the command line, beside the in-process run of the wasmi module; the default tier runs the cases of its start section"]
fn wasmi_runs_the_whole_suite_with_its_builtin_expectations() {
    let (report, code) = json_run(&["--runtime", "wasmi"]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["runtime"], "wasmi");
    assert_eq!(report["failed"], 0);
    assert_eq!(report["xfail"], 3);
}

#[test]
fn bad_case_files_are_named_with_their_key() {
    let dir = std::env::temp_dir().join(format!("lk-badcases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("mine.toml"),
        "[[case]]\nid = \"x\"\nclauses = [\"LC-MSG-1\"]\nscenario = \"echo\"\nretries = 2\n",
    )
    .unwrap();
    let out = kit(&["run", "--cases", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("mine.toml") && err.contains("retries") && err.lines().count() == 1,
        "{err}"
    );
    let out = kit(&["run", "--cases", "/no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("/no/such/dir")
    );
    let out = kit(&["run", "--runtime", "mystery"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn require_turns_unsupported_into_failures() {
    // This faulty runtime declares no fuel: the calibrated fuel cases cannot run on it.
    let args = [
        "--runtime",
        "faulty:fuel-less-timeouts-never-fire",
        "--filter",
        "fuel-fresh-for-cleanup",
    ];
    let (report, code) = json_run(&args);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["unsupported"], 1);
    assert_eq!(report["unsupported_by_capability"]["fuel"], 1);
    assert_eq!(report["cases"][0]["needs"], "fuel");
    let out = kit(&[&["run"][..], &args].concat());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("    fuel: 1 case(s): fuel-fresh-for-cleanup"),
        "the human report lists it with what gated it:\n{text}"
    );
    for require in ["fuel", "all", "timeouts,fuel"] {
        let (report, code) = json_run(&[&args[..], &["--require", require]].concat());
        assert_eq!(code, Some(1), "{require}");
        let reason = report["cases"][0]["reason"].as_str().unwrap();
        assert!(
            reason.contains("`fuel`") && reason.contains("--require"),
            "{reason}"
        );
    }
    let out = kit(&["run", "--require", "telepathy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown capability `telepathy`"));
}

#[test]
fn a_failing_case_in_json_has_its_reason_and_both_traces() {
    let (report, code) = json_run(&[
        "--runtime",
        "faulty:cleanup-skipped",
        "--filter",
        "cleanup-traps-unreachable",
    ]);
    assert_eq!(code, Some(1));
    let case = &report["cases"][0];
    assert_eq!(case["outcome"], "fail");
    assert!(case["reason"].as_str().unwrap().contains("cleanup_trapped"));
    assert_eq!(
        case["expected"]["ops"][1]["warnings"][0]["kind"],
        "cleanup_trapped"
    );
    assert_eq!(case["actual"]["ops"][1]["warnings"], serde_json::json!([]));
    assert_eq!(
        case["expected"]["ops"][1]["calls"][0]["export"], "_cleanup",
        "guest calls are part of both"
    );
    assert!(case.get("diff").is_none(), "the reason is `reason`");
}
