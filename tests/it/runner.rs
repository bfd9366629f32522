//! The conformance runner against runtimes that are wrong on purpose: the reference
//! runtime with one injected defect, and toy subjects that panic or hang. Each must show
//! up as failing cases with a clear diff, and only the cases it should.

use lifecycle_conformance::case::{builtin_dir, load_dir};
use lifecycle_conformance::runner::select;
use lifecycle_conformance::{
    Capabilities, Capability, Case, Counters, Expectations, ModuleSource, RunOptions, RunReport,
    Subject, SubjectComponent, Verdict,
};
use lifecycle_contract::Abi;
use lifecycle_kit::mutants::{Defect, faulty};
use lifecycle_runtime::{Error, Event, Health, Limits, Profile, Runtime, State, Warning};
use std::time::Duration;

async fn run_with(defect: Option<Defect>, filter: Option<&str>, options: RunOptions) -> RunReport {
    let cases = select(load_dir(&builtin_dir()).unwrap(), filter, None);
    match defect {
        Some(defect) => lifecycle_conformance::run_cases(faulty(defect), cases, options).await,
        None => {
            let make = || Runtime::new().map_err(|e| e.to_string());
            lifecycle_conformance::run_cases(make, cases, options).await
        }
    }
}

fn failing(report: &RunReport) -> Vec<(&str, String)> {
    report
        .results
        .iter()
        .filter_map(|r| match &r.verdict {
            Verdict::Fail(why) => Some((r.id.as_str(), why.to_string())),
            _ => None,
        })
        .collect()
}

