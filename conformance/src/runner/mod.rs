//! Running cases against a runtime under test: in parallel, one fresh subject per case
//! (so its counters belong to that case alone), every operation bounded by the limit it
//! runs under, timing and teardown judged apart from the trace, and verdicts against the
//! expected outcome.
//!
//! How a case is judged, in the order the checks run:
//! 1. each operation must end within its own limit plus the run's slack (a guest that is
//!    never interrupted fails LC-LIMIT-4 within seconds; the case's task is aborted and,
//!    for an adapter, its process killed);
//! 2. after each operation the counters must show what is live (LC-TEARDOWN-1/3);
//! 3. a reported timeout must not fire before its limit, nor after limit plus slack, and
//!    for `timing = "precise"` the median lateness must be within the contract's 100 ms
//!    (LC-LIMIT-7);
//! 4. each component's summary (outcomes, guest calls, transitions, final state, counters
//!    after dispose) must equal its expectation;
//! 5. a runtime that counts compilations must compile each distinct module once
//!    (LC-START-7).
//!
//! Where each part is: this file schedules the cases and holds the run's options;
//! `watchdog.rs` runs one case in its own task and ends it when an operation overruns;
//! `execute.rs` drives a case and collects its problems, `judge.rs` judges each
//! operation as it happens (timing, counters), `compilations.rs` and `precision.rs` judge
//! the case as a whole; `verdict.rs` is what a case comes to, `expectations.rs` the known
//! failures that turn a fail into an xfail, and `select.rs` the filter and the shards.
//!
//! Invariants: each case runs on a subject of its own, made fresh; results come back in
//! the order of the cases; a subject that panics, hangs or leaves its protocol fails its
//! own case and no other.

mod compilations;
mod execute;
mod expectations;
mod judge;
mod precision;
mod select;
mod verdict;
mod watchdog;

pub use execute::{Execution, diff, execute};
pub use expectations::Expectations;
pub use select::select;
pub use verdict::{CaseResult, Verdict};
pub use watchdog::Watch;

use crate::case::Case;
use crate::subject::{Capability, Subject};
use std::collections::BTreeSet;
use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Cases run at once.
    pub jobs: usize,
    /// A case still running after this fails, and the run goes on.
    pub watchdog: Duration,
    /// How late past its limit an operation may end, and a timeout fire.
    pub timing_slack: Duration,
    /// How late a timeout may fire by the contract (LC-LIMIT-7), beyond the scheduling
    /// delay measured in the same run.
    pub timing_precision: Duration,
    pub expectations: Expectations,
    /// Capabilities the run requires: a case that needs one the runtime lacks fails
    /// instead of being unsupported.
    pub require: BTreeSet<Capability>,
    /// The command that repeats this run (`lifecycle-kit run ...`, without `--filter`);
    /// each case's reproduce line is this plus `--filter ID`.
    pub repro_command: Option<String>,
    pub progress: bool,
    /// Stop at the first case that fails the run: cases not begun by then are left out
    /// of the results (those running finish). For questions a single failure answers,
    /// such as whether a mutant is killed.
    pub fail_fast: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            watchdog: Duration::from_secs(60),
            timing_slack: Duration::from_secs(2),
            timing_precision: Duration::from_millis(100),
            expectations: Expectations::default(),
            require: BTreeSet::new(),
            repro_command: None,
            progress: false,
            fail_fast: false,
        }
    }
}

/// A subject factory as the runner keeps it: shared by the cases' tasks, its error in
/// words (each case that cannot make its subject fails with them).
pub(crate) type Factory<S> = Arc<dyn Fn() -> Result<S, String> + Send + Sync>;

/// `make` as a [`Factory`].
pub(crate) fn factory<S, E: Display>(
    make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
) -> Factory<S> {
    Arc::new(move || make().map_err(|e| e.to_string()))
}

/// What a run found: the runtime's name and version and a result per case, or why the
/// runtime under test could not be made at all (the factory's own error).
pub type Outcomes<E = String> = Result<((String, String), Vec<CaseResult>), E>;

/// Runs `cases`, each on a fresh subject from `make`, `options.jobs` at a time. Results
/// come back in the order of `cases`, one per case (fewer only under
/// [`RunOptions::fail_fast`]). A subject is made once first, to learn what it is
/// and what it supports; if that fails, nothing runs and the run reports why, once.
pub async fn run<S: Subject, E: Display>(
    make: impl Fn() -> Result<S, E> + Send + Sync + 'static,
    cases: Vec<Case>,
    options: RunOptions,
) -> Outcomes<E> {
    let (identity, capabilities) = {
        let subject = make()?;
        let found = ((subject.name(), subject.version()), subject.capabilities());
        // Let go of it (for an adapter: its process) before the cases begin.
        drop(subject);
        found
    };
    let make = factory(make);
    let progress = if options.progress {
        indicatif::ProgressBar::new(cases.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let options = Arc::new(options);
    let gate = Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let count = cases.len();
    for (index, case) in cases.into_iter().enumerate() {
        let (make, options, gate, progress) = (
            make.clone(),
            options.clone(),
            gate.clone(),
            progress.clone(),
        );
        tasks.spawn(async move {
            // Closed only by a fail-fast run that has its failure: this case is left out.
            let Ok(_permit) = gate.clone().acquire_owned().await else {
                return (index, None);
            };
            let result = watchdog::run_one(make, case, options.clone(), capabilities).await;
            if options.fail_fast && result.verdict.fails_run() {
                gate.close();
            }
            progress.inc(1);
            (index, Some(result))
        });
    }
    let mut results: Vec<Option<CaseResult>> = (0..count).map(|_| None).collect();
    while let Some(done) = tasks.join_next().await {
        let (index, result) = done.expect("run_one contains its own panics");
        results[index] = result;
    }
    progress.finish_and_clear();
    Ok((identity, results.into_iter().flatten().collect()))
}
