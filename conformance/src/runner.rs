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

use crate::attribution::{self, Aspect, Context, Failure, Place, Problem};
use crate::case::{Case, CaseError, CaseModule, Expected, FileProblem, Timing};
use crate::drive::{self, At, Observer, Unjudgeable};
use crate::one_line::toml_error;
use crate::subject::{Capability, ModuleSource, Subject};
use crate::trace::{self, Held, NormalizedTrace, Op, Trace};
use lifecycle_contract::{
    HealthReason, Limits, Operation, Outcome, Profile, Stage, State, Step, Summary, Warning,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "why", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// Failed: its first cause, and what followed from it.
    Fail(Failure),
    /// Not run: the runtime does not declare this capability, which the case needs.
    Unsupported(Capability),
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

    /// Why, in words: what failed, what gated the case, or the expectation's reason.
    pub fn reason(&self) -> Option<String> {
        match self {
            Verdict::Pass => None,
            Verdict::Fail(failure) => Some(failure.to_string()),
            Verdict::Xfail(why) | Verdict::Xpass(why) => Some(why.clone()),
            Verdict::Unsupported(capability) => Some(format!(
                "needs capability `{capability}`, which the runtime does not declare"
            )),
        }
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
    /// What the case must show and what it showed (a summary, or one per component), for
    /// cases that ran to the end.
    pub expected: Option<Value>,
    pub actual: Option<Value>,
    /// A command that runs this case alone, the same way.
    pub repro: Option<String>,
}

/// Cases a runtime is known to fail, each with its reason; and, for `fuzz`, the ways it
/// is known to fail (signatures, by prefix), each with its reason.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    pub xfail: BTreeMap<String, String>,
    pub signatures: Vec<(String, String)>,
}

impl Expectations {
    /// The reason a failure of this signature (`CLAUSE: field`) is known, if it is.
    pub fn known_signature(&self, signature: &str) -> Option<&str> {
        self.signatures
            .iter()
            .find(|(prefix, _)| signature.starts_with(prefix.as_str()))
            .map(|(_, reason)| reason.as_str())
    }
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
    case: Option<String>,
    /// A fuzzing failure's signature, or its beginning.
    signature: Option<String>,
    reason: String,
}

impl Expectations {
    /// Reads an expectations file: `[[xfail]] case = "ID" reason = "why"`, or for
    /// `fuzz`, `[[xfail]] signature = "CLAUSE: field..." reason = "why"`.
    pub fn load(path: &Path) -> Result<Expectations, CaseError> {
        let invalid = |problem: FileProblem| CaseError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|cause| CaseError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        let file: ExpectationsFile = toml::from_str(&text).map_err(|e| {
            invalid(FileProblem::Toml {
                case: None,
                at: toml_error(&text, &e),
            })
        })?;
        let mut out = Expectations::default();
        for (i, entry) in file.xfail.into_iter().enumerate() {
            let entry_name = entry
                .case
                .as_deref()
                .or(entry.signature.as_deref())
                .map_or(format!("entry {}", i + 1), |n| format!("`{n}`"));
            if entry.reason.trim().is_empty() {
                return Err(invalid(FileProblem::XfailWithoutReason {
                    entry: entry_name,
                }));
            }
            match (entry.case, entry.signature) {
                (Some(case), None) => {
                    if out.xfail.insert(case, entry.reason).is_some() {
                        return Err(invalid(FileProblem::XfailTwice { entry: entry_name }));
                    }
                }
                (None, Some(signature)) if !signature.trim().is_empty() => {
                    out.signatures.push((signature, entry.reason));
                }
                _ => {
                    return Err(invalid(FileProblem::XfailCaseOrSignature {
                        entry: entry_name,
                    }));
                }
            }
        }
        Ok(out)
    }
}

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
    fn begin(&self, step: &Step, limits: &Limits) {
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

    fn end(&self) {
        *self.current.lock().expect("watch lock") = None;
    }

    /// The LC-LIMIT-4 verdict on an operation still running past its limit plus `slack`.
    fn overrun(&self, slack: Duration) -> Option<String> {
        let current = self.current.lock().expect("watch lock");
        let op = current.as_ref()?;
        (op.began.elapsed() > op.limit + slack).then(|| {
            format!(
                "LC-LIMIT-4: the {} was still running {slack:?} after its {:?} {}: a guest past its deadline must be interrupted",
                op.step, op.limit, op.limit_name
            )
        })
    }
}

