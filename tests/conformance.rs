//! Every built-in case's normalized trace on the reference runtime, as an insta YAML
//! snapshot in `conformance/snapshots/` (one file per case id). A changed trace fails
//! until reviewed with `cargo insta review`.

use lifecycle_conformance::RunOptions;
use lifecycle_conformance::case::{builtin_dir, load_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_matches_its_snapshot() {
    let cases = load_dir(&builtin_dir()).unwrap();
    let report = lifecycle_conformance::run_cases(
        lifecycle_runtime::runtimes::reference,
        cases,
        RunOptions::default(),
    )
    .await;
    assert!(!report.failed(), "{}", report.human());
    for result in &report.results {
        let trace = result.trace.as_ref().expect("every case ran");
        insta::with_settings!({
            snapshot_path => "../conformance/snapshots",
            prepend_module_to_snapshot => false,
            description => format!("{} ({})", result.description, result.clauses.join(", ")),
            omit_expression => true,
        }, {
            insta::assert_yaml_snapshot!(result.id.as_str(), trace);
        });
    }
}
