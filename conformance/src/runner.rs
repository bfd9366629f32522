//! Running cases against a runtime under test: in parallel, one fresh subject per case
//! (so live counters belong to that case alone), a watchdog per case, timing checks kept
//! apart from the trace, and verdicts against the expected outcome.

use crate::case::{Case, Expected};
use crate::subject::{Subject, SubjectComponent};
use lifecycle_contract::{ErrorKind, Event, HealthReason, Outcome, Step, Summary, Warning};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A case's trace without anything that varies between runs or engines: no durations,
/// addresses, engine messages or fuel counts. This is what snapshots hold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NormalizedTrace {
    pub steps: Vec<NormalizedStep>,
    pub final_state: String,
    pub live_instances: usize,
    pub accounted_memory_bytes: u64,
    #[serde(skip_serializing_if = "is_one")]
    pub cycles: u32,
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NormalizedStep {
    /// The operation's result in the `trace --json` shape, without `detail`.
    pub result: serde_json::Value,
    /// Transitions, guest calls and their outcomes, denied growth, warnings.
    pub events: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "why", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail(String),
    Unsupported(String),
    /// Failed as the expectations file says it would.
    Xfail(String),
    /// Passed although the expectations file says it fails.
    Xpass(String),
}

impl Verdict {
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail(_) => "fail",
            Verdict::Unsupported(_) => "unsupported",
            Verdict::Xfail(_) => "xfail",
            Verdict::Xpass(_) => "xpass",
        }
    }

    /// fail and xpass fail the run.
    pub fn fails_run(&self) -> bool {
        matches!(self, Verdict::Fail(_) | Verdict::Xpass(_))
    }
}

#[derive(Clone, Debug)]
pub struct CaseResult {
    pub id: String,
    pub clauses: Vec<String>,
    pub description: String,
    pub verdict: Verdict,
    pub duration: Duration,
    pub trace: Option<NormalizedTrace>,
    pub repro: String,
}

/// Cases a runtime is known to fail, each with its reason.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    pub xfail: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectationsFile {
    #[serde(default)]
    xfail: Vec<XfailEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct XfailEntry {
    case: String,
    reason: String,
}

impl Expectations {
    /// Reads an expectations file: `[[xfail]] case = "ID" reason = "why"`.
    pub fn load(path: &Path) -> Result<Expectations, crate::case::CaseError> {
        let invalid = |message: String| crate::case::CaseError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|cause| crate::case::CaseError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        let file: ExpectationsFile = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let mut xfail = BTreeMap::new();
        for entry in file.xfail {
            if entry.reason.trim().is_empty() {
                return Err(invalid(format!(
                    "xfail `{}`: key `reason` is empty",
                    entry.case
                )));
            }
            if xfail.insert(entry.case.clone(), entry.reason).is_some() {
                return Err(invalid(format!("xfail `{}` listed twice", entry.case)));
            }
        }
        Ok(Expectations { xfail })
    }
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Cases run at once.
    pub jobs: usize,
    /// A case still running after this fails, and the run goes on.
    pub watchdog: Duration,
    /// How late past its limit a timeout may fire.
    pub timing_slack: Duration,
    pub expectations: Expectations,
    /// `--runtime` value for reproduction commands.
    pub runtime_flag: String,
    pub progress: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            watchdog: Duration::from_secs(60),
            timing_slack: Duration::from_secs(2),
            expectations: Expectations::default(),
            runtime_flag: "reference".into(),
            progress: false,
        }
    }
}

/// One case on one subject, without the watchdog or verdict.
pub struct Execution {
    pub summary: Summary,
    pub trace: NormalizedTrace,
    /// Leaks, late or early timeouts, cycles that disagree.
    pub problems: Vec<String>,
}

fn normalize_events(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter(|e| !matches!(e, Event::Error { .. }))
        .map(ToString::to_string)
        .collect()
}

/// The wall-clock limit an outcome shows was hit, if any.
fn timeout_hit(outcome: &Outcome, step: &Step, case: &Case) -> Option<Duration> {
    let timed_out = |e: &lifecycle_contract::Error| e.kind() == ErrorKind::ExecutionTimeout;
    match (outcome, step) {
        (Outcome::Start(Err(e)), _) if timed_out(e) => Some(case.limits.start_timeout),
        (Outcome::Message { reply: Err(e), .. }, _) if timed_out(e) => {
            Some(case.limits.call_timeout)
        }
        (Outcome::Health(h), _) if h.reason == Some(HealthReason::ExecutionTimeout) => {
            Some(case.limits.health_timeout)
        }
        (Outcome::Stop(Ok(w)), Step::Stop(limit)) if w.contains(&Warning::CleanupTimeout) => {
            Some(*limit)
        }
        _ => None,
    }
}