/// One case on one subject, without the watchdog or verdict.
pub struct Execution {
    /// One summary per component, in the case's order.
    pub summaries: Vec<Summary>,
    pub trace: NormalizedTrace,
    /// Every way the case failed, each where it showed: divergences from the
    /// expectation, leaks, late or early timeouts, counters that do not count.
    pub problems: Vec<Problem>,
    /// What was not checked because the trace had already diverged.
    pub notes: Vec<String>,
}

/// The wall-clock limit an outcome shows was hit, if any.
fn timeout_hit(outcome: &Outcome, step: &Step, limits: &Limits) -> Option<Duration> {
    let timed_out =
        |e: &lifecycle_contract::Error| e.kind() == lifecycle_contract::ErrorKind::ExecutionTimeout;
    match (outcome, step) {
        (Outcome::Start(Err(e)), _) if timed_out(e) => Some(limits.start_timeout),
        (Outcome::Message { reply: Err(e), .. }, _) if timed_out(e) => Some(limits.call_timeout),
        (Outcome::Health(h), _) if h.reason == Some(HealthReason::ExecutionTimeout) => {
            Some(limits.health_timeout)
        }
        (Outcome::Stop(Ok(w)), Step::Stop(limit)) if w.contains(&Warning::CleanupTimeout) => {
            Some(*limit)
        }
        _ => None,
    }
}

/// The linear memory a module declares, in bytes, read from its bytes: its first defined
/// memory's initial size, and its maximum if it states one.
#[derive(Clone, Copy, Default)]
struct DeclaredMemory {
    initial: u64,
    maximum: Option<u64>,
}

/// What `module` declares; nothing when it has no memory or cannot be read.
fn declared_memory(module: &ModuleSource) -> DeclaredMemory {
    let bytes: Arc<[u8]> = match module {
        ModuleSource::Bytes(b) => b.clone(),
        ModuleSource::File(path) => match std::fs::read(path) {
            Ok(b) => b.into(),
            Err(_) => return DeclaredMemory::default(),
        },
    };
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let Ok(wasmparser::Payload::MemorySection(section)) = payload {
            let Some(memory) = section.into_iter().flatten().next() else {
                break;
            };
            // Unvalidated bytes: a page size past 2^63 saturates rather than overflows.
            let page = 1u64
                .checked_shl(memory.page_size_log2.unwrap_or(16))
                .unwrap_or(u64::MAX);
            return DeclaredMemory {
                initial: memory.initial.saturating_mul(page),
                maximum: memory.maximum.map(|m| m.saturating_mul(page)),
            };
        }
    }
    DeclaredMemory::default()
}

/// What makes two modules the same module to a cache: their bytes (or path) and profile.
fn module_key(module: &CaseModule) -> (Vec<u8>, Profile) {
    let bytes = match &module.module {
        ModuleSource::Bytes(b) => b.to_vec(),
        ModuleSource::File(p) => p.to_string_lossy().as_bytes().to_vec(),
    };
    (bytes, module.profile)
}

/// LC-START-7, for a runtime that counts its compilations: each distinct module compiled
/// at most once in the case, and at least once if it got as far as instantiation (a
/// fresh runtime has nothing cached), so that a counter that never counts is seen too.
/// `starts` is how many start operations the case performed, over every component and
/// cycle.
fn compilation_problem(
    case: &Case,
    summaries: &[Summary],
    starts: usize,
    before: Option<u64>,
    after: Option<u64>,
) -> Option<String> {
    let (Some(before), Some(after)) = (before, after) else {
        return Some(
            "LC-START-7: the runtime declares the `compilations` capability but its counters carry no `compilations`".into(),
        );
    };
    let compiled = after.saturating_sub(before);
    let distinct: BTreeSet<_> = case.modules.iter().map(module_key).collect();
    let instantiated: BTreeSet<_> = case
        .modules
        .iter()
        .zip(summaries)
        .filter(|(_, summary)| {
            summary.outcomes().any(|o| match o {
                Outcome::Start(Ok(())) => true,
                Outcome::Start(Err(e)) => matches!(e.stage, Stage::Instantiate | Stage::Start),
                _ => false,
            })
        })
        .map(|(m, _)| module_key(m))
        .collect();
    if compiled > distinct.len() as u64 {
        return Some(format!(
            "LC-START-7: {compiled} compilations for {} distinct module(s) in {starts} start operation(s): a module is compiled again instead of found",
            distinct.len()
        ));
    }
    (compiled < instantiated.len() as u64).then(|| {
        format!(
            "LC-START-7: {compiled} compilations counted, but {} distinct module(s) were instantiated: the `compilations` counter does not count",
            instantiated.len()
        )
    })
}

