//! The suite's verdict on the reference runtime, exactly as a user gets it: every built-in
//! case, judged by the runner (outcomes, guest calls, transitions, counters after every
//! step, timing), none may fail. No snapshots here: this is the test `cargo mutants`
//! runs (conformance/MUTATION.md), so that a mutant of the runtime counts as caught only
//! when the suite itself would catch it in someone else's runtime.

use lifecycle_conformance::RunOptions;
use lifecycle_conformance::case::{builtin_dir, load_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_runtime_passes_the_suite() {
    let cases = load_dir(&builtin_dir()).unwrap();
    let count = cases.len();
    let report = lifecycle_conformance::run_cases(
        lifecycle_runtime::runtimes::reference,
        cases,
        RunOptions::default(),
    )
    .await;
    assert!(!report.failed(), "{}", report.human());
    assert_eq!(report.totals().passed, count, "{}", report.summary_line());
}
