//! Mutation testing: `lifecycle-kit mutants` runs the suite against every faulty runtime
//! (the reference runtime with one injected defect); every mutant must be killed.

use crate::common::kit;
use lifecycle_conformance::case::{builtin_dir, load_dir};
use lifecycle_contract::Step;
use serde_json::Value;

#[test]
fn every_mutant_is_killed() {
    let out = kit(&["mutants", "--format", "json"]);
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
        // The holes seen when the suite was first tried on runtimes written elsewhere.
        "fuel-less-timeouts-never-fire",
        "fuel-set-once-generously",
        "released-only-on-drop",
        "engine-per-start",
        // Defects nobody here had written a case for.
        "table-limit-off-by-one",
        "cleanup-on-leftover-fuel",
        "epoch-tick-one-second",
        "store-leaked-when-dropped-ready",
        "module-cache-keyed-by-length",
        "health-uses-call-timeout",
        "health-deadline-armed-once",
        "handle-message-shares-alloc-fuel",
        "start-shares-start-section-fuel",
        // Defects a runtime written elsewhere had, that got through before.
        "module-cache-ignores-profile",
        "start-deadline-armed-again-for-start",
        "call-deadline-armed-again-for-handle-message",
        "unlimited-fuel-capped",
        "timeouts-scaled-late",
        "accounting-ignores-growth",
    ] {
        assert!(names.contains(&field_defect), "{field_defect}");
    }
    for m in report["mutants"].as_array().unwrap() {
        assert!(!m["killed_by"].as_array().unwrap().is_empty(), "{m}");
        assert!(!m["description"].as_str().unwrap().is_empty());
    }
    let killed_by = |name: &str| -> Vec<String> {
        let m = report["mutants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("no mutant {name}"));
        m["killed_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_string())
            .collect()
    };
    // A limiter that adds current and desired sizes is seen by a case that sends no
    // message: a runtime whose message path never enters the guest gets the verdict too.
    let cases = load_dir(&builtin_dir()).unwrap();
    let without_messages = |id: &String| {
        cases
            .iter()
            .find(|c| &c.id == id)
            .is_some_and(|c| !c.steps.iter().any(|s| matches!(s, Step::Send(_))))
    };
    for mutant in [
        "limiter-adds-current-and-desired",
        "limiter-not-installed",
        "table-limit-off-by-one",
    ] {
        let killers = killed_by(mutant);
        assert!(
            killers.iter().any(without_messages),
            "{mutant} is only seen through messages: {killers:?}"
        );
    }
    // A failed load left `starting` is seen by a case with a written expectation.
    assert!(killed_by("failed-load-stays-starting").contains(&"component-not-found".to_string()));
    // Fuel set once at any amount is seen by the calibrated cases, whatever a call costs.
    assert!(
        killed_by("fuel-set-once-generously")
            .iter()
            .any(|id| id.starts_with("fuel-fresh-for-")),
        "{:?}",
        killed_by("fuel-set-once-generously")
    );
}

#[test]
fn a_runtime_without_fuel_whose_timeouts_never_fire_fails_each_timeout_case_quickly() {
    let out = kit(&[
        "run",
        "--runtime",
        "faulty:fuel-less-timeouts-never-fire",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cases = report["cases"].as_array().unwrap();
    // It declares no fuel: only cases that show fuel running out are unsupported.
    for case in cases.iter().filter(|c| c["outcome"] == "unsupported") {
        assert_eq!(case["needs"], "fuel", "{case}");
    }
    let timeout_cases: Vec<&Value> = cases
        .iter()
        .filter(|c| {
            c["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("LC-LIMIT-4: the "))
        })
        .collect();
    assert!(timeout_cases.len() >= 10, "{}", timeout_cases.len());
    for case in timeout_cases {
        assert_eq!(case["outcome"], "fail");
        let ms = case["duration_ms"].as_u64().unwrap();
        assert!(ms < 10_000, "{} took {ms} ms", case["id"]);
        assert!(
            case["reason"].as_str().unwrap().contains("timeout"),
            "{case}"
        );
    }
}

#[test]
fn one_mutant_runs_as_a_runtime() {
    let out = kit(&[
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

    let out = kit(&["run", "--runtime", "faulty:no-such-defect"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no mutant named `no-such-defect`") && err.contains("fuel-set-once"),
        "{err}"
    );
}