/// A ready component, as the counters must show it: the linear memory it has at least
/// (its current size where the oracle knows it, else what its module declares), and at
/// most (its memory limit, or its memory's declared maximum if smaller: no memory grows
/// past either).
struct Ready {
    declared: u64,
    limit: u64,
}

/// What the counters must show, given which components are `ready` now, and how they
/// fall short (LC-TEARDOWN-1, LC-TEARDOWN-3): nothing when none is ready; else at least an
/// instance each, and memory between what they declare and what their limits allow.
fn held_problem(ready: &[Ready], held: Held, after: &str) -> Option<String> {
    let (live, memory) = (held.live_instances, held.accounted_memory_bytes);
    if ready.is_empty() {
        return ((live, memory) != (0, 0)).then(|| {
            format!(
                "LC-TEARDOWN-1: after {after}, with no component ready, the runtime still holds {live} live instance(s) and {memory} byte(s) of memory"
            )
        });
    }
    let declared: u64 = ready.iter().map(|r| r.declared).sum();
    let most: u64 = ready.iter().map(|r| r.limit).fold(0, u64::saturating_add);
    if live < ready.len() {
        return Some(format!(
            "LC-TEARDOWN-3: after {after}, {} component(s) are ready but the runtime reports {live} live instance(s)",
            ready.len()
        ));
    }
    if memory < declared {
        return Some(format!(
            "LC-TEARDOWN-3: after {after}, the ready component(s) have at least {declared} byte(s) of linear memory but the runtime accounts {memory}"
        ));
    }
    (memory > most).then(|| {
        format!(
            "LC-TEARDOWN-3: after {after}, the runtime accounts {memory} byte(s) of linear memory, more than the ready component(s) may hold ({most}, their limits or their memories' maximums)"
        )
    })
}

/// A timeout's duration against its limit, for the precision judgement.
struct TimedOut {
    took: Duration,
    limit: Duration,
}

/// The runner's judgement of each operation as the driver performs it: the watch over
/// it, its timing if it timed out (LC-LIMIT-4), and what the counters showed right after
/// it (LC-TEARDOWN-1/3).
struct Judge<'a> {
    case: &'a Case,
    watch: &'a Watch,
    slack: Duration,
    declared: Vec<DeclaredMemory>,
    cycle: u32,
    /// The counters were found wrong in this cycle already (one problem per cycle).
    counters_wrong: bool,
    /// Each component's operations so far in this cycle, as the expectation compares them.
    so_far: Vec<Vec<Operation>>,
    /// Each component's state as the transitions it reported so far in this cycle leave
    /// it, and whether the state the runtime says disagreed with it already.
    chain: Vec<(State, bool)>,
    /// Start operations performed, over every component and cycle.
    starts: usize,
    problems: Vec<Problem>,
    notes: Vec<String>,
    /// The components a note was written for (one note each).
    noted: BTreeSet<usize>,
    timed_out: Vec<TimedOut>,
    /// The fastest operation that did not time out: the runtime's own cost of one.
    fastest_other: Duration,
}

