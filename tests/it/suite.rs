//! The built-in suite on the reference runtime, run once for two checks.
//!
//! First the verdict, exactly as a user gets it: every built-in case, judged by the
//! runner (outcomes, guest calls, transitions, counters after every step, timing), none
//! may fail. Then every case's normalized trace against its insta YAML snapshot in
//! `conformance/snapshots/` (one file per case id): a changed trace fails until reviewed
//! with `cargo insta review`.
//!
//! This is the test `cargo mutants` runs (conformance/MUTATION.md), with
//! `LIFECYCLE_VERDICT_ONLY=1`: then the snapshots are not compared, so that a mutant of
//! the runtime counts as caught only when the suite itself would catch it in someone
//! else's runtime, never because a trace the suite does not judge changed.

use crate::common::reference_suite;

/// Set (to anything but `0` or nothing) to check the verdict alone.
const VERDICT_ONLY: &str = "LIFECYCLE_VERDICT_ONLY";

fn verdict_only() -> bool {
    std::env::var_os(VERDICT_ONLY).is_some_and(|v| !v.is_empty() && v != "0")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_runtime_passes_the_suite_and_matches_every_snapshot() {
    let (cases, report) = reference_suite().await;
    let count = cases.len();
    assert!(!report.failed(), "{}", report.human());
    assert_eq!(report.totals().passed, count, "{}", report.summary_line());
    if verdict_only() {
        eprintln!("{VERDICT_ONLY} is set: the snapshots are not compared");
        return;
    }
    for result in &report.results {
        let trace = result.trace.as_ref().expect("every case ran");
        insta::with_settings!({
            snapshot_path => "../../conformance/snapshots",
            prepend_module_to_snapshot => false,
            description => format!("{} ({})", result.description, result.clauses.join(", ")),
            omit_expression => true,
        }, {
            insta::assert_yaml_snapshot!(result.id.as_str(), trace);
        });
    }
}