/// The cases of the stop clauses (a fifth of them pass on this runtime, and say
/// nothing), and in the slow tier the whole suite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skipped_cleanup_is_caught_with_a_diff() {
    a_skipped_cleanup_is_caught_with_a_diff_among(Some("LC-STOP")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow tier: the whole suite on a faulty runtime (the mutants module runs each mutant's suite in the default tier); the default tier runs the stop clauses' cases"]
async fn a_skipped_cleanup_is_caught_with_a_diff_and_nothing_else_fails_in_the_whole_suite() {
    a_skipped_cleanup_is_caught_with_a_diff_among(None).await;
}

/// The cases `filter` selects on the runtime that skips `_cleanup`: the cases where
/// `_cleanup` shows fail, each with a readable diff, and no other.
async fn a_skipped_cleanup_is_caught_with_a_diff_among(filter: Option<&str>) {
    let report = run_with(Some(Defect::SkipCleanup), filter, RunOptions::default()).await;
    let failing = failing(&report);
    let (_, why) = failing
        .iter()
        .find(|(id, _)| *id == "cleanup-traps-unreachable")
        .expect("caught");
    assert!(
        why.contains(
            "-      \"warnings\": [\n-        {\n-          \"kind\": \"cleanup_trapped\""
        ),
        "a readable diff:\n{why}"
    );
    assert!(
        failing
            .iter()
            .any(|(id, _)| *id == "cleanup-spins-past-timeout")
    );
    // Only cases where `_cleanup` shows fail: no collateral noise.
    for (id, why) in &failing {
        assert!(
            why.contains("cleanup") || why.contains("warnings"),
            "{id} failed for another reason:\n{why}"
        );
    }
    assert!(
        !report.human().contains("reproduce:"),
        "a library run has no command to repeat"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unrefilled_fuel_budget_is_caught() {
    let case = Some("fuel-refilled-before-every-call");
    let report = run_with(Some(Defect::FuelSetOnce), case, RunOptions::default()).await;
    let failing = failing(&report);
    let (_, why) = failing
        .iter()
        .find(|(id, _)| *id == "fuel-refilled-before-every-call")
        .expect("caught");
    assert!(why.contains("fuel_exhausted"), "{why}");
}

/// `echo` fails with the instance it leaked; `bad-magic`, which never reaches `ready`,
/// holds nothing to leak and passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_store_is_caught_by_the_counters() {
    let echo = run_with(
        Some(Defect::LeakStoreOnStop),
        Some("echo"),
        Default::default(),
    )
    .await;
    the_leak_shows_in_echo(&failing(&echo));
    let bad = run_with(
        Some(Defect::LeakStoreOnStop),
        Some("bad-magic"),
        Default::default(),
    )
    .await;
    assert_eq!(bad.results.len(), 1);
    assert!(!bad.failed(), "{}", bad.human());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow tier: the whole suite on a faulty runtime (the mutants module runs each mutant's suite in the default tier); the default tier runs one case that leaks and one that cannot"]
async fn a_leaked_store_is_caught_by_the_counters_in_every_case_that_reaches_ready() {
    let report = run_with(Some(Defect::LeakStoreOnStop), None, RunOptions::default()).await;
    let failing = failing(&report);
    assert!(
        failing.len() > 50,
        "every case that reaches ready leaks: {}",
        failing.len()
    );
    the_leak_shows_in_echo(&failing);
    // Cases that never reach `ready` hold nothing to leak, and still pass.
    assert!(!failing.iter().any(|(id, _)| *id == "bad-magic"));
}

/// `echo` failed with the one instance it leaked.
fn the_leak_shows_in_echo(failing: &[(&str, String)]) {
    let (_, why) = failing
        .iter()
        .find(|(id, _)| *id == "echo")
        .expect("caught");
    assert!(
        why.contains("live instance(s)") && why.contains("\"live_instances\": 1"),
        "{why}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expectations_turn_known_failures_into_xfail_and_surprises_into_xpass() {
    let mut xfail = std::collections::BTreeMap::new();
    xfail.insert(
        "cleanup-traps-unreachable".to_string(),
        "known: cleanup skipped".to_string(),
    );
    xfail.insert("echo".to_string(), "wrongly listed".to_string());
    let options = RunOptions {
        expectations: Expectations {
            xfail,
            ..Expectations::default()
        },
        ..RunOptions::default()
    };
    let report = run_with(
        Some(Defect::SkipCleanup),
        Some("LC-STOP-3"),
        options.clone(),
    )
    .await;
    let verdict = |id: &str| {
        report
            .results
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.verdict.name())
    };
    assert_eq!(verdict("cleanup-traps-unreachable"), Some("xfail"));
    let report = run_with(None, Some("echo"), options).await;
    assert_eq!(report.results.len(), 1, "an exact id selects one case");
    assert_eq!(report.results[0].verdict.name(), "xpass");
    assert!(report.failed(), "xpass fails the run");
}

/// A toy runtime: starts fine, then misbehaves as told.
#[derive(Clone, Copy)]
enum Misbehaviour {
    PanicOnStart,
    HangOnStart,
    NoStandardProfile,
}

struct Toy(Misbehaviour);
struct ToyComponent(Misbehaviour, State);

impl Subject for Toy {
    type Component = ToyComponent;
    fn name(&self) -> String {
        "toy".into()
    }
    fn version(&self) -> String {
        "0".into()
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            standard_profile: !matches!(self.0, Misbehaviour::NoStandardProfile),
            ..Capabilities::ALL
        }
    }
    fn component(&self, _: ModuleSource, _: Abi, _: Profile, _: Limits) -> ToyComponent {
        ToyComponent(self.0, State::Creating)
    }
    async fn counters(&self) -> Counters {
        Counters::default()
    }
}

impl SubjectComponent for ToyComponent {
    async fn start(&mut self) -> Result<(), Error> {
        match self.0 {
            Misbehaviour::PanicOnStart => panic!("the toy runtime panics"),
            Misbehaviour::HangOnStart => std::future::pending().await,
            Misbehaviour::NoStandardProfile => Ok(()),
        }
    }
    async fn handle_message(&mut self, _: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }
    async fn health_check(&mut self) -> Health {
        Health::HEALTHY
    }
    async fn stop(&mut self, _: Duration) -> Result<Vec<Warning>, Error> {
        Ok(Vec::new())
    }
    fn state(&self) -> State {
        self.1
    }
    fn take_events(&mut self) -> Vec<Event> {
        Vec::new()
    }
}

async fn run_toy(m: Misbehaviour, filter: &str, watchdog: Duration) -> RunReport {
    let cases = select(load_dir(&builtin_dir()).unwrap(), Some(filter), None);
    let options = RunOptions {
        watchdog,
        ..RunOptions::default()
    };
    lifecycle_conformance::run_cases(move || Ok::<_, String>(Toy(m)), cases, options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_runtime_fails_its_cases_and_the_run_goes_on() {
    let report = run_toy(
        Misbehaviour::PanicOnStart,
        "LC-MSG-6",
        Duration::from_secs(10),
    )
    .await;
    assert!(!report.results.is_empty());
    for r in &report.results {
        assert!(
            matches!(&r.verdict, Verdict::Fail(why) if why.headline().contains("panicked")),
            "{:?}",
            r.verdict
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_runtime_is_stopped_by_the_watchdog() {
    let began = std::time::Instant::now();
    let report = run_toy(
        Misbehaviour::HangOnStart,
        "LC-STATE-3",
        Duration::from_millis(300),
    )
    .await;
    assert!(report.results.len() >= 3);
    for r in &report.results {
        assert!(
            matches!(&r.verdict, Verdict::Fail(why) if why.headline().contains("watchdog")),
            "{:?}",
            r.verdict
        );
    }
    assert!(began.elapsed() < Duration::from_secs(30), "the run went on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_needing_an_undeclared_capability_are_unsupported() {
    let report = run_toy(
        Misbehaviour::NoStandardProfile,
        "LC-PROFILE-2",
        Duration::from_secs(10),
    )
    .await;
    let standard: std::collections::BTreeSet<String> = select(
        load_dir(&builtin_dir()).unwrap(),
        Some("LC-PROFILE-2"),
        None,
    )
    .into_iter()
    .filter(|c| c.modules.iter().any(|m| m.profile == Profile::Standard))
    .map(|c| c.id)
    .collect();
    let unsupported: std::collections::BTreeSet<String> = report
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Unsupported(Capability::StandardProfile))
        .map(|r| r.id.clone())
        .collect();
    assert!(unsupported.len() >= 8, "{unsupported:?}");
    assert_eq!(
        unsupported, standard,
        "exactly the cases with a module under `standard`"
    );
    assert!(
        report
            .results
            .iter()
            .all(|r| r.verdict.name() != "unsupported" || unsupported.contains(&r.id)),
        "no other capability gates these cases"
    );
    let human = report.human();
    assert!(
        human.contains(&format!("standard_profile: {} case(s):", unsupported.len())),
        "{human}"
    );
}

/// The reference runtime declaring no fuel metering: a runtime whose timeouts work but
/// which has no fuel.
struct WithoutFuel(Runtime);

impl Subject for WithoutFuel {
    type Component = lifecycle_runtime::Component;
    fn name(&self) -> String {
        "without-fuel".into()
    }
    fn version(&self) -> String {
        "0".into()
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            fuel: false,
            ..Capabilities::ALL
        }
    }
    fn component(&self, m: ModuleSource, a: Abi, p: Profile, l: Limits) -> Self::Component {
        Subject::component(&self.0, m, a, p, l)
    }
    async fn counters(&self) -> Counters {
        Subject::counters(&self.0).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_with_timeouts_but_no_fuel_runs_every_timeout_case() {
    // The cases that need either: the others do not tell a runtime without fuel apart.
    let cases: Vec<Case> = load_dir(&builtin_dir())
        .unwrap()
        .into_iter()
        .filter(|c| c.needs.contains(&Capability::Timeouts) || c.needs.contains(&Capability::Fuel))
        .collect();
    let make = || Runtime::new().map(WithoutFuel).map_err(|e| e.to_string());
    let report = lifecycle_conformance::run_cases(make, cases.clone(), RunOptions::default()).await;
    assert!(!report.failed(), "{}", report.human());
    let mut ran_timeouts = 0;
    for (case, result) in cases.iter().zip(&report.results) {
        let needs_fuel = case.needs.contains(&Capability::Fuel);
        match &result.verdict {
            Verdict::Unsupported(Capability::Fuel) => assert!(needs_fuel, "{}", case.id),
            Verdict::Pass if case.needs.contains(&Capability::Timeouts) => {
                assert!(!needs_fuel);
                ran_timeouts += 1;
            }
            Verdict::Pass => {}
            other => panic!("{}: {other:?}", case.id),
        }
    }
    // Every case that shows a timeout and no fuel running out ran, and passed.
    let timeouts_only = cases
        .iter()
        .filter(|c| c.needs.contains(&Capability::Timeouts) && !c.needs.contains(&Capability::Fuel))
        .count();
    assert_eq!(ran_timeouts, timeouts_only);
    assert!(ran_timeouts >= 10, "{ran_timeouts}");
}
