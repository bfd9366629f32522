//! One case in its own task, watched: the operation in progress ([`Watch`]) must end
//! within its limit plus the run's slack (LC-LIMIT-4), and the whole case within the
//! watchdog; a case past either is aborted (for an adapter: its process killed) and
//! fails with why. A panic in the subject costs only its case.
//!
//! Invariant: [`run_one`] always returns one result for its case, whatever the subject
//! does; the expectations file turns its fail into an xfail, its pass into an xpass.

use super::execute::{execute, expected_json, per_component};
use super::{CaseResult, Factory, RunOptions, Verdict};
use crate::attribution::{Aspect, Failure, Problem};
use crate::case::Case;
use crate::drive::Unjudgeable;
use crate::subject::{Capabilities, Subject};
use lifecycle_contract::{Limits, Step, Summary};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The operation in progress in a case, shared with the runner that watches it.
#[derive(Default)]
pub struct Watch {
    current: Mutex<Option<InFlight>>,
}

struct InFlight {
    step: &'static str,
    limit_name: &'static str,
    limit: Duration,
    began: Instant,
}

impl Watch {
    pub(super) fn begin(&self, step: &Step, limits: &Limits) {
        let (step, limit_name, limit) = match step {
            Step::Start => (
                "start (instantiation and `_start`)",
                "start timeout",
                limits.start_timeout,
            ),
            Step::Send(_) => (
                "message (`alloc` and `handle-message`)",
                "call timeout",
                limits.call_timeout,
            ),
            Step::Health => (
                "health check (`_health`)",
                "health timeout",
                limits.health_timeout,
            ),
            Step::Stop(limit) => ("stop (`_cleanup`)", "stop timeout", *limit),
        };
        *self.current.lock().expect("watch lock") = Some(InFlight {
            step,
            limit_name,
            limit,
            began: Instant::now(),
        });
    }

    pub(super) fn end(&self) {
        *self.current.lock().expect("watch lock") = None;
    }

    /// The LC-LIMIT-4 verdict on an operation still running past its limit plus `slack`.
    fn overrun(&self, slack: Duration) -> Option<Overrun> {
        let current = self.current.lock().expect("watch lock");
        let op = current.as_ref()?;
        (op.began.elapsed() > op.limit + slack).then_some(Overrun {
            step: op.step,
            limit_name: op.limit_name,
            limit: op.limit,
            slack,
        })
    }
}

/// An operation still running past its limit plus the run's slack (LC-LIMIT-4).
#[derive(Debug, thiserror::Error)]
#[error(
    "LC-LIMIT-4: the {step} was still running {slack:?} after its {limit:?} {limit_name}: a guest past its deadline must be interrupted"
)]
pub struct Overrun {
    step: &'static str,
    limit_name: &'static str,
    limit: Duration,
    slack: Duration,
}

/// Why a case ended without a trace to judge.
#[derive(Debug, thiserror::Error)]
enum Unfinished {
    #[error("cannot create the runtime: {0}")]
    CannotCreate(String),
    #[error(transparent)]
    Unjudgeable(#[from] Unjudgeable),
    #[error("the runtime panicked: {0}")]
    Panicked(tokio::task::JoinError),
    #[error(transparent)]
    Overran(Overrun),
    #[error("watchdog: the case did not finish within {0:?}")]
    Watchdog(Duration),
}

/// Runs one case with its own fresh subject, bounded as the module docs say, and judges
/// it.
pub(super) async fn run_one<S: Subject>(
    make: Factory<S>,
    case: Case,
    options: Arc<RunOptions>,
    capabilities: Capabilities,
) -> CaseResult {
    let began = Instant::now();
    let mut result = CaseResult {
        id: case.id.clone(),
        abi: case.abi(),
        clauses: case.clauses.clone(),
        description: case.description.clone(),
        verdict: Verdict::Pass,
        duration: Duration::ZERO,
        trace: None,
        expected: Some(per_component(
            case.modules
                .iter()
                .map(|m| expected_json(&m.expected))
                .collect(),
        )),
        actual: None,
        repro: options
            .repro_command
            .as_ref()
            .map(|command| format!("{command} --filter {}", case.id)),
    };
    if let Some(missing) = case.needs.iter().find(|c| !capabilities.has(**c)) {
        result.verdict = match options.require.contains(missing) {
            true => Verdict::Fail(Failure::single(Problem::said(
                None,
                Aspect::Runner,
                format!(
                    "needs capability `{missing}`, which this run requires (--require) and the runtime does not declare"
                ),
            ))),
            false => Verdict::Unsupported(*missing),
        };
        return result;
    }
    let watch = Arc::new(Watch::default());
    let case = Arc::new(case);
    let task = {
        let (watch, case, options) = (watch.clone(), case.clone(), options.clone());
        // The case runs in its own task, so a panic in the subject costs only this case,
        // and the task can be aborted when an operation overruns.
        tokio::spawn(async move {
            let subject = make().map_err(Unfinished::CannotCreate)?;
            Ok::<_, Unfinished>(execute(&subject, &case, &options, &watch).await?)
        })
    };
    tokio::pin!(task);
    let watchdog = options.watchdog;
    let executed = loop {
        tokio::select! {
            joined = &mut task => break joined.map_err(Unfinished::Panicked).and_then(|r| r),
            () = tokio::time::sleep(Duration::from_millis(20)) => {
                if let Some(overrun) = watch.overrun(options.timing_slack) {
                    task.abort();
                    break Err(Unfinished::Overran(overrun));
                }
                if began.elapsed() > watchdog {
                    task.abort();
                    break Err(Unfinished::Watchdog(watchdog));
                }
            }
        }
    };
    let verdict = match executed {
        Err(why) => Verdict::Fail(Failure::single(Problem::said(
            None,
            Aspect::Runner,
            why.to_string(),
        ))),
        Ok(execution) => {
            result.trace = Some(execution.trace);
            result.actual = Some(per_component(
                execution.summaries.iter().map(Summary::to_json).collect(),
            ));
            match Failure::of(execution.problems, execution.notes) {
                None => Verdict::Pass,
                Some(failure) => Verdict::Fail(failure),
            }
        }
    };
    result.duration = began.elapsed();
    result.verdict = match (verdict, options.expectations.xfail.get(&result.id)) {
        (Verdict::Fail(_), Some(reason)) => Verdict::Xfail(reason.clone()),
        (Verdict::Pass, Some(reason)) => {
            Verdict::Xpass(format!("expected to fail ({reason}) but passed"))
        }
        (v, _) => v,
    };
    result
}
