//! Mutation testing: the suite against every faulty runtime (the reference runtime with
//! one injected defect); every mutant must be killed, and the ones that matter by the
//! cases written for them.
//!
//! Default tier: every mutant's run stops at its first failing case (`fail_fast`), the
//! mutants run side by side within the bound of [`mutants::mutants_at_once`], the cases
//! cheapest first; and each kill that matters is checked by running just the cases that
//! must make it against its mutant. Slow tier: `lifecycle-kit mutants --format json` on
//! three mutants, the whole suite against each, with each one's complete list of killing
//! cases.

use crate::common::{json_run, kit, reference_suite};
use lifecycle_conformance::case::{builtin_dir, load_dir};
use lifecycle_conformance::{Case, RunOptions, Verdict};
use lifecycle_contract::Step;
use lifecycle_kit::mutants::{self, Defect};
use serde_json::Value;
use std::collections::HashMap;

/// The mutants written for holes found in the field: each must exist (and be killed).
const FIELD_DEFECTS: &[&str] = &[
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
];

/// The limiter's defects: each must be seen by a case that sends no message, so that a
/// runtime whose message path never enters the guest gets the verdict too.
const LIMITER_DEFECTS: &[&str] = &[
    "limiter-adds-current-and-desired",
    "limiter-not-installed",
    "table-limit-off-by-one",
];

fn defect(name: &str) -> Defect {
    Defect::from_name(name).unwrap_or_else(|| panic!("no mutant {name}"))
}

fn sends_no_message(case: &Case) -> bool {
    !case.steps.iter().any(|s| matches!(s, Step::Send(_)))
}

/// The built-in cases, cheapest first by what each took on the reference runtime: a
/// fail-fast run ends at its mutant's first failing case, so the few cases that wait out
/// long timeouts run last, and only for the mutants nothing cheaper kills.
async fn cases_cheapest_first() -> Vec<Case> {
    let (cases, reference) = reference_suite().await;
    let took: HashMap<&str, std::time::Duration> = reference
        .results
        .iter()
        .map(|r| (r.id.as_str(), r.duration))
        .collect();
    let mut cases = cases.clone();
    cases.sort_by_key(|c| took.get(c.id.as_str()).copied().unwrap_or_default());
    cases
}

/// Each mutant's run stops at its first failing case (one case at a time per mutant);
/// a mutant is killed by that failure. The mutants run side by side, no more cases at
/// once than [`mutants::mutants_at_once`] allows, so that load never decides a kill.
fn fail_fast() -> RunOptions {
    RunOptions {
        fail_fast: true,
        jobs: 1,
        ..mutants::options()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutant_is_killed_at_its_first_failing_case() {
    let cases = cases_cheapest_first().await;
    let results = mutants::run(Defect::ALL, &cases, &fail_fast()).await;
    let names: Vec<&str> = results.iter().map(|r| r.defect.name()).collect();
    let all: Vec<&str> = Defect::ALL.iter().map(|d| d.name()).collect();
    assert_eq!(names, all, "one result per mutant, in order");
    let survivors: Vec<&str> = results
        .iter()
        .filter(|r| r.killed_by.is_empty())
        .map(|r| r.defect.name())
        .collect();
    assert!(survivors.is_empty(), "survived: {survivors:?}");
    // Killed by cases the reference runtime passes.
    let (_, reference) = reference_suite().await;
    for r in &results {
        for id in &r.killed_by {
            let on_reference = reference.results.iter().find(|c| &c.id == id);
            assert!(
                on_reference.is_some_and(|c| c.verdict == Verdict::Pass),
                "{} is killed by {id}, which the reference runtime does not pass",
                r.defect.name()
            );
        }
    }
}

#[test]
fn every_mutant_found_in_the_field_is_there_and_described() {
    let names: Vec<&str> = Defect::ALL.iter().map(|d| d.name()).collect();
    assert!(names.len() >= 25, "only {} mutants", names.len());
    for field_defect in FIELD_DEFECTS {
        assert!(names.contains(field_defect), "{field_defect}");
    }
    for d in Defect::ALL {
        assert!(!d.description().is_empty(), "{}", d.name());
    }
}

/// The kills that matter, each by just the cases that must make it: the limiter's
/// defects by a case that sends no message, a failed load left `starting` by
/// `component-not-found` (a case with a written expectation), and fuel set once at any
/// amount by the calibrated `fuel-fresh-for-*` cases, whatever a call costs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mutants_that_matter_are_killed_by_the_cases_written_for_them() {
    let cases = cases_cheapest_first().await;
    let killed_by = |name: &'static str, only: Vec<Case>, fast: bool| {
        assert!(!only.is_empty(), "{name}: no case to run");
        let options = match fast {
            true => fail_fast(),
            false => mutants::options(),
        };
        async move {
            let report =
                lifecycle_conformance::run_cases(mutants::faulty(defect(name)), only, options)
                    .await;
            let failed: Vec<String> = report
                .results
                .iter()
                .filter(|r| r.verdict.fails_run())
                .map(|r| r.id.clone())
                .collect();
            failed
        }
    };
    for name in LIMITER_DEFECTS {
        let without_messages = cases.iter().filter(|c| sends_no_message(c)).cloned();
        let killers = killed_by(name, without_messages.collect(), true).await;
        assert!(!killers.is_empty(), "{name} is only seen through messages");
    }
    let not_found: Vec<Case> = cases
        .iter()
        .filter(|c| c.id == "component-not-found")
        .cloned()
        .collect();
    assert_eq!(
        killed_by("failed-load-stays-starting", not_found, false).await,
        ["component-not-found"]
    );
    let calibrated: Vec<Case> = cases
        .iter()
        .filter(|c| c.id.starts_with("fuel-fresh-for-"))
        .cloned()
        .collect();
    assert!(calibrated.len() >= 3, "{}", calibrated.len());
    let killers = killed_by("fuel-set-once-generously", calibrated, true).await;
    assert!(!killers.is_empty(), "fuel set once at any amount survives");
}