/// Runs `case` on `subject`: its steps on `cycles` fresh components in turn.
pub async fn execute<S: Subject>(subject: &S, case: &Case, slack: Duration) -> Execution {
    let mut problems = Vec::new();
    let mut first: Option<(Summary, NormalizedTrace)> = None;
    for cycle in 1..=case.cycles {
        let mut component =
            subject.component(case.module.clone(), case.profile, case.limits.clone());
        let mut outcomes = Vec::new();
        let mut steps = Vec::new();
        let mut transitions = Vec::new();
        for step in &case.steps {
            let began = Instant::now();
            let outcome = match step {
                Step::Start => Outcome::Start(component.start().await),
                Step::Send(m) => Outcome::Message {
                    message: m.clone(),
                    reply: component.handle_message(m).await,
                },
                Step::Health => Outcome::Health(component.health_check().await),
                Step::Stop(timeout) => Outcome::Stop(component.stop(*timeout).await),
            };
            let took = began.elapsed();
            if let Some(limit) = timeout_hit(&outcome, step, case) {
                if took < limit {
                    problems.push(format!(
                        "{} reported a timeout after {took:?}, before its {limit:?} limit",
                        outcome.name()
                    ));
                } else if took > limit + slack {
                    problems.push(format!("{} timed out after {took:?}: later than its {limit:?} limit plus {slack:?}", outcome.name()));
                }
            }
            let events = component.take_events();
            transitions.extend(events.iter().filter_map(|e| match e {
                Event::Transition { from, to } => Some((*from, *to)),
                _ => None,
            }));
            steps.push(NormalizedStep {
                result: outcome.without_detail().to_json(),
                events: normalize_events(&events),
            });
            outcomes.push(outcome.without_detail());
        }
        let final_state = component.state();
        component.dispose().await;
        let counters = subject.counters().await;
        let (live, memory) = (counters.live_instances, counters.accounted_memory_bytes);
        if (live, memory) != (0, 0) {
            problems.push(format!(
                "after cycle {cycle}: {live} live instance(s) and {memory} byte(s) still accounted"
            ));
        }
        let summary = Summary {
            outcomes,
            transitions,
            final_state,
            live_instances: live,
            accounted_memory_bytes: memory,
        };
        let trace = NormalizedTrace {
            steps,
            final_state: final_state.to_string(),
            live_instances: live,
            accounted_memory_bytes: memory,
            cycles: case.cycles,
        };
        match &first {
            None => first = Some((summary, trace)),
            Some((s, _)) if *s != summary => {
                problems.push(format!(
                    "cycle {cycle} differs from cycle 1: {}",
                    summary.to_json()
                ));
            }
            Some(_) => {}
        }
    }
    let (summary, trace) = first.expect("at least one cycle");
    Execution {
        summary,
        trace,
        problems,
    }
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

/// A unified diff from what was expected to what happened.
pub fn diff(expected: &serde_json::Value, actual: &serde_json::Value) -> String {
    similar::TextDiff::from_lines(pretty(expected).as_str(), pretty(actual).as_str())
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// How `summary` differs from `expected`, if it does.
pub fn compare(expected: &Expected, summary: &Summary) -> Option<String> {
    match expected {
        Expected::Exact(want) => {
            (want != summary).then(|| diff(&want.to_json(), &summary.to_json()))
        }
        Expected::Written { final_state, ops } => {
            let got = summary.to_json();
            let want = serde_json::json!({"final_state": final_state, "ops": ops, "live_instances": 0, "accounted_memory_bytes": 0});
            let got = serde_json::json!({"final_state": got["final_state"], "ops": got["ops"], "live_instances": got["live_instances"], "accounted_memory_bytes": got["accounted_memory_bytes"]});
            (want != got).then(|| diff(&want, &got))
        }
        Expected::Invariants => lifecycle_generators::invariants::check(summary)
            .err()
            .map(|e| format!("invariant broken: {e}\n{}", pretty(&summary.to_json()))),
    }
}

fn repro(case: &Case, runtime_flag: &str) -> String {
    format!(
        "lifecycle-kit run --runtime {runtime_flag} --filter {}",
        case.id
    )
}

/// Runs one case with its own fresh subject under the watchdog, and judges it.
async fn run_one<S: Subject>(
    make: Arc<dyn Fn() -> Result<S, String> + Send + Sync>,
    case: Case,
    options: Arc<RunOptions>,
    capabilities: crate::subject::Capabilities,
) -> CaseResult {
    let began = Instant::now();
    let mut result = CaseResult {
        id: case.id.clone(),
        clauses: case.clauses.clone(),
        description: case.description.clone(),
        verdict: Verdict::Pass,
        duration: Duration::ZERO,
        trace: None,
        repro: repro(&case, &options.runtime_flag),
    };
    if let Some(missing) = case.requires.iter().find(|c| !capabilities.has(**c)) {
        result.verdict = Verdict::Unsupported(format!("needs capability {missing:?}"));
        return result;
    }
    let slack = options.timing_slack;
    let watchdog = options.watchdog;
    // The case runs in its own task, so a panic in the subject costs only this case.
    let task = tokio::spawn(async move {
        let subject = make().map_err(|e| format!("cannot create the runtime: {e}"))?;
        let execution = execute(&subject, &case, slack).await;
        Ok::<_, String>((execution, case))
    });
    let verdict = match tokio::time::timeout(watchdog, task).await {
        Err(_) => Verdict::Fail(format!(
            "watchdog: the case did not finish within {watchdog:?}"
        )),
        Ok(Err(join)) => Verdict::Fail(format!("the runtime panicked: {join}")),
        Ok(Ok(Err(e))) => Verdict::Fail(e),
        Ok(Ok(Ok((execution, case)))) => {
            result.trace = Some(execution.trace);
            let mut why: Vec<String> = execution.problems;
            why.extend(compare(&case.expected, &execution.summary));
            if why.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail(why.join("\n"))
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

/// Runs `cases`, each on a fresh subject from `make`, `options.jobs` at a time. Results
/// come back in the order of `cases`.
pub async fn run<S: Subject>(
    make: impl Fn() -> Result<S, String> + Send + Sync + 'static,
    cases: Vec<Case>,
    options: RunOptions,
) -> (Vec<CaseResult>, Option<(String, String)>) {
    let make: Arc<dyn Fn() -> Result<S, String> + Send + Sync> = Arc::new(make);
    // One subject, made once, to learn what it is; if it cannot be made, every case
    // reports why (capabilities assumed, so no case is skipped as unsupported).
    let (identity, capabilities) = match make() {
        Ok(s) => (Some((s.name(), s.version())), s.capabilities()),
        Err(_) => (None, crate::subject::Capabilities::ALL),
    };
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
            let _permit = gate
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            let result = run_one(make, case, options, capabilities).await;
            progress.inc(1);
            (index, result)
        });
    }
    let mut results: Vec<Option<CaseResult>> = (0..count).map(|_| None).collect();
    while let Some(done) = tasks.join_next().await {
        let (index, result) = done.expect("run_one contains its own panics");
        results[index] = Some(result);
    }
    progress.finish_and_clear();
    (
        results
            .into_iter()
            .map(|r| r.expect("every case reports"))
            .collect(),
        identity,
    )
}

/// A stable hash of a case id, for sharding (FNV-1a: the same on every machine and
/// toolchain, unlike `std`'s hasher).
fn shard_hash(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Keeps the cases a filter and a shard select. A filter pattern equal to a case id
/// selects that case alone; otherwise it matches ids and clause ids containing it.
/// Shard `k` of `n` (1-based) keeps the cases whose id hashes to `k - 1` modulo `n`.
pub fn select(cases: Vec<Case>, filter: Option<&str>, shard: Option<(u64, u64)>) -> Vec<Case> {
    let exact = filter.is_some_and(|f| cases.iter().any(|c| c.id == f));
    cases
        .into_iter()
        .filter(|c| match filter {
            None => true,
            Some(f) if exact => c.id == f,
            Some(f) => c.id.contains(f) || c.clauses.iter().any(|cl| cl.contains(f)),
        })
        .filter(|c| shard.is_none_or(|(k, n)| shard_hash(&c.id) % n == k - 1))
        .collect()
}