impl Judge<'_> {
    fn place(&self, at: At) -> Place {
        Place {
            cycle: self.cycle,
            step: at.step,
            component: at.component,
        }
    }

    /// Which operation (1-based) of which component and cycle, for messages.
    fn where_(&self, at: At) -> String {
        attribution::describe(
            self.place(at),
            &self.case.steps,
            self.case.modules.len(),
            self.case.cycles,
        )
    }

    /// Whether component `j`'s operations so far are the start of a run its expectation
    /// allows: while they are, what the guest did is what the expectation says it did.
    fn on_track(&self, j: usize) -> bool {
        let ops = &self.so_far[j];
        self.case.modules[j]
            .expected
            .candidates()
            .iter()
            .any(|s| s.ops.len() >= ops.len() && s.ops[..ops.len()] == ops[..])
    }

    fn begin_cycle(&mut self, cycle: u32) {
        self.cycle = cycle;
        self.counters_wrong = false;
        self.so_far = vec![Vec::new(); self.case.modules.len()];
        self.chain = vec![(State::Creating, false); self.case.modules.len()];
    }
}

impl Observer for Judge<'_> {
    fn before(&mut self, at: At, step: &Step) {
        self.watch
            .begin(step, &self.case.modules[at.component].limits);
    }

    fn ran(&mut self, at: At, step: &Step, outcome: &Outcome, took: Duration) {
        self.watch.end();
        if *step == Step::Start {
            self.starts += 1;
        }
        let slack = self.slack;
        match timeout_hit(outcome, step, &self.case.modules[at.component].limits) {
            Some(limit) => {
                let here = self.where_(at);
                let problem = if took < limit {
                    Some(format!(
                        "LC-LIMIT-4: {here} reported a timeout after {took:?}, before its {limit:?} limit"
                    ))
                } else if took > limit + slack {
                    Some(format!(
                        "LC-LIMIT-4: {here} timed out after {took:?}: later than its {limit:?} limit plus {slack:?}"
                    ))
                } else {
                    None
                };
                let place = Some(self.place(at));
                self.problems
                    .extend(problem.map(|text| Problem::said(place, Aspect::Timing, text)));
                self.timed_out.push(TimedOut { took, limit });
            }
            None => self.fastest_other = self.fastest_other.min(took),
        }
    }

    fn recorded(&mut self, at: At, op: &Op, states: &[State]) {
        self.so_far[at.component].push(Operation::new(
            op.outcome.without_detail(),
            trace::guest_calls(&op.events),
        ));
        // The state the runtime says must be where its transitions lead (LC-REPORT-1):
        // the counters are judged by the state it says.
        let (chain, told) = &mut self.chain[at.component];
        if let Some((_, to)) = trace::transitions(&op.events).last() {
            *chain = *to;
        }
        let (reported, led) = (states[at.component], *chain);
        if reported != led && !*told {
            *told = true;
            let place = Some(self.place(at));
            let text = format!(
                "LC-REPORT-1: after {}, the runtime says the component is `{reported}` but the transitions it reported leave it `{led}`",
                self.where_(at)
            );
            self.problems
                .push(Problem::said(place, Aspect::State, text));
        }
        if self.counters_wrong {
            return;
        }
        // Each component's last step so far: this one for those up to this component.
        let done = |j: usize| {
            if j <= at.component {
                Some(at.step)
            } else {
                at.step.checked_sub(1)
            }
        };
        let here = self.where_(at);
        let mut ready = Vec::new();
        for (j, _) in states
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == State::Ready)
        {
            let m = &self.case.modules[j];
            let DeclaredMemory { initial, maximum } = self.declared[j];
            // The memory the guest grew to, where the expectation knows it: only while
            // the trace shows the guest doing what the expectation says it did.
            let grown = m
                .memory_after
                .as_ref()
                .zip(done(j))
                .and_then(|(memory, i)| memory.get(i).copied())
                .filter(|grown| *grown > initial);
            let least = match grown {
                Some(grown) if self.on_track(j) => grown,
                Some(grown) => {
                    if self.noted.insert(j) {
                        self.notes.push(format!(
                        "after {here}, the trace had left the expectation, so LC-TEARDOWN-3 held component {}'s memory to the {initial} byte(s) its module declares, not to the {grown} its expected guest calls grow it to",
                        j + 1
                    ));
                    }
                    initial
                }
                None => initial,
            };
            ready.push(Ready {
                declared: least,
                limit: maximum.map_or(m.limits.max_memory_bytes, |max| {
                    max.min(m.limits.max_memory_bytes)
                }),
            });
        }
        if let Some(problem) = held_problem(&ready, op.held, &here) {
            let place = Some(self.place(at));
            self.problems
                .push(Problem::said(place, Aspect::Counters, problem));
            self.counters_wrong = true;
        }
    }
}