/// `lifecycle-kit mutants` as a user runs it: the whole suite against the named mutants,
/// with every case that kills each. (That every mutant is killed is shown in the default
/// tier, each at its first failing case; what kills the ones that matter, by just the
/// cases that must, in `the_mutants_that_matter_are_killed_by_the_cases_written_for_them`.
/// The whole suite against all 49 is `lifecycle-kit mutants`, about five minutes on 2
/// cores, and not a test.)
#[test]
#[ignore = "slow tier: the whole suite against each of three mutants, through the command line"]
fn the_mutants_command_lists_every_case_that_kills_each_named_mutant() {
    const NAMED: [&str; 3] = [
        "limiter-adds-current-and-desired",
        "failed-load-stays-starting",
        "fuel-set-once-generously",
    ];
    let args: Vec<&str> = NAMED.iter().flat_map(|name| ["--mutant", name]).collect();
    let out = kit(&[&["mutants", "--format", "json"][..], &args].concat());
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["total"], 3, "{report:#}");
    assert_eq!(report["killed"], 3, "{report:#}");
    assert_eq!(report["survived"], serde_json::json!([]), "{report:#}");
    let mutants = report["mutants"].as_array().unwrap();
    let names: Vec<&str> = mutants
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, NAMED, "in the order named");
    for m in mutants {
        assert_eq!(m["killed"], true, "{m}");
        assert!(!m["description"].as_str().unwrap().is_empty(), "{m}");
    }
    let killed_by = |name: &str| -> Vec<String> {
        let m = mutants.iter().find(|m| m["name"] == name).unwrap();
        m["killed_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_string())
            .collect()
    };
    // The whole suite's killers, not the first: a limiter that adds current and desired
    // sizes fails cases with messages and without.
    let cases = load_dir(&builtin_dir()).unwrap();
    let sends_none = |id: &String| {
        cases
            .iter()
            .find(|c| &c.id == id)
            .is_some_and(sends_no_message)
    };
    let limiter = killed_by("limiter-adds-current-and-desired");
    assert!(limiter.iter().any(sends_none), "{limiter:?}");
    assert!(!limiter.iter().all(sends_none), "{limiter:?}");
    assert!(killed_by("failed-load-stays-starting").contains(&"component-not-found".to_string()));
    assert!(
        killed_by("fuel-set-once-generously")
            .iter()
            .any(|id| id.starts_with("fuel-fresh-for-")),
        "{:?}",
        killed_by("fuel-set-once-generously")
    );
}

/// `run ARGS` on the runtime that declares no fuel and whose timeouts never fire: only
/// cases that show fuel running out are unsupported, and each case a timeout should have
/// ended fails with LC-LIMIT-4 within seconds (at its limit plus the run's slack). The
/// timeout cases judged.
fn each_timeout_case_fails_quickly_without_fuel(args: &[&str]) -> usize {
    let runtime = ["--runtime", "faulty:fuel-less-timeouts-never-fire"];
    let (report, code) = json_run(&[&runtime[..], args].concat());
    assert_eq!(code, Some(1));
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
    for case in &timeout_cases {
        assert_eq!(case["outcome"], "fail");
        let ms = case["duration_ms"].as_u64().unwrap();
        assert!(ms < 10_000, "{} took {ms} ms", case["id"]);
        assert!(
            case["reason"].as_str().unwrap().contains("timeout"),
            "{case}"
        );
    }
    timeout_cases.len()
}

/// One case per guest entry a timeout bounds (the start section, `_start`, `alloc`,
/// `handle-message`, `_health`, `_cleanup`), each spinning past its timeout.
#[test]
fn a_runtime_without_fuel_whose_timeouts_never_fire_fails_each_spinning_guest_quickly() {
    let judged = each_timeout_case_fails_quickly_without_fuel(&["--filter", "spins-past-timeout"]);
    assert!(judged >= 6, "{judged}");
}

#[test]
#[ignore = "slow tier: the whole suite on a runtime whose timeouts never fire, each timeout case waiting out the run's slack; the default tier runs the cases of a guest spinning at each entry"]
fn a_runtime_without_fuel_whose_timeouts_never_fire_fails_each_timeout_case_quickly() {
    let judged = each_timeout_case_fails_quickly_without_fuel(&[]);
    assert!(judged >= 10, "{judged}");
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
