//! Mutation testing: `lifecycle-kit mutants` runs the suite against every faulty runtime
//! (the reference runtime with one injected defect); every mutant must be killed.

use serde_json::Value;
use std::process::{Command, Output};

fn lifecycle_kit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lifecycle-kit"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn every_mutant_is_killed() {
    let out = lifecycle_kit(&["mutants", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let total = report["total"].as_u64().unwrap();
    assert!(total >= 25, "only {total} mutants");
    assert_eq!(report["survived"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["killed"].as_u64(), Some(total));
    assert_eq!(out.status.code(), Some(0));
    let names: Vec<&str> = report["mutants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    for field_defect in [
        "limiter-not-installed",
        "limiter-adds-current-and-desired",
        "table-growth-unchecked",
        "fuel-set-once",
        "no-start-timeout",
        "cleanup-outer-timeout-only",
        "store-leaked-on-stop",
        "store-leaked-on-failed-start",
        "out-of-fuel-as-trap",
        "timeout-as-trap",
        "non-wasm-parsed-as-wat",
    ] {
        assert!(names.contains(&field_defect), "{field_defect}");
    }
    for m in report["mutants"].as_array().unwrap() {
        assert!(!m["killed_by"].as_array().unwrap().is_empty(), "{m}");
        assert!(!m["description"].as_str().unwrap().is_empty());
    }
}

#[test]
fn one_mutant_runs_as_a_runtime() {
    let out = lifecycle_kit(&[
        "run",
        "--runtime",
        "faulty:cleanup-skipped",
        "--filter",
        "LC-STOP-3",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("FAIL cleanup-traps-unreachable"), "{text}");
    assert!(text.contains("reproduce: lifecycle-kit run --runtime faulty:cleanup-skipped --filter cleanup-traps-unreachable"), "{text}");

    let out = lifecycle_kit(&["run", "--runtime", "faulty:no-such-defect"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no mutant named `no-such-defect`") && err.contains("fuel-set-once"),
        "{err}"
    );
}
