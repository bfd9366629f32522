//! The second runtime: the whole suite on wasmi 2, in process, with its one documented
//! expectation, and a look at the fuel-sliced timeouts it uses instead of epochs.

use lifecycle_conformance::case::{builtin_dir, load_dir};
use lifecycle_conformance::{Expectations, RunOptions, Subject, SubjectComponent};
use lifecycle_runtime::runtimes::{WasmiRuntime, wasmi};
use lifecycle_runtime::{Limits, Profile};
use std::path::Path;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasmi_passes_the_suite_but_for_its_documented_expectation() {
    let expectations = Expectations::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/expectations/wasmi.toml"),
    )
    .unwrap();
    assert!(
        expectations
            .xfail
            .values()
            .all(|reason| !reason.trim().is_empty())
    );
    let listed = expectations.xfail.len();
    let cases = load_dir(&builtin_dir()).unwrap();
    let options = RunOptions {
        expectations,
        ..RunOptions::default()
    };
    let report = lifecycle_conformance::run_cases(wasmi, cases, options).await;
    assert!(!report.failed(), "{}", report.human());
    assert_eq!(report.runtime, "wasmi");
    let t = report.totals();
    // Every listed case fails as its reason says, and no other.
    assert!(t.passed >= 200 && t.xfail == listed, "{t:?}");
}

#[tokio::test]
async fn fuel_slicing_interrupts_a_tight_loop_on_the_wall_clock() {
    let runtime = WasmiRuntime::new();
    let module = wat::parse_str(r#"(module (func (export "_start") (loop $l (br $l))))"#).unwrap();
    let limits = Limits {
        fuel_per_call: u64::MAX,
        start_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let mut c = Subject::component(
        &runtime,
        lifecycle_conformance::ModuleSource::Bytes(module.into()),
        lifecycle_contract::Abi::Core,
        Profile::Strict,
        limits,
    );
    let began = Instant::now();
    let err = c.start().await.unwrap_err();
    assert_eq!(err.kind().as_str(), "execution_timeout");
    assert!(
        began.elapsed() >= Duration::from_millis(200) && began.elapsed() < Duration::from_secs(5)
    );
    c.dispose().await;
    assert_eq!(Subject::counters(&runtime).await.live_instances, 0);
}