/// How component `k`'s trace of one cycle (and its summary) differs from its
/// expectation, each problem at its place. Where several outcomes conform, the nearest:
/// the one the trace follows longest.
fn judged(case: &Case, k: usize, cycle: u32, trace: &Trace, summary: &Summary) -> Vec<Problem> {
    let module = &case.modules[k];
    let context = Context {
        steps: &case.steps,
        components: case.modules.len(),
        cycles: case.cycles,
        cycle,
        component: k,
    };
    let several = case.modules.len() > 1;
    let with_detail = |mut problems: Vec<Problem>, detail: String| {
        let detail = match several {
            true => format!("component {}:\n{detail}", k + 1),
            false => detail,
        };
        for p in &mut problems {
            p.detail = Some(detail.clone());
        }
        problems
    };
    match &module.expected {
        Expected::Invariants => match lifecycle_generators::invariants::check(summary) {
            Ok(()) => Vec::new(),
            Err(broken) => {
                let text = format!("{}: invariant broken: {}", broken.clause, broken.text);
                let place = Some(Place {
                    cycle,
                    step: case.steps.len(),
                    component: k,
                });
                let problem = Problem::said(place, Aspect::Case, text);
                with_detail(vec![problem], pretty(&summary.to_json()))
            }
        },
        expected => {
            let all = expected.candidates();
            if all.contains(summary) {
                return Vec::new();
            }
            // The nearest: the one the trace follows longest, then the one whose outcomes
            // it shows most often (a runtime that reports no guest calls still shows
            // which outcome it took), then the one it differs from in the fewest lines.
            let nearest = all
                .iter()
                .map(|want| {
                    let problems = attribution::divergences(want, trace, context);
                    (problems, diff(&want.to_json(), &summary.to_json()))
                })
                .max_by_key(|(problems, diff)| {
                    let first = problems.iter().map(|p| p.place).min().flatten();
                    let outcomes = problems
                        .iter()
                        .filter(|p| p.aspect == Aspect::Outcome)
                        .count();
                    let lines = diff.lines().count();
                    (first, std::cmp::Reverse(outcomes), std::cmp::Reverse(lines))
                });
            let Some((problems, diff)) = nearest else {
                return Vec::new();
            };
            let detail = match all.len() {
                1 => diff,
                n => format!(
                    "none of the {n} conforming outcomes (the engine's fuel cost or the machine's speed decides which); the nearest:\n{diff}"
                ),
            };
            with_detail(problems, detail)
        }
    }
}

/// Runs `case` on `subject`: its steps on its components (`cycles` times, fresh ones each
/// time), reporting each operation to `watch`. `Err` when the subject can no longer be
/// judged (see [`Subject::failure`]).
pub async fn execute<S: Subject>(
    subject: &S,
    case: &Case,
    options: &RunOptions,
    watch: &Watch,
) -> Result<Execution, String> {
    let unjudgeable = |Unjudgeable(why)| why;
    let compilations_before = drive::counters(subject)
        .await
        .map_err(unjudgeable)?
        .compilations;
    let probe = (case.timing == Timing::Precise).then(DelayProbe::start);
    let mut judge = Judge {
        case,
        watch,
        slack: options.timing_slack,
        declared: case
            .modules
            .iter()
            .map(|m| declared_memory(&m.module))
            .collect(),
        cycle: 0,
        counters_wrong: false,
        so_far: Vec::new(),
        chain: Vec::new(),
        starts: 0,
        problems: Vec::new(),
        notes: Vec::new(),
        noted: BTreeSet::new(),
        timed_out: Vec::new(),
        fastest_other: Duration::MAX,
    };
    let without_expectation = case
        .modules
        .iter()
        .any(|m| matches!(m.expected, Expected::Invariants));
    let mut first: Option<(Vec<Summary>, NormalizedTrace)> = None;
    for cycle in 1..=case.cycles {
        judge.begin_cycle(cycle);
        let components: Vec<S::Component> = case
            .modules
            .iter()
            .map(|m| subject.component(m.module.clone(), m.profile, m.limits.clone()))
            .collect();
        let traces = drive::run(subject, components, &case.steps, &mut judge)
            .await
            .map_err(unjudgeable)?;
        let after_steps = Some(Place {
            cycle,
            step: case.steps.len(),
            component: 0,
        });
        // Every trace ends with the same counters: the runtime's, with nothing alive.
        let end = traces.first();
        let (live, memory) = end.map_or((0, 0), |t| (t.live_instances, t.accounted_memory_bytes));
        if (live, memory) != (0, 0) {
            judge.problems.push(Problem::said(after_steps, Aspect::Counters, format!(
                "LC-TEARDOWN-1: after cycle {cycle}, every component dropped, {live} live instance(s) and {memory} byte(s) still accounted"
            )));
        }
        let summaries: Vec<Summary> = traces
            .iter()
            .map(|t| t.summary().without_detail())
            .collect();
        for (k, (trace, summary)) in traces.iter().zip(&summaries).enumerate() {
            judge
                .problems
                .extend(judged(case, k, cycle, trace, summary));
        }
        let trace = NormalizedTrace::new(&traces, case.cycles);
        match &first {
            None => first = Some((summaries, trace)),
            // Without an expectation to hold each cycle to, every cycle of fresh
            // components must repeat the first.
            Some((s, _)) if without_expectation && *s != summaries => {
                let shown: Vec<Value> = summaries.iter().map(Summary::to_json).collect();
                judge.problems.push(Problem::said(
                    after_steps,
                    Aspect::Case,
                    format!(
                        "LC-TEARDOWN-2: cycle {cycle} differs from cycle 1: {}",
                        Value::Array(shown)
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    let (summaries, trace) = first.expect("at least one cycle");
    let mut problems = judge.problems;
    let case_wide = |text| Problem::said(None, Aspect::Case, text);
    if subject.capabilities().compilations {
        let after = drive::counters(subject)
            .await
            .map_err(unjudgeable)?
            .compilations;
        problems.extend(
            compilation_problem(case, &summaries, judge.starts, compilations_before, after)
                .map(case_wide),
        );
    }
    if let Some(probe) = probe {
        let noise = probe.finish().await;
        problems.extend(
            precision_problem(&judge.timed_out, judge.fastest_other, noise, options).map(case_wide),
        );
    }
    Ok(Execution {
        summaries,
        trace,
        problems,
        notes: judge.notes,
    })
}

/// LC-LIMIT-7: how late a case's timeouts fire, less the runtime's own cost of an
/// operation (its fastest operation that did not time out), judged on the lower
/// quartile of at least three of them (the second smallest of five): a busy machine only
/// ever delays a timeout, so one that is on time some of the time is on time, while a
/// timer that is late every time is late here. It must be within the contract's
/// precision plus the scheduling delay measured beside the case.
fn precision_problem(
    timed_out: &[TimedOut],
    overhead: Duration,
    noise: Duration,
    options: &RunOptions,
) -> Option<String> {
    const SAMPLES: usize = 3;
    if timed_out.len() < SAMPLES {
        return Some(format!(
            "LC-LIMIT-7: a precise-timing case needs at least {SAMPLES} timeouts to judge, and {} fired",
            timed_out.len()
        ));
    }
    let overhead = if overhead == Duration::MAX {
        Duration::ZERO
    } else {
        overhead
    };
    let mut lateness: Vec<Duration> = timed_out
        .iter()
        .map(|t| t.took.saturating_sub(t.limit).saturating_sub(overhead))
        .collect();
    lateness.sort();
    let judged = lateness[lateness.len() / 4];
    let allowed = options.timing_precision + noise;
    (judged > allowed).then(|| {
        format!(
            "LC-LIMIT-7: the timeouts fired late: {judged:?} after their limits at the lower quartile of {} (all: {lateness:?}, less {overhead:?} the runtime takes for an operation), more than the contract's {:?} plus {noise:?} a busy thread was kept waiting meanwhile",
            timed_out.len(),
            options.timing_precision
        )
    })
}

/// How long a busy thread is kept off the CPU on this machine while a case runs: a
/// thread beside the case spins 5 ms at a time (a guest in a loop is a busy thread too)
/// and notes the longest gap between two of its clock readings, then rests 5 ms. The
/// longest gap seen is the scheduling delay a timeout could not help.
struct DelayProbe {
    stop: Arc<std::sync::atomic::AtomicBool>,
    longest: tokio::task::JoinHandle<Duration>,
}

impl DelayProbe {
    fn start() -> DelayProbe {
        const SPIN: Duration = Duration::from_millis(5);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let longest = tokio::task::spawn_blocking(move || {
            let mut longest = Duration::ZERO;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let began = Instant::now();
                let mut last = began;
                while last.duration_since(began) < SPIN {
                    let now = Instant::now();
                    longest = longest.max(now.duration_since(last));
                    last = now;
                }
                std::thread::sleep(SPIN);
            }
            longest
        });
        DelayProbe { stop, longest }
    }

    async fn finish(mut self) -> Duration {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (&mut self.longest).await.unwrap_or_default()
    }
}

impl Drop for DelayProbe {
    /// A case aborted midway (an operation past its limit) drops its probe unfinished:
    /// the probe's thread must stop spinning all the same.
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

/// A unified diff from what was expected to what happened.
pub fn diff(expected: &Value, actual: &Value) -> String {
    similar::TextDiff::from_lines(pretty(expected).as_str(), pretty(actual).as_str())
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

fn expected_json(expected: &Expected) -> Value {
    match expected {
        Expected::Exact(s) => s.to_json(),
        Expected::AnyOf(all) => {
            serde_json::json!({"any_of": all.iter().map(Summary::to_json).collect::<Vec<_>>()})
        }
        Expected::Invariants => Value::String("the invariants of every run".into()),
    }
}

/// One value for one component, an array for several.
fn per_component(values: Vec<Value>) -> Value {
    match <[Value; 1]>::try_from(values) {
        Ok([one]) => one,
        Err(many) => Value::Array(many),
    }
}

/// Runs one case with its own fresh subject, bounded as the module docs say, and judges
/// it.
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
            let subject = make().map_err(|e| format!("cannot create the runtime: {e}"))?;
            execute(&subject, &case, &options, &watch).await
        })
    };
    tokio::pin!(task);
    let watchdog = options.watchdog;
    let executed = loop {
        tokio::select! {
            joined = &mut task => break joined.map_err(|e| format!("the runtime panicked: {e}")).and_then(|r| r),
            () = tokio::time::sleep(Duration::from_millis(20)) => {
                if let Some(overrun) = watch.overrun(options.timing_slack) {
                    task.abort();
                    break Err(overrun);
                }
                if began.elapsed() > watchdog {
                    task.abort();
                    break Err(format!("watchdog: the case did not finish within {watchdog:?}"));
                }
            }
        }
    };
    let verdict = match executed {
        Err(why) => Verdict::Fail(Failure::single(Problem::said(None, Aspect::Runner, why))),
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

/// What a run found: the runtime's name and version and a result per case, or why the
/// runtime under test could not be made at all.
pub type Outcomes = Result<((String, String), Vec<CaseResult>), String>;

/// Runs `cases`, each on a fresh subject from `make`, `options.jobs` at a time. Results
/// come back in the order of `cases`, one per case (fewer only under
/// [`RunOptions::fail_fast`]). A subject is made once first, to learn what it is
/// and what it supports; if that fails, nothing runs and the run reports why, once.
pub async fn run<S: Subject>(
    make: impl Fn() -> Result<S, String> + Send + Sync + 'static,
    cases: Vec<Case>,
    options: RunOptions,
) -> Outcomes {
    let make: Arc<dyn Fn() -> Result<S, String> + Send + Sync> = Arc::new(make);
    let (identity, capabilities) = {
        let subject = make()?;
        let found = ((subject.name(), subject.version()), subject.capabilities());
        // Let go of it (for an adapter: its process) before the cases begin.
        drop(subject);
        found
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
            // Closed only by a fail-fast run that has its failure: this case is left out.
            let Ok(_permit) = gate.clone().acquire_owned().await else {
                return (index, None);
            };
            let result = run_one(make, case, options.clone(), capabilities).await;
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

/// A stable hash of a case id, for sharding: the same on every machine.
fn shard_hash(id: &str) -> u64 {
    crate::hash::StableHash::of(id.as_bytes())
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
